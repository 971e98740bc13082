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

import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkJobLabels;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkNoPointJobName;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkNoRunningJobs;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkNoSeriesOfJob;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkOnlyContractOrOwnNames;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkRecordsOutGrows;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkUniqueWithinRequest;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.checkValuesFinite;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.jobManagerNames;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.labelValues;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.names;
import static dev.flinkmetrics.skywalking.e2e.ContractAssertions.taskManagerNames;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Received;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Sample;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plugin in real Flink processes: for each Flink version, a distribution assembled from Maven
 * Central (by the pom, into {@code target/flink-<version>/lib}) gets the freshly built shaded jar
 * under {@code plugins/skywalking/}, a JobManager JVM and two TaskManager JVMs start on 127.0.0.1,
 * a continuous job is submitted as a jar over REST, and what reaches an OTLP receiver in this JVM
 * is checked against the SkyWalking contract. Logs of every run stay under {@code
 * target/e2e-logs/<version>/}; their tail is printed when a run fails.
 *
 * <p>System properties (set by the pom): {@code e2e.flink.versions}, {@code e2e.flink.dir}, {@code
 * e2e.plugin.jar}, {@code e2e.logs.dir}, {@code e2e.jvm.flags}.
 */
class StandaloneClusterIT {

    private static final String JOB_NAME = "e2e-job";
    private static final String JOB_LABEL = "e2e_job";
    private static final String JM_SERVICE = "flink-jobManager-monitoring";
    private static final String TM_SERVICE = "flink-taskManager-monitoring";
    private static final int TASK_MANAGERS = 2;

    /** A log line of level WARN or ERROR from the plugin's loggers. */
    private static final Pattern PLUGIN_WARNING =
            Pattern.compile("^\\S+ \\S+ (WARN|ERROR) +dev\\.flinkmetrics\\..*");

    static Stream<String> versions() {
        String versions = System.getProperty("e2e.flink.versions", "");
        List<String> list =
                Arrays.stream(versions.split(","))
                        .map(String::trim)
                        .filter(v -> !v.isEmpty())
                        .collect(Collectors.toList());
        if (list.isEmpty()) {
            throw new IllegalStateException(
                    "system property e2e.flink.versions is not set: run this test through Maven"
                            + " (mvn verify -pl flink-metrics-skywalking,flink-metrics-skywalking-e2e)");
        }
        return list.stream();
    }

    @ParameterizedTest(name = "Flink {0}")
    @MethodSource("versions")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void reportsTheContractFromRealFlinkProcesses(String version) throws Exception {
        Path pluginJar = pluginJar();
        String pluginVersion = implementationVersion(pluginJar);
        Path flinkDir = Paths.get(requiredProperty("e2e.flink.dir"));
        StandaloneFlink.Layout layout =
                new StandaloneFlink.Layout(
                        version,
                        flinkDir.resolve("flink-" + version),
                        Paths.get(requiredProperty("e2e.logs.dir")).resolve(version));
        checkLib(layout);

        String cluster = "e2e-" + version;
        Path jobJar =
                StandaloneFlink.jobJar(
                        ContinuousJob.class, layout.home.resolve("job").resolve("e2e-job.jar"));
        long started = System.nanoTime();
        try (OtlpTestServer server = new OtlpTestServer()) {
            StandaloneFlink flink =
                    StandaloneFlink.prepareReporting(layout, pluginJar, server.endpoint(), cluster);
            try {
                flink.start(TASK_MANAGERS);
                flink.awaitTaskManagers(TASK_MANAGERS, Duration.ofSeconds(120));
                log(version, "cluster up after %s", since(started));

                String jobId = flink.submit(jobJar, ContinuousJob.class.getName(), 2, JOB_NAME);
                flink.awaitJobState(jobId, "RUNNING", Duration.ofSeconds(60));
                log(version, "job %s RUNNING after %s", jobId, since(started));

                checkContract(version, cluster, server, flink);
                log(version, "contract holds after %s", since(started));
                checkPluginLoading(flink, pluginJar, pluginVersion);
                checkSpans(version, cluster, server);
                checkRunningEvents(version, cluster, server);
                log(version, "spans and events arrived after %s", since(started));

                flink.cancel(jobId);
                flink.awaitJobState(jobId, "CANCELED", Duration.ofSeconds(60));
                checkSeriesStop(server);
                log(version, "cancelled job's series stopped after %s", since(started));
                checkEndEvent(version, server);
                checkNoPluginWarnings(flink);
            } catch (Throwable t) {
                System.err.println(
                        "Flink "
                                + version
                                + " failed; logs are kept in "
                                + layout.logs
                                + "\n"
                                + flink.tails(60)
                                + pluginWarnings(flink));
                throw t;
            } finally {
                flink.close();
            }
            // The reporters closed with their processes: that must be quiet too.
            checkNoPluginWarnings(flink);
            log(version, "done in %s", since(started));
        }
    }

