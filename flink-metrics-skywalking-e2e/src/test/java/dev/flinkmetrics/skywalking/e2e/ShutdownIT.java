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

import static dev.flinkmetrics.skywalking.e2e.StandaloneClusterIT.pluginJar;
import static dev.flinkmetrics.skywalking.e2e.StandaloneClusterIT.requiredProperty;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Received;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real Flink processes stopped as an orchestrator stops them, by SIGTERM to their PID, while a job
 * runs: a TaskManager that runs a subtask of the job, then, once the job runs again on the other
 * TaskManagers, the JobManager. Flink closes its metric reporters as the process shuts down, and a
 * closing metric reporter sends one last report; the JobManager's reporters send the job's last
 * events. This checks that each of them reaches the receiver after the signal, before the process
 * is gone, and that the plugin logs no ERROR on the way.
 *
 * <p>Reports go out every {@value #INTERVAL_SECONDS} s, and each signal follows right after a
 * report of the process arrived: a report taken after the signal is the one the closing reporter
 * sends, not the next periodic one. What arrived after each signal is printed per process.
 */
class ShutdownIT {

    private static final String JOB_NAME = "shutdown-job";
    private static final int TASK_MANAGERS = 3;
    private static final int INTERVAL_SECONDS = 10;

    /** Time a process gets to exit after SIGTERM; Flink's own shutdown takes a few seconds. */
    private static final Duration EXIT = Duration.ofSeconds(120);

    /** A log line of level ERROR from the plugin's loggers. */
    private static final Pattern PLUGIN_ERROR =
            Pattern.compile("^\\S+ \\S+ ERROR +dev\\.flinkmetrics\\..*");

    /** The metric reporter's last line as it closes. */
    private static final Pattern CLOSED =
            Pattern.compile("\\.SkyWalkingMetricReporter .* - Reporter for \\S+ closed\\.");

    /** A log line of level WARN or ERROR from the plugin's loggers, printed for the record. */
    private static final Pattern PLUGIN_WARNING =
            Pattern.compile("^\\S+ \\S+ (WARN|ERROR) +dev\\.flinkmetrics\\..*");

    static Stream<String> versions() {
        return StandaloneClusterIT.versions();
    }

    @ParameterizedTest(name = "Flink {0}")
    @MethodSource("versions")
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void eachProcessSendsItsLastReportAndEventsAfterSigterm(String version) throws Exception {
        Path pluginJar = pluginJar();
        Path flinkDir = Paths.get(requiredProperty("e2e.flink.dir"));
        Path lib = flinkDir.resolve("flink-" + version).resolve("lib");
        StandaloneFlink.Layout layout =
                new StandaloneFlink.Layout(
                        version,
                        lib,
                        flinkDir.resolve("shutdown-" + version),
                        Paths.get(requiredProperty("e2e.logs.dir")).resolve("shutdown-" + version));
        String cluster = "shutdown-" + version;
        Path jobJar =
                StandaloneFlink.jobJar(
                        ContinuousJob.class, layout.home.resolve("job").resolve("e2e-job.jar"));
        List<String> findings = new ArrayList<>();
        try (OtlpTestServer server = new OtlpTestServer()) {
            StandaloneFlink flink =
                    StandaloneFlink.prepareReporting(
                            layout,
                            pluginJar,
                            server.endpoint(),
                            cluster,
                            Collections.singletonMap(
                                    "metrics.reporter.sw.interval", INTERVAL_SECONDS + " s"));
            // Log4j stops logging at the JVM's exit, in a shutdown hook of its own that runs beside
            // Flink's: without it, what the reporters log while Flink closes them is kept. The
            // plugin at DEBUG says how its last exports went.
            Files.write(
                    layout.conf.resolve("log4j.properties"),
                    String.join(
                                    "\n",
                                    "shutdownHook = disable",
                                    "logger.plugin.name = dev.flinkmetrics",
                                    "logger.plugin.level = DEBUG",
                                    "")
                            .getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.APPEND);
            try {
                flink.start(TASK_MANAGERS);
                flink.awaitTaskManagers(TASK_MANAGERS, Duration.ofSeconds(120));
                String jobId = flink.submit(jobJar, ContinuousJob.class.getName(), 2, JOB_NAME);
                flink.awaitJobState(jobId, "RUNNING", Duration.ofSeconds(60));

                // A TaskManager that runs a subtask of the job.
                String taskManager =
                        awaitSender(
                                server,
                                flink,
                                rm -> attribute(rm, "taskManager_node") != null && hasJobSeries(rm),
                                "a TaskManager reporting the job's series");
                String node =
                        attribute(taskManagerResource(server, taskManager), "taskManager_node");
                String tmProcess = "taskmanager-" + node.substring(node.indexOf('_') + 1);
                Predicate<ResourceMetrics> fromTm =
                        rm -> node.equals(attribute(rm, "taskManager_node"));
                Signal tm = signalAfterAReport(flink, server, tmProcess, fromTm);
                Outcome tmOutcome = outcome(server, flink, tm, fromTm);
                findings.add(tmProcess + " (" + node + "): " + tmOutcome);
                log(version, "%s", findings.get(findings.size() - 1));

                // The job runs again on the other two; then the JobManager.
                flink.awaitJobState(jobId, "RUNNING", Duration.ofSeconds(120));
                Predicate<ResourceMetrics> fromJm = rm -> attribute(rm, "jobManager_node") != null;
                Signal jm = signalAfterAReport(flink, server, "jobmanager", fromJm);
                Outcome jmOutcome = outcome(server, flink, jm, fromJm);
                boolean derivesJobEvents = StandaloneClusterIT.olderThan(version, 2, 2);
                boolean jobEndArrived = derivesJobEvents && awaitJobEnd(server, jm);
                List<Event> events = server.events().events();
                List<Event> jmEvents = events.subList(jm.eventsBefore, events.size());
                findings.add("jobmanager: " + jmOutcome);
                findings.add(
                        "jobmanager events after SIGTERM: "
                                + jmEvents.stream()
                                        .map(ShutdownIT::describe)
                                        .collect(Collectors.toList()));
                log(version, "%s", findings.get(findings.size() - 2));
                log(version, "%s", findings.get(findings.size() - 1));
                log(version, "plugin WARN/ERROR lines: %s", pluginLines(flink, PLUGIN_WARNING));
                List<Event> all = server.events().events();
                for (int i = 0; i < all.size(); i++) {
                    log(
                            version,
                            "event %d%s: %s",
                            i,
                            i >= jm.eventsBefore
                                    ? " (after the JobManager's SIGTERM)"
                                    : i >= tm.eventsBefore
                                            ? " (after the TaskManager's SIGTERM)"
                                            : "",
                            describe(all.get(i)));
                }

                assertThat(tmOutcome.arrived)
                        .as("a report of %s taken after its SIGTERM (%s)", tmProcess, tmOutcome)
                        .isTrue();
                assertThat(jmOutcome.arrived)
                        .as("a report of the JobManager taken after its SIGTERM (%s)", jmOutcome)
                        .isTrue();
                if (derivesJobEvents) {
                    assertThat(jobEndArrived)
                            .as(
                                    "the job's end among the JobManager's events after its SIGTERM"
                                            + " on Flink %s: %s",
                                    version,
                                    jmEvents.stream()
                                            .map(ShutdownIT::describe)
                                            .collect(Collectors.toList()))
                            .isTrue();
                }
                assertThat(pluginLines(flink, PLUGIN_ERROR))
                        .as("ERROR lines of the plugin in the processes' logs")
                        .isEmpty();
            } catch (Throwable t) {
                System.err.println(
                        "Flink "
                                + version
                                + " failed; logs are kept in "
                                + layout.logs
                                + "\nfindings: "
                                + findings
                                + "\n"
                                + flink.tails(60)
                                + pluginLines(flink, PLUGIN_WARNING));
                throw t;
            } finally {
                flink.close();
            }
        }
    }

    /**
     * The event a JobManager's metric reporter derives when the job's metrics go, as they do when
     * the JobManager shuts down and suspends the job. Flink before 2.2 reports no job events of its
     * own, so this is the job's last event there. Flink 2.2 and later report the job's status
     * themselves, but none for its suspension, and the metric reporter derives none while Flink
     * reports them (also after the JVM's exit closed the event reporter): the JobManager's shutdown
     * then sends no job event, so none is asserted there.
     */
    private static boolean jobEnded(Event e) {
        return e.getName().equals("JobEnded")
                && e.getSource().getEndpoint().equals(JOB_NAME.replace('-', '_'));
    }

    /** When a signal went out, and where the receiver's lists stood just before it. */
    private static final class Signal {
        final String process;
        final long wallMillis;
        final int reportsBefore;
        final int eventsBefore;
        final long exitedAfterMillis;

        Signal(
                String process,
                long wallMillis,
                int reportsBefore,
                int eventsBefore,
                long exitedAfterMillis) {
            this.process = process;
            this.wallMillis = wallMillis;
            this.reportsBefore = reportsBefore;
            this.eventsBefore = eventsBefore;
            this.exitedAfterMillis = exitedAfterMillis;
        }
    }

    /** What arrived from one process after its signal. */
    private static final class Outcome {
        /** Reports received after the signal, by when their points were taken (ms after it). */
        final List<Long> receivedAfterSignal = new ArrayList<>();

        /** Those taken after the signal: the closing reporter's. */
        final List<Long> takenAfterSignal = new ArrayList<>();

        /** A report taken after the signal arrived. */
        boolean arrived;

        long exitedAfterMillis;
        boolean closedLine;
        boolean lastHadJobSeries;

        @Override
        public String toString() {
            return "exited "
                    + exitedAfterMillis
                    + " ms after SIGTERM; reports received after it, taken at (ms after"
                    + " SIGTERM) "
                    + receivedAfterSignal
                    + ", of which taken after it "
                    + takenAfterSignal
                    + (receivedAfterSignal.isEmpty()
                            ? ""
                            : "; the last with job series: " + lastHadJobSeries)
                    + "; 'Reporter for ... closed.' logged: "
                    + closedLine;
        }
    }

    /**
     * Waits for the next report of the process, so that the next periodic one is an interval away,
     * then sends SIGTERM to it and waits until it has exited.
     */
    private static Signal signalAfterAReport(
            StandaloneFlink flink,
            OtlpTestServer server,
            String process,
            Predicate<ResourceMetrics> from)
            throws Exception {
        int seen = count(server.received(), 0, from);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS * 6L);
        while (count(server.received(), 0, from) <= seen) {
            flink.checkAlive();
            long left = deadline - System.nanoTime();
            assertThat(left > 0)
                    .as("a report of %s within %d s", process, INTERVAL_SECONDS * 6)
                    .isTrue();
            server.awaitCalls(
                    server.calls() + 1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        int reportsBefore = server.received().size();
        int eventsBefore = server.events().events().size();
        long signalled = flink.terminate(process, EXIT);
        long exited = System.currentTimeMillis() - signalled;
        return new Signal(process, signalled, reportsBefore, eventsBefore, exited);
    }

    /**
     * The reports of the process received after the signal. The process has exited, so nothing more
     * is on its way but what the receiver is still taking in: this waits until a report taken after
     * the signal is there, at most a few seconds.
     */
    private static Outcome outcome(
            OtlpTestServer server,
            StandaloneFlink flink,
            Signal signal,
            Predicate<ResourceMetrics> from)
            throws InterruptedException {
        boolean arrived =
                server.awaitRequest(
                        r ->
                                r.getResourceMetricsList().stream()
                                        .anyMatch(
                                                rm ->
                                                        from.test(rm)
                                                                && takenAt(rm)
                                                                        >= signal.wallMillis),
                        10_000);
        Outcome outcome = new Outcome();
        outcome.arrived = arrived;
        outcome.exitedAfterMillis = signal.exitedAfterMillis;
        for (StandaloneFlink.FlinkProcess p : flink.processes()) {
            if (p.name.equals(signal.process) && Files.exists(p.log)) {
                outcome.closedLine = CLOSED.matcher(StandaloneFlink.read(p.log)).find();
            }
        }
        List<Received> received = server.received();
        for (Received r : received.subList(signal.reportsBefore, received.size())) {
            for (ResourceMetrics rm : r.request.getResourceMetricsList()) {
                if (!from.test(rm)) {
                    continue;
                }
                long after = takenAt(rm) - signal.wallMillis;
                outcome.receivedAfterSignal.add(after);
                if (after >= 0) {
                    outcome.takenAfterSignal.add(after);
                }
                outcome.lastHadJobSeries = hasJobSeries(rm);
            }
        }
        return outcome;
    }

    /**
     * Waits until the job's end is among the events received after the signal, at most a few
     * seconds: the process has exited, so only what the receiver is still taking in can come.
     */
    private static boolean awaitJobEnd(OtlpTestServer server, Signal signal)
            throws InterruptedException {
        return server.events()
                .awaitEvents(
                        events ->
                                events.subList(signal.eventsBefore, events.size()).stream()
                                        .anyMatch(ShutdownIT::jobEnded),
                        10_000);
    }

    /** The first sender whose resource matches, by its node label; waits for one. */
    private static String awaitSender(
            OtlpTestServer server,
            StandaloneFlink flink,
            Predicate<ResourceMetrics> condition,
            String what)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS * 9L);
        while (true) {
            flink.checkAlive();
            int calls = server.calls();
            for (Received r : server.received()) {
                for (ResourceMetrics rm : r.request.getResourceMetricsList()) {
                    if (condition.test(rm)) {
                        return attribute(rm, "taskManager_node");
                    }
                }
            }
            long left = deadline - System.nanoTime();
            assertThat(left > 0).as("%s within %d s", what, INTERVAL_SECONDS * 9).isTrue();
            server.awaitCalls(calls + 1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }

    private static ResourceMetrics taskManagerResource(OtlpTestServer server, String node) {
        for (Received r : server.received()) {
            for (ResourceMetrics rm : r.request.getResourceMetricsList()) {
                if (node.equals(attribute(rm, "taskManager_node"))) {
                    return rm;
                }
            }
        }
        throw new IllegalStateException("no resource of " + node);
    }

    private static int count(List<Received> received, int from, Predicate<ResourceMetrics> of) {
        int n = 0;
        for (Received r : received.subList(from, received.size())) {
            if (r.request.getResourceMetricsList().stream().anyMatch(of)) {
                n++;
            }
        }
        return n;
    }

    /** When the reporter took the report: the latest time of its points, in ms. */
    private static long takenAt(ResourceMetrics rm) {
        long nanos = 0;
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
            for (Metric m : sm.getMetricsList()) {
                List<NumberDataPoint> points =
                        m.hasGauge()
                                ? m.getGauge().getDataPointsList()
                                : m.hasSum()
                                        ? m.getSum().getDataPointsList()
                                        : Collections.emptyList();
                for (NumberDataPoint p : points) {
                    nanos = Math.max(nanos, p.getTimeUnixNano());
                }
                if (m.hasSummary()) {
                    for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
                        nanos = Math.max(nanos, p.getTimeUnixNano());
                    }
                }
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static boolean hasJobSeries(ResourceMetrics rm) {
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
            for (Metric m : sm.getMetricsList()) {
                List<List<KeyValue>> attributes = new ArrayList<>();
                m.getGauge()
                        .getDataPointsList()
                        .forEach(p -> attributes.add(p.getAttributesList()));
                m.getSum().getDataPointsList().forEach(p -> attributes.add(p.getAttributesList()));
                for (List<KeyValue> a : attributes) {
                    if (a.stream().anyMatch(kv -> kv.getKey().equals("flink_job_name"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static String attribute(ResourceMetrics rm, String key) {
        for (KeyValue kv : rm.getResource().getAttributesList()) {
            if (kv.getKey().equals(key)) {
                return OtlpTestServer.text(kv.getValue());
            }
        }
        return null;
    }

    private static String describe(Event e) {
        return e.getName()
                + " ["
                + e.getSource().getServiceInstance()
                + " / "
                + e.getSource().getEndpoint()
                + "]: "
                + e.getMessage();
    }

    /** Lines of the processes' logs that match, each with its process. */
    private static List<String> pluginLines(StandaloneFlink flink, Pattern pattern) {
        List<String> lines = new ArrayList<>();
        for (StandaloneFlink.FlinkProcess p : flink.processes()) {
            if (!Files.exists(p.log)) {
                continue;
            }
            for (String line : StandaloneFlink.read(p.log).split("\n")) {
                if (pattern.matcher(line).matches()) {
                    lines.add(p.name + ": " + line);
                }
            }
        }
        return lines;
    }

    private static void log(String version, String format, Object... args) {
        System.out.println("[Flink " + version + " shutdown] " + String.format(format, args));
    }
}
