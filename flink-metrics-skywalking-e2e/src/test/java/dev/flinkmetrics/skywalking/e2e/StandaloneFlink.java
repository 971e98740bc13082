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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Flink session cluster of real processes, as {@code bin/start-cluster.sh} would start it: one
 * JobManager JVM and a number of TaskManager JVMs, each with {@code lib/*} as class path and the
 * plugin jar under {@code plugins/skywalking/}, all on 127.0.0.1. It also talks to the cluster's
 * REST API (jar upload, run, cancel).
 *
 * <p>Every process started is ended by its {@link Process} handle in {@link #close()} and, should
 * the test JVM exit first, by a shutdown hook.
 */
final class StandaloneFlink implements AutoCloseable {

    static final String FACTORY = "dev.flinkmetrics.skywalking.SkyWalkingReporterFactory";
    static final String TRACE_FACTORY =
            "dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory";
    static final String EVENT_FACTORY =
            "dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory";
    static final String PLUGIN_DIR_NAME = "skywalking";

    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    for (Process p : LIVE) {
                                        stop(p);
                                    }
                                },
                                "stop-flink-processes"));
    }

    /** Where the distribution lives and what goes into it. */
    static final class Layout {
        final String version;
        final Path home;
        final Path lib;
        final Path plugins;
        final Path conf;
        final Path logs;

        Layout(String version, Path home, Path logs) {
            this(version, home.resolve("lib"), home, logs);
        }

        /**
         * A cluster of its own ({@code home}: conf/, plugins/, temporary folders) on the lib/ of a
         * distribution that other clusters of the same version use at the same time.
         */
        Layout(String version, Path lib, Path home, Path logs) {
            this.version = version;
            this.home = home;
            this.lib = lib;
            this.plugins = home.resolve("plugins");
            this.conf = home.resolve("conf");
            this.logs = logs;
        }

        boolean isFlink1() {
            return version.startsWith("1.");
        }

        /** Flink 2.x reads conf/config.yaml, 1.x conf/flink-conf.yaml. */
        Path configFile() {
            return conf.resolve(isFlink1() ? "flink-conf.yaml" : "config.yaml");
        }
    }

    /** One started JVM with its role, log file and stdout/stderr file. */
    static final class FlinkProcess {
        final String name;
        final Process process;
        final Path log;
        final Path out;

        /** How it was started, to start it again if its RPC system did not come up in time. */
        final ProcessBuilder builder;

        /** Times it was started again. */
        final int relaunches;

        FlinkProcess(
                String name,
                Process process,
                Path log,
                Path out,
                ProcessBuilder builder,
                int relaunches) {
            this.name = name;
            this.process = process;
            this.log = log;
            this.out = out;
            this.builder = builder;
            this.relaunches = relaunches;
        }

        @Override
        public String toString() {
            return name + " (pid " + process.pid() + ")";
        }
    }

    private final Layout layout;
    private final List<String> jvmFlags;
    private final Map<String, String> config;
    private final int restPort;
    private final HttpClient http;
    private final List<FlinkProcess> processes = new ArrayList<>();

    /** Processes {@link #terminate} ended: kept for their logs, no longer expected alive. */
    private final Set<String> terminated = ConcurrentHashMap.newKeySet();

    private StandaloneFlink(Layout layout, List<String> jvmFlags, Map<String, String> config) {
        this.layout = layout;
        this.jvmFlags = jvmFlags;
        this.config = config;
        this.restPort = Integer.parseInt(config.get("rest.port"));
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * {@link #prepare} for a cluster whose processes report to {@code endpoint} as {@code cluster}
     * every second, with the JVM flags the build passes ({@code e2e.jvm.flags}).
     */
    static StandaloneFlink prepareReporting(
            Layout layout, Path pluginJar, String endpoint, String cluster) throws IOException {
        return prepareReporting(layout, pluginJar, endpoint, cluster, Collections.emptyMap());
    }

    /**
     * As {@link #prepareReporting(Layout, Path, String, String)}, with the trace and event
     * reporters too (a Flink without their API ignores their keys), and {@code extra} keys last.
     */
    static StandaloneFlink prepareReporting(
            Layout layout,
            Path pluginJar,
            String endpoint,
            String cluster,
            Map<String, String> extra)
            throws IOException {
        Map<String, String> reporter = new LinkedHashMap<>();
        reporter.put("metrics.reporter.sw.factory.class", FACTORY);
        reporter.put("metrics.reporter.sw.endpoint", endpoint);
        reporter.put("metrics.reporter.sw.cluster", cluster);
        reporter.put("metrics.reporter.sw.interval", "1 s");
        reporter.put("traces.reporter.sw.factory.class", TRACE_FACTORY);
        reporter.put("traces.reporter.sw.endpoint", endpoint);
        reporter.put("traces.reporter.sw.cluster", cluster);
        reporter.put("events.reporter.sw.factory.class", EVENT_FACTORY);
        reporter.put("events.reporter.sw.endpoint", endpoint);
        reporter.put("events.reporter.sw.cluster", cluster);
        reporter.putAll(extra);
        List<String> jvmFlags =
                Arrays.stream(System.getProperty("e2e.jvm.flags", "").trim().split("\\s+"))
                        .filter(f -> !f.isEmpty())
                        .collect(Collectors.toList());
        return prepare(layout, pluginJar, jvmFlags, reporter);
    }

    /**
     * Writes {@code plugins/}, {@code conf/} and an empty log directory for a distribution whose
     * {@code lib/} already exists, with {@code reporterConfig} ({@code metrics.reporter.*}) added
     * to the configuration.
     */
    static StandaloneFlink prepare(
            Layout layout,
            Path pluginJar,
            List<String> jvmFlags,
            Map<String, String> reporterConfig)
            throws IOException {
        deleteRecursively(layout.plugins);
        deleteRecursively(layout.conf);
        deleteRecursively(layout.logs);
        for (String dir : Arrays.asList("tmp", "upload", "webtmp")) {
            deleteRecursively(layout.home.resolve(dir));
            Files.createDirectories(layout.home.resolve(dir));
        }
        Path pluginDir = layout.plugins.resolve(PLUGIN_DIR_NAME);
        Files.createDirectories(pluginDir);
        Files.copy(pluginJar, pluginDir.resolve(pluginJar.getFileName()));
        Files.createDirectories(layout.conf);
        Files.createDirectories(layout.logs);

        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("jobmanager.rpc.address", "127.0.0.1");
        conf.put("jobmanager.rpc.port", String.valueOf(freePort()));
        conf.put("jobmanager.bind-host", "127.0.0.1");
        conf.put("jobmanager.memory.process.size", "1024m");
        conf.put("taskmanager.host", "127.0.0.1");
        conf.put("taskmanager.bind-host", "127.0.0.1");
        conf.put("taskmanager.memory.process.size", "1280m");
        conf.put("taskmanager.memory.network.min", "32m");
        conf.put("taskmanager.memory.network.max", "32m");
        conf.put("taskmanager.memory.managed.size", "64m");
        // One slot per TaskManager: a job at parallelism 2 runs on both.
        conf.put("taskmanager.numberOfTaskSlots", "1");
        if (layout.isFlink1()) {
            conf.put("cluster.evenly-spread-out-slots", "true");
        } else {
            conf.put("taskmanager.load-balance.mode", "SLOTS");
        }
        conf.put("cluster.registration.error-delay", "1000");
        conf.put("rest.address", "127.0.0.1");
        conf.put("rest.bind-address", "127.0.0.1");
        conf.put("rest.port", String.valueOf(freePort()));
        conf.put("blob.server.port", String.valueOf(freePort()));
        conf.put("metrics.internal.query-service.port", "0");
        conf.put("io.tmp.dirs", layout.home.resolve("tmp").toString());
        conf.put("web.upload.dir", layout.home.resolve("upload").toString());
        conf.put("web.tmpdir", layout.home.resolve("webtmp").toString());
        conf.putAll(reporterConfig);
        StringBuilder yaml = new StringBuilder();
        for (Map.Entry<String, String> e : conf.entrySet()) {
            // Plain scalars: the 1.x parser does not strip quotes.
            yaml.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        Files.write(layout.configFile(), yaml.toString().getBytes(StandardCharsets.UTF_8));
        Files.write(
                layout.conf.resolve("log4j.properties"),
                String.join(
                                "\n",
                                "monitorInterval = 0",
                                "rootLogger.level = INFO",
                                "rootLogger.appenderRef.file.ref = MainAppender",
                                "logger.pekko.name = org.apache.pekko",
                                "logger.pekko.level = INFO",
                                // Flink logs where it found each reporter factory at DEBUG.
                                "logger.reporters.name = org.apache.flink.runtime.metrics",
                                "logger.reporters.level = DEBUG",
                                "logger.plugins.name = org.apache.flink.core.plugin",
                                "logger.plugins.level = DEBUG",
                                "logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline",
                                "logger.netty.level = OFF",
                                "appender.main.name = MainAppender",
                                "appender.main.type = File",
                                "appender.main.append = true",
                                "appender.main.fileName = ${sys:log.file}",
                                "appender.main.layout.type = PatternLayout",
                                "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p"
                                        + " %-60c %x - %m%n",
                                "")
                        .getBytes(StandardCharsets.UTF_8));
        return new StandaloneFlink(layout, jvmFlags, conf);
    }

    /** Starts the JobManager and {@code taskManagers} TaskManagers; does not wait for them. */
    void start(int taskManagers) throws IOException, InterruptedException {
        List<String> jm = resourceParams("GET_JM_RESOURCE_PARAMS");
        List<String> jmArgs = new ArrayList<>(Arrays.asList("--configDir", layout.conf.toString()));
        jmArgs.addAll(Arrays.asList("--executionMode", "cluster"));
        jmArgs.addAll(dynamicProperties(jm.get(1)));
        launch(
                "jobmanager",
                split(jm.get(0)),
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                jmArgs);

        List<String> tm = resourceParams("GET_TM_RESOURCE_PARAMS");
        for (int i = 1; i <= taskManagers; i++) {
            List<String> tmArgs =
                    new ArrayList<>(Arrays.asList("--configDir", layout.conf.toString()));
            tmArgs.addAll(dynamicProperties(tm.get(1)));
            tmArgs.addAll(Arrays.asList("-D", "taskmanager.resource-id=tm-" + i));
            tmArgs.addAll(Arrays.asList("-D", "taskmanager.rpc.port=" + freePort()));
            tmArgs.addAll(Arrays.asList("-D", "taskmanager.data.port=" + freePort()));
            launch(
                    "taskmanager-" + i,
                    split(tm.get(0)),
                    "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    tmArgs);
        }
    }

    /** Kills the process of that name ({@code taskmanager-2}, ...) by its PID, as a crash would. */
    void kill(String name) throws InterruptedException {
        for (FlinkProcess p : processes) {
            if (p.name.equals(name)) {
                p.process.destroyForcibly();
                p.process.waitFor(10, TimeUnit.SECONDS);
                LIVE.remove(p.process);
                processes.remove(p);
                return;
            }
        }
        throw new IllegalArgumentException("no process " + name + " in " + processes);
    }

    /**
     * Sends SIGTERM to the process of that name ({@code taskmanager-2}, {@code jobmanager}) by its
     * PID, as an orchestrator stopping it would, and waits until it has exited. The process stays
     * in {@link #processes()}, for its log, and {@link #checkAlive()} no longer expects it.
     *
     * @return the wall-clock time in milliseconds just before the signal
     */
    long terminate(String name, Duration timeout) throws IOException, InterruptedException {
        for (FlinkProcess p : processes) {
            if (p.name.equals(name)) {
                terminated.add(name);
                long signalled = System.currentTimeMillis();
                Process kill =
                        new ProcessBuilder("kill", "-TERM", String.valueOf(p.process.pid()))
                                .redirectErrorStream(true)
                                .start();
                if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                    kill.destroyForcibly();
                    throw new IllegalStateException("kill -TERM " + p + " failed");
                }
                if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException(
                            p + " did not exit within " + timeout + " of SIGTERM; see " + p.log);
                }
                LIVE.remove(p.process);
                return signalled;
            }
        }
        throw new IllegalArgumentException("no process " + name + " in " + processes);
    }

    List<FlinkProcess> processes() {
        return Collections.unmodifiableList(processes);
    }

    String restBase() {
        return "http://127.0.0.1:" + restPort;
    }

    /** Waits until the REST API answers and {@code taskManagers} TaskManagers have registered. */
    void awaitTaskManagers(int taskManagers, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                last = get("/overview");
                Matcher m = Pattern.compile("\"taskmanagers\"\\s*:\\s*(\\d+)").matcher(last);
                if (m.find() && Integer.parseInt(m.group(1)) >= taskManagers) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(
                taskManagers + " TaskManagers did not register in " + timeout + ": " + last);
    }

    /** Uploads the jar over REST and runs {@code entryClass}; returns the job id. */
    String submit(Path jar, String entryClass, int parallelism, String... programArgs)
            throws Exception {
        String boundary = "----e2e" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        String upload =
                send(
                        HttpRequest.newBuilder(URI.create(restBase() + "/jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        String filename = field(upload, "filename");
        if (filename == null) {
            throw new IllegalStateException("jar upload failed: " + upload);
        }
        String jarId = filename.substring(filename.lastIndexOf('/') + 1);

        StringBuilder args = new StringBuilder();
        for (String a : programArgs) {
            args.append(args.length() == 0 ? "" : ",").append('"').append(a).append('"');
        }
        String run =
                send(
                        HttpRequest.newBuilder(URI.create(restBase() + "/jars/" + jarId + "/run"))
                                .header("Content-Type", "application/json")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"entryClass\":\""
                                                        + entryClass
                                                        + "\",\"parallelism\":"
                                                        + parallelism
                                                        + ",\"programArgsList\":["
                                                        + args
                                                        + "]}")));
        String jobId = field(run, "jobid");
        if (jobId == null) {
            throw new IllegalStateException("job submission failed: " + run);
        }
        return jobId;
    }

    /** The job's state as the REST API reports it. */
    String jobState(String jobId) throws Exception {
        return field(get("/jobs/" + jobId), "state");
    }

    void awaitJobState(String jobId, String state, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            checkAlive();
            last = jobState(jobId);
            if (state.equals(last)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(
                "job " + jobId + " is " + last + ", not " + state + ", after " + timeout);
    }

    /** Cancels the job ({@code PATCH /jobs/<id>?mode=cancel}). */
    void cancel(String jobId) throws Exception {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(restBase() + "/jobs/" + jobId + "?mode=cancel"))
                                .timeout(Duration.ofSeconds(20))
                                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202 && response.statusCode() != 200) {
            throw new IllegalStateException(
                    "cancel answered " + response.statusCode() + ": " + response.body());
        }
    }

    String get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(restBase() + path)).GET());
    }

    private String send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        request.timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException(
                    request.build().uri()
                            + " answered "
                            + response.statusCode()
                            + ": "
                            + response.body());
        }
        return response.body();
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    /** Fails if a process has died. */
    void checkAlive() {
        for (int i = 0; i < processes.size(); i++) {
            FlinkProcess p = processes.get(i);
            if (terminated.contains(p.name)) {
                continue;
            }
            if (!p.process.isAlive() && !relaunchIfItsRpcSystemTimedOut(i)) {
                throw new IllegalStateException(
                        p + " exited with code " + p.process.exitValue() + "; see " + p.log);
            }
        }
    }

    /**
     * Runs {@code BashJavaUtils} as {@code bin/jobmanager.sh} and {@code bin/taskmanager.sh} do:
     * the first line are the JVM memory flags, the second the dynamic properties.
     */
    private List<String> resourceParams(String command) throws IOException, InterruptedException {
        Path out = layout.logs.resolve(command.toLowerCase() + ".out");
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.add("-classpath");
        cmd.add(classPath());
        cmd.add("org.apache.flink.runtime.util.bash.BashJavaUtils");
        cmd.add(command);
        cmd.add("--configDir");
        cmd.add(layout.conf.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(out.toFile());
        environment(pb);
        Process p = pb.start();
        LIVE.add(p);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(
                        "BashJavaUtils "
                                + command
                                + " failed: "
                                + new String(Files.readAllBytes(out), StandardCharsets.UTF_8));
            }
        } finally {
            stop(p);
            LIVE.remove(p);
        }
        List<String> result =
                Files.readAllLines(out).stream()
                        .filter(l -> l.startsWith(RESULT_PREFIX))
                        .map(l -> l.substring(RESULT_PREFIX.length()))
                        .collect(Collectors.toList());
        if (result.size() < 2) {
            throw new IllegalStateException(
                    "BashJavaUtils " + command + " printed " + Files.readAllLines(out));
        }
        return result.subList(result.size() - 2, result.size());
    }

    private void launch(String name, List<String> memoryFlags, String mainClass, List<String> args)
            throws IOException {
        Path log = layout.logs.resolve("flink-" + name + ".log");
        Path out = layout.logs.resolve("flink-" + name + ".out");
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.addAll(memoryFlags);
        cmd.add("-XX:+UseG1GC");
        cmd.addAll(jvmFlags);
        cmd.add("-Dlog.file=" + log);
        cmd.add("-Dlog4j.configuration=file:" + layout.conf.resolve("log4j.properties"));
        cmd.add("-Dlog4j.configurationFile=file:" + layout.conf.resolve("log4j.properties"));
        cmd.add("-classpath");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        Files.write(
                layout.logs.resolve("flink-" + name + ".cmd"),
                String.join(" ", cmd).getBytes(StandardCharsets.UTF_8));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(out.toFile());
        pb.directory(layout.home.toFile());
        environment(pb);
        Process process = pb.start();
        LIVE.add(process);
        processes.add(new FlinkProcess(name, process, log, out, pb, 0));
    }

    /**
     * Flink gives its RPC system 10 s to start, whatever {@code pekko.startup-timeout} says (it
     * sets Pekko's {@code remote.startup-timeout}; classic remoting reads {@code
     * remote.classic.startup-timeout}). On a machine whose cores other work keeps busy a process
     * sometimes takes longer and exits with "Could not create actor system", as it would in
     * production under the same load; a supervisor starts it again, and so does this, twice at
     * most, keeping the first log beside the new one.
     */
    private boolean relaunchIfItsRpcSystemTimedOut(int index) {
        FlinkProcess p = processes.get(index);
        if (p.relaunches >= 2 || !Files.exists(p.log)) {
            return false;
        }
        try {
            String log = new String(Files.readAllBytes(p.log), StandardCharsets.UTF_8);
            if (!log.contains("Could not create actor system")) {
                return false;
            }
            Path kept = p.log.resolveSibling(p.log.getFileName() + "." + (p.relaunches + 1));
            Files.move(p.log, kept, StandardCopyOption.REPLACE_EXISTING);
            Process process = p.builder.start();
            LIVE.add(process);
            processes.set(
                    index,
                    new FlinkProcess(p.name, process, p.log, p.out, p.builder, p.relaunches + 1));
            System.out.println(
                    "[flink] "
                            + p
                            + " exited: its RPC system did not start in time (see "
                            + kept
                            + "); started again as pid "
                            + process.pid());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void environment(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.put("FLINK_HOME", layout.home.toString());
        env.put("FLINK_CONF_DIR", layout.conf.toString());
        env.put("FLINK_PLUGINS_DIR", layout.plugins.toString());
        env.put("FLINK_LIB_DIR", layout.lib.toString());
        env.put("FLINK_LOG_DIR", layout.logs.toString());
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("_JAVA_OPTIONS");
        env.remove("HADOOP_CLASSPATH");
        env.remove("CLASSPATH");
    }

    private String classPath() {
        return layout.lib.resolve("*").toString();
    }

    private static String javaBin() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> split(String line) {
        return Arrays.stream(line.trim().split("\\s+"))
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    /** "-D k=v -D k2=v2" as arguments. */
    private static List<String> dynamicProperties(String line) {
        return split(line);
    }

    /** Ends every process: a polite stop (SIGTERM), then a forced one. */
    @Override
    public void close() {
        List<FlinkProcess> reversed = new ArrayList<>(processes);
        Collections.reverse(reversed);
        for (FlinkProcess p : reversed) {
            p.process.destroy();
        }
        for (FlinkProcess p : reversed) {
            stop(p.process);
            LIVE.remove(p.process);
        }
    }

    /** Ends a process: asks it to stop, then kills it if it has not after 15 s. */
    static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@code lines} lines of each process's log and output, for a failure report. */
    String tails(int lines) {
        StringBuilder sb = new StringBuilder();
        for (FlinkProcess p : processes) {
            for (Path f : Arrays.asList(p.log, p.out)) {
                sb.append("===== ").append(p).append(": ").append(f).append(" (last ");
                sb.append(lines).append(" lines) =====\n");
                try {
                    List<String> all =
                            Files.exists(f)
                                    ? Files.readAllLines(f, StandardCharsets.ISO_8859_1)
                                    : Collections.emptyList();
                    for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
                        sb.append(l).append('\n');
                    }
                } catch (IOException e) {
                    sb.append(e).append('\n');
                }
            }
        }
        return sb.toString();
    }

    /** A free TCP port on 127.0.0.1 (free when asked; Flink binds it a moment later). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /**
     * A job jar with every class of {@code mainClass}'s package (and only those) and {@code
     * mainClass} as {@code Main-Class}.
     */
    static Path jobJar(Class<?> mainClass, Path target) throws Exception {
        Path classes =
                Paths.get(mainClass.getProtectionDomain().getCodeSource().getLocation().toURI());
        String pkg = mainClass.getPackage().getName().replace('.', '/');
        Path dir = classes.resolve(pkg);
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass.getName());
        Files.createDirectories(target.getParent());
        int count = 0;
        try (OutputStream os = Files.newOutputStream(target);
                JarOutputStream jar = new JarOutputStream(os, manifest);
                Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                if (f.toString().endsWith(".class")) {
                    jar.putNextEntry(new JarEntry(pkg + "/" + f.getFileName()));
                    jar.write(Files.readAllBytes(f));
                    jar.closeEntry();
                    count++;
                }
            }
        }
        if (count == 0) {
            throw new IllegalStateException("no classes in " + dir);
        }
        return target;
    }

    /** Names of entries under {@code prefix} in every jar of {@code dir}, with their jar. */
    static List<String> entriesUnder(Path dir, String... prefixes) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> jars = Files.list(dir)) {
            for (Path j : (Iterable<Path>) jars::iterator) {
                if (!j.toString().endsWith(".jar")) {
                    continue;
                }
                try (JarFile jar = new JarFile(j.toFile())) {
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        String name = entries.nextElement().getName();
                        for (String prefix : prefixes) {
                            if (name.startsWith(prefix)) {
                                found.add(j.getFileName() + "!/" + name);
                            }
                        }
                    }
                }
            }
        }
        return found;
    }

    static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Collections.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
