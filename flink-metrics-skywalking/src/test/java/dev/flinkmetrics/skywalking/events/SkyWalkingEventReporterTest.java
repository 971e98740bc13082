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
package dev.flinkmetrics.skywalking.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory;
import dev.flinkmetrics.skywalking.testing.EventTestServer;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import dev.flinkmetrics.skywalking.testing.swevent.Type;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.events.EventBuilder;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SkyWalkingEventReporterTest {

    private static final String JOB_ID = "b7f5e0ab6e8c4e3b9a0c1d2e3f405162";

    private EventTestServer server;
    private LogCapture log;
    private final List<EventReporter> reporters = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        log = LogCapture.capture();
        server = new EventTestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (EventReporter r : reporters) {
                r.close();
            }
            server.close();
        } finally {
            log.close();
        }
    }

    private final PluginProcess process = new PluginProcess();

    private EventReporter reporter(String... keyValues) {
        Properties options = TestGroups.properties("endpoint", server.endpoint());
        options.putAll(TestGroups.properties(keyValues));
        EventReporter reporter =
                new SkyWalkingEventReporterFactory(process).createEventReporter(options);
        reporters.add(reporter);
        reporter.open(new MetricConfig());
        return reporter;
    }

    static EventBuilder jobEvent(String name, long ts) {
        return new EventBuilder(SkyWalkingEventReporterTest.class, name)
                .setObservedTsMillis(ts)
                .setAttribute("<job_id>", JOB_ID)
                .setAttribute("<job_name>", "orders job")
                .setAttribute("<host>", "jobmanager-0");
    }

    @Test
    void aJobThatFailedForGoodIsHandedToTheMetricReporterACancelledOneIsNot() {
        EventReporter reporter = reporter("cluster", "prod");
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 1000)
                        .setAttribute("newJobStatus", "FAILING")
                        .build());
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 1000)
                        .setAttribute("newJobStatus", "CANCELED")
                        .build());
        assertThat(process.failedJobs.take()).isEmpty();
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 2000)
                        .setAttribute("newJobStatus", "FAILED")
                        .build());
        assertThat(process.failedJobs.take()).containsExactly(JOB_ID);
    }

    @Test
    void closedByTheJvmsExitTheMetricReporterStillDerivesNoJobEvents() throws Exception {
        EventReporter reporter = reporter("cluster", "prod");
        assertThat(process.nativeEventsActive()).isTrue();
        // As the JVM's exit closes it, while Flink shuts down and still reports its own events.
        ((SkyWalkingEventReporter) reporter)
                .closeAtExit(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        assertThat(process.nativeEventsActive()).isTrue();
    }

    @Test
    void aRestartIsOneEventFromRestartingUntilRunningAgain() throws Exception {
        EventReporter reporter = reporter("cluster", "prod", "layer", "general");
        assertThat(process.nativeEventsActive()).isTrue();
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 1000)
                        .setAttribute("newJobStatus", "RESTARTING")
                        .build());
        reporter.notifyOfAddedEvent(
                jobEvent("JobFailureEvent", 1001)
                        .setAttribute("canRestart", true)
                        .setAttribute("isGlobalFailure", false)
                        .setBody("java.lang.RuntimeException: boom\n\tat x.y(Z.java:1)")
                        .build());
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 5000)
                        .setAttribute("newJobStatus", "RUNNING")
                        .build());

        assertThat(server.awaitEvents(e -> e.size() >= 3, 10_000)).isTrue();
        List<Event> events = server.events();
        print(events);
        assertThat(events)
                .allSatisfy(
                        e -> {
                            assertThat(e.getSource().getService()).isEqualTo("flink::prod");
                            assertThat(e.getSource().getEndpoint()).isEqualTo("orders_job");
                            assertThat(e.getSource().getServiceInstance()).isEmpty();
                            assertThat(e.getLayer()).isEqualTo("GENERAL");
                            assertThat(e.getParametersMap())
                                    .containsEntry("job_id", JOB_ID)
                                    .containsEntry("job_name", "orders job")
                                    .containsEntry("host", "jobmanager-0");
                        });
        Map<String, List<Event>> byUuid =
                events.stream().collect(Collectors.groupingBy(Event::getUuid));
        assertThat(byUuid).hasSize(3);

        List<Event> restarting =
                events.stream()
                        .filter(e -> "RESTARTING".equals(e.getParametersMap().get("newJobStatus")))
                        .collect(Collectors.toList());
        // Sent once, when it ended: OAP 10.3+ would not complete a second report of one uuid.
        assertThat(restarting).hasSize(1);
        assertThat(restarting.get(0).getName()).isEqualTo("JobStatusChange");
        assertThat(restarting.get(0).getMessage()).isEqualTo("Job orders job is RESTARTING");
        assertThat(restarting.get(0).getStartTime()).isEqualTo(1000);
        assertThat(restarting.get(0).getEndTime()).isEqualTo(5000);

        Event failure = only(events, "JobFailure");
        assertThat(failure.getType()).isEqualTo(Type.Error);
        assertThat(failure.getMessage())
                .isEqualTo(
                        "Job orders job failed; it restarts: java.lang.RuntimeException: boom at"
                                + " x.y(Z.java:1)");
        assertThat(failure.getParametersMap()).containsEntry("canRestart", "true");
        assertThat(failure.getStartTime()).isEqualTo(1001).isEqualTo(failure.getEndTime());

        Event running =
                events.stream()
                        .filter(e -> "RUNNING".equals(e.getParametersMap().get("newJobStatus")))
                        .findFirst()
                        .get();
        assertThat(running.getType()).isEqualTo(Type.Normal);
        assertThat(running.getEndTime()).isEqualTo(5000);

        reporter.close();
        assertThat(process.nativeEventsActive()).isFalse();
        assertThat(log.at(Level.WARN)).isEmpty();
        assertThat(log.at(Level.INFO))
                .filteredOn(m -> m.contains("sending events with endpoint=" + server.endpoint()))
                .singleElement()
                .asString()
                .contains("cluster=prod")
                .contains("layer=GENERAL")
                .contains("queue-size=2048");
    }

    @Test
    void onlyAFlinkThatListsJobEventsTurnsDerivingOff() {
        // The test class path has Flink 2.3, whose Events enum lists JobStatusChangeEvent; Flink
        // 2.1 has the reporter API without it (seen as a class loader that lacks the enum).
        assertThat(NativeEvents.flinkReportsJobEvents(EventReporter.class.getClassLoader()))
                .isTrue();
        assertThat(
                        NativeEvents.flinkReportsJobEvents(
                                new java.net.URLClassLoader(new java.net.URL[0], null)))
                .isFalse();
    }

    @Test
    void taskManagerEventsNameTheInstanceAndFailuresAreErrors() throws Exception {
        EventReporter reporter = reporter("cluster", "prod");
        // A completed checkpoint is no event for SkyWalking; a failed one is.
        reporter.notifyOfAddedEvent(
                jobEvent("CheckpointEvent", 1000)
                        .setAttribute("checkpointId", 6L)
                        .setAttribute("checkpointStatus", "COMPLETED")
                        .build());
        reporter.notifyOfAddedEvent(
                jobEvent("CheckpointEvent", 2000)
                        .setAttribute("checkpointId", 7L)
                        .setAttribute("checkpointStatus", "FAILED")
                        .build());
        reporter.notifyOfAddedEvent(
                new EventBuilder(SkyWalkingEventReporterTest.class, "SomethingOnATaskManager")
                        .setObservedTsMillis(3000)
                        .setSeverity("WARN")
                        .setAttribute("<tm_id>", TestGroups.TM_ID)
                        .setAttribute("ratio", 0.5)
                        .build());
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 4000)
                        .setAttribute("newJobStatus", "FAILED")
                        .build());
        assertThat(server.awaitEvents(e -> e.size() >= 3, 10_000)).isTrue();
        List<Event> events = server.events();
        print(events);

        Event checkpoint = only(events, "Checkpoint");
        assertThat(checkpoint.getType()).isEqualTo(Type.Error);
        assertThat(checkpoint.getMessage()).isEqualTo("Checkpoint 7 of job orders job failed");
        assertThat(checkpoint.getParametersMap()).containsEntry("checkpointId", "7");
        assertThat(checkpoint.getLayer()).isEqualTo("FLINK");

        Event onTaskManager = only(events, "SomethingOnATaskManager");
        assertThat(onTaskManager.getSource().getServiceInstance())
                .isEqualTo("127_0_0_1:40001_a1b2c3");
        assertThat(onTaskManager.getSource().getEndpoint()).isEmpty();
        assertThat(onTaskManager.getType()).isEqualTo(Type.Error);
        assertThat(onTaskManager.getParametersMap()).containsEntry("ratio", "0.5");

        assertThat(only(events, "JobStatusChange").getType()).isEqualTo(Type.Error);
    }

    @Test
    void anUnreadableEventIsSkippedAndLoggedOnce() throws Exception {
        EventReporter reporter = reporter("cluster", "prod");
        org.apache.flink.events.Event broken =
                new org.apache.flink.events.Event() {
                    @Override
                    public long getObservedTsMillis() {
                        return 1;
                    }

                    @Override
                    public String getName() {
                        return "Broken";
                    }

                    @Override
                    public String getClassScope() {
                        return "x";
                    }

                    @Override
                    public String getBody() {
                        return "";
                    }

                    @Override
                    public String getSeverity() {
                        return "INFO";
                    }

                    @Override
                    public Map<String, Object> getAttributes() {
                        throw new IllegalStateException("attributes gone");
                    }
                };
        reporter.notifyOfAddedEvent(broken);
        reporter.notifyOfAddedEvent(broken);
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 1)
                        .setAttribute("newJobStatus", "RUNNING")
                        .build());
        assertThat(server.awaitEvents(e -> e.size() >= 1, 10_000)).isTrue();
        assertThat(server.events()).extracting(Event::getName).containsExactly("JobStatusChange");
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("could not be read")
                .contains("attributes gone");
    }

    @Test
    void badOptionsNameTheEventReporterKey() {
        Properties options = TestGroups.properties("layer", "not a layer");
        assertThatThrownBy(() -> new SkyWalkingEventReporterFactory().createEventReporter(options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("events.reporter.<name>.layer")
                .hasMessageContaining("not a layer");
        Properties queue = TestGroups.properties("queue-size", "3");
        assertThatThrownBy(() -> new SkyWalkingEventReporterFactory().createEventReporter(queue))
                .hasMessageContaining("events.reporter.<name>.queue-size");
    }

    @Test
    void unknownKeysAndTheDefaultClusterAreWarnedAtStart() {
        reporter("derive-events", "true", "colour", "blue");
        assertThat(log.at(Level.WARN))
                .anySatisfy(
                        m ->
                                assertThat(m)
                                        .contains("events.reporter.<name>.colour")
                                        .contains("events.reporter.<name>.derive-events"))
                .anySatisfy(m -> assertThat(m).contains("events.reporter.<name>.cluster"));
    }

    static Event only(List<Event> events, String name) {
        List<Event> named =
                events.stream().filter(e -> e.getName().equals(name)).collect(Collectors.toList());
        assertThat(named).as(name).hasSize(1);
        return named.get(0);
    }

    static void print(List<Event> events) {
        for (Event e : events) {
            System.out.println(
                    "event "
                            + e.getName()
                            + " "
                            + e.getType()
                            + " uuid="
                            + e.getUuid()
                            + " source="
                            + e.getSource().getService()
                            + "/"
                            + e.getSource().getServiceInstance()
                            + "/"
                            + e.getSource().getEndpoint()
                            + " ["
                            + e.getStartTime()
                            + ".."
                            + e.getEndTime()
                            + "] "
                            + e.getMessage());
        }
    }

    @Test
    void anEventThatCannotBeReadIsCountedAsDropped() {
        EventReporter reporter = reporter("cluster", "prod");
        org.apache.flink.events.Event unreadable =
                new EventBuilder(SkyWalkingEventReporterTest.class, "Broken")
                        .setObservedTsMillis(1)
                        .build();
        org.apache.flink.events.Event broken =
                (org.apache.flink.events.Event)
                        java.lang.reflect.Proxy.newProxyInstance(
                                getClass().getClassLoader(),
                                new Class<?>[] {org.apache.flink.events.Event.class},
                                (proxy, method, args) -> {
                                    if (method.getName().equals("getAttributes")) {
                                        throw new IllegalStateException("unreadable");
                                    }
                                    return method.invoke(unreadable, args);
                                });
        reporter.notifyOfAddedEvent(broken);
        reporter.notifyOfAddedEvent(broken);
        assertThat(process.events.dropped.get()).isEqualTo(2);
        assertThat(log.at(Level.WARN)).singleElement().asString().contains("could not be read");
    }
}