    /**
     * Flink 1.19 and later report a span per checkpoint; the trace reporter sends it with the
     * cluster's service and the JobManager as the instance. Older Flink has no trace reporters and
     * ignores the keys.
     */
    private static void checkSpans(String version, String cluster, OtlpTestServer server)
            throws InterruptedException {
        if (olderThan(version, 1, 19)) {
            assertThat(server.traceRequests()).isEmpty();
            return;
        }
        assertThat(
                        server.awaitSpans(
                                spans ->
                                        spans.stream()
                                                .anyMatch(s -> s.getName().equals("Checkpoint")),
                                60_000))
                .as("a checkpoint span from Flink %s", version)
                .isTrue();
        for (ExportTraceServiceRequest request : server.traceRequests()) {
            for (ResourceSpans rs : request.getResourceSpansList()) {
                assertThat(attribute(rs.getResource().getAttributesList(), "service.name"))
                        .isEqualTo("flink::" + cluster);
            }
        }
        io.opentelemetry.proto.trace.v1.Span checkpoint =
                server.spans().stream()
                        .filter(s -> s.getName().equals("Checkpoint"))
                        .findFirst()
                        .get();
        Set<String> keys =
                checkpoint.getAttributesList().stream()
                        .map(KeyValue::getKey)
                        .collect(Collectors.toCollection(TreeSet::new));
        log(version, "span %s with attributes %s", checkpoint.getName(), keys);
        assertThat(keys).contains("checkpointId", "fullSize", "checkpointStatus");
        if (!olderThan(version, 2, 1)) {
            // From 2.1 Flink adds the job group's variables to its spans.
            assertThat(keys).contains("job_name", "host");
        }
    }

    /**
     * On every version the JobManager's metric reporter derives events; from 2.2 Flink's own job
     * events come through the event reporter instead (2.1 has the API but sends no job events).
     * Either way SkyWalking gets the TaskManagers and the job running, on the cluster's service and
     * the job's endpoint.
     */
    private static void checkRunningEvents(String version, String cluster, OtlpTestServer server)
            throws InterruptedException {
        String service = "flink::" + cluster;
        String endpoint = JOB_NAME.replace('-', '_');
        Predicate<Event> running =
                e -> isNamed(e, "JobStatusChange") && e.getMessage().contains("RUNNING");
        boolean arrived =
                server.events().awaitEvent(e -> isNamed(e, "TaskManagerRegistered"), 60_000)
                        && server.events().awaitEvent(running.and(e -> isOn(e, endpoint)), 60_000);
        for (Event e : server.events().events()) {
            log(
                    version,
                    "event %s %s [%s / %s / %s]: %s",
                    e.getName(),
                    e.getType(),
                    e.getSource().getService(),
                    e.getSource().getServiceInstance(),
                    e.getSource().getEndpoint(),
                    e.getMessage());
        }
        assertThat(arrived)
                .as("TaskManager and job-running events from Flink %s", version)
                .isTrue();
        assertThat(server.events().events())
                .allMatch(e -> e.getSource().getService().equals(service))
                .allMatch(e -> e.getLayer().equals("FLINK"));
    }

