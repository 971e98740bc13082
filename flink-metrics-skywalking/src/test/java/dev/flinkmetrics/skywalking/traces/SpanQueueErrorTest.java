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
package dev.flinkmetrics.skywalking.traces;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.testing.ErrorOnTarget;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.SenderFactory;
import java.security.SecureRandom;
import java.util.Properties;
import org.apache.flink.traces.Span;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * An Error out of queuing a span (the exporter's thread cannot start, memory ran out) never reaches
 * Flink's thread: an Error there can stop the JobManager. The span is counted as dropped, once, and
 * the failure logged once.
 */
class SpanQueueErrorTest {

    @Test
    void anErrorWhileQueuingASpanIsCountedAndNeverReachesFlink() throws Exception {
        PluginProcess process = new PluginProcess();
        try (OtlpTestServer server = new OtlpTestServer();
                LogCapture log = LogCapture.capture()) {
            server.delay(500); // the export thread is busy: the queue of one fills
            Properties options =
                    TestGroups.properties("endpoint", server.endpoint(), "timeout", "2 s");
            OptionReader reader = new OptionReader(options, Signal.TRACES);
            ConnectionSettings connection = ConnectionSettings.read(reader);
            ErrorOnTarget sender =
                    new ErrorOnTarget(
                            SenderFactory.create(
                                    connection, OtlpTraceEncoder.OTLP_TRACES, process));
            BatchExporter<SpanRecord> exporter =
                    new BatchExporter<>(
                            "spans",
                            1,
                            1024 * 1024,
                            connection.timeoutMillis,
                            new Delivery(sender, "Spans", "spansDropped"),
                            new OtlpTraceEncoder(SourceSettings.read(reader), new SecureRandom()),
                            process.spans);
            SkyWalkingTraceReporter reporter =
                    new SkyWalkingTraceReporter(exporter, process, connection.timeoutMillis);

            sender.arm();
            int offered = 0;
            while (process.spans.dropped.get() == 0 && offered < 10_000) {
                reporter.notifyOfAddedSpan(span(offered++)); // must not throw
            }
            assertThat(process.spans.dropped.get()).as("the span the Error hit").isEqualTo(1);
            reporter.notifyOfAddedSpan(span(offered++));
            reporter.notifyOfAddedSpan(span(offered++));
            sender.disarm();
            reporter.close();

            assertThat(process.spans.exported.get() + process.spans.dropped.get())
                    .as("every span counted once")
                    .isEqualTo(offered);
            assertThat(log.lines())
                    .filteredOn(l -> l.level == Level.WARN && l.message.contains("span"))
                    .filteredOn(l -> l.message.contains("Queuing"))
                    .hasSize(1);
        }
        assertThat(ReporterHarness.awaitPluginThreadsGone(10_000)).isEmpty();
        assertThat(process.openChannels()).isZero();
    }

    private static Span span(int i) {
        return Span.builder(SpanQueueErrorTest.class, "Checkpoint")
                .setStartTsMillis(1_700_000_000_000L + i)
                .setEndTsMillis(1_700_000_000_100L + i)
                .build();
    }
}
