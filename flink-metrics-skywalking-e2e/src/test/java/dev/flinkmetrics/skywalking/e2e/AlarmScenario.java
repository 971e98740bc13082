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

import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.AlarmRule;
import dev.flinkmetrics.skywalking.e2e.job.AlarmJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;

/**
 * Real Flink clusters that provoke every alarm rule of skywalking/alarm-settings-flink.yml on a
 * real OAP, and the entities the rules must stay quiet on:
 *
 * <ul>
 *   <li>{@code alarm-faults} (a JobManager, a TaskManager with five slots): a job whose checkpoints
 *       all time out, one that restarts about three times a minute, a back-pressured one whose
 *       source backlog grows, one whose watermark lags ten minutes, and a healthy one. The healthy
 *       job, the cluster and its TaskManager must stay quiet.
 *   <li>{@code alarm-memory} (a JobManager, a TaskManager): a job that keeps the heap 93 % full and
 *       has it collected a fifth of the time. The cluster must stay quiet.
 *   <li>{@code alarm-idle} (a JobManager, two TaskManagers): no job, and the second TaskManager
 *       killed once the JobManager has counted both for over a minute.
 * </ul>
 *
 * The clusters start together and run while the other checks of RealOapIT go on; {@link
 * #awaitAlarms} then waits for every rule to fire, reading the alarms back through the OAP's
 * GraphQL API ({@code getAlarm}, what the UI's alarm page shows).
 */
final class AlarmScenario implements AutoCloseable {

    /** A rule, the entity it must fire on, and when its condition began. */
    static final class Expected {
        final String rule;
        final String entity;
        long provokedAtMillis;

        Expected(String rule, String entity) {
            this.rule = rule;
            this.entity = entity;
        }
    }

    /** An alarm the OAP raised, matched to the rule whose message it is. */
    static final class Raised {
        final String rule;
        final String entity;
        final String message;
        final long startTime;

        Raised(String rule, String entity, String message, long startTime) {
            this.rule = rule;
            this.entity = entity;
            this.message = message;
            this.startTime = startTime;
        }

        @Override
        public String toString() {
            return rule + " on " + entity + " at " + startTime;
        }
    }

    private static final String FAULTS = "alarm-faults";
    private static final String MEMORY = "alarm-memory";
    private static final String IDLE = "alarm-idle";