    /** The cancelled job ends with an event on its endpoint. */
    private static void checkEndEvent(String version, OtlpTestServer server)
            throws InterruptedException {
        String endpoint = JOB_NAME.replace('-', '_');
        boolean ended = server.events().awaitEvent(e -> isOn(e, endpoint) && isEnd(e), 30_000);
        server.events().events().stream()
                .filter(StandaloneClusterIT::isEnd)
                .forEach(e -> log(version, "end event %s: %s", e.getName(), e.getMessage()));
        assertThat(ended).as("an end event for the cancelled job on Flink %s", version).isTrue();
    }

    private static boolean isNamed(Event e, String name) {
        return e.getName().equals(name);
    }

    private static boolean isOn(Event e, String endpoint) {
        return e.getSource().getEndpoint().equals(endpoint);
    }

    /** Flink's own CANCELED status (2.2 on), or the derived end of a job (before). */
    private static boolean isEnd(Event e) {
        return e.getMessage().contains("CANCELED") || isNamed(e, "JobEnded");
    }

    private static String attribute(List<KeyValue> attributes, String key) {
        return attributes.stream()
                .filter(a -> a.getKey().equals(key))
                .map(a -> a.getValue().getStringValue())
                .findFirst()
                .orElse(null);
    }

    private static void checkContract(
            String version, String cluster, OtlpTestServer server, StandaloneFlink flink)
            throws Exception {
        Set<String> expected = ContractNames.all();
        if (olderThan(version, 1, 19)) {
            // Flink registers GarbageCollector.All from 1.19 on.
            expected.removeIf(n -> n.contains("_GarbageCollector_All_"));
        }
        Set<String> missing = awaitNames(server, flink, expected, Duration.ofSeconds(90));
        // A few more reports from each process, so that counters have several values to compare.
        ReportsBySender.awaitMoreReports(server, TASK_MANAGERS + 1, 3, Duration.ofSeconds(60));
        List<Received> received = server.received();
        List<Sample> samples = server.samples();
        Set<String> names = names(samples);
        assertThat(missing)
                .as(
                        "contract names that did not arrive from Flink %s in %d requests",
                        version, received.size())
                .isEmpty();
        checkOnlyContractOrOwnNames(names);
        checkRoleLabels(samples, cluster);
        checkEntities(samples, cluster);
        checkResources(received);
        checkNoPointJobName(received);
        checkValuesFinite(samples);
        checkUniqueWithinRequest(received);
        checkRecordsOutGrows(received);
    }

    private static Set<String> awaitNames(
            OtlpTestServer server, StandaloneFlink flink, Set<String> expected, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> missing = new TreeSet<>(expected);
        while (System.nanoTime() < deadline) {
            flink.checkAlive();
            int calls = server.calls();
            missing.removeAll(names(server.samples()));
            if (missing.isEmpty()) {
                return missing;
            }
            // Woken by the next request; at most a second, to notice a process that died.
            server.awaitCalls(calls + 1, 1000);
        }
        return missing;
    }

    private static void checkRoleLabels(List<Sample> samples, String cluster) {
        Set<String> jobManagerNames = jobManagerNames();
        Set<String> taskManagerNames = taskManagerNames();

        for (Sample s : samples) {
            if (s.name.startsWith(ContractNames.REPORTER_OWN_PREFIX)) {
                assertThat(s.labels.get("job_name"))
                        .as("reporter's own sample %s", s)
                        .isIn(JM_SERVICE, TM_SERVICE);
                continue;
            }
            if (jobManagerNames.contains(s.name)) {
                assertThat(s.labels)
                        .as("JobManager sample %s", s)
                        .containsEntry("job_name", JM_SERVICE)
                        .containsEntry("cluster", cluster)
                        .doesNotContainKey("taskManager_node");
                assertThat(s.labels.get("jobManager_node"))
                        .as("jobManager_node of %s", s)
                        .isNotEmpty();
            } else if (taskManagerNames.contains(s.name)) {
                assertThat(s.labels)
                        .as("TaskManager sample %s", s)
                        .containsEntry("job_name", TM_SERVICE)
                        .containsEntry("cluster", cluster)
                        .doesNotContainKey("jobManager_node");
                assertThat(s.labels.get("taskManager_node"))
                        .as("taskManager_node of %s", s)
                        .isIn("tm_1", "tm_2");
            } else {
                fail("sample of neither role: %s", s);
            }
            checkJobLabels(s, JOB_LABEL);
        }
    }

