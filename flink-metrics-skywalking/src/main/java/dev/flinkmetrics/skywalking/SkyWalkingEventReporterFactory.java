/*
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package dev.flinkmetrics.skywalking;

import dev.flinkmetrics.skywalking.config.BatchSettings;
import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.PluginVersion;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.events.EventExporter;
import dev.flinkmetrics.skywalking.events.SkyWalkingEventReporter;
import dev.flinkmetrics.skywalking.transport.Sender;
import java.util.Properties;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.events.reporter.EventReporterFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the event reporter (Flink 2.x). Set {@code events.reporter.<name>.factory.class} to this
 * class. The options are parsed once, here; a bad value fails the reporter's creation with a
 * message naming {@code events.reporter.<name>.<key>}.
 */
public class SkyWalkingEventReporterFactory implements EventReporterFactory {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingEventReporterFactory.class);

    @Override
    public EventReporter createEventReporter(Properties properties) {
        OptionReader options = new OptionReader(properties);
        ConnectionSettings connection;
        SourceSettings source;
        BatchSettings batch;
        try {
            connection = ConnectionSettings.read(options);
            source = SourceSettings.read(options);
            batch = BatchSettings.read(options);
        } catch (IllegalArgumentException e) {
            throw Signal.EVENTS.rekey(e);
        }
        source.warnAtStart(LOG, options, Signal.EVENTS);
        Sender sender;
        try {
            sender = Sender.create(connection, EventExporter.exportMethod(Signal.EVENTS));
        } catch (IllegalArgumentException e) {
            throw Signal.EVENTS.rekey(e);
        }
        LOG.info(
                "{} {} sending events with endpoint={}, {}, {}, layer={}, {}",
                PluginVersion.NAME,
                PluginVersion.version(),
                sender.target(),
                connection,
                source,
                source.layer,
                batch);
        return new SkyWalkingEventReporter(source, new EventExporter(connection, batch, sender));
    }
}
