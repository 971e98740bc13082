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
package dev.flinkmetrics.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/** Starts {@link OtlpSink} in its own JVM and reads its counters. */
final class SinkProcess implements AutoCloseable {

    private final Process process;
    private final Thread shutdownHook;
    private final Socket control;
    private final BufferedReader controlIn;
    private final OutputStream controlOut;
    final int grpcPort;

    SinkProcess() throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        process =
                new ProcessBuilder(
                                java,
                                "-Xmx1g",
                                "-XX:+UseSerialGC",
                                "-cp",
                                System.getProperty("java.class.path"),
                                OtlpSink.class.getName())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        long pid = process.pid();
        shutdownHook =
                new Thread(
                        () -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly),
                        "kill-otlp-sink");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("PORTS ")) {
            close();
            throw new IOException("the OTLP sink did not start: " + line);
        }
        String[] ports = line.split(" ");
        grpcPort = Integer.parseInt(ports[1]);
        control = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(ports[2]));
        controlIn =
                new BufferedReader(
                        new InputStreamReader(control.getInputStream(), StandardCharsets.US_ASCII));
        controlOut = control.getOutputStream();
    }

    String endpoint() {
        return "http://127.0.0.1:" + grpcPort;
    }

    /** Totals so far: requests, protobuf bytes, points, wire bytes. */
    long[] stats() throws IOException {
        controlOut.write('\n');
        controlOut.flush();
        String[] parts = controlIn.readLine().split(" ");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Long.parseLong(parts[i]);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            if (control != null) {
                control.close();
            }
        } catch (IOException | RuntimeException e) {
            // the process goes anyway
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