    /** Service, instances and endpoints as SkyWalking would build them. */
    private static void checkEntities(List<Sample> samples, String cluster) {
        assertThat(labelValues(samples, "cluster")).containsExactly(cluster);
        assertThat(labelValues(samples, "taskManager_node"))
                .as("TaskManager instances (taskManager_node)")
                .containsExactly("tm_1", "tm_2");
        assertThat(labelValues(samples, "jobManager_node")).as("JobManager nodes").hasSize(1);
        assertThat(labelValues(samples, "flink_job_name"))
                .as("endpoints (flink_job_name)")
                .containsExactly(JOB_LABEL);
        // Each TaskManager has one slot: both run subtasks of the job.
        for (String name :
                Arrays.asList(
                        "flink_taskmanager_job_task_numRecordsOut",
                        "flink_taskmanager_job_task_operator_numRecordsOut")) {
            Set<String> nodes =
                    samples.stream()
                            .filter(s -> s.name.equals(name))
                            .map(s -> s.labels.get("taskManager_node"))
                            .collect(Collectors.toSet());
            assertThat(nodes)
                    .as("TaskManagers with %s", name)
                    .containsExactlyInAnyOrder("tm_1", "tm_2");
        }
    }

    /**
     * Three processes, three resources: the JobManager's and one per TaskManager, each with the
     * {@code service.name} of its role.
     */
    private static void checkResources(List<Received> received) {
        Map<String, String> serviceByNode = new TreeMap<>();
        for (Received r : received) {
            for (ResourceMetrics rm : r.request.getResourceMetricsList()) {
                Map<String, String> attributes = new HashMap<>();
                for (KeyValue kv : rm.getResource().getAttributesList()) {
                    attributes.put(kv.getKey(), kv.getValue().getStringValue());
                }
                String node =
                        attributes.containsKey("taskManager_node")
                                ? "tm:" + attributes.get("taskManager_node")
                                : "jm:" + attributes.get("jobManager_node");
                String previous = serviceByNode.put(node, attributes.get("service.name"));
                assertThat(previous == null || previous.equals(attributes.get("service.name")))
                        .as("one service.name per resource %s", attributes)
                        .isTrue();
            }
        }
        assertThat(serviceByNode)
                .as("resources (role:node -> service.name)")
                .hasSize(3)
                .containsEntry("tm:tm_1", TM_SERVICE)
                .containsEntry("tm:tm_2", TM_SERVICE);
        assertThat(
                        serviceByNode.entrySet().stream()
                                .filter(e -> e.getKey().startsWith("jm:"))
                                .map(Map.Entry::getValue)
                                .collect(Collectors.toList()))
                .as("JobManager resource service.name")
                .containsExactly(JM_SERVICE);
    }

    /**
     * The reporter came from {@code plugins/skywalking/} through Flink's plugin mechanism in every
     * process, and its own startup line names the jar's version.
     */
    private static void checkPluginLoading(
            StandaloneFlink flink, Path pluginJar, String pluginVersion) {
        String startup = "flink-metrics-skywalking " + pluginVersion + " reporting with";
        Pattern pluginLoader =
                Pattern.compile(
                        "Plugin loader with ID not found, creating it: "
                                + Pattern.quote(StandaloneFlink.PLUGIN_DIR_NAME));
        Pattern factoryFound =
                Pattern.compile(
                        "Found (reporter factory|MetricReporterFactory) "
                                + Pattern.quote(StandaloneFlink.FACTORY)
                                + " at \\S*"
                                + Pattern.quote(
                                        "plugins/"
                                                + StandaloneFlink.PLUGIN_DIR_NAME
                                                + "/"
                                                + pluginJar.getFileName()));
        for (StandaloneFlink.FlinkProcess p : flink.processes()) {
            String log = StandaloneFlink.read(p.log);
            assertThat(log.contains(startup))
                    .as("reporter startup line '%s' in the log of %s (%s)", startup, p, p.log)
                    .isTrue();
            assertThat(pluginLoader.matcher(log).find())
                    .as("'%s' in the log of %s (%s)", pluginLoader, p, p.log)
                    .isTrue();
            assertThat(factoryFound.matcher(log).find())
                    .as("'%s' in the log of %s (%s)", factoryFound, p, p.log)
                    .isTrue();
        }
    }

