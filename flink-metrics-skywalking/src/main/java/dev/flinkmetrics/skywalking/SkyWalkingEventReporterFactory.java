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
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.Sender;
import dev.flinkmetrics.skywalking.transport.SenderFactory;
import java.util.Properties;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.events.reporter.EventReporterFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the event reporter (Flink 2.1 and later; Flink sends job events from 2.2). Set {@code
 * events.reporter.<name>.factory.class} to this class. The options are parsed once, here; a bad
 * value fails the reporter's creation with a message naming {@code events.reporter.<name>.<key>}.
 */
public class SkyWalkingEventReporterFactory implements EventReporterFactory {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingEventReporterFactory.class);

    private final PluginProcess process;

    /** The factory Flink makes: its reporters share the process's connections and counts. */
    public SkyWalkingEventReporterFactory() {
        this(PluginProcess.get());
    }

    /** A factory whose reporters share {@code process} instead; tests use one each. */
    public SkyWalkingEventReporterFactory(PluginProcess process) {
        this.process = process;
    }

    @Override
    public EventReporter createEventReporter(Properties properties) {
        OptionReader options = new OptionReader(properties, Signal.EVENTS);
        ConnectionSettings connection = ConnectionSettings.read(options);
        SourceSettings source = SourceSettings.read(options);
        BatchSettings batch = BatchSettings.read(options);
        source.warnAtStart(LOG, options);
        Sender sender =
                SenderFactory.create(
                        connection, EventExporter.exportMethod(Signal.EVENTS), process);
        LOG.info(
                "{} {} sending events with endpoint={}, {}, {}, layer={}, {}",
                PluginVersion.NAME,
                PluginVersion.version(),
                sender.target(),
                connection,
                source,
                source.layer,
                batch);
        return new SkyWalkingEventReporter(
                source,
                new EventExporter(connection, batch, sender, process.events),
                process,
                connection.timeoutMillis);
    }
}
