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
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a failed send says about the connection, over gRPC and OTLP/HTTP, on real sockets on
 * 127.0.0.1: a refused connection is "nothing listens", a deadline spent before any connection is
 * "no connection within", and only a request sent on an open connection and not answered is "did
 * not answer". Each case is one that no timing can turn into another: a refused port is refused at
 * once and gets a long timeout; a peer that never completes the connection cannot complete it late;
 * a stalled call runs on a connection made before.
 */
class ConnectionFailureTest {

    private static final ExportMethod TRACES =
            new ExportMethod(
                    "opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    "/v1/traces",
                    "OTLP traces",
                    "it");

    private final PluginProcess process = new PluginProcess();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private Sender sender(String protocol, int port, String timeout) {
        ConnectionSettings connection =
                ConnectionSettings.read(
                        new OptionReader(
                                TestGroups.properties(
                                        "endpoint",
                                        "http://127.0.0.1:" + port,
                                        "protocol",
                                        protocol,
                                        "timeout",
                                        timeout)));
        Sender sender = SenderFactory.create(connection, TRACES, process);
        closing.add(0, sender);
        return sender;
    }

    private static ExportException failure(Sender sender, long timeoutMillis) {
        return catchThrowableOfType(
                ExportException.class,
                () ->
                        sender.send(
                                new byte[0],
                                0,
                                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis)));
    }

    /** A port nothing listens on: bound once, then closed. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Takes every TCP connection and never reads or writes: no gRPC handshake ever completes. */
    private int silentPeer() throws IOException {
        ServerSocket peer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor =
                new Thread(
                        () -> {
                            try {
                                while (true) {
                                    held.add(peer.accept());
                                }
                            } catch (IOException e) {
                                // closed
                            }
                        });
        acceptor.setDaemon(true);
        acceptor.start();
        closing.add(
                () -> {
                    peer.close();
                    for (Socket s : held) {
                        s.close();
                    }
                });
        return peer.getLocalPort();
    }

    /**
     * A listening port whose accept queue is full, never accepted from: the kernel drops further
     * connection attempts, so no connection to it can ever be made.
     */
    private int fullBacklog() throws IOException {
        ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        List<Socket> fillers = new ArrayList<>();
        closing.add(
                () -> {
                    for (Socket s : fillers) {
                        s.close();
                    }
                    listening.close();
                });
        for (int i = 0; i < 64; i++) {
            Socket filler = new Socket();
            try {
                filler.connect(
                        new InetSocketAddress(
                                InetAddress.getLoopbackAddress(), listening.getLocalPort()),
                        1000);
                fillers.add(filler);
            } catch (SocketTimeoutException full) {
                filler.close();
                return listening.getLocalPort();
            }
        }
        throw new IllegalStateException("the accept queue never filled");
    }

    @Test
    void grpcToAPortNothingListensOn() throws Exception {
        int port = closedPort();
        ExportException e = failure(sender("grpc", port, "30 s"), 30_000);
        assertThat(e.kind).isEqualTo(ExportException.Kind.UNAVAILABLE);
        assertThat(e.getMessage()).contains("UNAVAILABLE");
        assertThat(e.hint)
                .startsWith(
                        "Nothing listens at 127.0.0.1:" + port + " (the connection was refused).")
                .doesNotContain("did not answer");
    }

    @Test
    void grpcToAPeerThatTakesTheConnectionAndNeverSpeaks() throws Exception {
        int port = silentPeer();
        ExportException e = failure(sender("grpc", port, "1 s"), 1000);
        assertThat(e.kind).isEqualTo(ExportException.Kind.UNAVAILABLE);
        assertThat(e.getMessage()).contains("DEADLINE_EXCEEDED");
        assertThat(e.hint)
                .startsWith("No connection to 127.0.0.1:" + port + " within 1000 ms")
                .doesNotContain("did not answer");
    }

    @Test
    void grpcToAPortWhoseAcceptQueueIsFull() throws Exception {
        int port = fullBacklog();
        ExportException e = failure(sender("grpc", port, "1 s"), 1000);
        assertThat(e.getMessage()).contains("DEADLINE_EXCEEDED");
        assertThat(e.hint).startsWith("No connection to 127.0.0.1:" + port + " within 1000 ms");
    }

    @Test
    void grpcToAReceiverThatStallsTheCallOnAnOpenConnection() throws Exception {
        OtlpTestServer server = new OtlpTestServer();
        closing.add(server);
        Sender sender = sender("grpc", server.port(), "2 s");
        // The connection is made by a first call that is answered, with all the time it needs.
        sender.send(new byte[0], 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
        server.delay(TimeUnit.MINUTES.toMillis(1));

        ExportException e = failure(sender, 2000);
        assertThat(server.calls()).isEqualTo(2);
        assertThat(e.getMessage()).contains("DEADLINE_EXCEEDED").contains("remote_addr");
        assertThat(e.hint)
                .startsWith("The OAP did not answer within 2000 ms")
                .doesNotContain("No connection");
    }

    @Test
    void httpToAPortNothingListensOn() throws Exception {
        int port = closedPort();
        ExportException e = failure(sender("http/protobuf", port, "30 s"), 30_000);
        assertThat(e.kind).isEqualTo(ExportException.Kind.UNAVAILABLE);
        assertThat(e.getMessage()).contains("ConnectException");
        assertThat(e.hint)
                .startsWith(
                        "Nothing listens at 127.0.0.1:" + port + " (the connection was refused).");
    }

    @Test
    void httpToAPortWhoseAcceptQueueIsFull() throws Exception {
        int port = fullBacklog();
        ExportException e = failure(sender("http/protobuf", port, "1 s"), 1000);
        assertThat(e.kind).isEqualTo(ExportException.Kind.UNAVAILABLE);
        assertThat(e.hint)
                .startsWith("No connection to 127.0.0.1:" + port + " within 1000 ms")
                .doesNotContain("did not answer");
    }

    @Test
    void httpToAPeerThatTakesTheRequestAndNeverAnswers() throws Exception {
        int port = silentPeer();
        ExportException e = failure(sender("http/protobuf", port, "1 s"), 1000);
        assertThat(e.kind).isEqualTo(ExportException.Kind.UNAVAILABLE);
        assertThat(e.hint)
                .startsWith("The OAP did not answer within 1000 ms")
                .doesNotContain("No connection");
    }
}
