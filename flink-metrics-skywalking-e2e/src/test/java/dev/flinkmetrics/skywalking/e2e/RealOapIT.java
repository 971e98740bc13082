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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Line;
import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real SkyWalking OAP with what the project ships for its line installed (skywalking/: the rules,
 * the dashboards, the alarm rules). Real Flink processes (the shaded jar from plugins/) report to
 * it, once per Flink version, and the test reads back what SkyWalking shows through the OAP's own
 * GraphQL and MQE API: every project rule and every dashboard widget, SkyWalking's own Flink
 * metrics (its rules from 10.3; before, when given, loaded as docs/skywalking.md says), the cluster
 * as one service in the line's layer, spans and events. Meanwhile {@link AlarmScenario} provokes
 * every alarm rule, and the last test checks that each fired and that a healthy job stayed quiet.
 * The contract's rules about requests the OAP mishandles are checked against the OAP itself.
 *
 * <p>The OAP is 10.1.0 from Maven Central, or the OAP home given as {@code -Doap.home=...} (the
 * layout of the official binary release), on a real PostgreSQL from 10.2 on. System properties (set
 * by the pom): {@code e2e.oap.lib}, {@code e2e.oap.config}, {@code e2e.oap.work}, {@code
 * e2e.oap.home}, {@code e2e.oap.flink-rules} and those of {@link StandaloneClusterIT}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealOapIT {

    private static final String JOB = "e2e-oap-job";
    private static final String ENDPOINT = "e2e_oap_job";
    private static final int TASK_MANAGERS = 2;
    private static final String BACK_PRESSURED = "meter_flink_project_tm_backpressured_tasks";

    /** How the reporters send: grpc, or http/protobuf (OTLP/HTTP, OAP 11 and later). */
    private static final String PROTOCOL = System.getProperty("e2e.oap.protocol", "grpc");

    /**
     * A FLINK layer template as Horizon writes it into an OAP 11 at its first start (an envelope
     * around the layer template; here a small one of the test's own): what the install command
     * merges the project's pages into, and must leave as it is.
     */
    private static final String HORIZON_FLINK_TEMPLATE =
            "{\"content\":{\"components\":{\"endpoints\":true,\"instances\":true,"
                    + "\"logs\":false,\"service\":true,\"topology\":false,\"traces\":false},"
                    + "\"dashboards\":{\"service\":[{\"expressions\":"
                    + "[\"latest(meter_flink_jobManager_running_job_number)\"],\"id\":\"jobs\","
                    + "\"span\":3,\"title\":\"Running Jobs\",\"type\":\"card\"}]},"
                    + "\"key\":\"FLINK\"},\"kind\":\"layer\",\"name\":\"horizon.layer.FLINK\","
                    + "\"version\":1}";

    private static final List<String> JOB_RULES =
            Arrays.asList(
                    "meter_flink_project_job_completed_checkpoints",
                    "meter_flink_project_job_failed_checkpoints",
                    "meter_flink_project_job_last_checkpoint_duration_ms",
                    "meter_flink_project_job_last_checkpoint_size_bytes",
                    "meter_flink_project_job_restarts");
    private static final List<String> CLUSTER_RULES =
            Arrays.asList(
                    "meter_flink_project_cluster_running_jobs",
                    "meter_flink_project_cluster_taskmanagers");
    private static final List<String> TASK_MANAGER_RULES =
            Arrays.asList(
                    "meter_flink_project_tm_records_in_per_second",
                    "meter_flink_project_tm_records_out_per_second",
                    BACK_PRESSURED,
                    "meter_flink_project_tm_busiest_task_busy_ms_per_second",
                    "meter_flink_project_tm_network_memory_used_bytes",
                    "meter_flink_project_tm_network_memory_available_bytes",
                    "meter_flink_project_tm_managed_memory_used_bytes",
                    "meter_flink_project_tm_managed_memory_total_bytes",
                    "meter_flink_project_tm_heap_used_percent",
                    "meter_flink_project_tm_gc_time_ms_per_minute",
                    "meter_flink_project_tm_gc_count_per_minute");

    /**
     * Per-job rules over the TaskManagers' tasks, each TaskManager's number under its own label
     * taskManager_node, and how a user reads the job's figure: MQE sums or takes the maximum over
     * that label (flink-project-job-tasks.yaml says why).
     */
    private static final Map<String, String> JOB_TASK_RULES = new LinkedHashMap<>();

    static {
        JOB_TASK_RULES.put("meter_flink_project_job_records_in_per_second", "sum");
        JOB_TASK_RULES.put("meter_flink_project_job_records_out_per_second", "sum");
        JOB_TASK_RULES.put("meter_flink_project_job_max_backpressured_ms_per_second", "max");
        JOB_TASK_RULES.put("meter_flink_project_job_busiest_task_busy_ms_per_second", "max");
        JOB_TASK_RULES.put("meter_flink_project_job_watermark_lag_ms", "max");
        JOB_TASK_RULES.put("meter_flink_project_job_source_pending_records", "sum");
        JOB_TASK_RULES.put("meter_flink_project_job_source_fetch_lag_ms", "max");
    }

    private static final Pattern TASK_MANAGER_LABEL =
            Pattern.compile("\\{\"key\":\"taskManager_node\",\"value\":\"([^\"]+)\"\\}");
    private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]*)\"");
    private static final Pattern VALUE = Pattern.compile("\"value\":(null|\"(-?\\d+)\")");
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HHmm");

    private static EmbeddedPostgres postgres;
    private static OapServer oap;

    /** OAP 11's dynamic configuration, where the project's alarm rules go (docs/alarms.md). */
    private static DynamicConfigServer dynamicConfig;

    private static OapQueries queries;
    private static AlarmScenario alarms;
    private static Line line;
    private static long started;

    /** What the install command printed when it put the project's side on OAP 11. */
    private static String installed;

    /** SkyWalking's own Flink rules the OAP runs: its own from 10.3, else those given, or none. */
    private static Path skywalkingFlinkRules;

    @BeforeAll
    static void startOap() throws Exception {
        started = System.nanoTime();
        String home = System.getProperty("e2e.oap.home", "");
        Path work = Paths.get(requiredProperty("e2e.oap.work"));
        OapServer.Release release =
                home.isEmpty()
                        ? OapServer.Release.fromMaven(Paths.get(requiredProperty("e2e.oap.lib")))
                        : OapServer.Release.fromHome(Paths.get(home));
        line = release.line();
        if (!PROTOCOL.equals("grpc") && line != Line.OAP_11) {
            throw new IllegalArgumentException(
                    "-Doap.protocol="
                            + PROTOCOL
                            + ": OTLP/HTTP needs OAP 11; "
                            + release
                            + " is not");
        }
        String given = System.getProperty("e2e.oap.flink-rules", "");
        Path rules = given.isEmpty() ? null : Paths.get(given);
        if (release.needsPostgres()) {
            postgres = EmbeddedPostgres.start(work.resolve("postgres"));
            log("PostgreSQL on port %d after %d s", postgres.port, seconds(started));
        }
        if (line == Line.OAP_11) {
            dynamicConfig = new DynamicConfigServer();
        }
        oap =
                OapServer.start(
                        release,
                        Paths.get(requiredProperty("e2e.oap.config")),
                        rules,
                        postgres == null ? null : postgres.jdbcUrl(),
                        dynamicConfig == null ? 0 : dynamicConfig.port(),
                        work);
        oap.awaitReady(Duration.ofSeconds(300));
        queries = new OapQueries(oap);
        if (line == Line.OAP_11) {
            // As a user does: Horizon has written its templates; the install command adds the
            // rules and pages on the running OAP.
            seedHorizonTemplate();
            InstallRun run = InstallRun.of("install", "--admin", oap.adminUrl());
            log("install command, exit %d after %d s:%n%s", run.exit, seconds(started), run.output);
            assertThat(run.exit).as(run.output).isZero();
            installed = run.output;
            // The alarm rules name the rules just installed: through the dynamic configuration,
            // which the OAP reads while it runs (in alarm-settings.yml they would stop its start).
            dynamicConfig.set(
                    "alarm.default.alarm-settings",
                    OapServer.withProjectAlarmRules(oap.alarmSettings()));
            awaitAlarmRulesRunning(Duration.ofSeconds(120));
            log("the project's alarm rules run after %d s", seconds(started));
        }
        Path own = work.resolve("config").resolve("otel-rules").resolve("flink");
        skywalkingFlinkRules = Files.isDirectory(own) ? own : null;
        log(
                "%s ready after %d s, line %s (layer %s), SkyWalking's Flink rules: %s",
                release,
                seconds(started),
                line.dir.getFileName(),
                line.layer,
                skywalkingFlinkRules == null ? "none" : skywalkingFlinkRules);

        // The alarm rules need minutes of provoked conditions: their clusters run meanwhile.
        String version = versions().findFirst().get();
        alarms =
                AlarmScenario.start(
                        oap,
                        version,
                        Paths.get(requiredProperty("e2e.flink.dir"))
                                .resolve("flink-" + version)
                                .resolve("lib"),
                        work.resolve("alarm-clusters"),
                        Paths.get(requiredProperty("e2e.logs.dir")).resolve("oap-alarms"),
                        pluginJar(),
                        oap.endpoint(PROTOCOL),
                        reporterOptions());
    }

    @AfterAll
    static void stopOap() {
        if (alarms != null) {
            alarms.close();
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

    /**
     * The reporters' layer: their default FLINK from 10.3 on, GENERAL before (the docs say so); and
     * the protocol, when not the default gRPC.
     */
    private static Map<String, String> reporterOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        if (!line.flinkLayer()) {
            options.put("metrics.reporter.sw.layer", "GENERAL");
            options.put("events.reporter.sw.layer", "GENERAL");
        }
        if (!PROTOCOL.equals("grpc")) {
            for (String reporter : new String[] {"metrics", "traces", "events"}) {
                options.put(reporter + ".reporter.sw.protocol", PROTOCOL);
            }
        }
        return options;
    }

    static Stream<String> versions() {
        return StandaloneClusterIT.versions();
    }

    @Order(1)
    @ParameterizedTest(name = "Flink {0}")
    @MethodSource("versions")
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void theProjectsRulesShowTheJobOnARealOap(String version) throws Exception {
        long start = System.nanoTime();
        String cluster = "e2e-oap-" + version;
        StandaloneFlink.Layout layout =
                new StandaloneFlink.Layout(
                        version,
                        Paths.get(requiredProperty("e2e.flink.dir")).resolve("flink-" + version),
                        Paths.get(requiredProperty("e2e.logs.dir")).resolve("oap-" + version));
        Path jobJar =
                StandaloneFlink.jobJar(
                        ContinuousJob.class, layout.home.resolve("job").resolve("oap-job.jar"));
        StandaloneFlink flink =
                StandaloneFlink.prepareReporting(
                        layout, pluginJar(), oap.endpoint(PROTOCOL), cluster, reporterOptions());
        try {
            flink.start(TASK_MANAGERS);
            flink.awaitTaskManagers(TASK_MANAGERS, Duration.ofSeconds(120));
            String jobId = flink.submit(jobJar, ContinuousJob.class.getName(), 2, JOB);
            flink.awaitJobState(jobId, "RUNNING", Duration.ofSeconds(60));
            log("Flink %s: job RUNNING after %d s", version, seconds(start));

            String service = "flink::" + cluster;
            checkWhatSkyWalkingShows(service, flink, jobId, start);
            checkSkyWalkingsOwnFlinkMetrics(version, service);
            assertThat(queries.layersOf(service))
                    .as("the layers of %s: one service in one layer", service)
                    .containsExactly(line.layer);
            checkSpansShowAsZipkinTraces(version, service);
            checkEventsShow(version, service, "TaskManagerRegistered", null);
            checkEventsShow(version, service, "JobStatusChange", ENDPOINT);
            flink.cancel(jobId);
            flink.awaitJobState(jobId, "CANCELED", Duration.ofSeconds(60));
            checkEventsShow(
                    version,
                    service,
                    StandaloneClusterIT.olderThan(version, 2, 2) ? "JobEnded" : "JobStatusChange",
                    ENDPOINT,
                    "CANCELED",
                    "ended");
            assertThat(oap.problemsSinceReady())
                    .as("OAP errors (rejected OTLP requests, failing rules) in %s", oap.log)
                    .isEmpty();
        } catch (Throwable t) {
            System.err.println(
                    "The OAP test failed on Flink "
                            + version
                            + "; OAP log "
                            + oap.log
                            + ":\n"
                            + oap.tail(60)
                            + "\n"
                            + flink.tails(30));
            throw t;
        } finally {
            flink.close();
        }
    }

    /**
     * With {@code protocol: http/protobuf} events go as JSON to the OAP's REST port ({@code POST
     * /v3/events}); the real OAP takes them and shows them like those sent over gRPC.
     */
    @Order(3)
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void eventsOverHttpShowAsOverGrpc() throws Exception {
        // The contract checks before left problems of their own in the log on purpose.
        int problemsBefore = oap.problemsSinceReady().size();
        java.util.Properties options = new java.util.Properties();
        options.setProperty("endpoint", "http://127.0.0.1:" + oap.restPort);
        options.setProperty("protocol", "http/protobuf");
        options.setProperty("cluster", "contract-http");
        if (!line.flinkLayer()) {
            options.setProperty("layer", "GENERAL");
        }
        sendJobFailedEvent(options);
        checkEventsShow("http", "flink::contract-http", "JobStatusChange", "orders", "FAILED");
        assertThat(oap.problemsSinceReady())
                .as("OAP errors in %s", oap.log)
                .hasSize(problemsBefore);
    }

    /**
     * An OAP before 10.3 does not refuse an event of layer FLINK, which it does not know: it keeps
     * it with layer UNDEFINED (so the docs say to set layer GENERAL there). From 10.3 the layer is
     * the default and every other test sees it.
     */
    @Order(3)
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anOapBefore103KeepsAnEventOfLayerFlinkAsUndefined() throws Exception {
        Assumptions.assumeTrue(!line.flinkLayer(), "an OAP of 10.3 or later knows FLINK");
        java.util.Properties options = new java.util.Properties();
        options.setProperty("endpoint", oap.endpoint());
        options.setProperty("cluster", "contract-flink-layer");
        sendJobFailedEvent(options);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<String> layers = new ArrayList<>();
        while (layers.isEmpty() && System.nanoTime() < deadline) {
            for (org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode event :
                    queries.query(
                                    "query($c:EventQueryCondition){ queryEvents(condition:$c) {"
                                            + " events { name layer } } }",
                                    "c",
                                    java.util.Map.of(
                                            "source",
                                            java.util.Map.of(
                                                    "service", "flink::contract-flink-layer"),
                                            "time",
                                            OapQueries.lastMinutes(10),
                                            "paging",
                                            java.util.Map.of("pageNum", 1, "pageSize", 10)))
                            .path("queryEvents")
                            .path("events")) {
                layers.add(event.get("layer").asText());
            }
            if (layers.isEmpty()) {
                Thread.sleep(2000);
            }
        }
        log("an event of layer FLINK, kept by OAP %s with layer %s", oap.release.version, layers);
        assertThat(layers).containsExactly("UNDEFINED");
    }

    /** Job orders FAILED, through an event reporter of {@code options}, closed after. */
    private static void sendJobFailedEvent(java.util.Properties options) throws Exception {
        org.apache.flink.events.reporter.EventReporter reporter =
                new dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory()
                        .createEventReporter(options);
        reporter.open(new org.apache.flink.metrics.MetricConfig());
        try {
            reporter.notifyOfAddedEvent(
                    new org.apache.flink.events.EventBuilder(
                                    RealOapIT.class, "JobStatusChangeEvent")
                            .setObservedTsMillis(System.currentTimeMillis())
                            .setSeverity("INFO")
                            .setAttribute("newJobStatus", "FAILED")
                            .setAttribute("<job_name>", "orders")
                            .setAttribute("<job_id>", "0123456789abcdef")
                            .build());
        } finally {
            reporter.close();
        }
    }

    /**
     * The project's dashboards, put into config/ui-initialized-templates/custom/ as
     * docs/skywalking.md says, are loaded at start in the line's layer, beside SkyWalking's own;
     * the other way, the UI's import, is refused unless SW_ENABLE_UPDATE_UI_TEMPLATE is on.
     */
    @Order(4)
    @Test
    void theDashboardsLoadFromTheStartUpFolder() throws Exception {
        Assumptions.assumeTrue(line.booster(), "OAP 11 loads no dashboard files");
        List<String> templates = queries.templates();
        log(
                "%d dashboard templates; the project's: %s",
                templates.size(),
                templates.stream()
                        .filter(t -> t.startsWith("Flink-Project-"))
                        .collect(java.util.stream.Collectors.toList()));
        assertThat(templates)
                .contains(
                        "Flink-Project-Cluster " + line.layer + " Service",
                        "Flink-Project-TaskManager " + line.layer + " ServiceInstance",
                        "Flink-Project-Job " + line.layer + " Endpoint");
        // The UI's import is GraphQL addTemplate, which a default OAP refuses (docs/skywalking.md).
        org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode added =
                queries.query(
                                "mutation($s:NewDashboardSetting!){ addTemplate(setting:$s) {"
                                        + " status message } }",
                                "s",
                                java.util.Map.of(
                                        "configuration",
                                        SkyWalkingFiles.templates(line)
                                                .get(0)
                                                .get("configuration")
                                                .toString()))
                        .get("addTemplate");
        log("addTemplate on a default OAP: %s", added);
        assertThat(added.get("status").asBoolean()).isFalse();
        assertThat(added.get("message").asText()).contains("SW_ENABLE_UPDATE_UI_TEMPLATE");
        if (line.flinkLayer()) {
            assertThat(templates)
                    .as("SkyWalking's own Flink dashboards stay")
                    .contains(
                            "Flink-JobManager FLINK Service",
                            "Flink-TaskManager FLINK ServiceInstance",
                            "Flink-Job FLINK Endpoint");
        }
    }

    /**
     * On OAP 11 the install command put the rules and pages on the running OAP (see {@link
     * #startOap}): the rules through the runtime-rule API, the pages merged into the FLINK template
     * Horizon wrote, whose own content stays. A second run changes nothing and says so; check reads
     * it all back; a closed admin port is a failure naming the OAP's setting.
     */
    @Order(4)
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void theInstallCommandPutTheProjectsSideOnTheRunningOap() throws Exception {
        Assumptions.assumeTrue(line == Line.OAP_11, "the admin API is OAP 11's");
        for (Path rule : SkyWalkingFiles.files(Line.OAP_11.rules())) {
            String name = rule.toString().replaceAll("\\.yaml$", "");
            assertThat(installed).containsPattern("otel-rules/" + Pattern.quote(name) + " +added");
        }
        assertThat(installed).containsPattern("horizon.layer.FLINK +written");

        InstallRun again = InstallRun.of("install", "--admin", oap.adminUrl());
        log("install command again, exit %d:%n%s", again.exit, again.output);
        assertThat(again.exit).isZero();
        assertThat(again.output)
                .contains("No change: everything was installed already.")
                .doesNotContain(" added", " updated", " written");

        InstallRun check = InstallRun.of("check", "--admin", oap.adminUrl());
        log("check, exit %d:%n%s", check.exit, check.output);
        assertThat(check.exit).as(check.output).isZero();
        assertThat(check.output).contains("Everything is installed.");
        int alarmRules = SkyWalkingFiles.alarmRules().size();
        assertThat(check.output)
                .as("alarm rules, from the OAP's alarm-settings.yml")
                .contains(alarmRules + " of the project's " + alarmRules + " alarm rules run");

        // Horizon's own content stays beside the project's pages.
        JsonNode template =
                OapQueries.json(
                        OapQueries.json(oap.admin("/ui-management/templates/horizon.layer.FLINK"))
                                .get("configuration")
                                .asText());
        JsonNode content = template.get("content");
        assertThat(content.at("/dashboards/service/0/id").asText()).isEqualTo("jobs");
        assertThat(content.at("/components/traces").asBoolean()).isTrue();
        assertThat(content.at("/traces/source").asText()).isEqualTo("zipkin");
        JsonNode shipped =
                OapQueries.json(
                        new String(
                                Files.readAllBytes(SkyWalkingFiles.horizonPages()),
                                StandardCharsets.UTF_8));
        assertThat(content.get("dashboardExtPages")).isEqualTo(shipped.get("dashboardExtPages"));

        int closed = StandaloneFlink.freePort();
        InstallRun refused = InstallRun.of("install", "--admin", "http://127.0.0.1:" + closed);
        log("install command against a closed port, exit %d:%n%s", refused.exit, refused.output);
        assertThat(refused.exit).isEqualTo(1);
        assertThat(refused.output)
                .contains("nothing listens at http://127.0.0.1:" + closed)
                .contains("SW_ADMIN_SERVER");
    }

    /**
     * On OAP 11, after the alarm test: an operator restarts the OAP. The rules come back from its
     * storage, the pages stay in the template, and the alarm rules come back from the dynamic
     * configuration.
     */
    @Order(6)
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void afterARestartTheOapHasTheRulesPagesAndAlarmRulesAgain() throws Exception {
        Assumptions.assumeTrue(line == Line.OAP_11, "the admin API is OAP 11's");
        long restarting = System.nanoTime();
        oap.restart();
        oap.awaitReady(Duration.ofSeconds(300));
        log("restarted in %d s", seconds(restarting));
        awaitAlarmRulesRunning(Duration.ofSeconds(180));
        InstallRun check = InstallRun.of("check", "--admin", oap.adminUrl());
        log("check after the restart, exit %d:%n%s", check.exit, check.output);
        assertThat(check.exit).as(check.output).isZero();
        assertThat(oap.problemsSinceReady()).as("OAP errors in %s", oap.log).isEmpty();
    }

    /** Waits until the OAP runs every alarm rule of the project's (its status API says so). */
    private static void awaitAlarmRulesRunning(Duration timeout) throws Exception {
        List<String> expected = new ArrayList<>();
        for (SkyWalkingFiles.AlarmRule rule : SkyWalkingFiles.alarmRules()) {
            expected.add(rule.name);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        String running = "";
        while (System.nanoTime() < deadline) {
            running = oap.admin("/status/alarm/rules");
            String seen = running;
            if (expected.stream().allMatch(r -> seen.contains("\"" + r + "\""))) {
                return;
            }
            Thread.sleep(2000);
        }
        throw new AssertionError(
                "the OAP does not run the project's alarm rules "
                        + expected
                        + " after "
                        + timeout
                        + " (configuration center asked "
                        + dynamicConfig.calls()
                        + " times): "
                        + running
                        + "\n"
                        + oap.tail(40));
    }

    /** What Horizon does at its first start: writes its FLINK template into the OAP. */
    private static void seedHorizonTemplate() throws Exception {
        String response =
                oap.admin(
                        "/ui-management/templates",
                        "POST",
                        OapQueries.write(
                                Map.of(
                                        "id",
                                        "horizon.layer.FLINK",
                                        "configuration",
                                        HORIZON_FLINK_TEMPLATE)));
        log("Horizon's FLINK template written: %s", response);
    }

    /** The install command, run from the plugin jar as a user runs it: {@code java -jar}. */
    private static final class InstallRun {
        final int exit;
        final String output;

        private InstallRun(int exit, String output) {
            this.exit = exit;
            this.output = output;
        }

        static InstallRun of(String... args) throws Exception {
            List<String> command = new ArrayList<>();
            command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-jar");
            command.add(pluginJar().toString());
            command.addAll(Arrays.asList(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                byte[] output = process.getInputStream().readAllBytes();
                assertThat(process.waitFor(240, TimeUnit.SECONDS))
                        .as("the install command ends")
                        .isTrue();
                return new InstallRun(
                        process.exitValue(), new String(output, StandardCharsets.UTF_8));
            } finally {
                process.destroyForcibly();
            }
        }
    }

    /**
     * Each alarm rule of skywalking/alarm-settings-flink.yml fires on what {@link AlarmScenario}
     * provoked, with its message and level, and none on the healthy job, its cluster and
     * TaskManager.
     */
    @Order(5)
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void everyAlarmRuleFiresWhenProvokedAndStaysQuietOnAHealthyJob() throws Exception {
        try {
            alarms.awaitAlarms(Duration.ofMinutes(12), SkyWalkingFiles.alarmRules());
            assertThat(oap.problemsSinceReady())
                    .as("OAP errors in %s", oap.log)
                    .noneMatch(l -> l.toLowerCase(java.util.Locale.ROOT).contains("alarm"));
        } catch (Throwable t) {
            System.err.println(
                    "The alarm test failed; OAP log "
                            + oap.log
                            + ":\n"
                            + oap.tail(60)
                            + "\n"
                            + alarms.tails(30));
            throw t;
        }
    }

    /**
     * What docs/skywalking.md and the contract say the OAP does with requests a careless reporter
     * could send, seen on the OAP itself: a summary that repeats a quantile fails the whole request
     * (UNKNOWN; its other samples are lost); a NaN in a sum leaves no value; a request over 50 MiB
     * is refused with RESOURCE_EXHAUSTED. A well-formed request beside them shows.
     */
    @Order(2)
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void theOapHandlesWhatTheReporterAvoidsAsTheDocsSay() throws Exception {
        ManagedChannel channel =
                NettyChannelBuilder.forAddress("127.0.0.1", oap.grpcPort).usePlaintext().build();
        try {
            MetricsServiceGrpc.MetricsServiceBlockingStub stub =
                    MetricsServiceGrpc.newBlockingStub(channel);
            stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .export(request("contract-ok", backPressured(1, 1)));

            Metric duplicateQuantile =
                    Metric.newBuilder()
                            .setName("flink_taskmanager_job_task_latency")
                            .setSummary(
                                    Summary.newBuilder()
                                            .addDataPoints(
                                                    SummaryDataPoint.newBuilder()
                                                            .setTimeUnixNano(now())
                                                            .setCount(2)
                                                            .addQuantileValues(quantile(1.0, 2))
                                                            .addQuantileValues(quantile(1.0, 2))))
                            .build();
            assertThatThrownBy(
                            () ->
                                    stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                                            .export(
                                                    request(
                                                            "contract-duplicate",
                                                            backPressured(1, 1),
                                                            duplicateQuantile)))
                    .isInstanceOf(StatusRuntimeException.class)
                    .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
                    .isEqualTo(Status.Code.UNKNOWN);

            stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .export(request("contract-nan", backPressured(Double.NaN, 1)));

            // One data point with a 51 MiB label: over the OAP's 50 MiB message limit.
            char[] big = new char[51 * 1024 * 1024];
            Arrays.fill(big, 'x');
            Metric oversized =
                    backPressured(1, 1).toBuilder().setName("x" + new String(big)).build();
            // The OAP refuses it with RESOURCE_EXHAUSTED and resets the stream; a client still
            // sending sees the reset first, as CANCELLED.
            assertThatThrownBy(
                            () ->
                                    stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                                            .export(request("contract-oversize", oversized)))
                    .isInstanceOf(StatusRuntimeException.class)
                    .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
                    .isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.CANCELLED);
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(10, TimeUnit.SECONDS);
        }

        // The well-formed request shows; by then the others would have too.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Long ok = null;
        while (ok == null && System.nanoTime() < deadline) {
            ok =
                    latest(
                            query(
                                    "flink::contract-ok",
                                    BACK_PRESSURED,
                                    "\"serviceInstanceName\":\"tm_a\""));
            if (ok == null) {
                Thread.sleep(2000); // the OAP writes minute values every 5 s
            }
        }
        assertThat(ok).as("the well-formed request's value").isEqualTo(2L);
        // The services list comes from a cache (refreshed every 10 s on 10.4): wait until it
        // shows the request accepted after the refused ones, then those are known to be absent.
        List<String> listed = services();
        long listedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!listed.containsAll(Arrays.asList("flink::contract-ok", "flink::contract-nan"))
                && System.nanoTime() < listedBy) {
            Thread.sleep(2000);
            listed = services();
        }
        assertThat(listed)
                .contains("flink::contract-ok", "flink::contract-nan")
                .doesNotContain("flink::contract-duplicate", "flink::contract-oversize");
        Long nan =
                latest(
                        query(
                                "flink::contract-nan",
                                BACK_PRESSURED,
                                "\"serviceInstanceName\":\"tm_a\""));
        log("isBackPressured [1, 1] sums to %s; [NaN, 1] to %s", ok, nan);
        assertThat(nan).as("a NaN spoils the sum that [1, 1] gives").isNotEqualTo(ok);
        assertThat(oap.linesSinceReady())
                .as("the OAP's own account of the failed requests")
                .anyMatch(l -> l.contains("Duplicate key"))
                .anyMatch(
                        l ->
                                l.contains(
                                        "RESOURCE_EXHAUSTED: gRPC message exceeds maximum size 52428800"));
    }

    private static ExportMetricsServiceRequest request(String cluster, Metric... metrics) {
        Resource resource =
                Resource.newBuilder()
                        .addAttributes(attribute("service.name", "flink-taskManager-monitoring"))
                        .addAttributes(attribute("cluster", cluster))
                        .addAttributes(attribute("taskManager_node", "tm_a"))
                        .build();
        return ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(
                        ResourceMetrics.newBuilder()
                                .setResource(resource)
                                .addScopeMetrics(
                                        ScopeMetrics.newBuilder()
                                                .addAllMetrics(Arrays.asList(metrics))))
                .build();
    }

    /** isBackPressured of two tasks of one job, which the project's rule sums per TaskManager. */
    private static Metric backPressured(double taskA, double taskB) {
        return Metric.newBuilder()
                .setName("flink_taskmanager_job_task_isBackPressured")
                .setGauge(
                        Gauge.newBuilder()
                                .addDataPoints(point("a", taskA))
                                .addDataPoints(point("b", taskB)))
                .build();
    }

    private static NumberDataPoint point(String task, double value) {
        return NumberDataPoint.newBuilder()
                .setTimeUnixNano(now())
                .setAsDouble(value)
                .addAttributes(attribute("flink_job_name", "contract_job"))
                .addAttributes(attribute("task_name", task))
                .build();
    }

    private static SummaryDataPoint.ValueAtQuantile quantile(double q, double value) {
        return SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(q).setValue(value).build();
    }

    private static KeyValue attribute(String key, String value) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build();
    }

    private static boolean positive(Map<String, Long> values, String... rules) {
        for (String rule : rules) {
            Long value = values.get(rule);
            if (value == null || value <= 0) {
                return false;
            }
        }
        return true;
    }

    private static long now() {
        return TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    }

    private static void checkWhatSkyWalkingShows(
            String service, StandaloneFlink flink, String jobId, long started) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        Map<String, Long> values = new LinkedHashMap<>();
        List<String> instances = new ArrayList<>();
        while (true) {
            flink.checkAlive();
            values.clear();
            instances.clear();
            instances.addAll(instances(service));
            for (String rule : JOB_RULES) {
                putLatest(
                        values,
                        rule,
                        query(service, rule, "\"endpointName\":\"" + ENDPOINT + "\""));
            }
            for (Map.Entry<String, String> rule : JOB_TASK_RULES.entrySet()) {
                putLatest(
                        values,
                        rule.getKey(),
                        query(
                                service,
                                "aggregate_labels(" + rule.getKey() + "," + rule.getValue() + ")",
                                "\"endpointName\":\"" + ENDPOINT + "\""));
            }
            for (String rule : CLUSTER_RULES) {
                Long value = queries.latest(rule, OapQueries.entity(service, null, null));
                if (value != null) {
                    values.put(rule, value);
                }
            }
            for (String instance : instances) {
                for (String rule : TASK_MANAGER_RULES) {
                    Long value =
                            latest(
                                    query(
                                            service,
                                            rule,
                                            "\"serviceInstanceName\":\"" + instance + "\""));
                    if (value != null) {
                        values.merge(rule, value, Math::max);
                    }
                }
            }
            // Every value the checks below need above zero: in the job's first minute the OAP's
            // minute average can still be 0 while back pressure builds up.
            boolean complete =
                    instances.size() == TASK_MANAGERS
                            && values.keySet().containsAll(JOB_RULES)
                            && values.keySet().containsAll(TASK_MANAGER_RULES)
                            && values.keySet().containsAll(JOB_TASK_RULES.keySet())
                            && values.keySet().containsAll(CLUSTER_RULES)
                            // A minute's fewest TaskManagers and most jobs: the minute the
                            // cluster started in has fewer.
                            && values.get("meter_flink_project_cluster_running_jobs") == 1
                            && values.get("meter_flink_project_cluster_taskmanagers")
                                    == TASK_MANAGERS
                            && positive(
                                    values,
                                    "meter_flink_project_job_source_pending_records",
                                    "meter_flink_project_job_completed_checkpoints",
                                    "meter_flink_project_tm_records_in_per_second",
                                    "meter_flink_project_job_max_backpressured_ms_per_second",
                                    "meter_flink_project_job_busiest_task_busy_ms_per_second",
                                    "meter_flink_project_job_watermark_lag_ms",
                                    "meter_flink_project_job_source_fetch_lag_ms",
                                    BACK_PRESSURED);
            if (complete || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(2000); // the OAP writes minute values every 5 s
        }
        log("values after %d s: %s, instances %s", seconds(started), values, instances);
        assertThat(services()).as("services in layer %s", line.layer).contains(service);
        assertThat(instances).as("one SkyWalking instance per TaskManager").hasSize(TASK_MANAGERS);
        Set<String> checked = new HashSet<>(JOB_RULES);
        checked.addAll(TASK_MANAGER_RULES);
        checked.addAll(JOB_TASK_RULES.keySet());
        checked.addAll(CLUSTER_RULES);
        assertThat(checked)
                .as("the rules this test reads are the rules the project ships")
                .isEqualTo(SkyWalkingFiles.ruleMetrics(line));
        assertThat(values.keySet()).as("every project rule has a value").containsAll(checked);
        assertThat(values.get("meter_flink_project_cluster_running_jobs")).isEqualTo(1L);
        assertThat(values.get("meter_flink_project_cluster_taskmanagers"))
                .isEqualTo((long) TASK_MANAGERS);
        assertThat(values.get("meter_flink_project_job_restarts")).isZero();
        assertThat(values.get("meter_flink_project_tm_heap_used_percent")).isBetween(1L, 100L);
        assertThat(values.get("meter_flink_project_tm_records_in_per_second")).isPositive();
        assertThat(values.get("meter_flink_project_tm_records_out_per_second")).isPositive();
        assertThat(values.get("meter_flink_project_tm_backpressured_tasks"))
                .as("the job's source is back-pressured by its slow map")
                .isGreaterThanOrEqualTo(1);
        assertThat(values.get("meter_flink_project_tm_busiest_task_busy_ms_per_second"))
                .isPositive();
        assertThat(values.get("meter_flink_project_tm_network_memory_available_bytes"))
                .isPositive();
        long managedTotal = values.get("meter_flink_project_tm_managed_memory_total_bytes");
        assertThat(managedTotal).isPositive();
        assertThat(values.get("meter_flink_project_tm_managed_memory_used_bytes"))
                .as("this job keeps its state on the heap: little or no managed memory in use")
                .isBetween(0L, managedTotal);
        checkJobTaskRules(service, values);
        checkDashboardExpressions(service, instances.get(0));
        // A checkpoint triggered before every task runs fails, and Flink counts it: the OAP shows
        // at most what Flink's own REST API counts.
        Matcher failed =
                Pattern.compile("\"failed\":(\\d+)")
                        .matcher(flink.get("/jobs/" + jobId + "/checkpoints"));
        assertThat(failed.find()).isTrue();
        assertThat(values.get("meter_flink_project_job_failed_checkpoints"))
                .isBetween(0L, Long.parseLong(failed.group(1)));

        // Completed checkpoints grow: the minute's value rises as new samples arrive.
        long before = values.get("meter_flink_project_job_completed_checkpoints");
        assertThat(before).isPositive();
        long since = System.nanoTime();
        long growBy = since + TimeUnit.SECONDS.toNanos(90);
        Long after = before;
        while (after != null && after <= before && System.nanoTime() < growBy) {
            Thread.sleep(2000); // the OAP writes minute values every 5 s
            after =
                    latest(
                            query(
                                    service,
                                    "meter_flink_project_job_completed_checkpoints",
                                    "\"endpointName\":\"" + ENDPOINT + "\""));
        }
        log("completed checkpoints %d, %d s later %d", before, seconds(since), after);
        assertThat(after).isGreaterThan(before);
    }

    /**
     * Every metric of SkyWalking's own Flink rules has a value for its entity: the cluster's
     * service, each TaskManager instance, the job's endpoint. On 10.3 and later these are the OAP's
     * own rules; before, SkyWalking's rules loaded as docs/skywalking.md says, when given.
     */
    private static void checkSkyWalkingsOwnFlinkMetrics(String version, String service)
            throws Exception {
        if (skywalkingFlinkRules == null) {
            log(
                    "Flink %s: SkyWalking's Flink metrics not checked: this OAP has no Flink rules"
                            + " (give -Doap.flink-rules=<10.3+ home>/config/otel-rules/flink)",
                    version);
            return;
        }
        Map<String, String> metrics = SkyWalkingFiles.metricsByEntity(skywalkingFlinkRules);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        List<String> missing = new ArrayList<>();
        List<String> instances = instances(service);
        while (true) {
            missing.clear();
            for (Map.Entry<String, String> metric : metrics.entrySet()) {
                boolean found = false;
                for (String instance :
                        metric.getValue().equals("ServiceInstance")
                                ? instances
                                : Arrays.asList((String) null)) {
                    Map<String, Object> entity =
                            OapQueries.entity(
                                    service,
                                    instance,
                                    metric.getValue().equals("Endpoint") ? ENDPOINT : null);
                    found |= queries.latest(metric.getKey(), entity) != null;
                }
                if (!found) {
                    missing.add(metric.getKey());
                }
            }
            if (missing.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(5000);
        }
        log(
                "Flink %s: %d of SkyWalking's %d Flink metrics have a value; none: %s",
                version, metrics.size() - missing.size(), metrics.size(), missing);
        assertThat(metrics).as("SkyWalking's Flink metrics").hasSizeGreaterThan(40);
        assertThat(missing).as("SkyWalking's Flink metrics without a value").isEmpty();
    }

    /** The per-job rules over the TaskManagers' tasks, read as a user would. */
    private static void checkJobTaskRules(String service, Map<String, Long> values)
            throws Exception {
        // The job's tasks run on both TaskManagers: each keeps its own number under its label.
        Set<String> byTaskManager = new TreeSet<>();
        Matcher label =
                TASK_MANAGER_LABEL.matcher(
                        query(
                                service,
                                "meter_flink_project_job_records_in_per_second",
                                "\"endpointName\":\"" + ENDPOINT + "\""));
        while (label.find()) {
            byTaskManager.add(label.group(1));
        }
        log("job records in per second, per TaskManager label: %s", byTaskManager);
        assertThat(byTaskManager).as("taskManager_node labels of the job's records").hasSize(2);

        assertThat(values.get("meter_flink_project_job_records_in_per_second")).isPositive();
        assertThat(values.get("meter_flink_project_job_records_out_per_second")).isPositive();
        assertThat(values.get("meter_flink_project_job_max_backpressured_ms_per_second"))
                .as("the source waits for the slow map most of the time")
                .isBetween(1L, 1000L);
        assertThat(values.get("meter_flink_project_job_busiest_task_busy_ms_per_second"))
                .as("the slow map is busy")
                .isBetween(1L, 1000L);
        assertThat(values.get("meter_flink_project_job_watermark_lag_ms"))
                .as(
                        "records wait in the slow map's queue: its watermark is behind, by less than"
                                + " the job has run")
                .isBetween(1L, 600_000L);
        // The test source reports a backlog against a producer of 2000 records a second per
        // reader, which the slow map cannot keep up with (ContinuousJob.BacklogNumbers).
        assertThat(values.get("meter_flink_project_job_source_pending_records")).isPositive();
        assertThat(values.get("meter_flink_project_job_source_fetch_lag_ms"))
                .isBetween(1L, 600_000L);
    }

    /**
     * Every widget of the line's dashboard templates (ui-initialized-templates/custom/) shows a
     * value on the OAP, for its entity: an expression the OAP cannot run answers with an error and
     * no value.
     */
    private static void checkDashboardExpressions(String service, String instance)
            throws Exception {
        int checked = 0;
        for (SkyWalkingFiles.Expression e : SkyWalkingFiles.expressions(line)) {
            String entity =
                    e.entity.equals("Endpoint")
                            ? "\"endpointName\":\"" + ENDPOINT + "\""
                            : "\"serviceInstanceName\":\"" + instance + "\"";
            String response = query(service, e.expression.replace("\"", "\\\""), entity);
            assertThat(response).as("%s on the OAP", e).contains("\"error\":null");
            // Widgets that divide (bytes to MB) show fractions.
            assertThat(response)
                    .as("a value of %s", e)
                    .containsPattern("\"value\":\"-?[0-9][0-9.E-]*\"");
            checked++;
        }
        log("%d dashboard widget expressions show values", checked);
    }

    private static List<String> services() throws Exception {
        return names(
                oap.graphql(
                        OapQueries.request(
                                "query($l:String!){ listServices(layer:$l) { name } }",
                                "l",
                                line.layer)));
    }

    private static List<String> instances(String service) throws Exception {
        String serviceId =
                oap.graphql(
                        "{\"query\":\"query { findService(serviceName: \\\""
                                + service
                                + "\\\") { id } }\"}");
        Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(serviceId);
        if (!id.find()) {
            return new ArrayList<>();
        }
        return names(
                oap.graphql(
                        "{\"query\":\"query($d:Duration!,$id:ID!){ listInstances(duration:$d,"
                                + " serviceId:$id) { name } }\",\"variables\":{\"d\":"
                                + duration()
                                + ",\"id\":\""
                                + id.group(1)
                                + "\"}}"));
    }

    /**
     * Flink 1.19 and later report checkpoint spans; the OAP's otlp-traces handler keeps them as
     * Zipkin traces, read back through its Zipkin API under the cluster's service.
     */
    private static void checkSpansShowAsZipkinTraces(String version, String service)
            throws Exception {
        if (StandaloneClusterIT.olderThan(version, 1, 19)) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String traces = "";
        while (System.nanoTime() < deadline) {
            // endTs given: OAP 11 answers no trace without it (earlier lines take "now").
            traces =
                    oap.zipkin(
                            "/api/v2/traces?limit=20&lookback=3600000&endTs="
                                    + System.currentTimeMillis()
                                    + "&serviceName="
                                    + java.net.URLEncoder.encode(service, StandardCharsets.UTF_8));
            if (traces.contains("\"name\":\"checkpoint\"")) {
                break;
            }
            Thread.sleep(2000);
        }
        Matcher tags = Pattern.compile("\"checkpointStatus\":\"([A-Z_]+)\"").matcher(traces);
        Set<String> statuses = new TreeSet<>();
        while (tags.find()) {
            statuses.add(tags.group(1));
        }
        log(
                "Flink %s: Zipkin traces of %s: %d checkpoint spans, statuses %s",
                version, service, count(traces, "\"name\":\"checkpoint\""), statuses);
        assertThat(traces).as("Zipkin traces of %s", service).contains("\"name\":\"checkpoint\"");
        assertThat(statuses).contains("COMPLETED");
    }

    /**
     * The OAP shows an event of this name on the cluster's service (and on the job's endpoint when
     * given), whose message holds one of {@code messageParts} when any are given.
     */
    private static void checkEventsShow(
            String version, String service, String name, String endpoint, String... messageParts)
            throws Exception {
        String source =
                "{service: \\\""
                        + service
                        + "\\\""
                        + (endpoint == null ? "" : ", endpoint: \\\"" + endpoint + "\\\"")
                        + "}";
        String body =
                "{\"query\":\"query { queryEvents(condition: {source: "
                        + source
                        + ", name: \\\""
                        + name
                        + "\\\", time: "
                        + inlineDuration()
                        + ", paging: {pageNum: 1, pageSize: 50}}) { events { name type message"
                        + " layer source { service serviceInstance endpoint } startTime endTime } } }\"}";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String response = "";
        while (System.nanoTime() < deadline) {
            response = oap.graphql(body);
            if (response.contains("\"name\":\"" + name + "\"")
                    && containsAny(response, messageParts)) {
                break;
            }
            Thread.sleep(2000);
        }
        Matcher messages = Pattern.compile("\"message\":\"([^\"]*)\"").matcher(response);
        List<String> seen = new ArrayList<>();
        while (messages.find()) {
            seen.add(messages.group(1));
        }
        log(
                "Flink %s: OAP events %s%s: %s",
                version, name, endpoint == null ? "" : " on " + endpoint, seen);
        assertThat(response)
                .as("events named %s of %s", name, service)
                .contains("\"name\":\"" + name + "\"");
        assertThat(containsAny(response, messageParts))
                .as("an event %s saying one of %s", name, Arrays.toString(messageParts))
                .isTrue();
        assertThat(response).contains("\"layer\":\"" + line.layer + "\"");
    }

    private static boolean containsAny(String text, String... parts) {
        if (parts.length == 0) {
            return true;
        }
        for (String part : parts) {
            if (text.contains(part)) {
                return true;
            }
        }
        return false;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static String query(String service, String expression, String entity) throws Exception {
        return oap.graphql(
                "{\"query\":\"query($e:String!,$ent:Entity!,$d:Duration!){ execExpression("
                        + "expression:$e, entity:$ent, duration:$d){ type error results {"
                        + " metric { labels { key value } } values { value } } } }\","
                        + "\"variables\":{\"e\":\""
                        + expression
                        + "\",\"ent\":{\"serviceName\":\""
                        + service
                        + "\",\"normal\":true,"
                        + entity
                        + "},\"d\":"
                        + duration()
                        + "}}");
    }

    /** The last few minutes, written inside a GraphQL query that is itself a JSON string. */
    private static String inlineDuration() {
        LocalDateTime now = LocalDateTime.now();
        return "{start: \\\""
                + MINUTE.format(now.minusMinutes(10))
                + "\\\", end: \\\""
                + MINUTE.format(now.plusMinutes(1))
                + "\\\", step: MINUTE}";
    }

    private static String duration() {
        LocalDateTime now = LocalDateTime.now();
        return "{\"start\":\""
                + MINUTE.format(now.minusMinutes(5))
                + "\",\"end\":\""
                + MINUTE.format(now)
                + "\",\"step\":\"MINUTE\"}";
    }

    private static void putLatest(Map<String, Long> values, String rule, String response) {
        Long value = latest(response);
        if (value != null) {
            values.put(rule, value);
        }
    }

    /** The value of the latest minute that has one. */
    private static Long latest(String response) {
        Long last = null;
        Matcher m = VALUE.matcher(response);
        while (m.find()) {
            if (m.group(2) != null) {
                last = Long.parseLong(m.group(2));
            }
        }
        return last;
    }

    private static List<String> names(String response) {
        List<String> names = new ArrayList<>();
        Matcher m = NAME.matcher(response);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static long seconds(long startNanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    }

    private static void log(String format, Object... args) {
        System.out.println(
                "[OAP "
                        + (oap == null ? "" : oap.release.version)
                        + "] "
                        + String.format(format, args));
    }
}
