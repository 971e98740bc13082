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

import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Line;
import dev.flinkmetrics.skywalking.e2e.job.AlarmJobs;
import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a SkyWalking user sees: SkyWalking's web UI (apache/skywalking-booster-ui, built, given as
 * {@code -Dui.dir}) in headless Chromium, on a real OAP of 10.3 or later ({@code -Doap.home}) with
 * what the project ships installed (rules, dashboards, alarm rules), fed by a real Flink 2.3.0
 * cluster with the metric, trace and event reporters. The cluster runs {@link ContinuousJob} and a
 * job that fails 20 s after every start ({@link AlarmJobs}, {@code restarting}), which raises the
 * restart alarm. Once the OAP holds what every page needs, the Node checker in {@code
 * src/ui-check/} opens every Flink page as a user clicks it and reads what each widget rendered; it
 * fails on a widget without data that is not listed, with its reason, in its {@code
 * no-data-expected.json}. Its screenshots are copied to {@code docs/images/}.
 *
 * <p>Only in the Maven profile {@code ui-check} (docs/ui.md): neither the UI nor an OAP of 10.3 or
 * later is on Maven Central. System properties (set by that profile): {@code e2e.oap.home}, {@code
 * e2e.ui.dir}, {@code e2e.ui.check.dir}, {@code e2e.zipkin.lens}, {@code e2e.docs.images} and those
 * of {@link RealOapIT}.
 */
class SkyWalkingUiIT {

    private static final String FLINK = "2.3.0";
    private static final String CLUSTER = "ui-check";
    private static final String SERVICE = "flink::" + CLUSTER;

    /** The jobs, named so that the reporter sends their names unchanged as endpoint names. */
    static final String JOB = "continuous";

    static final String RESTARTING = "restarting";

