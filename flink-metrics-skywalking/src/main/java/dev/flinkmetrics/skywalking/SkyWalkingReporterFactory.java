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
import dev.flinkmetrics.skywalking.config.MetricsSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.PluginVersion;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.events.EventExporter;
import dev.flinkmetrics.skywalking.metrics.SkyWalkingMetricReporter;
import dev.flinkmetrics.skywalking.transport.Sender;
import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the reporter. Set {@code metrics.reporter.<name>.factory.class} to this class.
 *
 * <p>The whole configuration is parsed and validated here, once; a bad value fails the reporter's
 * creation with a message that names the key and the value, and Flink goes on without it.
 */
public class SkyWalkingReporterFactory implements MetricReporterFactory {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingReporterFactory.class);

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        OptionReader options = new OptionReader(properties);
        ConnectionSettings connection = ConnectionSettings.read(options);
        MetricsSettings settings = MetricsSettings.read(options);
        settings.source.warnAtStart(LOG, options, Signal.METRICS);
        // Only the JobManager derives events, but which process this is shows only once metrics
        // arrive; the sender opens no connection until the first event.
        BatchSettings eventBatch = settings.deriveEvents ? BatchSettings.read(options) : null;
        Sender eventSender =
                settings.deriveEvents
                        ? Sender.create(connection, EventExporter.exportMethod(Signal.METRICS))
                        : null;
        Sender sender = Sender.create(connection, SkyWalkingMetricReporter.EXPORT_METHOD);
        LOG.info(
                "{} {} reporting with endpoint={}, {}, {}{}",
                PluginVersion.NAME,
                PluginVersion.version(),
                sender.target(),
                connection,
                settings,
                eventBatch == null
                        ? ""
                        : ", events to " + eventSender.target() + " (" + eventBatch + ")");
        return new SkyWalkingMetricReporter(connection, settings, sender, eventSender, eventBatch);
    }
}
