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
import dev.flinkmetrics.skywalking.events.MetricEventDeriver;
import dev.flinkmetrics.skywalking.metrics.MetricListener;
import dev.flinkmetrics.skywalking.metrics.SkyWalkingMetricReporter;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.Sender;
import dev.flinkmetrics.skywalking.transport.SenderFactory;
import java.util.Properties;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
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

    private final PluginProcess process;

    /** The factory Flink makes: its reporters share the process's connections and counts. */
    public SkyWalkingReporterFactory() {
        this(PluginProcess.get());
    }

    /** A factory whose reporters share {@code process} instead; tests use one each. */
    public SkyWalkingReporterFactory(PluginProcess process) {
        this.process = process;
    }

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        OptionReader options = new OptionReader(properties, Signal.METRICS);
        ConnectionSettings connection = ConnectionSettings.read(options);
        MetricsSettings settings = MetricsSettings.read(options);
        settings.source.warnAtStart(LOG, options);
        // Only the JobManager derives events, but which process this is shows only once metrics
        // arrive; nothing connects and no thread starts until the first event.
        BatchSettings eventBatch = settings.deriveEvents ? BatchSettings.read(options) : null;
        Sender eventSender =
                settings.deriveEvents
                        ? SenderFactory.create(
                                connection, EventExporter.exportMethod(Signal.METRICS), process)
                        : null;
        Sender sender =
                SenderFactory.create(connection, SkyWalkingMetricReporter.EXPORT_METHOD, process);
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
        MetricListener derived =
                eventSender == null
                        ? null
                        : new DerivedEvents(
                                new EventExporter(
                                        connection, eventBatch, eventSender, process.events),
                                settings,
                                process);
        return new SkyWalkingMetricReporter(connection, settings, sender, process, derived);
    }

    /**
     * The events derived from the metrics, fed by the metric reporter through its listener: the
     * metrics package knows nothing of events, and events nothing of metrics.
     */
    private static final class DerivedEvents implements MetricListener {
        private final EventExporter exporter;
        private final MetricEventDeriver deriver;

        DerivedEvents(EventExporter exporter, MetricsSettings settings, PluginProcess process) {
            this.exporter = exporter;
            this.deriver =
                    new MetricEventDeriver(
                            settings.source,
                            settings.filterLabelValueCharacters,
                            exporter::offer,
                            System::currentTimeMillis,
                            process);
        }

        @Override
        public void added(String metricName, Metric metric, MetricGroup group) {
            deriver.added(metricName, metric, group);
        }

        @Override
        public void removed(String metricName, Metric metric, MetricGroup group) {
            deriver.removed(metricName, metric, group);
        }

        @Override
        public int reported() {
            return deriver.derive();
        }

        @Override
        public void close(long deadlineNanos) {
            exporter.close(deadlineNanos);
        }
    }
}
