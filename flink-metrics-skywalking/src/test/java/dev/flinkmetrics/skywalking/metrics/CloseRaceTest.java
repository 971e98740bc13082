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

import dev.flinkmetrics.skywalking.testing.Conditions;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Flink closing the reporter while a report or an export is under way: the last values are sent,
 * and close returns once they are, not at its timeout.
 */
class CloseRaceTest {

    /** Far above what any of these closes needs: a close that waits for it fails the test. */
    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withReceiver(
                    "cluster", "close-race", "preset", "all", "timeout", "30 s");

    private final MetricGroup jobManager = group("jobmanager", TestGroups.jobManagerVariables());

    @Test
    void aCloseRacingAReportSendsThatReportsValuesAndReturnsOnceTheyAreSent() throws Exception {
        OtlpTestServer server = harness.receiver();
        SkyWalkingMetricReporter reporter = harness.reporter();
        SimpleCounter jobs = new SimpleCounter();
        jobs.inc(7);
        reporter.notifyOfAddedMetric(jobs, "numRunningJobs", jobManager);
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        reporter.notifyOfAddedMetric(
                (Gauge<Long>)
                        () -> {
                            reading.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return 42L;
                        },
                "slowGauge",
                jobManager);

        // The first report: no export thread runs yet, as after 5 s without a report.
        Thread report = new Thread(reporter::report, "report");
        report.start();
        Thread close = null;
        try {
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            AtomicLong closedAt = new AtomicLong();
            close =
                    new Thread(
                            () -> {
                                reporter.close();
                                closedAt.set(System.nanoTime());
                            },
                            "close");
            close.start();
            Thread closing = close;
            assertThat(
                            Conditions.awaitUntil(
                                    () -> closing.getState() == Thread.State.TIMED_WAITING))
                    .as("close waits for the report")
                    .isTrue();

            long released = System.nanoTime();
            release.countDown();
            close.join(20_000);
            assertThat(close.isAlive()).as("close still waiting 20 s after the release").isFalse();
            assertThat(TimeUnit.NANOSECONDS.toMillis(closedAt.get() - released)).isLessThan(10_000);
        } finally {
            release.countDown();
            report.join(30_000);
            if (close != null) {
                close.join(30_000);
            }
        }
        // The racing report's snapshot, once: close read no values of its own.
        assertThat(server.received()).hasSize(1);
        assertThat(value(server.samples(), "flink_jobmanager_slowGauge")).isEqualTo(42);
        assertThat(value(server.samples(), "flink_jobmanager_numRunningJobs")).isEqualTo(7);
        reporter.report(); // after close: nothing
        assertThat(server.received()).hasSize(1);
    }

    @Test
    void aCloseDuringAnExportWaitsForItThenSendsTheLatestValues() throws Exception {
        OtlpTestServer server = harness.receiver();
        SkyWalkingMetricReporter reporter = harness.reporter();
        SimpleCounter jobs = new SimpleCounter();
        jobs.inc(1);
        reporter.notifyOfAddedMetric(jobs, "numRunningJobs", jobManager);
        server.delay(2_000); // this export's call is answered after 2 s
        reporter.report();
        assertThat(server.awaitCalls(1, 10_000)).isTrue();
        server.delay(0);
        jobs.inc(); // after the snapshot in flight was read

        long start = System.nanoTime();
        reporter.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
        assertThat(server.received()).hasSize(2);
        assertThat(
                        server.received().stream()
                                .map(
                                        r ->
                                                value(
                                                        OtlpTestServer.toSamples(r.request),
                                                        "flink_jobmanager_numRunningJobs"))
                                .collect(Collectors.toList()))
                .containsExactly(1.0, 2.0);
    }

    @Test
    void aReportSkippedForAnExportInFlightLeavesTheFinalSnapshotToClose() throws Exception {
        OtlpTestServer server = harness.receiver();
        SkyWalkingMetricReporter reporter = harness.reporter();
        SimpleCounter jobs = new SimpleCounter();
        jobs.inc(1);
        reporter.notifyOfAddedMetric(jobs, "numRunningJobs", jobManager);
        server.delay(2_000);
        reporter.report();
        assertThat(server.awaitCalls(1, 10_000)).isTrue();
        server.delay(0);
        jobs.inc(2);
        reporter.report(); // skipped: the first export is still in flight
        assertThat(reporter.selfMetrics().cyclesSkipped.get()).isEqualTo(1);

        long start = System.nanoTime();
        reporter.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
        List<OtlpTestServer.Received> received = server.received();
        assertThat(received).hasSize(2);
        assertThat(
                        value(
                                OtlpTestServer.toSamples(received.get(1).request),
                                "flink_jobmanager_numRunningJobs"))
                .isEqualTo(3);
    }

    private static double value(List<OtlpTestServer.Sample> samples, String name) {
        List<OtlpTestServer.Sample> matching =
                samples.stream().filter(s -> s.name.equals(name)).collect(Collectors.toList());
        assertThat(matching).as(name).hasSize(1);
        return matching.get(0).value;
    }
}
