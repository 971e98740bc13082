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

import dev.flinkmetrics.skywalking.testing.EventTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import dev.flinkmetrics.skywalking.testing.swevent.Type;
import dev.flinkmetrics.skywalking.transport.ExportCounters;
import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Events derived from the JobManager's metrics as Flink 1.16 registers them by default. */
class DerivedEventsTest {

    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withoutReceiver("cluster", "legacy", "layer", "GENERAL");

    private EventTestServer server;

    /** The job's status, as Flink's JobStatusMetrics keeps it; read by the gauges below. */
    private volatile String status = "INITIALIZING";

    private final AtomicLong restarts = new AtomicLong();
    private final AtomicLong failedCheckpoints = new AtomicLong();
    private final AtomicLong taskManagers = new AtomicLong();
    private MetricGroup jobGroup;
    private final Map<String, Gauge<Long>> jobGauges = new LinkedHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        server = new EventTestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.closeReporters();
        server.close();
    }

    private SkyWalkingMetricReporter reporter(String... keyValues) {
        SkyWalkingMetricReporter reporter = harness.reporter(keyValues);
        MetricGroup jm = group("jobmanager", TestGroups.jobManagerVariables());
        reporter.notifyOfAddedMetric(
                (Gauge<Integer>) () -> (int) taskManagers.get(), "numRegisteredTaskManagers", jm);
        Map<String, String> variables = TestGroups.jobManagerVariables();
        variables.put("<job_id>", "b7f5e0ab6e8c4e3b9a0c1d2e3f405162");
        variables.put("<job_name>", "legacy job");
        jobGroup = group("jobmanager.job", variables);
        // metrics.job.status.enable: CURRENT_TIME, Flink's default: <status>Time per status.
        for (String s :
                new String[] {
                    "initializing", "created", "running", "failing", "cancelling", "restarting"
                }) {
            Gauge<Long> time = () -> status.equalsIgnoreCase(s) ? 1234L : 0L;
            jobGauges.put(s + "Time", time);
            reporter.notifyOfAddedMetric(time, s + "Time", jobGroup);
        }
        Gauge<Long> numRestarts = restarts::get;
        Gauge<Long> failed = failedCheckpoints::get;
        Gauge<Long> uptime = () -> 0L;
        jobGauges.put("numRestarts", numRestarts);
        jobGauges.put("numberOfFailedCheckpoints", failed);
        jobGauges.put("uptime", uptime);
        for (Map.Entry<String, Gauge<Long>> g : jobGauges.entrySet()) {
            if (!g.getKey().endsWith("Time")) {
                reporter.notifyOfAddedMetric(g.getValue(), g.getKey(), jobGroup);
            }
        }
        return reporter;
    }

    private void removeJob(SkyWalkingMetricReporter reporter) {
        for (Map.Entry<String, Gauge<Long>> g : jobGauges.entrySet()) {
            reporter.notifyOfRemovedMetric(g.getValue(), g.getKey(), jobGroup);
        }
    }

    @Test
    void aJobSeenFailingThatEndsFailedForGoodAndIsSentAsASample() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        status = "RUNNING";
        reporter.report();
        status = "FAILING";
        reporter.report();
        removeJob(reporter);
        assertThat(harness.process().failedJobs.take())
                .containsExactly("b7f5e0ab6e8c4e3b9a0c1d2e3f405162");
    }

    @Test
    void aJobSeenCancellingOrRunningThatEndsDidNotFail() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        status = "CANCELLING";
        reporter.report();
        removeJob(reporter);
        assertThat(harness.process().failedJobs.take()).isEmpty();
    }

    @Test
    void statusRestartsFailedCheckpointsAndTaskManagersBecomeEvents() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        taskManagers.set(2);
        status = "RUNNING";
        reporter.report();
        assertThat(server.awaitEvents(e -> e.size() >= 2, 10_000)).isTrue();

        status = "RESTARTING";
        restarts.set(1);
        reporter.report();
        status = "RUNNING";
        failedCheckpoints.set(2);
        taskManagers.set(1);
        reporter.report();
        reporter.report(); // nothing changed: nothing sent
        status = "CANCELLING";
        reporter.report();
        removeJob(reporter);

        assertThat(server.awaitEvents(e -> names(e).contains("JobEnded"), 10_000)).isTrue();
        List<Event> events = server.events();
        for (Event e : events) {
            System.out.println(
                    "derived "
                            + e.getName()
                            + " "
                            + e.getType()
                            + " "
                            + e.getUuid()
                            + " ["
                            + e.getStartTime()
                            + ".."
                            + e.getEndTime()
                            + "] "
                            + e.getSource().getEndpoint()
                            + ": "
                            + e.getMessage());
        }
        assertThat(names(events))
                .containsExactly(
                        "JobStatusChange", // RUNNING
                        "TaskManagerRegistered",
                        "JobRestart",
                        "JobStatusChange", // RESTARTING, sent when it ends
                        "JobStatusChange", // RUNNING
                        "Checkpoint",
                        "TaskManagerLost",
                        "JobStatusChange", // CANCELLING, sent when the job is gone
                        "JobEnded");
        assertThat(events)
                .allSatisfy(
                        e -> {
                            assertThat(e.getSource().getService()).isEqualTo("flink::legacy");
                            assertThat(e.getLayer()).isEqualTo("GENERAL");
                            assertThat(e.getSource().getServiceInstance()).isEmpty();
                            assertThat(e.getParametersMap())
                                    .containsEntry("derivedFrom", "metrics");
                        });
        assertThat(events)
                .filteredOn(e -> !e.getName().startsWith("TaskManager"))
                .allSatisfy(e -> assertThat(e.getSource().getEndpoint()).isEqualTo("legacy_job"));
        assertThat(events)
                .filteredOn(e -> e.getName().startsWith("TaskManager"))
                .allSatisfy(e -> assertThat(e.getSource().getEndpoint()).isEmpty());

        Event restart = events.get(2);
        assertThat(restart.getType()).isEqualTo(Type.Error);
        assertThat(restart.getMessage())
                .isEqualTo("Job legacy job restarted after a failure (1 restarts in all)");
        // RESTARTING lasts: one event, sent once it ended, from RESTARTING until RUNNING.
        Event restarting = events.get(3);
        assertThat(restarting.getMessage()).isEqualTo("Job legacy job is RESTARTING");
        assertThat(restarting.getEndTime()).isPositive();
        assertThat(restarting.getStartTime()).isLessThanOrEqualTo(restarting.getEndTime());
        assertThat(restarting.getEndTime()).isEqualTo(events.get(4).getStartTime());
        assertThat(events.get(5).getType()).isEqualTo(Type.Error);
        assertThat(events.get(5).getMessage())
                .isEqualTo("2 checkpoints of job legacy job failed (2 failed in all)");
        assertThat(events.get(6).getMessage()).isEqualTo("1 TaskManager lost; 1 registered now");
        assertThat(events.get(6).getType()).isEqualTo(Type.Error);
        assertThat(events.get(7).getMessage()).isEqualTo("Job legacy job is CANCELLING");
        assertThat(events.get(7).getEndTime()).isEqualTo(events.get(8).getStartTime());
        assertThat(events.get(8).getMessage())
                .isEqualTo(
                        "Job legacy job ended (its metrics were removed); last status seen:"
                                + " CANCELLING");
        assertThat(events.stream().map(Event::getUuid).distinct().count()).isEqualTo(9);
    }

    @Test
    void withoutDeriveEventsNothingIsDerived() throws Exception {
        SkyWalkingMetricReporter reporter =
                reporter("endpoint", server.endpoint(), "derive-events", "false");
        assertThat(reporter.listener()).isNull();
        status = "RUNNING";
        taskManagers.set(1);
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(harness.process().events.exported.get() + harness.process().events.dropped.get())
                .isZero();
        assertThat(server.calls()).isZero();
    }

    @Test
    void theNativeKindsAreNotDerivedWhileTheEventReporterIsOpen() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        org.apache.flink.events.reporter.EventReporter events =
                new dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory(harness.process())
                        .createEventReporter(
                                TestGroups.properties(
                                        "endpoint", server.endpoint(), "cluster", "x"));
        events.open(new org.apache.flink.metrics.MetricConfig());
        try {
            status = "RUNNING";
            restarts.set(3);
            failedCheckpoints.set(1);
            taskManagers.set(1);
            reporter.report();
            removeJob(reporter);
            // A marker queued after anything the job's removal could have derived.
            taskManagers.set(2);
            reporter.report();
            assertThat(server.awaitEvents(e -> e.size() >= 2, 10_000)).isTrue();
            assertThat(names(server.events()))
                    .containsExactly("TaskManagerRegistered", "TaskManagerRegistered");
        } finally {
            events.close();
        }
    }

    @Test
    void aRefusedLayerIsOneWarningNamingTheOptionAndReportNeverWaits() throws Exception {
        server.acceptLayers("GENERAL");
        SkyWalkingMetricReporter reporter =
                reporter("endpoint", server.endpoint(), "layer", "FLINK", "timeout", "1 s");
        ExportCounters counted = harness.process().events;
        for (int i = 0; i < 5; i++) {
            taskManagers.set(i + 1);
            reporter.report();
        }
        reporter.close(); // sends what is queued: every event is counted from here on
        assertThat(counted.exported.get()).isZero();
        assertThat(counted.dropped.get()).isGreaterThanOrEqualTo(5);
        assertThat(server.events()).isEmpty();
        assertThat(harness.log().at(Level.WARN))
                .filteredOn(m -> m.contains("INVALID_ARGUMENT"))
                .singleElement()
                .asString()
                .contains("check metrics.reporter.<name>.layer")
                .contains("the OAP's log");

        // A receiver that stalls: report() still only reads and queues.
        server.acceptLayers("GENERAL", "FLINK");
        server.delay(3000);
        long dropped = counted.dropped.get();
        SkyWalkingMetricReporter stalled =
                reporter("endpoint", server.endpoint(), "layer", "FLINK", "timeout", "1 s");
        for (int i = 0; i < 20; i++) {
            taskManagers.set(100 + i);
            stalled.report();
        }
        stalled.close();
        // Twenty changes, twenty events at least, each counted: none got through in 1 s.
        assertThat(counted.exported.get()).isZero();
        assertThat(counted.dropped.get() - dropped).isGreaterThanOrEqualTo(20);
    }

    @Test
    void unimplementedNamesTheOapSettingOnce() throws Exception {
        server.failWith(Status.UNIMPLEMENTED);
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        for (int i = 0; i < 4; i++) {
            taskManagers.set(i + 1);
            reporter.report();
        }
        // Closing sends what is queued and ends every export cycle: none is left to log after.
        reporter.close();
        assertThat(harness.log().at(Level.WARN))
                .filteredOn(m -> m.contains("UNIMPLEMENTED"))
                .singleElement()
                .asString()
                .contains("SW_RECEIVER_EVENT")
                .contains("11800");
    }

    @Test
    void aGaugeThatThrowsIsCountedAndLoggedOnce() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        reporter.notifyOfAddedMetric(
                (Gauge<Long>)
                        () -> {
                            throw new IllegalStateException("boom");
                        },
                "failingTime",
                jobGroup);
        reporter.report();
        reporter.report();
        assertThat(harness.log().at(Level.WARN))
                .filteredOn(m -> m.contains("are not derived"))
                .singleElement()
                .asString()
                .contains("legacy job")
                .contains("boom");
        assertThat(reporter.selfMetrics().readFailures.get()).isEqualTo(2);
    }

    @Test
    void aGaugeBlockingWhileEventsAreDerivedDoesNotHoldUpRegistration() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", server.endpoint());
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Read by the deriver first: the metric reporter reads it only after the events.
        reporter.notifyOfAddedMetric(
                (Gauge<Long>)
                        () -> {
                            reading.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return 0L;
                        },
                "restartingState",
                jobGroup);
        Thread report = new Thread(reporter::report, "report");
        report.start();
        try {
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            // A job deployed now: its metrics come and go while the gauge is still being read.
            Map<String, String> variables = TestGroups.jobManagerVariables();
            variables.put("<job_id>", "0a1b2c3d4e5f60718293a4b5c6d7e8f9");
            variables.put("<job_name>", "next job");
            MetricGroup next = group("jobmanager.job", variables);
            Gauge<Long> running = () -> 1L;
            Thread deploy =
                    new Thread(
                            () -> {
                                reporter.notifyOfAddedMetric(running, "runningTime", next);
                                reporter.notifyOfAddedMetric(
                                        (Gauge<Long>) () -> 0L, "numRestarts", next);
                                reporter.notifyOfRemovedMetric(running, "runningTime", next);
                            },
                            "deploy");
            deploy.start();
            deploy.join(10_000);
            assertThat(deploy.isAlive()).as("registration waited for the gauge").isFalse();
            assertThat(reading.getCount()).isZero();
            assertThat(report.isAlive()).as("the gauge is still being read").isTrue();
        } finally {
            release.countDown();
            report.join(30_000);
        }
        assertThat(report.isAlive()).isFalse();
    }

    @Test
    void closeSendsTheChangesSinceTheLastReportAndAJobRemovedJustBefore() throws Exception {
        try (OtlpTestServer oap = new OtlpTestServer()) {
            SkyWalkingMetricReporter reporter =
                    reporter("endpoint", oap.endpoint(), "timeout", "30 s");
            taskManagers.set(1);
            status = "RUNNING";
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            assertThat(
                            oap.events()
                                    .awaitEvents(
                                            e -> names(e).contains("TaskManagerRegistered"),
                                            10_000))
                    .isTrue();
            int before = oap.events().events().size();
            oap.clear();

            // After the last report: a TaskManager registers, the job fails and is gone.
            taskManagers.set(2);
            status = "FAILING";
            removeJob(reporter);
            long start = System.nanoTime();
            reporter.close();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);

            // Sent by the time close returns.
            List<Event> all = oap.events().events();
            List<Event> events = all.subList(before, all.size());
            assertThat(names(events))
                    .containsExactlyInAnyOrder(
                            "JobStatusChange", "JobEnded", "TaskManagerRegistered");
            assertThat(events)
                    .filteredOn(e -> e.getName().equals("JobEnded"))
                    .singleElement()
                    .satisfies(
                            e ->
                                    assertThat(e.getParametersMap())
                                            .containsEntry("lastJobStatus", "FAILING"));
            assertThat(events)
                    .filteredOn(e -> e.getName().equals("TaskManagerRegistered"))
                    .singleElement()
                    .satisfies(
                            e ->
                                    assertThat(e.getParametersMap())
                                            .containsEntry("numRegisteredTaskManagers", "2"));
            // The final report: the removed job's last values once more, and its failure.
            List<OtlpTestServer.Sample> samples = oap.samples();
            assertThat(samples)
                    .filteredOn(s -> s.name.equals("flink_reporter_skywalking_jobFailed"))
                    .singleElement()
                    .satisfies(s -> assertThat(s.value).isEqualTo(1.0));
            assertThat(samples)
                    .filteredOn(
                            s -> "b7f5e0ab6e8c4e3b9a0c1d2e3f405162".equals(s.labels.get("job_id")))
                    .extracting(s -> s.name)
                    .contains(
                            "flink_jobmanager_job_runningTime", "flink_jobmanager_job_numRestarts");
        }
    }

    private static List<String> names(List<Event> events) {
        return events.stream().map(Event::getName).collect(Collectors.toList());
    }
}
