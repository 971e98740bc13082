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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a SkyWalking 11 user sees: Horizon UI (apache/skywalking-horizon-ui, built with {@code pnpm
 * package}, given as {@code -Dhorizon.dir}) in headless Chromium, on a real OAP 11 ({@code
 * -Doap.home}) on PostgreSQL, fed by a real Flink 2.3.0 cluster with the metric, trace and event
 * reporters running the jobs of {@link SkyWalkingUiIT}. Horizon fills the OAP with the templates it
 * ships at its first start; then the plugin jar's install command adds the project's rules and
 * merges the project's pages ({@code skywalking/oap-11/horizon/}) into the FLINK template the OAP
 * holds; the project's alarm rules go in through the OAP's dynamic configuration, as the install
 * command says. The test checks that template with Horizon's own checks ({@code
 * src/horizon-check/validate.mjs}) and that it still holds SkyWalking's pages; once the OAP holds
 * what every page shows, the Node checker in {@code src/horizon-check/} signs in and reads every
 * widget of SkyWalking's FLINK pages and of the project's, the Zipkin trace view with a checkpoint
 * trace, a job's events and the alarms. Its screenshots ({@code horizon-*.png}) are copied to
 * {@code docs/images/}.
 *
 * <p>Only in the Maven profile {@code horizon-check} (docs/ui.md). System properties (set by that
 * profile): {@code e2e.oap.home}, {@code e2e.horizon.dir}, {@code e2e.horizon.node}, {@code
 * e2e.ui.chromium}, {@code e2e.horizon.check.dir}, {@code e2e.docs.images} and those of {@link
 * RealOapIT}.
 */
class HorizonUiIT {

