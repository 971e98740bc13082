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
package dev.flinkmetrics.skywalking.transport;

import static dev.flinkmetrics.skywalking.testing.Conditions.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.SkyWalkingReporterFactory;
import dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.Scheduled;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JVM's exit as {@link ProcessExit} runs it, run here by the test the way the shutdown hook
 * would: it closes the reporters Flink never closes, each guarded and by its own deadline, and
 * nothing else: the metric reporter, which Flink closes as it shuts down at the same moment, keeps
 * the connection it shares with them for its last report. What a real exit does in a JVM of its
 * own: {@code ProcessExitTest}.
 */
class ProcessExitActionTest {

    private static final String COUNTER = "flink_taskmanager_job_task_numRecordsIn";

    private final PluginProcess process = new PluginProcess();
    private final List<AutoCloseable> reporters = new ArrayList<>();
    private OtlpTestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new OtlpTestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (AutoCloseable reporter : reporters) {
                reporter.close();
            }
        } finally {
            server.close();
        }
        assertThat(ReporterHarness.awaitPluginThreadsGone(10_000)).isEmpty();
    }

    private Properties options() {
        return TestGroups.properties(
                "endpoint", server.endpoint(), "cluster", "exit", "timeout", "10 s");
    }

    private MetricReporter metricReporter(SimpleCounter counter) {
        MetricReporter reporter =
                new SkyWalkingReporterFactory(process).createMetricReporter(options());
        reporters.add(reporter::close);
        reporter.open(new MetricConfig());
        reporter.notifyOfAddedMetric(
                counter,
                "numRecordsIn",
                TestGroups.group(
                        "taskmanager.job.task", TestGroups.operatorVariables("job", "op", 0)));
        return reporter;
    }

    private TraceReporter traceReporter() {
        TraceReporter reporter =
                new SkyWalkingTraceReporterFactory(process).createTraceReporter(options());
        reporters.add(reporter::close);
        reporter.open(new MetricConfig());
        return reporter;
    }

    private static Span span(String name) {
        return Span.builder(ProcessExitActionTest.class, name)
                .setStartTsMillis(1_700_000_000_000L)
                .setEndTsMillis(1_700_000_000_100L)
                .build();
    }

    private boolean received(double value) {
        return server.samples().stream().anyMatch(s -> s.name.equals(COUNTER) && s.value == value);
    }

    /** Runs the exit on a thread of its own, as the JVM runs a hook; what it throws ends it. */
    private void exit() throws InterruptedException {
        Thread hook = new Thread(process.exit::run, "test-exit");
        hook.start();
        hook.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(hook.isAlive()).as("the exit ended").isFalse();
    }

    @Test
    void theMetricReporterClosingAsTheProcessExitsStillSendsItsLastReport() throws Exception {
        SimpleCounter records = new SimpleCounter();
        MetricReporter metrics = metricReporter(records);
        ((Scheduled) metrics).report();
        assertThat(awaitUntil(() -> received(0))).isTrue();
        TraceReporter traces = traceReporter();
        traces.notifyOfAddedSpan(span("Checkpoint"));
        assertThat(awaitUntil(() -> server.spans().size() == 1)).isTrue();
        assertThat(process.openChannels()).as("one channel, shared").isEqualTo(1);

        records.inc(42);
        exit();
        // Flink closes its metric reporters while the hooks run: the final report goes out.
        metrics.close();

        assertThat(received(42)).as("the last report; samples: %s", server.samples()).isTrue();
        assertThat(process.openChannels()).isZero();
    }

    @Test
    void aMetricReporterAloneLeavesTheExitUnregistered() throws Exception {
        MetricReporter metrics = metricReporter(new SimpleCounter());
        ((Scheduled) metrics).report();
        assertThat(awaitUntil(() -> received(0))).isTrue();
        assertThat(process.openChannels()).isEqualTo(1);

        assertThat(process.exit.registered()).as("Flink closes the metric reporter").isFalse();
    }

    @Test
    void theExitHoldsATraceReporterOnlyUntilItCloses() throws Exception {
        TraceReporter traces = traceReporter();
        assertThat(process.exit.registered()).isTrue();
        assertThat(process.exit.open()).isEqualTo(1);

        traces.close();
        assertThat(process.exit.registered()).isFalse();
        assertThat(process.exit.open()).as("a closed reporter is not held").isZero();
    }

    @Test
    void aReleaseAfterTheExitLeavesTheChannelOfALaterReporterOpen() throws Exception {
        MetricReporter first = metricReporter(new SimpleCounter());
        ((Scheduled) first).report();
        TraceReporter traces = traceReporter();
        traces.notifyOfAddedSpan(span("Checkpoint"));
        assertThat(awaitUntil(() -> server.spans().size() == 1)).isTrue();
        exit();

        // A reporter opened after the exit began, to the same node.
        SimpleCounter records = new SimpleCounter();
        MetricReporter later = metricReporter(records);
        records.inc(1);
        ((Scheduled) later).report();
        assertThat(awaitUntil(() -> received(1))).isTrue();

        first.close(); // gives back its lease from before the exit
        assertThat(process.openChannels()).as("the later reporter's channel").isEqualTo(1);
        records.inc(1);
        ((Scheduled) later).report();
        assertThat(awaitUntil(() -> received(2))).as("samples: %s", server.samples()).isTrue();

        later.close();
        assertThat(process.openChannels()).isZero();
    }

    @Test
    void aReporterWhoseCloseFailsKeepsNoOtherFromSending() throws Exception {
        ClosedAtExit failing =
                new ClosedAtExit() {
                    @Override
                    public void closeAtExit(long deadlineNanos) {
                        throw new Error("close failed");
                    }

                    @Override
                    public long timeoutMillis() {
                        return 10_000;
                    }
                };
        process.closeAtExit(failing); // first in line
        // The span is under way as the exit begins: only a close waits for it.
        server.delay(1500);
        TraceReporter traces = traceReporter();
        traces.notifyOfAddedSpan(span("Checkpoint"));
        assertThat(server.awaitCalls(1, 10_000)).isTrue();

        try {
            exit();
        } finally {
            process.closedBeforeExit(failing); // no hook left behind in the test JVM
        }

        assertThat(process.spans.exported.get()).as("sent before the exit ended").isEqualTo(1);
        traces.notifyOfAddedSpan(span("after the exit"));
        assertThat(process.spans.dropped.get()).as("the trace reporter was closed").isEqualTo(1);
    }

    @Test
    void eachReporterClosesByItsOwnTimeout() throws Exception {
        List<long[]> closes = new CopyOnWriteArrayList<>();
        for (long timeout : new long[] {60_000, 1_000}) {
            process.closeAtExit(
                    new ClosedAtExit() {
                        @Override
                        public void closeAtExit(long deadlineNanos) {
                            closes.add(new long[] {timeout, deadlineNanos});
                            process.closedBeforeExit(this);
                        }

                        @Override
                        public long timeoutMillis() {
                            return timeout;
                        }
                    });
        }
        long before = System.nanoTime();
        exit();

        assertThat(closes).hasSize(2);
        assertThat(process.exit.registered()).isFalse();
        for (long[] close : closes) {
            long millis = TimeUnit.NANOSECONDS.toMillis(close[1] - before);
            // From the start of the exit: the deadline is the reporter's timeout, not another's.
            assertThat(millis)
                    .as("timeout %d ms", close[0])
                    .isBetween(close[0] - 1, close[0] + 5_000);
        }
    }
}
