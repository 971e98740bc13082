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
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The reporter against a real OTLP gRPC receiver on 127.0.0.1. */
class SkyWalkingMetricReporterTest {

    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withReceiver("cluster", "test-cluster", "timeout", "3 s");

    private OtlpTestServer server;
    private SkyWalkingMetricReporter reporter;

    @BeforeEach
    void receiver() {
        server = harness.receiver();
    }

    private SkyWalkingMetricReporter create(String... keyValues) {
        reporter = harness.reporter(keyValues);
        return reporter;
    }

    @Test
    void sendsSamplesAsOapReadsThemWithHeadersAndGzip() throws Exception {
        create("token", "oap-token", "headers", "X-Tenant=blue", "compression", "gzip");
        SimpleCounter records = new SimpleCounter();
        records.inc(7);
        MetricGroup task =
                group("taskmanager.job.task", TestGroups.operatorVariables("orders", "Map", 0));
        reporter.notifyOfAddedMetric(records, "numRecordsIn", task);
        reporter.notifyOfAddedMetric(
                (Gauge<Integer>) () -> 2,
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        // Not read by SkyWalking's rules: the default preset leaves it out.
        reporter.notifyOfAddedMetric(new SimpleCounter(), "numRecordsInErrors", task);

        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();

        OtlpTestServer.Received received = server.received().get(0);
        assertThat(received.headers)
                .containsEntry("authentication", "oap-token")
                .containsEntry("x-tenant", "blue")
                .containsEntry("grpc-encoding", "gzip");

        List<OtlpTestServer.Sample> samples = server.samples();
        OtlpTestServer.Sample task0 = only(samples, "flink_taskmanager_job_task_numRecordsIn");
        assertThat(task0.value).isEqualTo(7);
        assertThat(task0.labels)
                .containsEntry("job_name", "flink-taskManager-monitoring")
                .containsEntry("cluster", "test-cluster")
                .containsEntry("taskManager_node", "127_0_0_1:40001_a1b2c3")
                .containsEntry("flink_job_name", "orders")
                .containsEntry("task_name", "Source:_numbers____Map");
        OtlpTestServer.Sample jobs = only(samples, "flink_jobmanager_numRunningJobs");
        assertThat(jobs.labels)
                .containsEntry("job_name", "flink-jobManager-monitoring")
                .containsEntry("jobManager_node", "jobmanager_0");
        assertThat(samples).noneMatch(s -> s.name.endsWith("numRecordsInErrors"));
        // The reporter's own series travel with the first resource.
        assertThat(only(samples, "flink_reporter_skywalking_seriesRegistered").value).isEqualTo(17);
    }

    @Test
    void reportReturnsAtOnceAndSkipsWhileAnExportIsInFlight() throws Exception {
        create("timeout", "5 s");
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        server.delay(60_000); // answers after the 5 s timeout: never

        reporter.report();
        reporter.report();
        reporter.report();

        // Had report() waited for the answer, the export would have ended before the next call,
        // and nothing would be skipped.
        assertThat(reporter.selfMetrics().cyclesSkipped.get()).isEqualTo(2);
        assertThat(reporter.awaitExport(30_000)).isTrue();
        assertThat(server.calls()).isEqualTo(1);
    }

    @Test
    void largeReportsAreChunkedBelowTheLimit() throws Exception {
        create("preset", "all", "max-request-size", "16 kb");
        for (int s = 0; s < 200; s++) {
            MetricGroup g =
                    group(
                            "taskmanager.job.task.operator",
                            TestGroups.operatorVariables("job", "operator-" + s, s));
            reporter.notifyOfAddedMetric(new SimpleCounter(), "numRecordsIn", g);
        }
        reporter.report();
        assertThat(
                        server.awaitRequest(
                                r ->
                                        OtlpTestServer.toSamples(r).stream()
                                                .anyMatch(x -> x.name.startsWith("flink_reporter")),
                                10_000))
                .isTrue();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(server.received()).hasSizeGreaterThan(1);
        assertThat(server.received()).allMatch(r -> r.serializedSize <= 16 * 1024);
        assertThat(
                        server.samples().stream()
                                .filter(
                                        x ->
                                                x.name.equals(
                                                        "flink_taskmanager_job_task_operator_numRecordsIn"))
                                .count())
                .isEqualTo(200);
    }

    @Test
    void aRemovedMetricIsSentOnceMoreWithItsLastValueThenNoLonger() throws Exception {
        create();
        MetricGroup job = group("jobmanager.job", TestGroups.jobManagerJobVariables("orders"));
        SimpleCounter restarts = new SimpleCounter();
        reporter.notifyOfAddedMetric(restarts, "numRestarts", job);
        assertThat(reporter.selfMetrics().seriesRegistered.get()).isEqualTo(16);
        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(only(server.samples(), "flink_jobmanager_job_numRestarts").value).isZero();

        // The job restarts and ends between two reports: what it did last still reaches the OAP.
        restarts.inc(4);
        reporter.notifyOfRemovedMetric(restarts, "numRestarts", job);
        assertThat(reporter.selfMetrics().seriesRegistered.get()).isEqualTo(15);
        server.clear();
        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(only(server.samples(), "flink_jobmanager_job_numRestarts").value).isEqualTo(4);

        server.clear();
        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        assertThat(server.samples()).noneMatch(s -> s.name.contains("numRestarts"));
    }

    @Test
    void aJobThatFailedForGoodIsOneSampleInTheNextReport() throws Exception {
        create();
        MetricGroup job = group("jobmanager.job", TestGroups.jobManagerJobVariables("orders"));
        SimpleCounter restarts = new SimpleCounter();
        reporter.notifyOfAddedMetric(restarts, "numRestarts", job);
        // Its metrics go, then the JobManager learns it failed: the sample still has its labels.
        reporter.notifyOfRemovedMetric(restarts, "numRestarts", job);
        harness.process().failedJobs.failed("b7f5e0ab6e8c4e3b9a0c1d2e3f405162");
        harness.process().failedJobs.failed("a job this process never reported");
        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        OtlpTestServer.Sample failed =
                only(server.samples(), "flink_reporter_skywalking_jobFailed");
        assertThat(failed.value).isEqualTo(1);
        assertThat(failed.labels)
                .containsEntry("job_name", "flink-jobManager-monitoring")
                .containsEntry("flink_job_name", "orders")
                .containsEntry("jobManager_node", "jobmanager_0");

        server.clear();
        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        assertThat(server.samples()).noneMatch(x -> x.name.endsWith("jobFailed"));
        assertThat(harness.log().at(org.apache.logging.log4j.Level.WARN)).isEmpty();
    }

    @Test
    void aMetricRegisteredAgainBeforeTheNextReportGoesOnAsOneSeries() throws Exception {
        create();
        MetricGroup task =
                group("taskmanager.job.task", TestGroups.operatorVariables("orders", "Map", 0));
        SimpleCounter first = new SimpleCounter();
        first.inc(10);
        reporter.notifyOfAddedMetric(first, "numRecordsIn", task);
        // A restarted task registers its metric again under the same labels.
        reporter.notifyOfRemovedMetric(first, "numRecordsIn", task);
        SimpleCounter second = new SimpleCounter();
        second.inc(3);
        reporter.notifyOfAddedMetric(second, "numRecordsIn", task);
        assertThat(reporter.selfMetrics().seriesRegistered.get()).isEqualTo(16);

        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        assertThat(only(server.samples(), "flink_taskmanager_job_task_numRecordsIn").value)
                .isEqualTo(3);
        assertThat(harness.log().all()).doesNotContain("registered twice");
    }

    @Test
    void closeFlushesOnceAndLeavesNoThreadBehind() throws Exception {
        create();
        SimpleCounter counter = new SimpleCounter();
        counter.inc(5);
        reporter.notifyOfAddedMetric(
                counter, "numRunningJobs", group("jobmanager", TestGroups.jobManagerVariables()));
        reporter.close();
        reporter.close();

        assertThat(server.received()).hasSize(1);
        assertThat(only(server.samples(), "flink_jobmanager_numRunningJobs").value).isEqualTo(5);
        assertThat(ReporterHarness.awaitPluginThreadsGone(2000)).isEmpty();
        reporter.report(); // after close: a no-op, not an exception
    }

    @Test
    void closeDuringASlowExportIsBoundedByTheTimeout() throws Exception {
        create("timeout", "1 s");
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        server.delay(10_000);
        reporter.report();
        assertThat(server.awaitCalls(1, 10_000)).isTrue(); // the export waits for the receiver

        // The bound itself (timeout + 0.5 s) is CloseDeadlineTest's.
        reporter.close();
        reporter.close();
        assertThat(ReporterHarness.awaitPluginThreadsGone(2000)).isEmpty();
    }

    @Test
    void closeWithTheReceiverDownDoesNotWaitForRetries() throws Exception {
        create("timeout", "10 min");
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        server.stop();
        reporter.report(); // retries for up to 10 min while the receiver is away
        assertThat(reporter.awaitExport(300)).as("still retrying").isFalse();

        // The export in flight stops retrying and the final flush tries once: a TaskManager
        // shutting down with the OAP unreachable is not held for the timeout, 10 min here.
        assertTimeoutPreemptively(Duration.ofMinutes(1), reporter::close);
    }

    @Test
    void recoversWhenTheReceiverComesBack() throws Exception {
        create("timeout", "1 s");
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        server.stop();
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(reporter.selfMetrics().exportFailures.get()).isEqualTo(1);

        server.restart();
        // Flink's scheduler calls report() again; the channel reconnects within a few cycles.
        for (int cycle = 0; cycle < 50 && server.received().isEmpty(); cycle++) {
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
        }
        assertThat(server.received()).isNotEmpty();
        OtlpTestServer.Sample failures =
                server.samples().stream()
                        .filter(s -> s.name.equals("flink_reporter_skywalking_exportFailures"))
                        .findFirst()
                        .orElseThrow(AssertionError::new);
        assertThat(failures.value).isGreaterThanOrEqualTo(1);
    }

    private static OtlpTestServer.Sample only(List<OtlpTestServer.Sample> samples, String name) {
        List<OtlpTestServer.Sample> matching =
                samples.stream().filter(s -> s.name.equals(name)).collect(Collectors.toList());
        assertThat(matching).as(name).hasSize(1);
        return matching.get(0);
    }

    @Test
    void aSlowGaugeDoesNotHoldUpRegistration() throws Exception {
        create("preset", "all");
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        MetricGroup tm = group("taskmanager", TestGroups.taskManagerVariables());
        reporter.notifyOfAddedMetric(
                (org.apache.flink.metrics.Gauge<Long>)
                        () -> {
                            reading.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return 1L;
                        },
                "slowGauge",
                tm);
        Thread report = new Thread(reporter::report);
        report.start();
        try {
            assertThat(reading.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // A task deployed now registers its metrics while the gauge is still being read.
            Thread deploy =
                    new Thread(
                            () ->
                                    reporter.notifyOfAddedMetric(
                                            new SimpleCounter(), "numRecordsIn", tm));
            deploy.start();
            deploy.join(10_000);
            assertThat(deploy.isAlive()).as("registration waited for the gauge").isFalse();
        } finally {
            release.countDown();
            report.join();
        }
    }

    @Test
    void theSpanAndEventRequestsThatFailedAreOwnSeries() throws Exception {
        create();
        harness.process().spans.failedRequests.addAndGet(2);
        harness.process().events.failedRequests.addAndGet(3);
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        reporter.report();
        assertThat(server.awaitRequest(r -> true, 10_000)).isTrue();
        List<OtlpTestServer.Sample> samples = server.samples();
        assertThat(only(samples, "flink_reporter_skywalking_spanRequestsFailed").value)
                .isEqualTo(2);
        assertThat(only(samples, "flink_reporter_skywalking_eventRequestsFailed").value)
                .isEqualTo(3);
    }

    @Test
    void aReportAfterCloseIsIgnored() {
        create();
        reporter.close();
        reporter.report();
        assertThat(reporter.selfMetrics().cyclesSkipped.get()).isZero();
        assertThat(reporter.awaitExport(1_000)).isTrue();
    }
}