    private static final String CLUSTER = "horizon-check";
    private static final String SERVICE = "flink::" + CLUSTER;
    private static final String FLINK_TEMPLATE = "horizon.layer.FLINK";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(value = 45, unit = TimeUnit.MINUTES)
    void everyFlinkPageOfHorizonShowsWhatTheClusterReports() throws Exception {
        long started = System.nanoTime();
        Path work = Paths.get(requiredProperty("e2e.oap.work")).resolveSibling("horizon-check");
        Path logs = Paths.get(requiredProperty("e2e.logs.dir")).resolve("horizon-check");
        OapServer.Release release =
                OapServer.Release.fromHome(Paths.get(requiredProperty("e2e.oap.home")));
        assertThat(Integer.parseInt(release.version.split("\\.")[0]))
                .as("%s: Horizon's live templates need OAP 11", release)
                .isGreaterThanOrEqualTo(11);
        Path horizonDir = Paths.get(requiredProperty("e2e.horizon.dir"));
        assertThat(horizonDir.resolve("dist").resolve("server.js"))
                .as("Horizon built with pnpm package in %s (-Dhorizon.dir)", horizonDir)
                .isRegularFile();
        String node = requiredProperty("e2e.horizon.node");
        assertThat(Paths.get(requiredProperty("e2e.ui.chromium")))
                .as("Chromium for the check (-Dui.chromium)")
                .isExecutable();
        Path out = work.resolve("checker");
        StandaloneFlink.deleteRecursively(out);
        Files.createDirectories(out);
        EmbeddedPostgres postgres = null;
        OapServer oap = null;
        HorizonServer horizon = null;
        StandaloneFlink flink = null;
        DynamicConfigServer dynamicConfig = null;
        try {
            postgres = EmbeddedPostgres.start(work.resolve("postgres"));
            dynamicConfig = new DynamicConfigServer();
            oap =
                    OapServer.start(
                            release,
                            Paths.get(requiredProperty("e2e.oap.config")),
                            null,
                            postgres.jdbcUrl(),
                            dynamicConfig.port(),
                            work.resolve("oap"));
            oap.awaitReady(Duration.ofSeconds(300));
            log("%s ready after %d s", release, seconds(started));

            horizon =
                    HorizonServer.start(
                            horizonDir,
                            node,
                            oap.restPort,
                            oap.adminPort,
                            oap.zipkinPort,
                            work.resolve("horizon"),
                            logs);
            horizon.awaitReady(Duration.ofSeconds(120));
            awaitTemplate(oap, Duration.ofSeconds(120));
            log("Horizon ready, its templates in the OAP, after %d s", seconds(started));

            int install =
                    SkyWalkingUiIT.run(
                            Arrays.asList(
                                    Paths.get(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-jar",
                                    pluginJar().toString(),
                                    "install",
                                    "--admin",
                                    oap.adminUrl()),
                            work,
                            out.resolve("install.txt"),
                            Duration.ofMinutes(3));
            assertThat(install).as("the install command (%s)", out.resolve("install.txt")).isZero();
            Path template = out.resolve("flink-template.json");
            checkInstalledTemplate(oap, template);
            int validation =
                    SkyWalkingUiIT.run(
                            Arrays.asList(
                                    node,
                                    horizonDir
                                            .resolve("apps/bff/node_modules/tsx/dist/cli.mjs")
                                            .toString(),
                                    checkDir().resolve("validate.mjs").toString(),
                                    "--horizon",
                                    horizonDir.toString(),
                                    "--template",
                                    template.toString(),
                                    "--layer",
                                    "FLINK"),
                            horizonDir.resolve("apps").resolve("bff"),
                            out.resolve("validate.txt"),
                            Duration.ofMinutes(2));
            assertThat(validation)
                    .as("Horizon's validator on the FLINK template the OAP holds (%s)", template)
                    .isZero();
            // The admin API takes no alarm rules: as the install command says, they go in through
            // the OAP's dynamic configuration (in alarm-settings.yml they would stop its start).
            dynamicConfig.set(
                    "alarm.default.alarm-settings",
                    OapServer.withProjectAlarmRules(oap.alarmSettings()));
            log("installed, valid, alarm rules on, after %d s", seconds(started));

            flink = SkyWalkingUiIT.startCluster(oap, work, logs, CLUSTER);
            long running = System.nanoTime();
            log("Flink jobs running after %d s", seconds(started));

            SkyWalkingUiIT.awaitWhatThePagesShow(
                    oap,
                    work.resolve("oap").resolve("config").resolve("otel-rules").resolve("flink"),
                    SERVICE,
                    SkyWalkingFiles.horizonExpressions(),
                    running);
            log("the OAP holds what every page shows after %d s", seconds(started));

            int exit = runChecker(horizon, template, out);
            assertThat(exit)
                    .as("the Horizon check (its report: %s)", out.resolve("report.txt"))
                    .isZero();
            SkyWalkingUiIT.copyScreenshots(out.resolve("screenshots"));
            log("Horizon check passed after %d s", seconds(started));
        } catch (Throwable t) {
            if (oap != null) {
                System.err.println("OAP log " + oap.log + ":\n" + oap.tail(40));
            }
            if (horizon != null) {
                System.err.println("Horizon log " + horizon.log + ":\n" + horizon.tail(40));
            }
            if (flink != null) {
                System.err.println(flink.tails(20));
            }
            throw t;
        } finally {
            if (flink != null) {
                flink.close();
            }
            if (horizon != null) {
                horizon.close();
            }
            if (oap != null) {
                oap.close();
            }
            if (dynamicConfig != null) {
                dynamicConfig.close();
            }
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    /** Waits until Horizon's first start has written the FLINK layer template into the OAP. */
    private void awaitTemplate(OapServer oap, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (flinkTemplate(oap) == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "Horizon did not write " + FLINK_TEMPLATE + " into the OAP in " + timeout);
            }
            Thread.sleep(1000);
        }
    }

    /**
     * The FLINK template the OAP holds after the install: SkyWalking's pages kept, the project's
     * pages added, the trace view on. Written to {@code file} for Horizon's validator.
     */
    private void checkInstalledTemplate(OapServer oap, Path file) throws Exception {
        JsonNode content = flinkTemplate(oap);
        assertThat(content).as(FLINK_TEMPLATE + " in the OAP").isNotNull();
        Files.write(
                file,
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
        JsonNode pages = new ObjectMapper().readTree(SkyWalkingFiles.horizonPages().toFile());
        for (String scope : Arrays.asList("service", "instance", "endpoint")) {
            assertThat(content.at("/dashboards/" + scope).size())
                    .as("SkyWalking's %s page, kept (%s)", scope, file)
                    .isPositive();
            List<String> held = new ArrayList<>();
            content.at("/dashboardExtPages/" + scope).forEach(p -> held.add(p.get("id").asText()));
            for (JsonNode page : pages.at("/dashboardExtPages/" + scope)) {
                assertThat(held)
                        .as("pages of %s (%s)", scope, file)
                        .contains(page.get("id").asText());
                JsonNode installed = null;
                for (JsonNode p : content.at("/dashboardExtPages/" + scope)) {
                    if (p.get("id").equals(page.get("id"))) {
                        installed = p;
                    }
                }
                assertThat(installed).as("page %s as installed", page.get("id")).isEqualTo(page);
            }
        }
        assertThat(content.at("/components/traces").asBoolean(false)).isTrue();
        assertThat(content.at("/traces/source").asText()).isEqualTo("zipkin");
    }

    /** The content of the FLINK layer template the OAP holds, or null while it has none. */
    private JsonNode flinkTemplate(OapServer oap) throws Exception {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:"
                                                        + oap.adminPort
                                                        + "/ui-management/templates"))
                                .timeout(Duration.ofSeconds(30))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as("GET /ui-management/templates").isEqualTo(200);
        ObjectMapper json = new ObjectMapper();
        for (JsonNode row : json.readTree(response.body())) {
            if (FLINK_TEMPLATE.equals(row.path("id").asText())) {
                return json.readTree(row.get("configuration").asText()).get("content");
            }
        }
        return null;
    }

    /**
     * Runs the checker ({@code npm ci} first if its dependencies are not installed), keeping its
     * output in {@code out}/report.txt; returns its exit code.
     */
    private static int runChecker(HorizonServer horizon, Path template, Path out) throws Exception {
        Path checkDir = checkDir();
        if (!Files.isDirectory(checkDir.resolve("node_modules"))) {
            int npm =
                    SkyWalkingUiIT.run(
                            Arrays.asList(
                                    "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"),
                            checkDir,
                            out.resolve("npm-ci.txt"),
                            Duration.ofMinutes(5));
            assertThat(npm).as("npm ci in %s", checkDir).isZero();
        }
        return SkyWalkingUiIT.run(
                Arrays.asList(
                        "node",
                        "check.js",
                        "--horizon",
                        horizon.url(),
                        "--user",
                        HorizonServer.USER,
                        "--password",
                        horizon.password,
                        "--template",
                        template.toString(),
                        "--service",
                        SERVICE,
                        "--job",
                        SkyWalkingUiIT.JOB,
                        "--events-job",
                        SkyWalkingUiIT.RESTARTING,
                        "--chromium",
                        requiredProperty("e2e.ui.chromium"),
                        "--out",
                        out.toString()),
                checkDir,
                out.resolve("report.txt"),
                Duration.ofMinutes(15));
    }

    private static Path checkDir() {
        return Paths.get(requiredProperty("e2e.horizon.check.dir"));
    }

    private static long seconds(long startNanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    }

    private static void log(String format, Object... args) {
        System.out.println("[Horizon check] " + String.format(format, args));
    }
}
