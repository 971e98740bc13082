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

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A host name that resolves to several addresses, as a headless Kubernetes service of OAP pods
 * does: one node per address, resolved again as pods come and go. The receivers listen on
 * 127.0.0.1, 127.0.0.2 and 127.0.0.3 (all loopback), on one port, as pods behind one service do.
 */
class FailoverSenderTest {

    private static final ExportMethod METRICS =
            new ExportMethod(
                    "opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                    "/v1/metrics",
                    "OTLP metrics",
                    "the otel receiver enabled");
    private static final byte[] REQUEST =
            ExportMetricsServiceRequest.getDefaultInstance().toByteArray();

    private final List<OtlpTestServer> pods = new ArrayList<>();
    private final AtomicReference<InetAddress[]> dns = new AtomicReference<>();
    private FailoverSender sender;

    @AfterEach
    void stop() throws Exception {
        if (sender != null) {
            sender.close();
        }
        for (OtlpTestServer pod : pods) {
            pod.close();
        }
    }

    private int startPods(int count) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        for (int i = 1; i <= count; i++) {
            pods.add(new OtlpTestServer("127.0.0." + i, port));
        }
        return port;
    }

    @Test
    void creatingTheSenderResolvesNothingTheFirstSendDoes() throws Exception {
        int port = startPods(2);
        dns.set(addresses(1, 2));
        AtomicInteger resolved = new AtomicInteger();
        sender =
                sender(
                        port,
                        TimeUnit.SECONDS.toNanos(30),
                        made -> made,
                        host -> {
                            resolved.incrementAndGet();
                            return dns.get();
                        });
        // Flink's thread creates the reporter: a slow DNS must not hold it.
        assertThat(resolved.get()).isZero();
        sender.send(REQUEST, REQUEST.length, deadline());
        assertThat(resolved.get()).isEqualTo(1);
    }

    @Test
    void aSendAfterCloseMakesNoSenderThatNothingWouldClose() throws Exception {
        int port = startPods(1);
        dns.set(addresses(1));
        List<Sender> made = new java.util.concurrent.CopyOnWriteArrayList<>();
        sender =
                sender(
                        port,
                        TimeUnit.SECONDS.toNanos(30),
                        s -> {
                            made.add(s);
                            return s;
                        },
                        host -> dns.get());
        // The export thread sends as close runs on another thread.
        sender.close(deadline());
        assertThatThrownBy(() -> sender.send(REQUEST, REQUEST.length, deadline()))
                .isInstanceOf(ExportException.class);
        assertThat(made).isEmpty();
        assertThat(process.openChannels()).isZero();
    }

    private static InetAddress[] addresses(int... lastOctets) throws Exception {
        InetAddress[] ips = new InetAddress[lastOctets.length];
        for (int i = 0; i < ips.length; i++) {
            ips[i] = InetAddress.getByName("127.0.0." + lastOctets[i]);
        }
        return ips;
    }

    private final PluginProcess process = new PluginProcess();

    private GrpcSender grpc(ConnectionSettings connection, Credentials credentials, Node node) {
        return new GrpcSender(connection, METRICS, node, credentials, process.channels, null);
    }

    private static ConnectionSettings settings(int port) {
        return ConnectionSettings.read(
                new OptionReader(
                        TestGroups.properties(
                                "endpoint", "http://oap-headless.skywalking:" + port)));
    }

    private FailoverSender sender(int port, long resolveEveryNanos) {
        return sender(
                port,
                resolveEveryNanos,
                made -> made,
                host -> host.equals("oap-headless.skywalking") ? dns.get() : new InetAddress[0]);
    }

    /** A sender over gRPC senders, each handed to {@code onMade}, resolving with {@code dns}. */
    private FailoverSender sender(
            int port,
            long resolveEveryNanos,
            UnaryOperator<Sender> onMade,
            Function<String, InetAddress[]> dns) {
        ConnectionSettings connection = settings(port);
        Credentials credentials = new Credentials(connection);
        return new FailoverSender(
                connection,
                METRICS,
                credentials,
                node -> onMade.apply(grpc(connection, credentials, node)),
                dns,
                resolveEveryNanos);
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    }

    private int podsWithRequests() {
        return (int) pods.stream().filter(p -> !p.received().isEmpty()).count();
    }

    @Test
    void everyAddressOfTheNameIsANodeAndPodsThatComeAndGoAreFollowed() throws Exception {
        int port = startPods(3);
        dns.set(addresses(1, 2));
        try (LogCapture log = LogCapture.capture()) {
            sender = sender(port, 0); // resolve before every request
            sender.send(REQUEST, REQUEST.length, deadline());
            assertThat(podsWithRequests()).isEqualTo(1);
            assertThat(pods.get(2).calls()).isZero();

            // The pod in use goes away and a new one comes: the service now names 2 and 3.
            OtlpTestServer using = pods.get(0).calls() > 0 ? pods.get(0) : pods.get(1);
            using.stop();
            dns.set(using == pods.get(0) ? addresses(2, 3) : addresses(1, 3));
            for (OtlpTestServer pod : pods) {
                pod.clear();
            }
            sender.send(REQUEST, REQUEST.length, deadline());
            assertThat(using.received()).isEmpty();
            assertThat(podsWithRequests()).isEqualTo(1);
            assertThat(log.at(Level.INFO))
                    .filteredOn(m -> m.contains("OAP nodes for"))
                    .singleElement()
                    .asString()
                    .contains("127.0.0.3");

            // The pod in use fails; the other one takes over within the same send.
            OtlpTestServer now =
                    pods.stream().filter(p -> !p.received().isEmpty()).findFirst().get();
            now.stop();
            sender.send(REQUEST, REQUEST.length, deadline());
            assertThat(log.at(Level.WARN))
                    .singleElement()
                    .asString()
                    .contains(
                            "OAP node oap-headless.skywalking["
                                    + now.endpoint()
                                            .substring("http://".length())
                                            .replace(":", "]:")
                                    + " failed");
        }
    }

    @Test
    void aNameWithOneAddressIsLeftToTheChannelAsWithOneEndpoint() throws Exception {
        int port = startPods(1);
        dns.set(addresses(1));
        sender = sender(port, TimeUnit.SECONDS.toNanos(30));
        // The channel resolves the name itself; it does not exist, so the send fails.
        try {
            sender.send(REQUEST, REQUEST.length, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
            throw new AssertionError("sent to a name that does not resolve");
        } catch (ExportException e) {
            assertThat(e.kind).isEqualTo(ExportException.Kind.UNAVAILABLE);
            assertThat(sender.target()).isEqualTo("http://oap-headless.skywalking:" + port);
        }
        assertThat(pods.get(0).calls()).isZero();
    }
}