    private final OapServer oap;
    private final String endpoint;
    private final String version;
    private final List<StandaloneFlink> clusters = new ArrayList<>();
    private final Map<String, Expected> expected = new LinkedHashMap<>();
    private final List<String> quiet =
            Arrays.asList(
                    "healthy in flink::" + FAULTS,
                    "flink::" + FAULTS,
                    "tm_1 of flink::" + FAULTS,
                    "flink::" + MEMORY);
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "alarm-scenario");
                        t.setDaemon(true);
                        return t;
                    });
    private final long startedMillis = System.currentTimeMillis();
    private volatile Throwable scheduledFailure;

    private AlarmScenario(OapServer oap, String endpoint, String version) {
        this.oap = oap;
        this.endpoint = endpoint;
        this.version = version;
        expect("flink_job_restarted_rule", job("restarting"));
        expect("flink_job_restart_loop_rule", job("restarting"));
        expect("flink_job_checkpoints_failing_rule", job("checkpoints_failing"));
        expect("flink_job_no_checkpoint_completed_rule", job("checkpoints_failing"));
        expect("flink_job_backpressure_rule", job("backlogged"));
        expect("flink_job_source_backlog_rule", job("backlogged"));
        expect("flink_job_watermark_lag_rule", job("old_events"));
        expect("flink_cluster_no_running_job_rule", "flink::" + IDLE);
        expect("flink_cluster_taskmanager_lost_rule", "flink::" + IDLE);
        expect("flink_taskmanager_heap_rule", "tm_1 of flink::" + MEMORY);
        expect("flink_taskmanager_gc_rule", "tm_1 of flink::" + MEMORY);
    }

    /**
     * Starts the three clusters and their jobs on Flink {@code version} ({@code lib} is its
     * distribution's lib/), reporting to {@code oap} at {@code endpoint} with {@code reporterExtra}
     * keys added.
     */
    static AlarmScenario start(
            OapServer oap,
            String version,
            Path lib,
            Path work,
            Path logs,
            Path pluginJar,
            String endpoint,
            Map<String, String> reporterExtra)
            throws Exception {
        AlarmScenario scenario = new AlarmScenario(oap, endpoint, version);
        try {
            scenario.startClusters(lib, work, logs, pluginJar, reporterExtra);
        } catch (Throwable t) {
            scenario.close();
            throw t;
        }
        return scenario;
    }

    private void startClusters(
            Path lib, Path work, Path logs, Path pluginJar, Map<String, String> reporterExtra)
            throws Exception {
        Path jobJar =
                StandaloneFlink.jobJar(
                        AlarmJobs.class, work.resolve("job").resolve("alarm-jobs.jar"));

        Map<String, String> faultsConfig = new LinkedHashMap<>(reporterExtra);
        faultsConfig.put("taskmanager.numberOfTaskSlots", "5");
        // Checkpoint failures are tolerated, so that the job whose checkpoints fail runs on; a
        // failing task restarts its job after a second, as often as it fails.
        faultsConfig.put("execution.checkpointing.tolerable-failed-checkpoints", "1000000");
        faultsConfig.put("restart-strategy.type", "fixed-delay");
        faultsConfig.put("restart-strategy.fixed-delay.attempts", "1000000");
        faultsConfig.put("restart-strategy.fixed-delay.delay", "1 s");
        StandaloneFlink faults = cluster(FAULTS, lib, work, logs, pluginJar, faultsConfig);
        Map<String, String> memoryConfig = new LinkedHashMap<>(reporterExtra);
        // Should the heap run out after all, the job starts again rather than ending.
        memoryConfig.put("restart-strategy.type", "fixed-delay");
        memoryConfig.put("restart-strategy.fixed-delay.attempts", "1000000");
        memoryConfig.put("restart-strategy.fixed-delay.delay", "1 s");
        StandaloneFlink memory = cluster(MEMORY, lib, work, logs, pluginJar, memoryConfig);
        Map<String, String> idleConfig = new LinkedHashMap<>(reporterExtra);
        // A killed TaskManager is noticed within seconds.
        idleConfig.put("heartbeat.interval", "2000");
        idleConfig.put("heartbeat.timeout", "10000");
        StandaloneFlink idle = cluster(IDLE, lib, work, logs, pluginJar, idleConfig);

        faults.start(1);
        memory.start(1);
        idle.start(2);
        faults.awaitTaskManagers(1, Duration.ofSeconds(180));
        memory.awaitTaskManagers(1, Duration.ofSeconds(180));
        idle.awaitTaskManagers(2, Duration.ofSeconds(180));
        long idleSince = System.currentTimeMillis();
        provoked("flink_cluster_no_running_job_rule", idleSince);

        for (String kind :
                Arrays.asList(
                        "checkpoints-failing",
                        "restarting",
                        "backlogged",
                        "old-events",
                        "healthy")) {
            String id = faults.submit(jobJar, AlarmJobs.class.getName(), 1, kind, name(kind));
            faults.awaitJobState(id, "RUNNING", Duration.ofSeconds(120));
            long running = System.currentTimeMillis();
            for (Expected e : expected.values()) {
                if (e.entity.equals(job(name(kind)))) {
                    e.provokedAtMillis = running;
                }
            }
        }
        String hog =
                memory.submit(jobJar, AlarmJobs.class.getName(), 1, "memory-hog", "memory_hog");
        memory.awaitJobState(hog, "RUNNING", Duration.ofSeconds(120));
        provoked("flink_taskmanager_heap_rule", System.currentTimeMillis());
        provoked("flink_taskmanager_gc_rule", System.currentTimeMillis());

        // The rule compares each minute with the one before: let the OAP see two TaskManagers
        // for a whole minute first.
        long killAt = idleSince + TimeUnit.SECONDS.toMillis(80);
        scheduler.schedule(
                () -> {
                    try {
                        idle.kill("taskmanager-2");
                        provoked("flink_cluster_taskmanager_lost_rule", System.currentTimeMillis());
                        log("killed taskmanager-2 of %s", IDLE);
                    } catch (Throwable t) {
                        scheduledFailure = t;
                    }
                },
                Math.max(0, killAt - System.currentTimeMillis()),
                TimeUnit.MILLISECONDS);
        log(
                "clusters and jobs running after %d s",
                (System.currentTimeMillis() - startedMillis) / 1000);
    }

    private StandaloneFlink cluster(
            String name, Path lib, Path work, Path logs, Path pluginJar, Map<String, String> extra)
            throws Exception {
        StandaloneFlink.Layout layout =
                new StandaloneFlink.Layout(version, lib, work.resolve(name), logs.resolve(name));
        StandaloneFlink flink =
                StandaloneFlink.prepareReporting(layout, pluginJar, endpoint, name, extra);
        clusters.add(flink);
        return flink;
    }

    /**
     * Waits until every rule has fired on its entity (at most {@code timeout} from the start), then
     * checks each alarm's message and level, and that the quiet entities had none. Returns the
     * alarms, each with the seconds from its provocation to its start, for the log.
     */
    List<String> awaitAlarms(Duration timeout, List<AlarmRule> rules) throws Exception {
        long deadline = startedMillis + timeout.toMillis();
        Map<String, Raised> first = new TreeMap<>();
        List<Raised> all = new ArrayList<>();
        while (true) {
            if (scheduledFailure != null) {
                throw new AssertionError("provoking failed", scheduledFailure);
            }
            all = raised(rules);
            first.clear();
            for (Raised r : all) {
                first.merge(
                        r.rule + " on " + r.entity,
                        r,
                        (a, b) -> a.startTime <= b.startTime ? a : b);
            }
            boolean complete =
                    expected.values().stream()
                            .allMatch(e -> first.containsKey(e.rule + " on " + e.entity));
            if (complete || System.currentTimeMillis() > deadline) {
                break;
            }
            for (StandaloneFlink cluster : clusters) {
                cluster.checkAlive();
            }
            Thread.sleep(10_000); // the OAP checks alarm rules once a minute
        }
        List<String> report = new ArrayList<>();
        for (Expected e : expected.values()) {
            Raised r = first.get(e.rule + " on " + e.entity);
            report.add(
                    String.format(
                            "%-40s on %-40s %s",
                            e.rule,
                            e.entity,
                            r == null
                                    ? "did not fire"
                                    : "fired "
                                            + (r.startTime - e.provokedAtMillis) / 1000
                                            + " s after the provocation"));
        }
        for (String line : report) {
            log("%s", line);
        }
        log("all alarms raised: %s", all);
        for (Expected e : expected.values()) {
            assertThat(first)
                    .as("alarms of the OAP (%s)", String.join("; ", report))
                    .containsKey(e.rule + " on " + e.entity);
        }
        for (Raised r : all) {
            assertThat(quiet).as("an entity that must stay quiet: %s", r).doesNotContain(r.entity);
        }
        return report;
    }

    /** Every alarm the OAP holds from this scenario's start on, matched to its rule. */
    private List<Raised> raised(List<AlarmRule> rules) throws Exception {
        Map<String, Pattern> messages = new LinkedHashMap<>();
        for (AlarmRule rule : rules) {
            messages.put(
                    rule.name,
                    Pattern.compile(Pattern.quote(rule.message()).replace("{name}", "\\E(.+)\\Q")));
        }
        String level = "";
        JsonNode response =
                OapQueries.json(
                        oap.graphql(
                                OapQueries.request(
                                        "query($d:Duration!){ getAlarm(duration:$d,"
                                                + " paging:{pageNum:1, pageSize:500}) { msgs {"
                                                + " startTime scope message tags { key value } } } }",
                                        "d",
                                        OapQueries.lastMinutes(
                                                (System.currentTimeMillis() - startedMillis)
                                                                / 60_000
                                                        + 2))));
        List<Raised> raised = new ArrayList<>();
        for (JsonNode msg : response.path("data").path("getAlarm").path("msgs")) {
            String message = msg.get("message").asText();
            for (AlarmRule rule : rules) {
                Matcher m = messages.get(rule.name).matcher(message);
                if (m.matches()) {
                    for (JsonNode tag : msg.get("tags")) {
                        if (tag.get("key").asText().equals("level")) {
                            level = tag.get("value").asText();
                        }
                    }
                    assertThat(level)
                            .as("level of %s", message)
                            .isEqualTo(
                                    String.valueOf(
                                            ((Map<?, ?>) rule.fields.get("tags")).get("level")));
                    raised.add(
                            new Raised(
                                    rule.name, m.group(1), message, msg.get("startTime").asLong()));
                }
            }
        }
        return raised;
    }

    private void expect(String rule, String entity) {
        expected.put(rule, new Expected(rule, entity));
    }

    private void provoked(String rule, long at) {
        expected.get(rule).provokedAtMillis = at;
    }

    private static String job(String name) {
        return name + " in flink::" + FAULTS;
    }

    private static String name(String kind) {
        return kind.replace('-', '_');
    }

    /** The last lines of each cluster's logs, for a failure report. */
    String tails(int lines) {
        StringBuilder sb = new StringBuilder();
        for (StandaloneFlink cluster : clusters) {
            sb.append(cluster.tails(lines));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        for (StandaloneFlink cluster : clusters) {
            cluster.close();
        }
    }

    private static void log(String format, Object... args) {
        System.out.println("[alarms] " + String.format(format, args));
    }
}
