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
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real Flink processes (2.3.0, the shaded jar from plugins/) report to a real SkyWalking OAP 10.1.0
 * that runs the project's own rules (skywalking/otel-rules/flink-project/); the test reads back
 * what SkyWalking shows through the OAP's own GraphQL and MQE API.
 *
 * <p>System properties (set by the pom): {@code e2e.oap.lib}, {@code e2e.oap.config}, {@code
 * e2e.oap.rules}, {@code e2e.oap.work} and those of {@link StandaloneClusterIT}.
 */
class RealOapIT {

    private static final String VERSION = "2.3.0";
    private static final String CLUSTER = "e2e-oap";
    private static final String SERVICE = "flink::" + CLUSTER;
    private static final String JOB = "e2e-oap-job";
    private static final String ENDPOINT = "e2e_oap_job";
    private static final int TASK_MANAGERS = 2;

    private static final List<String> JOB_RULES =
            Arrays.asList(
                    "meter_flink_project_job_completed_checkpoints",
                    "meter_flink_project_job_failed_checkpoints",
                    "meter_flink_project_job_last_checkpoint_duration_ms",
                    "meter_flink_project_job_last_checkpoint_size_bytes");
    private static final List<String> TASK_MANAGER_RULES =
            Arrays.asList(
                    "meter_flink_project_tm_records_in_per_second",
                    "meter_flink_project_tm_records_out_per_second",
                    "meter_flink_project_tm_backpressured_tasks",
                    "meter_flink_project_tm_busiest_task_busy_ms_per_second");

