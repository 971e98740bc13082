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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Horizon UI, SkyWalking's web UI from 11.0 on, as its source build runs it ({@code node
 * dist/server.js} of a tree where {@code pnpm package} ran), on 127.0.0.1 and a free port, in live
 * mode against an OAP 11: its templates live in the OAP, which it fills with the templates it ships
 * at its first start. One local user, {@code admin}, with a password made for the run. Ended by its
 * PID on close.
 */
final class HorizonServer implements AutoCloseable {

    static final String USER = "admin";

    final int port;
    final String password;
    final Path log;
    private final Process process;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread killer;

    private HorizonServer(Process process, int port, String password, Path log) {
        this.process = process;
        this.port = port;
        this.password = password;
        this.log = log;
        this.killer = new Thread(process::destroyForcibly, "horizon-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /**
     * Starts Horizon from {@code horizonDir} with the Node at {@code node} (24 or later), talking
     * to the OAP's GraphQL ({@code restPort}), admin ({@code adminPort}) and Zipkin query ({@code
     * zipkinPort}) ports.
     */
    static HorizonServer start(
            Path horizonDir,
            String node,
            int restPort,
            int adminPort,
            int zipkinPort,
            Path work,
            Path logs)
            throws Exception {
        Path dist = horizonDir.resolve("dist");
        Files.createDirectories(work);
        Files.createDirectories(logs);
        String password = UUID.randomUUID().toString();
        String hash = hash(horizonDir, node, password, work);
        int port = StandaloneFlink.freePort();
        Path log = logs.resolve("horizon.log");
        ProcessBuilder builder =
                new ProcessBuilder(node, dist.resolve("server.js").toString())
                        .directory(work.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("HORIZON_CONFIG", dist.resolve("horizon.yaml").toString());
        env.put("HORIZON_SERVER_HOST", "127.0.0.1");
        env.put("HORIZON_SERVER_PORT", String.valueOf(port));
        env.put("HORIZON_TEMPLATES_MODE", "live");
        env.put("HORIZON_OAP_QUERY_URL", "http://127.0.0.1:" + restPort);
        env.put("HORIZON_OAP_ADMIN_URL", "http://127.0.0.1:" + adminPort);
        env.put("HORIZON_OAP_ZIPKIN_URL", "http://127.0.0.1:" + zipkinPort + "/zipkin");
        env.put(
                "HORIZON_AUTH_LOCAL_USERS",
                "[{\"username\":\""
                        + USER
                        + "\",\"passwordHash\":\""
                        + hash
                        + "\",\"roles\":[\"admin\"]}]");
        return new HorizonServer(builder.start(), port, password, log);
    }

    /** The argon2id hash Horizon's local users carry, made by Horizon's own command. */
    private static String hash(Path horizonDir, String node, String password, Path work)
            throws Exception {
        Path bff = horizonDir.resolve("apps").resolve("bff");
        Path out = work.resolve("hash.txt");
        ProcessBuilder builder =
                new ProcessBuilder(
                                Arrays.asList(
                                        node,
                                        bff.resolve("node_modules")
                                                .resolve("tsx")
                                                .resolve("dist")
                                                .resolve("cli.mjs")
                                                .toString(),
                                        bff.resolve("src")
                                                .resolve("cli")
                                                .resolve("hash.ts")
                                                .toString(),
                                        password))
                        .directory(bff.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(out.toFile());
        Process p = builder.start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(
                        "Horizon's hash command failed: " + StandaloneFlink.read(out));
            }
        } finally {
            if (p.isAlive()) {
                StandaloneFlink.stop(p);
            }
        }
        String hash = StandaloneFlink.read(out).trim();
        Files.delete(out);
        if (!hash.startsWith("$argon2id$")) {
            throw new IllegalStateException("Horizon's hash command printed no hash");
        }
        return hash;
    }

    /** Waits until Horizon answers its health check. */
    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Horizon exited while starting:\n" + tail(40));
            }
            try {
                HttpResponse<String> health =
                        http.send(
                                HttpRequest.newBuilder(URI.create(url() + "/api/health"))
                                        .timeout(Duration.ofSeconds(5))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Horizon was not ready in " + timeout + ":\n" + tail(40));
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    String tail(int count) {
        String[] lines = StandaloneFlink.read(log).split("\n");
        return String.join(
                "\n",
                Arrays.asList(lines).subList(Math.max(0, lines.length - count), lines.length));
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
}