    /**
     * How long the jobs run before the check: every line chart of the last 15 minutes (the range
     * the checker picks) then has several minutes with a value.
     */
    private static final Duration HISTORY = Duration.ofMinutes(5);

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void everyFlinkPageShowsWhatTheClusterReports() throws Exception {
        long started = System.nanoTime();
        Path work = Paths.get(requiredProperty("e2e.oap.work")).resolveSibling("ui-check");
        Path logs = Paths.get(requiredProperty("e2e.logs.dir")).resolve("ui-check");
        OapServer.Release release =
                OapServer.Release.fromHome(Paths.get(requiredProperty("e2e.oap.home")));
        assertThat(release.line())
                .as("%s: the booster UI's Flink pages exist on OAP 10.3 and 10.4", release)
                .isEqualTo(Line.OAP_10_3);
        Path uiDir = Paths.get(requiredProperty("e2e.ui.dir"));
        assertThat(uiDir.resolve("dist").resolve("index.html"))
                .as("the built UI (npm run build in %s)", uiDir)
                .isRegularFile();
        assertThat(Paths.get(requiredProperty("e2e.ui.chromium")))
                .as("Chromium for the check (-Dui.chromium)")
                .isExecutable();
        EmbeddedPostgres postgres = null;
        OapServer oap = null;
        StandaloneFlink flink = null;
        try {
            if (release.needsPostgres()) {
                postgres = EmbeddedPostgres.start(work.resolve("postgres"));
            }
            oap =
                    OapServer.start(
                            release,
                            Paths.get(requiredProperty("e2e.oap.config")),
                            null,
                            postgres == null ? null : postgres.jdbcUrl(),
                            work.resolve("oap"));
            oap.awaitReady(Duration.ofSeconds(300));
            log("%s ready after %d s", release, seconds(started));

            flink = startCluster(oap, work, logs, CLUSTER);
            long running = System.nanoTime();
            log(
                    "Flink %s: jobs %s and %s running after %d s",
                    FLINK, JOB, RESTARTING, seconds(started));

            awaitWhatThePagesShow(
                    oap,
                    work.resolve("oap").resolve("config").resolve("otel-rules").resolve("flink"),
                    SERVICE,
                    SkyWalkingFiles.expressions(Line.OAP_10_3),
                    running);
            log("the OAP holds what every page shows after %d s", seconds(started));

            Path out = work.resolve("checker");
            int exit = runChecker(oap, uiDir, out);
            assertThat(exit)
                    .as("the UI check (its report: %s)", out.resolve("report.txt"))
                    .isZero();
            copyScreenshots(out.resolve("screenshots"));
            log("UI check passed after %d s", seconds(started));
        } catch (Throwable t) {
            if (oap != null) {
                System.err.println("OAP log " + oap.log + ":\n" + oap.tail(40));
            }
            if (flink != null) {
                System.err.println(flink.tails(20));
            }
            throw t;
        } finally {
            if (flink != null) {
                flink.close();
            }
            if (oap != null) {
                oap.close();
            }
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    /**
     * A JobManager and two TaskManagers of two slots each, reporting metrics, spans and events
     * every second as {@code cluster}, running the two jobs. A failing task restarts its job after
     * a second, as often as it fails.
     */
    static StandaloneFlink startCluster(OapServer oap, Path work, Path logs, String cluster)
            throws Exception {
        Path lib =
                Paths.get(requiredProperty("e2e.flink.dir"))
                        .resolve("flink-" + FLINK)
                        .resolve("lib");
        StandaloneFlink.Layout layout =
                new StandaloneFlink.Layout(FLINK, lib, work.resolve("flink"), logs);
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("taskmanager.numberOfTaskSlots", "2");
        extra.put("restart-strategy.type", "fixed-delay");
        extra.put("restart-strategy.fixed-delay.attempts", "1000000");
        extra.put("restart-strategy.fixed-delay.delay", "1 s");
        StandaloneFlink flink =
                StandaloneFlink.prepareReporting(
                        layout, pluginJar(), oap.endpoint(), cluster, extra);
        try {
            flink.start(2);
            flink.awaitTaskManagers(2, Duration.ofSeconds(180));
            // One jar holds every class of the jobs' package: both entry classes are in it.
            Path jar =
                    StandaloneFlink.jobJar(
                            ContinuousJob.class, work.resolve("job").resolve("jobs.jar"));
            String continuous = flink.submit(jar, ContinuousJob.class.getName(), 2, JOB);
            flink.awaitJobState(continuous, "RUNNING", Duration.ofSeconds(120));
            String restarting =
                    flink.submit(jar, AlarmJobs.class.getName(), 1, "restarting", RESTARTING);
            flink.awaitJobState(restarting, "RUNNING", Duration.ofSeconds(120));
            return flink;
        } catch (Throwable t) {
            flink.close();
            throw t;
        }
    }

    /**
     * Waits, through the OAP's own API, until it holds what the pages show: a value for every
     * metric of SkyWalking's Flink rules (in {@code skywalkingRules}) and every widget expression
     * of the project's pages (for {@code service}, each TaskManager and the continuous job),
     * checkpoint spans, job events and the restart alarm; and until the jobs have run for {@link
     * #HISTORY}. Whether the pages show it is for the checker to find out.
     */
    static void awaitWhatThePagesShow(
            OapServer oap,
            Path skywalkingRules,
            String service,
            List<SkyWalkingFiles.Expression> projects,
            long runningSince)
            throws Exception {
        OapQueries queries = new OapQueries(oap);
        Map<String, String> skywalkings = SkyWalkingFiles.metricsByEntity(skywalkingRules);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        List<String> missing = new ArrayList<>();
        while (true) {
            missing.clear();
            List<String> instances = queries.instances(service);
            if (instances.size() < 2) {
                missing.add("two TaskManager instances (" + instances + ")");
            }
            for (Map.Entry<String, String> metric : skywalkings.entrySet()) {
                missing.addAll(
                        missingValues(
                                queries, service, metric.getKey(), metric.getValue(), instances));
            }
            for (SkyWalkingFiles.Expression e : projects) {
                missing.addAll(missingValues(queries, service, e.expression, e.entity, instances));
            }
            if (!oap.zipkin(
                            "/api/v2/traces?limit=5&spanName=checkpoint&serviceName="
                                    + URLEncoder.encode(service, StandardCharsets.UTF_8))
                    .contains("\"name\":\"checkpoint\"")) {
                missing.add("checkpoint spans");
            }
            if (queries.eventNames(service, RESTARTING, 15).isEmpty()) {
                missing.add("events of the job " + RESTARTING);
            }
            if (queries.alarmMessages(15).stream().noneMatch(m -> m.contains(RESTARTING))) {
                missing.add("an alarm on the job " + RESTARTING);
            }
            long ranFor = System.nanoTime() - runningSince;
            if (ranFor < HISTORY.toNanos()) {
                missing.add(
                        String.format(
                                "%d s more of history",
                                TimeUnit.NANOSECONDS.toSeconds(HISTORY.toNanos() - ranFor)));
            }
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the OAP still lacks: " + missing);
            }
            log("waiting for %s", missing.size() > 5 ? missing.subList(0, 5) + ", ..." : missing);
            Thread.sleep(15_000);
        }
    }

    /** What of an expression for an entity kind has no value yet: none, or where it lacks one. */
    private static List<String> missingValues(
            OapQueries queries,
            String service,
            String expression,
            String entity,
            List<String> instances)
            throws Exception {
        List<String> missing = new ArrayList<>();
        if (entity.equals("ServiceInstance")) {
            for (String instance : instances) {
                if (queries.latest(expression, OapQueries.entity(service, instance, null))
                        == null) {
                    missing.add(expression + " of " + instance);
                }
            }
        } else if (queries.latest(
                        expression,
                        OapQueries.entity(service, null, entity.equals("Endpoint") ? JOB : null))
                == null) {
            missing.add(expression);
        }
        return missing;
    }

    /**
     * Runs the checker ({@code npm ci} first if its dependencies are not installed), printing its
     * output as it comes and keeping it in {@code out}/report.txt; returns its exit code. The
     * checker ends what it starts (vite, Chromium) itself; should it hang, it and whatever it
     * started are ended by their PIDs.
     */
    private static int runChecker(OapServer oap, Path uiDir, Path out) throws Exception {
        Path checkDir = Paths.get(requiredProperty("e2e.ui.check.dir"));
        StandaloneFlink.deleteRecursively(out);
        Files.createDirectories(out);
        if (!Files.isDirectory(checkDir.resolve("node_modules"))) {
            int npm =
                    run(
                            Arrays.asList(
                                    "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"),
                            checkDir,
                            out.resolve("npm-ci.txt"),
                            Duration.ofMinutes(5));
            assertThat(npm).as("npm ci in %s", checkDir).isZero();
        }
        return run(
                Arrays.asList(
                        "node",
                        "check.js",
                        "--ui-dir",
                        uiDir.toString(),
                        "--oap",
                        "http://127.0.0.1:" + oap.restPort,
                        "--zipkin",
                        "http://127.0.0.1:" + oap.zipkinPort,
                        "--zipkin-lens",
                        requiredProperty("e2e.zipkin.lens"),
                        "--service",
                        SERVICE,
                        // The pictures: the pages of the healthy job, the events of the other.
                        "--job",
                        JOB,
                        "--events-job",
                        RESTARTING,
                        "--chromium",
                        requiredProperty("e2e.ui.chromium"),
                        "--out",
                        out.toString()),
                checkDir,
                out.resolve("report.txt"),
                Duration.ofMinutes(15));
    }

    /**
     * Runs a command in {@code dir}, printing its output as it comes and keeping it in {@code
     * output}; returns its exit code. Should it not end in time, it and whatever it started are
     * ended by their PIDs.
     */
    static int run(List<String> command, Path dir, Path output, Duration timeout) throws Exception {
        Files.createDirectories(output.getParent());
        Process process =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .start();
        Thread pump =
                new Thread(
                        () -> {
                            try (BufferedReader in =
                                            new BufferedReader(
                                                    new InputStreamReader(
                                                            process.getInputStream(),
                                                            StandardCharsets.UTF_8));
                                    PrintWriter file =
                                            new PrintWriter(
                                                    Files.newBufferedWriter(
                                                            output, StandardCharsets.UTF_8))) {
                                for (String line = in.readLine();
                                        line != null;
                                        line = in.readLine()) {
                                    System.out.println(line);
                                    file.println(line);
                                }
                            } catch (IOException e) {
                                System.err.println("reading " + command.get(0) + ": " + e);
                            }
                        },
                        "ui-check-output");
        pump.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(command + " did not end within " + timeout);
            }
            pump.join(TimeUnit.SECONDS.toMillis(10));
            return process.exitValue();
        } finally {
            if (process.isAlive()) {
                List<ProcessHandle> children = process.descendants().collect(Collectors.toList());
                StandaloneFlink.stop(process);
                for (ProcessHandle child : children) {
                    child.destroyForcibly();
                }
            }
        }
    }

    /** The screenshots of a passing run replace those in docs/images/. */
    static void copyScreenshots(Path screenshots) throws IOException {
        Path images = Paths.get(requiredProperty("e2e.docs.images"));
        Files.createDirectories(images);
        try (Stream<Path> files = Files.list(screenshots)) {
            for (Path png :
                    (Iterable<Path>)
                            files.filter(f -> f.toString().endsWith(".png")).sorted()::iterator) {
                Files.copy(
                        png,
                        images.resolve(png.getFileName()),
                        StandardCopyOption.REPLACE_EXISTING);
                log("screenshot %s", images.resolve(png.getFileName()).normalize());
            }
        }
    }

    private static long seconds(long startNanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    }

    private static void log(String format, Object... args) {
        System.out.println("[UI check] " + String.format(format, args));
    }
}
