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
package dev.flinkmetrics.skywalking.metrics;

import static dev.flinkmetrics.skywalking.testing.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import io.grpc.Status;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The receiver down, slow, refusing or rejecting. In every case report() returns at once and throws
 * nothing, at most one export is in flight, one WARN names the endpoint and the cause, one INFO
 * reports recovery, and the reporter's own counters count what happened.
 */
class ReceiverFaultsTest {

    /** How long one export may take to end: far above the timeouts the tests configure. */
    private static final long EXPORT_WAIT_MILLIS = 30_000;

    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withReceiver("cluster", "faults", "timeout", "1 s");

    private OtlpTestServer server;
    private SkyWalkingMetricReporter reporter;
    private LogCapture log;

    @BeforeEach
    void setUp() {
        server = harness.receiver();
        log = harness.log();
    }

    private void createReporter(String... keyValues) {
        reporter = harness.reporter(keyValues);
        MetricGroup jm = group("jobmanager", TestGroups.jobManagerVariables());
        reporter.notifyOfAddedMetric(new SimpleCounter(), "numRunningJobs", jm);
    }

    /**
     * One report cycle: report(), as Flink's scheduler calls it, then the wait until its export
     * ended. Counted in cycles, not paced by the clock, a slow machine makes no cycle skipped.
     */
    private void reportCycle() {
        reporter.report();
        assertThat(reporter.awaitExport(EXPORT_WAIT_MILLIS)).as("the export ended").isTrue();
    }

    /**
     * Report cycles until the condition holds, at most {@code maxCycles}.
     *
     * @return how many cycles it took
     */
    private int reportUntil(BooleanSupplier condition, int maxCycles) {
        int cycles = 0;
        while (!condition.getAsBoolean()) {
            assertThat(cycles).as("report cycles without the condition").isLessThan(maxCycles);
            reportCycle();
            cycles++;
        }
        return cycles;
    }

    private void reportCycles(int cycles) {
        for (int i = 0; i < cycles; i++) {
            reportCycle();
        }
    }

    private List<String> warnings() {
        return log.at(Level.WARN);
    }

    @Test
    void receiverAbsentAtStartupThenStarted() throws Exception {
        server.stop();
        createReporter();
        reportCycles(8);
        assertThat(server.received()).isEmpty();
        assertThat(warnings())
                .singleElement()
                .asString()
                .contains(server.endpoint())
                .contains("UNAVAILABLE")
                .contains("Is the OAP running and reachable");
        long failures = reporter.selfMetrics().exportFailures.get();
        assertThat(failures).isGreaterThanOrEqualTo(8);

        server.restart();
        // Back with the next reports, not after gRPC's reconnect backoff, which has grown over
        // eight failed cycles.
        assertThat(reportUntil(() -> !server.received().isEmpty(), 10)).isLessThanOrEqualTo(3);
        assertThat(log.at(Level.INFO)).filteredOn(m -> m.contains("works again")).hasSize(1);
        assertThat(warnings()).hasSize(1);
        assertThat(server.samples())
                .filteredOn(s -> s.name.equals("flink_reporter_skywalking_exportFailures"))
                .allMatch(s -> s.value >= failures);
    }

    @Test
    void receiverStoppedMidRunThenBack() throws Exception {
        createReporter();
        reportUntil(() -> !server.received().isEmpty(), 10);
        server.stop();
        reportCycles(6);
        server.restart();
        server.clear();
        reportUntil(() -> !server.received().isEmpty(), 10);
        reportCycles(2);
        assertThat(warnings()).hasSize(1);
        assertThat(log.at(Level.INFO)).filteredOn(m -> m.contains("works again")).hasSize(1);
    }

