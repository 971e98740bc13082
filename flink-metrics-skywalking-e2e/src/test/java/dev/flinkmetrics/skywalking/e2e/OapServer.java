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

import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Line;
import java.io.IOException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * A real Apache SkyWalking OAP as a separate process on 127.0.0.1, with the files the project ships
 * for its line installed as docs/skywalking.md says: up to 10.4 the rules of {@code
 * skywalking/<line>/otel-rules/} with {@code flink-project/*} enabled and the dashboards of {@code
 * skywalking/<line>/ui-initialized-templates/}; on every line the alarm rules of {@code
 * skywalking/alarm-settings-flink.yml} merged into the OAP's own. (On OAP 11 the rules and pages go
 * in through the install command, on the running OAP.) Ended by its PID on close, and by a shutdown
 * hook if the test JVM dies first.
 *
 * <p>Two kinds of release: the OAP from Maven Central (its jars carry no configuration, so the
 * project's own, {@code src/oap-config/}, with in-memory H2), and an OAP home in the layout of the
 * official binary release ({@code oap-libs/}, {@code config/}), configured as a user would, through
 * the environment variables of its own {@code application.yml}, on a real PostgreSQL from 10.2.
 */
final class OapServer implements AutoCloseable {

    private static final String MAIN = "org.apache.skywalking.oap.server.starter.OAPServerStartUp";
    private static final Pattern CORE_JAR =
            Pattern.compile("server-core-(\\d+\\.\\d+\\.\\d+(?:-SNAPSHOT)?)\\.jar");
    private static final Pattern DEFAULT_RULES =
            Pattern.compile("SW_OTEL_RECEIVER_ENABLED_OTEL_METRICS_RULES:\"?([^\"}]*)\"?}");

    /** An OAP release: its version, its jars, and its own configuration if it has one. */
    static final class Release {
        final String version;
        final Path lib;

        /** The release's config/ folder; null for the jars from Maven Central. */
        final Path config;

        private Release(String version, Path lib, Path config) {
            this.version = version;
            this.lib = lib;
            this.config = config;
        }

        /** The jars of server-starter from Maven Central, assembled by src/oap-runtime/pom.xml. */
        static Release fromMaven(Path lib) throws IOException {
            return new Release(versionIn(lib), lib, null);
        }

        /** An OAP home: oap-libs/ and config/, as in the official binary release. */
        static Release fromHome(Path home) throws IOException {
            Path lib = home.resolve("oap-libs");
            Path config = home.resolve("config");
            if (!Files.isDirectory(lib)
                    || !Files.isRegularFile(config.resolve("application.yml"))) {
                throw new IllegalArgumentException(
                        home
                                + " is not an OAP home: it needs oap-libs/ and config/application.yml");
            }
            return new Release(versionIn(lib), lib, config);
        }

        Line line() {
            return Line.of(version);
        }

        /** H2 is gone from 10.2; later releases run on PostgreSQL here. */
        boolean needsPostgres() {
            String[] parts = version.split("\\.");
            int major = Integer.parseInt(parts[0]);
            return major > 10 || (major == 10 && Integer.parseInt(parts[1]) >= 2);
        }

        @Override
        public String toString() {
            return "OAP "
                    + version
                    + (config == null ? " (Maven Central)" : " (" + lib.getParent() + ")");
        }

        private static String versionIn(Path lib) throws IOException {
            try (Stream<Path> jars = Files.list(lib)) {
                return jars.map(j -> CORE_JAR.matcher(j.getFileName().toString()))
                        .filter(Matcher::matches)
                        .map(m -> m.group(1))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "no server-core-<version>.jar in " + lib));
            }
        }
    }

    final Release release;
    final int grpcPort;
    final int restPort;

    /** The Zipkin query API, where the OAP keeps the spans it received over OTLP. */
    final int zipkinPort;

    /** OAP 11's admin server, where the install command sends the project's OAP side. */
    final int adminPort;

    final Path log;
    private final ProcessBuilder builder;
    private volatile Process process;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread killer;

    /** Lines of the log up to readiness: startup noise the checks leave out. */
    private int linesAtReady;

    private OapServer(
            Release release,
            ProcessBuilder builder,
            int grpcPort,
            int restPort,
            int zipkinPort,
            int adminPort,
            Path log) {
        this.adminPort = adminPort;
        this.release = release;
        this.builder = builder;
        this.grpcPort = grpcPort;
        this.restPort = restPort;
        this.zipkinPort = zipkinPort;
        this.log = log;
        this.killer =
                new Thread(
                        () -> {
                            Process running = process;
                            if (running != null) {
                                running.destroyForcibly();
                            }
                        },
                        "oap-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    private OapServer launch() throws IOException {
        process = builder.start();
        return this;
    }

    /**
     * Stops the OAP (by its PID) and starts it again with the same configuration and storage, as an
     * operator restarts it; its log goes on in the same file. Call {@link #awaitReady} after.
     */
    void restart() throws IOException {
        StandaloneFlink.stop(process);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        launch();
    }

    /**
     * Writes the configuration into {@code work}/config and starts the OAP.
     *
     * @param projectConfig the project's configuration for the release from Maven Central
     *     (application.yml, log4j2.xml and the files the OAP will not start without); its
     *     log4j2.xml is used for every release, so that the log goes to {@code work}/oap.log
     * @param skywalkingFlinkRules SkyWalking's own Flink rules (otel-rules/flink/ of a 10.3 or
     *     later release) to load on an older line as docs/skywalking.md says, with layer GENERAL;
     *     null for none (a release of 10.3 or later has its own)
     * @param jdbcUrl PostgreSQL for a release from 10.2 on; null for H2
     */
    static OapServer start(
            Release release,
            Path projectConfig,
            Path skywalkingFlinkRules,
            String jdbcUrl,
            Path work)
            throws Exception {
        return start(release, projectConfig, skywalkingFlinkRules, jdbcUrl, 0, work);
    }

    /**
     * As {@link #start(Release, Path, Path, String, Path)}, with the OAP's dynamic configuration
     * taken from a {@link DynamicConfigServer} on {@code dynamicConfigPort} (0: none). On OAP 11
     * the alarm rules then go there, not into alarm-settings.yml (docs/alarms.md says why).
     */
    static OapServer start(
            Release release,
            Path projectConfig,
            Path skywalkingFlinkRules,
            String jdbcUrl,
            int dynamicConfigPort,
            Path work)
            throws Exception {
        StandaloneFlink.deleteRecursively(work.resolve("config"));
        Files.createDirectories(work);
        Path config = work.resolve("config");
        copyTree(release.config == null ? projectConfig : release.config, config);
        Line line = release.line();
        List<String> rules = new ArrayList<>();
        if (line.booster()) {
            // Up to 10.4, rules and dashboards are files the OAP reads at start; from 11 the
            // install command puts the rules and pages on the running OAP (RealOapIT runs it).
            copyTree(line.rules(), config.resolve("otel-rules"));
            copyTree(line.templates(), config.resolve("ui-initialized-templates"));
            rules.add("flink-project/*");
        }
        if (line.booster()) {
            Path settings = config.resolve("alarm-settings.yml");
            Files.write(
                    settings,
                    withProjectAlarmRules(Files.exists(settings) ? read(settings) : "")
                            .getBytes(StandardCharsets.UTF_8));
        }
        Path version = config.resolve("version.properties");
        if (release.config != null && !Files.exists(version)) {
            // The official release has it (from the build's git commit); a home built from a
            // source archive has no git to take it from, and the OAP does not start without it.
            Files.write(
                    version,
                    ("git.build.version=" + release.version + "\ngit.commit.id=unknown\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        if (skywalkingFlinkRules != null && !line.flinkLayer()) {
            Path target = config.resolve("otel-rules").resolve("flink");
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(skywalkingFlinkRules)) {
                for (Path rule : (Iterable<Path>) files::iterator) {
                    // docs/skywalking.md: the one change SkyWalking's rules need before 10.3.
                    Files.write(
                            target.resolve(rule.getFileName()),
                            read(rule)
                                    .replace("Layer.FLINK", "Layer.GENERAL")
                                    .getBytes(StandardCharsets.UTF_8));
                }
            }
            rules.add("flink/*");
        }

        Path log = work.resolve("oap.log");
        int grpcPort = StandaloneFlink.freePort();
        int restPort = StandaloneFlink.freePort();
        int zipkinPort = StandaloneFlink.freePort();
        int adminPort = StandaloneFlink.freePort();
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add(release.config == null ? "-Xmx1g" : "-Xmx2g");
        command.add("-Dlog4j.configurationFile=" + projectConfig.resolve("log4j2.xml"));
        Map<String, String> env = new LinkedHashMap<>();
        if (release.config == null) {
            // The project's application.yml: ports and rules as system properties.
            command.add("-Dcore.default.gRPCPort=" + grpcPort);
            command.add("-Dcore.default.restPort=" + restPort);
            command.add("-Dquery-zipkin.default.restPort=" + zipkinPort);
            command.add(
                    "-Dreceiver-otel.default.enabledOtelMetricsRules=" + String.join(",", rules));
        } else {
            // The release's own application.yml, through the variables a user sets.
            Matcher defaults = DEFAULT_RULES.matcher(read(config.resolve("application.yml")));
            if (defaults.find()) {
                // Setting the variable replaces the whole default list: keep it and add to it.
                rules.add(0, defaults.group(1));
            }
            env.put("SW_CORE_GRPC_HOST", "127.0.0.1");
            env.put("SW_CORE_GRPC_PORT", String.valueOf(grpcPort));
            env.put("SW_CORE_REST_HOST", "127.0.0.1");
            env.put("SW_CORE_REST_PORT", String.valueOf(restPort));
            // Minute values written every 5 s instead of 25 s, so that a test sees them sooner.
            env.put("SW_CORE_PERSISTENT_PERIOD", "5");
            env.put("SW_OTEL_RECEIVER_ENABLED_HANDLERS", "otlp-metrics,otlp-traces,otlp-logs");
            env.put("SW_OTEL_RECEIVER_ENABLED_OTEL_METRICS_RULES", String.join(",", rules));
            env.put("SW_RECEIVER_ZIPKIN", "default");
            env.put("SW_ZIPKIN_HTTP_COLLECTOR_ENABLED", "false");
            env.put("SW_QUERY_ZIPKIN", "default");
            env.put("SW_QUERY_ZIPKIN_REST_HOST", "127.0.0.1");
            env.put("SW_QUERY_ZIPKIN_REST_PORT", String.valueOf(zipkinPort));
            // OAP 11's admin server (UI templates, runtime rules, status) and its peers' port,
            // on loopback rather than every address, as docs/skywalking.md says to run it.
            env.put("SW_ADMIN_SERVER_HOST", "127.0.0.1");
            env.put("SW_ADMIN_SERVER_PORT", String.valueOf(adminPort));
            env.put("SW_ADMIN_SERVER_GRPC_HOST", "127.0.0.1");
            env.put("SW_ADMIN_SERVER_GRPC_PORT", String.valueOf(StandaloneFlink.freePort()));
            // The OAP's own metrics (on by default from 10.3, port 1234 on every address).
            env.put("SW_TELEMETRY_PROMETHEUS_HOST", "127.0.0.1");
            env.put("SW_TELEMETRY_PROMETHEUS_PORT", String.valueOf(StandaloneFlink.freePort()));
            // Query languages and receivers the tests do not use, each on a port of its own.
            for (String module :
                    new String[] {
                        "SW_PROMQL", "SW_LOGQL", "SW_TRACEQL", "SW_RECEIVER_AWS_FIREHOSE"
                    }) {
                env.put(module, "-");
            }
            if (dynamicConfigPort > 0) {
                env.put("SW_CONFIGURATION", "grpc");
                env.put("SW_DCS_SERVER_HOST", "127.0.0.1");
                env.put("SW_DCS_SERVER_PORT", String.valueOf(dynamicConfigPort));
                env.put("SW_DCS_PERIOD", "5");
            }
            if (jdbcUrl != null) {
                env.put("SW_STORAGE", "postgresql");
                env.put("SW_JDBC_URL", jdbcUrl);
                env.put("SW_DATA_SOURCE_USER", EmbeddedPostgres.USER);
                env.put("SW_DATA_SOURCE_PASSWORD", EmbeddedPostgres.PASSWORD);
            } else {
                env.put("SW_STORAGE", "h2");
            }
        }
        command.add("-cp");
        command.add(config + java.io.File.pathSeparator + release.lib.resolve("*"));
        command.add(MAIN);
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .directory(work.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Files.write(
                work.resolve("oap.cmd"),
                (env.entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .collect(Collectors.joining("\n"))
                                + "\n"
                                + String.join(" ", command)
                                + "\n")
                        .getBytes(StandardCharsets.UTF_8));
        return new OapServer(release, builder, grpcPort, restPort, zipkinPort, adminPort, log)
                .launch();
    }

    /**
     * The OAP's alarm settings (the text of an alarm-settings.yml, or "") with the project's alarm
     * rules added, as a user merges them; the OAP's own rules and hooks stay.
     */
    @SuppressWarnings("unchecked")
    static String withProjectAlarmRules(String settings) throws IOException {
        Load load = new Load(LoadSettings.builder().build());
        Map<String, Object> ours =
                (Map<String, Object>) load.loadFromString(read(SkyWalkingFiles.ALARMS));
        Map<String, Object> merged = new LinkedHashMap<>();
        Object theirs =
                settings.trim().isEmpty()
                        ? null
                        : new Load(LoadSettings.builder().build()).loadFromString(settings);
        if (theirs instanceof Map) {
            merged.putAll((Map<String, Object>) theirs);
        }
        Map<String, Object> rules = new LinkedHashMap<>();
        if (merged.get("rules") instanceof Map) {
            rules.putAll((Map<String, Object>) merged.get("rules"));
        }
        rules.putAll((Map<String, Object>) ours.get("rules"));
        merged.put("rules", rules);
        return new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build())
                .dumpToString(merged);
    }

    /** The release's own alarm-settings.yml, as the OAP reads it at start; "" when it has none. */
    String alarmSettings() throws IOException {
        Path settings = log.getParent().resolve("config").resolve("alarm-settings.yml");
        return Files.exists(settings) ? read(settings) : "";
    }

    /** Waits until GraphQL answers, which the OAP serves last of all its servers. */
    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the OAP exited while starting:\n" + tail(80));
            }
            try {
                if (graphql("{\"query\":\"query { version }\"}").contains("\"version\"")) {
                    linesAtReady = logLines().size();
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the OAP was not ready in " + timeout + ":\n" + tail(80));
    }

    String endpoint() {
        return "http://127.0.0.1:" + grpcPort;
    }

    /**
     * Where reporters send over {@code protocol}: the gRPC port, or for {@code http/protobuf} the
     * REST port (OTLP/HTTP from OAP 11, events at /v3/events on every line).
     */
    String endpoint(String protocol) {
        return protocol.equals("grpc") ? endpoint() : "http://127.0.0.1:" + restPort;
    }

    String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    /**
     * GETs a path of the Zipkin query API (where the OAP keeps OTLP spans) and returns the body.
     */
    String zipkin(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:"
                                                        + zipkinPort
                                                        + "/zipkin"
                                                        + pathAndQuery))
                                .timeout(Duration.ofSeconds(10))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("Zipkin API answered " + response.statusCode());
        }
        return response.body();
    }

    /** GETs a path of OAP 11's admin server and returns the body; fails on a status not 200. */
    String admin(String path) throws IOException, InterruptedException {
        return admin(path, "GET", null);
    }

    /** Sends a request with a JSON body (or none) to OAP 11's admin server; returns the body. */
    String admin(String path, String method, String json) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(adminUrl() + path))
                                .timeout(Duration.ofSeconds(30))
                                .header("Content-Type", "application/json")
                                .method(
                                        method,
                                        json == null
                                                ? HttpRequest.BodyPublishers.noBody()
                                                : HttpRequest.BodyPublishers.ofString(json))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(
                    method
                            + " "
                            + path
                            + " answered "
                            + response.statusCode()
                            + ": "
                            + response.body());
        }
        return response.body();
    }

    /** POSTs a GraphQL request body and returns the response body. */
    String graphql(String body) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + restPort + "/graphql"))
                                .timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(
                    "GraphQL answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /**
     * Log lines since the OAP became ready that report a problem: an ERROR of its own, or a SEVERE
     * line from gRPC, as a malformed OTLP request or a failing rule produces.
     */
    List<String> problemsSinceReady() throws IOException {
        return linesSinceReady().stream()
                .filter(
                        l ->
                                l.contains(" ERROR ")
                                        || l.startsWith("SEVERE")
                                        || l.contains("failed to run"))
                .collect(Collectors.toList());
    }

    /** The OAP's log since it became ready. */
    List<String> linesSinceReady() throws IOException {
        List<String> lines = logLines();
        return lines.subList(Math.min(linesAtReady, lines.size()), lines.size());
    }

    String tail(int count) throws IOException {
        List<String> lines = logLines();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    private List<String> logLines() throws IOException {
        return Files.exists(log)
                ? Files.readAllLines(log, StandardCharsets.ISO_8859_1)
                : new ArrayList<>();
    }

    @Override
    public void close() {
        StandaloneFlink.stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs anyway.
        }
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
