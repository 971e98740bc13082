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
package dev.flinkmetrics.skywalking.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An OTLP/HTTP receiver that takes the connection and stops reading cannot hold the exporter. */
class HttpDeadlineTest {

    @Test
    void writingTheBodyEndsAtTheDeadline() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket oap = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor =
                    new Thread(
                            () -> {
                                try {
                                    while (true) {
                                        held.add(oap.accept()); // and never reads
                                    }
                                } catch (Exception e) {
                                    // closed
                                }
                            });
            acceptor.setDaemon(true);
            acceptor.start();
            ConnectionSettings connection =
                    ConnectionSettings.read(
                            new OptionReader(
                                    TestGroups.properties(
                                            "endpoint",
                                            "http://127.0.0.1:" + oap.getLocalPort(),
                                            "protocol",
                                            "http/protobuf",
                                            "timeout",
                                            "1 s")));
            PluginProcess process = new PluginProcess();
            ExportMethod method = new ExportMethod("x.X/Export", "/v1/metrics", "OTLP", "it");
            // Far more than the socket buffers take: the write blocks once they are full.
            byte[] body = new byte[64 * 1024 * 1024];
            new Random(1).nextBytes(body);
            try (Sender sender = SenderFactory.create(connection, method, process)) {
                assertTimeoutPreemptively(
                        Duration.ofSeconds(30),
                        () ->
                                assertThatThrownBy(
                                                () ->
                                                        sender.send(
                                                                body,
                                                                body.length,
                                                                System.nanoTime()
                                                                        + TimeUnit.SECONDS.toNanos(
                                                                                1)))
                                        .isInstanceOf(ExportException.class)
                                        .hasMessageContaining("deadline"));
            }
            assertThat(held).isNotEmpty();
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
