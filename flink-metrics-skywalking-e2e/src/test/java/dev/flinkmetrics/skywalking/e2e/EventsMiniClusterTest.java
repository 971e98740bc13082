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
package dev.flinkmetrics.skywalking.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.Conditions;
import dev.flinkmetrics.skywalking.testing.EventTestServer;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import dev.flinkmetrics.skywalking.testing.swevent.Type;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Flink 2.3 with both reporters of the plugin: the metric reporter (derive-events on) and the event
 * reporter. A job that fails once, restarts and is then cancelled must show up as SkyWalking events
 * on service {@code flink::<cluster>} and the job's endpoint, each event once: Flink's own events,
 * not derived copies of them.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class EventsMiniClusterTest {

    private static final String CLUSTER = "events-cluster";
    private static final String JOB_NAME = "events-job";

    /** Fails its first attempt after a moment, then runs until cancelled. */
    static final class FailOnce extends RichMapFunction<Long, Long> {
        private long started;

        @Override
        public Long map(Long value) throws Exception {
            if (started == 0) {
                started = System.currentTimeMillis();
            }
            if (getRuntimeContext().getTaskInfo().getAttemptNumber() == 0
                    && System.currentTimeMillis() - started > 1500) {
                throw new IllegalStateException("failing the first attempt on purpose");
            }
            Thread.sleep(1);
            return value;
        }
    }

    @Test
    void aFailingRestartingCancelledJobBecomesSkyWalkingEvents() throws Exception {
        try (EventTestServer server = new EventTestServer()) {
            Configuration conf = ContractCluster.loopbackConfiguration();
            conf.setString(
                    "metrics.reporter.sw.factory.class",
                    "dev.flinkmetrics.skywalking.SkyWalkingReporterFactory");
            conf.setString("metrics.reporter.sw.endpoint", server.endpoint());
            conf.setString("metrics.reporter.sw.cluster", CLUSTER);
            conf.setString("metrics.reporter.sw.layer", "GENERAL");
            conf.setString("metrics.reporter.sw.interval", "1 s");
            conf.setString(
                    "events.reporter.swe.factory.class",
                    "dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory");
            conf.setString("events.reporter.swe.endpoint", server.endpoint());
            conf.setString("events.reporter.swe.cluster", CLUSTER);
            conf.setString("events.reporter.swe.layer", "GENERAL");
            Configuration jobConf = new Configuration();
            jobConf.setString("restart-strategy.type", "fixed-delay");
            jobConf.setString("restart-strategy.fixed-delay.attempts", "3");
            jobConf.setString("restart-strategy.fixed-delay.delay", "500 ms");
            jobConf.setString("execution.checkpointing.interval", "500 ms");

            // A session cluster, closed by the test: it keeps reporting after the job ended.
            MiniCluster cluster = ContractCluster.startMiniCluster(conf, 1, 1);
            try {
                TestStreamEnvironment.setAsContext(cluster, 1);
                StreamExecutionEnvironment env =
                        StreamExecutionEnvironment.getExecutionEnvironment();
                env.configure(jobConf);
                env.fromSequence(0, Long.MAX_VALUE)
                        .map(new FailOnce())
                        .addSink(new DiscardingSink<>());
                JobClient job = env.executeAsync(JOB_NAME);

                assertThat(server.awaitEvents(events -> count(events, "RUNNING") >= 2, 60_000))
                        .as("running again after the restart: %s", server.events())
                        .isTrue();
                job.cancel().get(30, TimeUnit.SECONDS);
                assertThat(server.awaitEvents(events -> count(events, "CANCELED") >= 1, 30_000))
                        .as("the cancelled event: %s", server.events())
                        .isTrue();
                // Three more metric reports (JobManager and TaskManager share one reporter in a
                // MiniCluster), each deriving over the ended job: nothing may come of them.
                int reports = server.metricCalls();
                assertThat(
                                Conditions.awaitUntil(
                                        () -> server.metricCalls() >= reports + 3,
                                        Duration.ofSeconds(30)))
                        .as("metric reports after the cancel")
                        .isTrue();
            } finally {
                TestStreamEnvironment.unsetAsContext();
                // Closes the metric reporter, which sends what it derived before it returns:
                // after this, nothing derived can arrive.
                cluster.close();
            }

            List<Event> events = server.events();
            System.out.println("Events received from Flink 2.3 (" + events.size() + " messages):");
            for (Event e : events) {
                System.out.println(
                        "  "
                                + e.getName()
                                + " | "
                                + e.getType()
                                + " | "
                                + e.getSource().getService()
                                + " / "
                                + e.getSource().getServiceInstance()
                                + " / "
                                + e.getSource().getEndpoint()
                                + " | uuid "
                                + e.getUuid()
                                + " | "
                                + e.getStartTime()
                                + ".."
                                + e.getEndTime()
                                + " | "
                                + e.getMessage()
                                + " | "
                                + e.getParametersMap());
            }

            List<Event> jobEvents =
                    events.stream()
                            .filter(e -> !e.getSource().getEndpoint().isEmpty())
                            .collect(Collectors.toList());
            assertThat(events)
                    .allSatisfy(
                            e -> {
                                assertThat(e.getSource().getService())
                                        .isEqualTo("flink::" + CLUSTER);
                                assertThat(e.getLayer()).isEqualTo("GENERAL");
                            });
            assertThat(jobEvents)
                    .allSatisfy(
                            e -> assertThat(e.getSource().getEndpoint()).isEqualTo("events_job"));
            // Flink's own events; nothing derived from metrics while the event reporter is open,
            // except TaskManagers registered.
            assertThat(events)
                    .filteredOn(e -> "metrics".equals(e.getParametersMap().get("derivedFrom")))
                    .allSatisfy(e -> assertThat(e.getName()).startsWith("TaskManager"));

            Map<String, List<Event>> byUuid =
                    events.stream().collect(Collectors.groupingBy(Event::getUuid));
            // Each event once, with its end: OAP 10.3+ would not complete a second report.
            assertThat(byUuid.values())
                    .allSatisfy(
                            messages -> {
                                assertThat(messages).hasSize(1);
                                assertThat(messages.get(0).getEndTime()).isPositive();
                            });
            List<Event> restarting =
                    events.stream()
                            .filter(e -> "RESTARTING".equals(status(e)))
                            .collect(Collectors.toList());
            assertThat(restarting).as("the restart, sent once it ended").hasSize(1);
            assertThat(restarting.get(0).getEndTime())
                    .isGreaterThanOrEqualTo(restarting.get(0).getStartTime());
            assertThat(events)
                    .filteredOn(e -> e.getName().equals("JobFailure"))
                    .isNotEmpty()
                    .allSatisfy(e -> assertThat(e.getType()).isEqualTo(Type.Error));
            assertThat(count(events, "CANCELED")).isEqualTo(1);
        }
    }

    private static String status(Event e) {
        return e.getName().equals("JobStatusChange")
                ? e.getParametersMap().get("newJobStatus")
                : null;
    }

    private static long count(List<Event> events, String status) {
        return events.stream().filter(e -> status.equals(status(e))).count();
    }
}
