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

import static dev.flinkmetrics.skywalking.testing.Conditions.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.traces.Span;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The receiver down, refusing traces, or stalled. Flink's thread is never held up, the queue stays
 * within queue-size, every span is counted as exported or dropped, one WARN says what to fix, and
 * close does not wait for a stalled receiver.
 *
 * <p>The timeout is 10 s unless a test needs it short: the first call of a reporter also connects,
 * and on a busy machine that alone can take longer than 1 s, which would turn the failure a test
 * looks for into a timeout.
 */
class TraceReceiverFaultsTest {

    private static final String EXPORT_THREAD = "flink-metrics-skywalking-spans-exporter";

    @RegisterExtension final ReporterHarness harness = ReporterHarness.withReceiver();

    private final TraceReporters reporters = new TraceReporters();
    private OtlpTestServer server;
    private LogCapture log;
    private long exportedBefore;
    private long droppedBefore;
    private long failedBefore;

    @BeforeEach
    void setUp() {
        server = harness.receiver();
        log = harness.log();
        exportedBefore = reporters.process.spans.exported.get();
        droppedBefore = reporters.process.spans.dropped.get();
        failedBefore = reporters.process.spans.failedRequests.get();
    }

    @AfterEach
    void closeReporters() {
        reporters.close();
    }

    private SkyWalkingTraceReporter reporter(String... keyValues) {
        String[] all = new String[keyValues.length + 6];
        all[0] = "endpoint";
        all[1] = server.endpoint();
        all[2] = "cluster";
        all[3] = "faults";
        all[4] = "timeout";
        all[5] = "10 s";
        System.arraycopy(keyValues, 0, all, 6, keyValues.length);
        return reporters.create(all);
    }

    private long failedRequests() {
        return reporters.process.spans.failedRequests.get() - failedBefore;
    }

    private long exported() {
        return reporters.process.spans.exported.get();
    }

    @Test
    void receiverDownNothingBlocksTheQueueIsBoundedAndEverySpanIsCounted() throws Exception {
        server.stop();
        SkyWalkingTraceReporter reporter = reporter("queue-size", "16");
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            spans.add(TraceReporters.checkpoint(i, 2));
        }
        for (Span span : spans) {
            reporter.notifyOfAddedSpan(span);
            assertThat(reporter.exporter().queued()).isLessThanOrEqualTo(16);
        }
        // At most the queue and one batch in the export thread's hands are kept.
        assertThat(reporters.process.spans.dropped.get() - droppedBefore)
                .isGreaterThanOrEqualTo(2000 - 16 - 512);
        assertThat(log.at(Level.WARN))
                .anyMatch(m -> m.contains("queue of spans") && m.contains("is full"));

        reporter.close();
        assertThat(exported() - exportedBefore).isZero();
        assertThat(reporters.process.spans.dropped.get() - droppedBefore).isEqualTo(2000);
        assertThat(reporters.process.spans.failedRequests.get() - failedBefore).isPositive();
        assertThat(log.at(Level.WARN))
                .filteredOn(m -> m.startsWith("Export to " + server.endpoint() + " failed"))
                .singleElement()
                .asString()
                .contains("UNAVAILABLE")
                .contains("Nothing listens at 127.0.0.1:" + server.port());
    }

    @Test
    void aReceiverWithoutTheTraceServiceIsOneWarningNamingTheOapSettings() throws Exception {
        server.stop();
        server.serveTraces(false);
        server.restart();
        SkyWalkingTraceReporter reporter = reporter();
        for (int i = 1; i <= 3; i++) {
            reporter.notifyOfAddedSpan(TraceReporters.checkpoint(i, 0));
            long failed = i;
            // Each span is its own export, refused at once (the call reaches no service).
            assertThat(awaitUntil(() -> failedRequests() == failed)).isTrue();
        }
        reporter.close();
        assertThat(server.traceRequests()).isEmpty();
        assertThat(failedRequests()).isEqualTo(3);
        assertThat(reporters.process.spans.dropped.get() - droppedBefore).isEqualTo(3);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("UNIMPLEMENTED")
                .contains("OTLP traces")
                .contains("SW_OTEL_RECEIVER_ENABLED_HANDLERS including otlp-traces")
                .contains("SW_RECEIVER_ZIPKIN=default")
                .contains("SW_QUERY_ZIPKIN=default")
                .contains("spansDropped");
    }

    @Test
    void closeDoesNotWaitForAStalledReceiverAndCountsEverySpan() throws Exception {
        server.delay(TimeUnit.MINUTES.toMillis(1));
        SkyWalkingTraceReporter reporter = reporter("timeout", "5 s");
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(1, 0));
        assertThat(server.awaitCalls(1, 10_000)).isTrue();
        for (int i = 2; i <= 5; i++) {
            reporter.notifyOfAddedSpan(TraceReporters.checkpoint(i, 0));
        }

        // The stall lasts a minute; close ends with the timeout (how close it keeps to it is
        // measured, not asserted here).
        long start = System.nanoTime();
        reporter.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThat(ReporterHarness.awaitPluginThreadsGone(10_000)).doesNotContain(EXPORT_THREAD);
        assertThat(server.traceRequests()).isEmpty();
        // Each span once: the one in flight and the four queued behind it.
        assertThat(exported() - exportedBefore).isZero();
        assertThat(reporters.process.spans.dropped.get() - droppedBefore).isEqualTo(5);
        // One outage WARN: the call's deadline (DEADLINE_EXCEEDED) or the close's interrupt,
        // whichever comes first on this machine, ends the call; ConnectionFailureTest has the
        // wording of each.
        assertThat(log.at(Level.WARN))
                .filteredOn(m -> m.startsWith("Export to " + server.endpoint() + " failed"))
                .hasSize(1);
    }

    @Test
    void theReceiverBackAfterAnOutageGetsTheNewSpans() throws Exception {
        server.stop();
        SkyWalkingTraceReporter reporter = reporter("timeout", "1 s");
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(1, 0));
        // The first export fails (nothing listens) and is dropped after its retries.
        assertThat(awaitUntil(() -> reporters.process.spans.dropped.get() - droppedBefore == 1))
                .isTrue();
        server.restart();
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(2, 0));
        assertThat(server.awaitSpans(s -> s.size() == 1, 10_000)).isTrue();
        // Logged once the answer is back, just after the receiver kept the request.
        assertThat(log.await(Level.INFO, "works again")).isTrue();
        assertThat(log.at(Level.WARN)).hasSize(1);
    }

    @Test
    void spansFurtherApartThanTheExportThreadLivesShareOneConnection() throws Exception {
        SkyWalkingTraceReporter reporter = reporter();
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(1, 1));
        assertThat(server.awaitSpans(s -> s.size() >= 2, 10_000)).isTrue();
        // Quiet for longer than the export thread stays (what used to end the connection too).
        assertThat(awaitUntil(() -> !threadAlive(EXPORT_THREAD))).isTrue();
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(2, 1));
        assertThat(server.awaitSpans(s -> s.size() >= 4, 10_000)).isTrue();
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aRefusedTokenHintNamesTheTraceReportersKey() throws Exception {
        server.requireToken("right");
        SkyWalkingTraceReporter reporter = reporter("token", "wrong");
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(1, 1));
        assertThat(awaitUntil(() -> !log.at(Level.WARN).isEmpty())).isTrue();
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("traces.reporter.<name>.token")
                .doesNotContain("metrics.reporter.");
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