    @Test
    void slowReceiverIsCutAtTheTimeoutAndCyclesAreSkippedMeanwhile() throws Exception {
        createReporter("timeout", "2 s");
        server.delay(10_000);
        for (int cycle = 0; cycle < 3; cycle++) {
            int calls = server.calls();
            reporter.report();
            // The export waits for the receiver; the next report finds it in flight.
            assertThat(server.awaitCalls(calls + 1, 10_000)).isTrue();
            long skipped = reporter.selfMetrics().cyclesSkipped.get();
            reporter.report();
            assertThat(reporter.selfMetrics().cyclesSkipped.get()).isEqualTo(skipped + 1);
            assertThat(reporter.awaitExport(EXPORT_WAIT_MILLIS)).isTrue();
        }
        assertThat(server.calls()).isEqualTo(3);
        assertThat(server.maxInFlight()).isEqualTo(1);
        assertThat(server.received()).isEmpty();
        assertThat(warnings())
                .singleElement()
                .asString()
                .contains("DEADLINE_EXCEEDED")
                .contains("2000 ms");
        server.delay(0);
        reportUntil(() -> !server.received().isEmpty(), 3);
    }

    @Test
    void unavailableAndResourceExhaustedAreRetriedWithinTheTimeout() throws Exception {
        createReporter("timeout", "5 s");
        server.failNext(Status.UNAVAILABLE.withDescription("restarting"), 2);
        reporter.report();
        assertThat(reporter.awaitExport(EXPORT_WAIT_MILLIS)).isTrue();
        assertThat(server.received()).hasSize(1);
        assertThat(server.calls()).isEqualTo(3);

        server.failNext(Status.RESOURCE_EXHAUSTED.withDescription("busy"), 1);
        reporter.report();
        assertThat(reporter.awaitExport(EXPORT_WAIT_MILLIS)).isTrue();
        assertThat(server.received()).hasSize(2);
        assertThat(warnings()).isEmpty();
        assertThat(reporter.selfMetrics().exportFailures.get()).isZero();
    }

    @Test
    void permissionDeniedIsLoggedOnceWithWhatToChangeAndNotRetried() throws Exception {
        createReporter("token", "wrong-token");
        server.requireToken("right-token");
        reportCycles(5);
        assertThat(server.calls()).isEqualTo(5);
        assertThat(warnings())
                .singleElement()
                .asString()
                .contains("PERMISSION_DENIED")
                .contains("metrics.reporter.<name>.token")
                .doesNotContain("wrong-token");
        assertThat(log.all()).doesNotContain("wrong-token");
    }

    @Test
    void unimplementedPointsAtTheWrongPortOrReceiver() throws Exception {
        createReporter();
        server.failWith(Status.UNIMPLEMENTED);
        reportCycles(4);
        assertThat(server.calls()).isEqualTo(4);
        assertThat(warnings())
                .singleElement()
                .asString()
                .contains("UNIMPLEMENTED")
                .contains("11800");
    }

    @Test
    void requestOverTheServerLimitIsRejectedWithAHintAndOthersStillGo() throws Exception {
        server.stop();
        server.maxInboundBytes(32 * 1024);
        server.restart();
        createReporter("preset", "all", "max-request-size", "64 kb");
        // About 100 KB in one TaskManager family, over the server's 32 KB in two requests; the
        // JobManager's series and the reporter's own go in a request of their own.
        for (int s = 0; s < 250; s++) {
            reporter.notifyOfAddedMetric(
                    new SimpleCounter(),
                    "numRecordsIn",
                    group(
                            "taskmanager.job.task",
                            TestGroups.operatorVariables("job", "op-" + s, s)));
        }
        reportCycles(3);
        assertThat(warnings())
                .singleElement()
                .asString()
                .contains("RESOURCE_EXHAUSTED")
                .contains("metrics.reporter.<name>.max-request-size");
        assertThat(reporter.selfMetrics().exportFailures.get()).isGreaterThanOrEqualTo(3);
        assertThat(server.samples())
                .anyMatch(x -> x.name.equals("flink_jobmanager_numRunningJobs"));
        long sent = server.samples().stream().filter(x -> x.name.contains("numRecordsIn")).count();
        assertThat(sent).isLessThan(250L * 3);
    }
}
