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
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Apache SkyWalking OAP as a separate process on 127.0.0.1: lib/ from Maven Central (built
 * by src/oap-runtime/pom.xml), the project's own configuration (src/oap-config/) and rules
 * (skywalking/otel-rules/), in-memory H2. Ended by its PID on close, and by a shutdown hook if the
 * test JVM dies first.
 */
final class OapServer implements AutoCloseable {

    private static final String MAIN = "org.apache.skywalking.oap.server.starter.OAPServerStartUp";

    final int grpcPort;
    final int restPort;

    /** The Zipkin query API, where the OAP keeps the spans it received over OTLP. */
    final int zipkinPort;

    final Path log;
    private final Process process;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread killer;

    /** Lines of the log up to readiness: startup noise the checks leave out. */
    private int linesAtReady;

    private OapServer(Process process, int grpcPort, int restPort, int zipkinPort, Path log) {
        this.process = process;
        this.grpcPort = grpcPort;
        this.restPort = restPort;
        this.zipkinPort = zipkinPort;
        this.log = log;
        this.killer = new Thread(process::destroyForcibly, "oap-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /**
     * Writes the configuration into {@code work}/config and starts the OAP.
     *
     * @param lib the OAP's jars
     * @param config application.yml and the files the OAP will not start without
     * @param rules folders of MAL rules, copied under config/otel-rules/
     */
    static OapServer start(Path lib, Path config, Path rules, Path work) throws Exception {
        StandaloneFlink.deleteRecursively(work);
        Path configDir = work.resolve("config");
        copyTree(config, configDir);
        copyTree(rules, configDir.resolve("otel-rules"));
        Files.createDirectories(work);
        Path log = work.resolve("oap.log");
        int grpcPort = StandaloneFlink.freePort();
        int restPort = StandaloneFlink.freePort();
        int zipkinPort = StandaloneFlink.freePort();
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.add("-Dlog4j.configurationFile=" + configDir.resolve("log4j2.xml"));
        command.add("-Dcore.default.gRPCPort=" + grpcPort);
        command.add("-Dcore.default.restPort=" + restPort);
        command.add("-Dquery-zipkin.default.restPort=" + zipkinPort);
        command.add("-cp");
        command.add(configDir + java.io.File.pathSeparator + lib.resolve("*"));
        command.add(MAIN);
        Process process =
                new ProcessBuilder(command)
                        .directory(work.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        return new OapServer(process, grpcPort, restPort, zipkinPort, log);
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
