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
import dev.flinkmetrics.skywalking.traces.OtlpTraceEncoder;
import dev.flinkmetrics.skywalking.traces.SkyWalkingTraceReporter;
import dev.flinkmetrics.skywalking.traces.SpanRecord;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.Sender;
import dev.flinkmetrics.skywalking.transport.SenderFactory;
import java.security.SecureRandom;
import java.util.Properties;
import org.apache.flink.traces.reporter.TraceReporter;
import org.apache.flink.traces.reporter.TraceReporterFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the trace reporter (Flink 1.19 and later). Set {@code
 * traces.reporter.<name>.factory.class} to this class.
 *
 * <p>The configuration is parsed and validated here, once; a bad value fails the reporter's
 * creation with a message that names the full {@code traces.reporter.<name>.} key and the value,
 * and Flink goes on without it. Flink 1.16 to 1.18 never load this class: they have no trace
 * reporters.
 */
public class SkyWalkingTraceReporterFactory implements TraceReporterFactory {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingTraceReporterFactory.class);

    private final PluginProcess process;

    /** The factory Flink makes: its reporters share the process's connections and counts. */
    public SkyWalkingTraceReporterFactory() {
        this(PluginProcess.get());
    }

    /** A factory whose reporters share {@code process} instead; tests use one each. */
    public SkyWalkingTraceReporterFactory(PluginProcess process) {
        this.process = process;
    }

    @Override
    public TraceReporter createTraceReporter(Properties properties) {
        OptionReader options = new OptionReader(properties, Signal.TRACES);
        ConnectionSettings connection = ConnectionSettings.read(options);
        SourceSettings source = SourceSettings.read(options);
        BatchSettings batch = BatchSettings.read(options);
        source.warnAtStart(LOG, options);
        Sender sender = SenderFactory.create(connection, OtlpTraceEncoder.OTLP_TRACES, process);
        LOG.info(
                "{} {} reporting spans with endpoint={}, {}, {}, {}",
                PluginVersion.NAME,
                PluginVersion.version(),
                sender.target(),
                connection,
                source,
                batch);
        BatchExporter<SpanRecord> exporter =
                new BatchExporter<>(
                        "spans",
                        batch.queueSize,
                        batch.maxRequestBytes,
                        connection.timeoutMillis,
                        new Delivery(sender, "Spans", "spansDropped"),
                        new OtlpTraceEncoder(source, new SecureRandom()),
                        process.spans);
        return new SkyWalkingTraceReporter(exporter, process, connection.timeoutMillis);
    }
}