    private static void checkNoPluginWarnings(StandaloneFlink flink) {
        String warnings = pluginWarnings(flink);
        if (!warnings.isEmpty()) {
            fail("the plugin logged warnings or errors:\n" + warnings);
        }
    }

    private static String pluginWarnings(StandaloneFlink flink) {
        StringBuilder sb = new StringBuilder();
        for (StandaloneFlink.FlinkProcess p : flink.processes()) {
            if (!Files.exists(p.log)) {
                continue;
            }
            for (String line : StandaloneFlink.read(p.log).split("\n")) {
                if (PLUGIN_WARNING.matcher(line).matches()) {
                    sb.append(p.name).append(": ").append(line).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static void checkSeriesStop(OtlpTestServer server) throws Exception {
        server.clear();
        List<Sample> after =
                ReportsBySender.awaitJobForgotten(
                        server, TASK_MANAGERS + 1, Duration.ofSeconds(60));
        checkNoSeriesOfJob(after);
        assertThat(
                        after.stream()
                                .filter(s -> s.name.equals("flink_taskmanager_Status_JVM_CPU_Load"))
                                .map(s -> s.labels.get("taskManager_node"))
                                .collect(Collectors.toSet()))
                .as("TaskManagers still reporting JVM samples")
                .containsExactlyInAnyOrder("tm_1", "tm_2");
        checkNoRunningJobs(after);
    }

    /** lib/ is Flink's class path: nothing of the plugin, and no gRPC, may be on it. */
    private static void checkLib(StandaloneFlink.Layout layout) throws Exception {
        if (!Files.isDirectory(layout.lib)) {
            fail(
                    "%s is missing: the pom assembles it in pre-integration-test (run mvn verify"
                            + " on flink-metrics-skywalking-e2e)",
                    layout.lib);
        }
        try (Stream<Path> files = Files.list(layout.lib)) {
            List<String> jars =
                    files.map(p -> p.getFileName().toString())
                            .sorted()
                            .collect(Collectors.toList());
            assertThat(jars)
                    .as("jars in %s", layout.lib)
                    .anyMatch(j -> j.startsWith("flink-runtime-"));
            assertThat(jars)
                    .as("jars in %s", layout.lib)
                    .noneMatch(j -> j.contains("skywalking") || j.startsWith("grpc-"));
        }
        assertThat(StandaloneFlink.entriesUnder(layout.lib, "dev/flinkmetrics/", "io/grpc/"))
                .as("plugin or gRPC classes on Flink's class path (%s)", layout.lib)
                .isEmpty();
    }

    static Path pluginJar() {
        Path jar = Paths.get(requiredProperty("e2e.plugin.jar"));
        if (!Files.isRegularFile(jar)) {
            fail(
                    "the shaded plugin jar %s does not exist: build it first (mvn package -pl"
                            + " flink-metrics-skywalking), or run mvn verify on both modules",
                    jar);
        }
        return jar;
    }

    static String implementationVersion(Path jar) throws Exception {
        try (JarFile j = new JarFile(jar.toFile())) {
            String v =
                    j.getManifest() == null
                            ? null
                            : j.getManifest()
                                    .getMainAttributes()
                                    .getValue("Implementation-Version");
            assertThat(v).as("Implementation-Version in the manifest of %s", jar).isNotBlank();
            return v;
        }
    }

    static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException(
                    "system property " + name + " is not set: run this test through Maven");
        }
        return value;
    }

    static boolean olderThan(String version, int major, int minor) {
        String[] parts = version.split("\\.");
        int ma = Integer.parseInt(parts[0]);
        int mi = Integer.parseInt(parts[1]);
        return ma < major || (ma == major && mi < minor);
    }

    private static String since(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000 + " ms";
    }

    private static void log(String version, String format, Object... args) {
        System.out.println("[Flink " + version + "] " + String.format(format, args));
    }
}
