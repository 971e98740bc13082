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

import static dev.flinkmetrics.skywalking.testing.Conditions.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.config.BatchSettings;
import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.MetricsSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.events.EventExporter;
import dev.flinkmetrics.skywalking.events.SkyWalkingEventReporter;
import dev.flinkmetrics.skywalking.metrics.SkyWalkingMetricReporter;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.traces.OtlpTraceEncoder;
import dev.flinkmetrics.skywalking.traces.SkyWalkingTraceReporter;
import dev.flinkmetrics.skywalking.traces.SpanRecord;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.ExportCounters;
import dev.flinkmetrics.skywalking.transport.ExportException;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.Sender;
import dev.flinkmetrics.skywalking.transport.SenderFactory;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.events.EventBuilder;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.traces.Span;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An export that throws instead of answering (a class that cannot be loaded, a fault of the plugin)
 * costs the work it was sending, counted and logged once with the error, and nothing else: the
 * export thread goes on, and the next span, event or metric report reaches the OAP. Each reporter
 * is built as its factory builds it, with the real sender to a real receiver wrapped so that its
 * first send throws.
 */
class ErrorInExportTest {

    private final PluginProcess process = new PluginProcess();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private OtlpTestServer server;
    private LogCapture log;

    @BeforeEach
    void setUp() throws Exception {
        log = LogCapture.capture();
        server = new OtlpTestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (AutoCloseable c : closing) {
                c.close();
            }
            server.close();
        } finally {
            log.close();
        }
    }

    private OptionReader options(Signal signal) {
        Properties p =
                TestGroups.properties(
                        "endpoint", server.endpoint(), "cluster", "errors", "timeout", "10 s");
        return new OptionReader(p, signal);
    }

    /** A real sender whose first send throws {@code error} instead. */
    private static final class FirstSendThrows implements Sender {
        private final Sender real;
        private final Error error;
        private final AtomicInteger sends = new AtomicInteger();

        FirstSendThrows(Sender real, Error error) {
            this.real = real;
            this.error = error;
        }

        @Override
        public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
            if (sends.getAndIncrement() == 0) {
                throw error;
            }
            real.send(request, length, deadlineNanos);
        }

        @Override
        public String target() {
            return real.target();
        }

        @Override
        public boolean reloadCredentials() {
            return real.reloadCredentials();
        }

        @Override
        public void resetBackoff() {
            real.resetBackoff();
        }

        @Override
        public void close(long deadlineNanos) {
            real.close(deadlineNanos);
        }
    }

    /** The encoder of spans, throwing {@code error} instead of its first request. */
    private static final class FirstEncodeThrows implements BatchExporter.Encoder<SpanRecord> {
        private final OtlpTraceEncoder real;
        private final Error error;
        private final AtomicInteger calls = new AtomicInteger();

        FirstEncodeThrows(OtlpTraceEncoder real, Error error) {
            this.real = real;
            this.error = error;
        }

        @Override
        public BatchExporter.Request encode(List<SpanRecord> batch, int from, int maxBytes) {
            if (calls.getAndIncrement() == 0) {
                throw error;
            }
            return real.encode(batch, from, maxBytes);
        }
    }

    private SkyWalkingTraceReporter traceReporter(
            Error senderError, Error encoderError, ExportCounters counters) {
        OptionReader options = options(Signal.TRACES);
        ConnectionSettings connection = ConnectionSettings.read(options);
        SourceSettings source = SourceSettings.read(options);
        BatchSettings batch = BatchSettings.read(options);
        Sender sender = SenderFactory.create(connection, OtlpTraceEncoder.OTLP_TRACES, process);
        OtlpTraceEncoder encoder = new OtlpTraceEncoder(source, new SecureRandom());
        BatchExporter<SpanRecord> exporter =
                new BatchExporter<>(
                        "spans",
                        batch.queueSize,
                        batch.maxRequestBytes,
                        connection.timeoutMillis,
                        new Delivery(
                                senderError == null
                                        ? sender
                                        : new FirstSendThrows(sender, senderError),
                                "Spans",
                                "spansDropped"),
                        encoderError == null
                                ? encoder
                                : new FirstEncodeThrows(encoder, encoderError),
                        counters);
        SkyWalkingTraceReporter reporter =
                new SkyWalkingTraceReporter(exporter, process, connection.timeoutMillis);
        closing.add(reporter::close);
        reporter.open(new MetricConfig());
        return reporter;
    }

    private static Span span(String name) {
        return Span.builder(ErrorInExportTest.class, name)
                .setStartTsMillis(1_700_000_000_000L)
                .setEndTsMillis(1_700_000_000_100L)
                .build();
    }

    @Test
    void aSenderThrowingAnErrorCostsThatSpanAndTheNextSpanIsExported() throws Exception {
        ExportCounters spans = process.spans;
        SkyWalkingTraceReporter reporter =
                traceReporter(new NoClassDefFoundError("io/grpc/internal/Gone"), null, spans);

        reporter.notifyOfAddedSpan(span("first"));
        assertThat(awaitUntil(() -> spans.dropped.get() == 1)).isTrue();
        reporter.notifyOfAddedSpan(span("second"));

        assertThat(server.awaitSpans(s -> !s.isEmpty(), 10_000)).isTrue();
        assertThat(server.spans())
                .extracting(Object::toString)
                .singleElement()
                .asString()
                .contains("second");
        assertThat(awaitUntil(() -> spans.exported.get() == 1)).isTrue();
        assertThat(spans.dropped.get()).isEqualTo(1);
        assertThat(spans.failedRequests.get()).isEqualTo(1);
        // Once, with the error and its stack trace.
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("unexpected java.lang.NoClassDefFoundError: io/grpc/internal/Gone")
                .contains("Spans are dropped")
                .contains(" | java.lang.NoClassDefFoundError");
        assertThat(log.await(Level.INFO, "works again")).isTrue();
    }

    @Test
    void anEncoderThrowingAnErrorCostsThatSpanAndTheNextSpanIsExported() throws Exception {
        ExportCounters spans = process.spans;
        SkyWalkingTraceReporter reporter =
                traceReporter(null, new AssertionError("a fault of the encoder"), spans);

        reporter.notifyOfAddedSpan(span("first"));
        assertThat(awaitUntil(() -> spans.dropped.get() == 1)).isTrue();
        reporter.notifyOfAddedSpan(span("second"));

        assertThat(server.awaitSpans(s -> !s.isEmpty(), 10_000)).isTrue();
        assertThat(server.spans())
                .extracting(Object::toString)
                .singleElement()
                .asString()
                .contains("second");
        assertThat(awaitUntil(() -> spans.exported.get() == 1)).isTrue();
        assertThat(spans.dropped.get()).isEqualTo(1);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("Encoding spans")
                .contains(" | java.lang.AssertionError: a fault of the encoder");
    }

    @Test
    void aSenderThrowingAnErrorCostsThatEventAndTheNextEventIsExported() throws Exception {
        OptionReader options = options(Signal.EVENTS);
        ConnectionSettings connection = ConnectionSettings.read(options);
        Sender sender =
                new FirstSendThrows(
                        SenderFactory.create(
                                connection, EventExporter.exportMethod(Signal.EVENTS), process),
                        new OutOfMemoryError("unable to create native thread"));
        SkyWalkingEventReporter reporter =
                new SkyWalkingEventReporter(
                        SourceSettings.read(options),
                        new EventExporter(
                                connection, BatchSettings.read(options), sender, process.events),
                        process,
                        connection.timeoutMillis);
        closing.add(reporter::close);
        reporter.open(new MetricConfig());

        reporter.notifyOfAddedEvent(jobFailure("first"));
        assertThat(awaitUntil(() -> process.events.dropped.get() == 1)).isTrue();
        reporter.notifyOfAddedEvent(jobFailure("second"));

        assertThat(server.events().awaitEvents(e -> !e.isEmpty(), 10_000)).isTrue();
        assertThat(server.events().events()).singleElement().asString().contains("second");
        assertThat(awaitUntil(() -> process.events.exported.get() == 1)).isTrue();
        assertThat(process.events.dropped.get()).isEqualTo(1);
        assertThat(process.events.failedRequests.get()).isEqualTo(1);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("unexpected java.lang.OutOfMemoryError: unable to create native thread")
                .contains("Events are dropped")
                .contains(" | java.lang.OutOfMemoryError");
    }

    private static org.apache.flink.events.Event jobFailure(String job) {
        return new EventBuilder(ErrorInExportTest.class, "JobFailureEvent")
                .setObservedTsMillis(1_700_000_000_000L)
                .setAttribute("<job_id>", "4b3a2f1e")
                .setAttribute("<job_name>", job)
                .setAttribute("<host>", "jobmanager-0")
                .build();
    }

    @Test
    void aSenderThrowingAnErrorCostsThatReportAndTheNextReportIsExported() throws Exception {
        OptionReader options = options(Signal.METRICS);
        ConnectionSettings connection = ConnectionSettings.read(options);
        Sender sender =
                new FirstSendThrows(
                        SenderFactory.create(
                                connection, SkyWalkingMetricReporter.EXPORT_METHOD, process),
                        new AssertionError("a fault of the sender"));
        SkyWalkingMetricReporter reporter =
                new SkyWalkingMetricReporter(
                        connection, MetricsSettings.read(options), sender, process, null);
        closing.add(reporter::close);
        reporter.open(new MetricConfig());
        SimpleCounter counter = new SimpleCounter();
        counter.inc(7);
        reporter.notifyOfAddedMetric(
                counter,
                "numRecordsIn",
                TestGroups.group(
                        "taskmanager.job.task", TestGroups.operatorVariables("job", "op", 0)));

        reporter.report();
        assertThat(log.await(Level.WARN, "a fault of the sender")).isTrue();
        // Reports that come while the failed one is still being given up are skipped.
        assertThat(
                        awaitUntil(
                                () -> {
                                    reporter.report();
                                    return !server.received().isEmpty();
                                }))
                .isTrue();

        assertThat(server.samples())
                .filteredOn(s -> s.name.equals("flink_taskmanager_job_task_numRecordsIn"))
                .isNotEmpty()
                .allMatch(s -> s.value == 7);
        // The failed request is counted, and the count is among the series sent.
        assertThat(server.samples())
                .filteredOn(s -> s.name.equals("flink_reporter_skywalking_exportFailures"))
                .isNotEmpty()
                .allMatch(s -> s.value == 1);
        assertThat(server.samples())
                .filteredOn(s -> s.name.equals("flink_reporter_skywalking_pointsDropped"))
                .isNotEmpty()
                .allMatch(s -> s.value >= 1);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("unexpected java.lang.AssertionError: a fault of the sender")
                .contains("Metrics are dropped")
                .contains(" | java.lang.AssertionError");
    }
}