    private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]*)\"");
    private static final Pattern VALUE = Pattern.compile("\"value\":(null|\"(-?\\d+)\")");
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HHmm");

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void theProjectsRulesShowTheJobOnARealOap() throws Exception {
        long started = System.nanoTime();
        Path target = Paths.get(requiredProperty("e2e.flink.dir"));
        try (OapServer oap =
                OapServer.start(
                        Paths.get(requiredProperty("e2e.oap.lib")),
                        Paths.get(requiredProperty("e2e.oap.config")),
                        Paths.get(requiredProperty("e2e.oap.rules")),
                        Paths.get(requiredProperty("e2e.oap.work")))) {
            oap.awaitReady(Duration.ofSeconds(120));
            log("OAP ready after %d s", seconds(started));

            StandaloneFlink.Layout layout =
                    new StandaloneFlink.Layout(
                            VERSION,
                            target.resolve("flink-" + VERSION),
                            Paths.get(requiredProperty("e2e.logs.dir")).resolve("oap-" + VERSION));
            Map<String, String> reporter = new LinkedHashMap<>();
            reporter.put("metrics.reporter.sw.factory.class", StandaloneFlink.FACTORY);
            reporter.put("metrics.reporter.sw.endpoint", oap.endpoint());
            reporter.put("metrics.reporter.sw.cluster", CLUSTER);
            reporter.put("metrics.reporter.sw.interval", "1 s");
            List<String> jvmFlags =
                    Arrays.stream(System.getProperty("e2e.jvm.flags", "").trim().split("\\s+"))
                            .filter(s -> !s.isEmpty())
                            .collect(Collectors.toList());
            Path jobJar =
                    StandaloneFlink.jobJar(
                            ContinuousJob.class, layout.home.resolve("job").resolve("oap-job.jar"));
            StandaloneFlink flink =
                    StandaloneFlink.prepare(layout, pluginJar(), jvmFlags, reporter);
            try {
                flink.start(TASK_MANAGERS);
                flink.awaitTaskManagers(TASK_MANAGERS, Duration.ofSeconds(120));
                String jobId = flink.submit(jobJar, ContinuousJob.class.getName(), 2, JOB);
                flink.awaitJobState(jobId, "RUNNING", Duration.ofSeconds(60));
                log("job RUNNING after %d s", seconds(started));

                checkWhatSkyWalkingShows(oap, flink, jobId, started);
                assertThat(oap.problemsSinceReady())
                        .as("OAP errors (rejected OTLP requests, failing rules) in %s", oap.log)
                        .isEmpty();
            } catch (Throwable t) {
                System.err.println(
                        "The OAP test failed; OAP log "
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
    }

    private static void checkWhatSkyWalkingShows(
            OapServer oap, StandaloneFlink flink, String jobId, long started) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        Map<String, Long> values = new LinkedHashMap<>();
        List<String> instances = new ArrayList<>();
        while (true) {
            flink.checkAlive();
            values.clear();
            instances.clear();
            instances.addAll(instances(oap));
            for (String rule : JOB_RULES) {
                putLatest(values, rule, query(oap, rule, "\"endpointName\":\"" + ENDPOINT + "\""));
            }
            for (String instance : instances) {
                for (String rule : TASK_MANAGER_RULES) {
                    Long value =
                            latest(
                                    query(
                                            oap,
                                            rule,
                                            "\"serviceInstanceName\":\"" + instance + "\""));
                    if (value != null) {
                        values.merge(rule, value, Math::max);
                    }
                }
            }
            boolean complete =
                    instances.size() == TASK_MANAGERS
                            && values.keySet().containsAll(JOB_RULES)
                            && values.keySet().containsAll(TASK_MANAGER_RULES)
                            && values.get("meter_flink_project_job_completed_checkpoints") > 0
                            && values.get("meter_flink_project_tm_records_in_per_second") > 0;
            if (complete || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(2000); // the OAP writes minute values every 5 s
        }
        log("values after %d s: %s, instances %s", seconds(started), values, instances);
        assertThat(services(oap)).as("services in layer GENERAL").contains(SERVICE);
        assertThat(instances).as("one SkyWalking instance per TaskManager").hasSize(TASK_MANAGERS);
        assertThat(values.keySet())
                .as("every project rule has a value")
                .containsAll(JOB_RULES)
                .containsAll(TASK_MANAGER_RULES);
        assertThat(values.get("meter_flink_project_tm_records_in_per_second")).isPositive();
        assertThat(values.get("meter_flink_project_tm_records_out_per_second")).isPositive();
        assertThat(values.get("meter_flink_project_tm_backpressured_tasks"))
                .as("the job's source is back-pressured by its slow map")
                .isGreaterThanOrEqualTo(1);
        assertThat(values.get("meter_flink_project_tm_busiest_task_busy_ms_per_second"))
                .isPositive();
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
        Thread.sleep(12_000);
        Long after =
                latest(
                        query(
                                oap,
                                "meter_flink_project_job_completed_checkpoints",
                                "\"endpointName\":\"" + ENDPOINT + "\""));
        log("completed checkpoints %d, 12 s later %d", before, after);
        assertThat(after).isGreaterThan(before);
    }

    private static List<String> services(OapServer oap) throws Exception {
        return names(
                oap.graphql(
                        "{\"query\":\"query { listServices(layer: \\\"GENERAL\\\") { name } }\"}"));
    }

    private static List<String> instances(OapServer oap) throws Exception {
        String serviceId =
                oap.graphql(
                        "{\"query\":\"query { findService(serviceName: \\\""
                                + SERVICE
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

    /** An MQE query over the last minutes for one entity of the service. */
    private static String query(OapServer oap, String expression, String entity) throws Exception {
        return oap.graphql(
                "{\"query\":\"query($e:String!,$ent:Entity!,$d:Duration!){ execExpression("
                        + "expression:$e, entity:$ent, duration:$d){ type error results {"
                        + " values { value } } } }\",\"variables\":{\"e\":\""
                        + expression
                        + "\",\"ent\":{\"serviceName\":\""
                        + SERVICE
                        + "\",\"normal\":true,"
                        + entity
                        + "},\"d\":"
                        + duration()
                        + "}}");
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
        System.out.println("[OAP 10.1.0] " + String.format(format, args));
    }
}
