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

import dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory;
import dev.flinkmetrics.skywalking.SkyWalkingReporterFactory;
import dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.events.Event;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.Scheduled;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;

/**
 * How long {@code close()} of the metric, trace and event reporters takes when the receiver does
 * not help: one that accepts calls and never answers (stalled), none at all (nothing listening),
 * one that answers after a delay beyond the timeout (slow); and, for the metric reporter, a close
 * racing Flink's reporter thread calling {@code report()} against a receiver that answers at once.
 * Each reporter has something to send when it closes (a report in flight, a span, an event), and
 * gets a process of its own, so no connection is shared between repetitions.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.flinkmetrics.benchmarks.CloseTimes
 *     [--repetitions=20] [--timeout-ms=1000] [--slow-ms=3000]
 * </pre>
 *
 * <p>Prints one table: min, median and max of {@code close()} in milliseconds per reporter and
 * receiver.
 */
public final class CloseTimes {

    private static final String[] RECEIVERS = {
        "stalled (accepts, never answers)",
        "nothing listening",
        "slow (answers after the delay)",
        "answers at once, close racing report()"
    };

    private CloseTimes() {}

    public static void main(String[] args) throws Exception {
        int repetitions = 20;
        long timeoutMillis = 1000;
        long slowMillis = 3000;
        for (String arg : args) {
            if (arg.startsWith("--repetitions=")) {
                repetitions = Integer.parseInt(arg.substring("--repetitions=".length()));
            } else if (arg.startsWith("--timeout-ms=")) {
                timeoutMillis = Long.parseLong(arg.substring("--timeout-ms=".length()));
            } else if (arg.startsWith("--slow-ms=")) {
                slowMillis = Long.parseLong(arg.substring("--slow-ms=".length()));
            } else {
                System.err.println(
                        "usage: CloseTimes [--repetitions=20] [--timeout-ms=1000]"
                                + " [--slow-ms=3000]");
                System.exit(2);
            }
        }
        StringBuilder table = new StringBuilder();
        table.append(
                String.format(
                        Locale.ROOT,
                        "close() in ms, timeout %d ms, slow receiver answering after %d ms,"
                                + " %d repetitions; %d CPUs, %s %s%n%n",
                        timeoutMillis,
                        slowMillis,
                        repetitions,
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.vm.name"),
                        System.getProperty("java.runtime.version")));
        table.append("| reporter | receiver | min | median | max |\n|---|---|---:|---:|---:|\n");
        ScheduledExecutorService answers = Executors.newScheduledThreadPool(2);
        Receiver stalled = new Receiver(answers, -1);
        Receiver slow = new Receiver(answers, slowMillis);
        Receiver prompt = new Receiver(answers, 0);
        int closedPort = closedPort();
        try {
            for (String kind : new String[] {"metric", "trace", "event"}) {
                for (String receiver : RECEIVERS) {
                    String endpoint;
                    if (receiver.startsWith("stalled")) {
                        endpoint = stalled.endpoint();
                    } else if (receiver.startsWith("nothing")) {
                        endpoint = "http://127.0.0.1:" + closedPort;
                    } else if (receiver.startsWith("slow")) {
                        endpoint = slow.endpoint();
                    } else {
                        if (!kind.equals("metric")) {
                            continue;
                        }
                        endpoint = prompt.endpoint();
                    }
                    boolean race = receiver.contains("racing");
                    List<Long> nanos = new ArrayList<>();
                    // One more than measured: the first warms the classes up.
                    for (int i = 0; i <= repetitions; i++) {
                        long took = closeOnce(kind, endpoint, timeoutMillis, race);
                        if (i > 0) {
                            nanos.add(took);
                        }
                    }
                    Collections.sort(nanos);
                    String row =
                            String.format(
                                    Locale.ROOT,
                                    "| %s | %s | %s | %s | %s |%n",
                                    kind,
                                    receiver,
                                    ms(nanos.get(0)),
                                    ms(median(nanos)),
                                    ms(nanos.get(nanos.size() - 1)));
                    System.out.print(row);
                    System.out.flush();
                    table.append(row);
                }
            }
        } finally {
            stalled.close();
            slow.close();
            prompt.close();
            answers.shutdownNow();
        }
        System.out.println();
        System.out.print(table);
        // Reporters of the race may leave the JVM's exit hooks of their processes nothing to do;
        // the stalled receiver's calls are cancelled above.
        System.exit(0);
    }

    /** Opens a reporter, gives it something to send, closes it; returns how long close() took. */
    private static long closeOnce(String kind, String endpoint, long timeoutMillis, boolean race)
            throws Exception {
        Properties p = new Properties();
        p.setProperty("endpoint", endpoint);
        p.setProperty("cluster", "close-times");
        p.setProperty("timeout", timeoutMillis + " ms");
        MetricConfig config = new MetricConfig();
        config.putAll(p);
        PluginProcess process = new PluginProcess();
        switch (kind) {
            case "metric":
                {
                    MetricReporter created =
                            new SkyWalkingReporterFactory(process).createMetricReporter(p);
                    Scheduled reporter = (Scheduled) created;
                    created.open(config);
                    Fixture fixture = new Fixture(Fixture.METRICS_PER_GROUP * 5);
                    for (Fixture.Registration r : fixture.registrations) {
                        created.notifyOfAddedMetric(r.metric, r.name, r.group);
                    }
                    // A report in flight when close() comes, as Flink's reporter thread leaves it.
                    reporter.report();
                    if (!race) {
                        return timeClose(created::close);
                    }
                    AtomicBoolean stop = new AtomicBoolean();
                    AtomicLong reports = new AtomicLong();
                    Thread flinkThread =
                            new Thread(
                                    () -> {
                                        while (!stop.get()) {
                                            reporter.report();
                                            reports.incrementAndGet();
                                        }
                                    },
                                    "reporter-thread");
                    flinkThread.start();
                    while (reports.get() < 100) {
                        Thread.onSpinWait();
                    }
                    long took = timeClose(created::close);
                    stop.set(true);
                    flinkThread.join(10_000);
                    return took;
                }
            case "trace":
                {
                    TraceReporter reporter =
                            new SkyWalkingTraceReporterFactory(process).createTraceReporter(p);
                    reporter.open(config);
                    long now = System.currentTimeMillis();
                    reporter.notifyOfAddedSpan(
                            Span.builder(CloseTimes.class, "Checkpoint")
                                    .setStartTsMillis(now - 100)
                                    .setEndTsMillis(now)
                                    .setAttribute("checkpointId", 1L)
                                    .build());
                    return timeClose(reporter::close);
                }
            case "event":
                {
                    EventReporter reporter =
                            new SkyWalkingEventReporterFactory(process).createEventReporter(p);
                    reporter.open(config);
                    reporter.notifyOfAddedEvent(
                            Event.builder(CloseTimes.class, "JobStatusChangeEvent")
                                    .setObservedTsMillis(System.currentTimeMillis())
                                    .setSeverity("INFO")
                                    .setAttribute("newJobStatus", "RUNNING")
                                    .build());
                    return timeClose(reporter::close);
                }
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    private static long timeClose(Runnable close) {
        long start = System.nanoTime();
        close.run();
        return System.nanoTime() - start;
    }

    private static long median(List<Long> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.0f", nanos / 1e6);
    }

    /** A loopback port that was free a moment ago and that nothing listens on. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /**
     * A gRPC server on 127.0.0.1 that takes any unary or client-streaming call (OTLP metrics and
     * traces, SkyWalking events) and answers an empty message after {@code delayMillis}, or never
     * when it is negative. An empty message is a valid answer to all of them.
     */
    private static final class Receiver implements AutoCloseable {
        private final Server server;

        Receiver(ScheduledExecutorService answers, long delayMillis) throws IOException {
            MethodDescriptor.Marshaller<byte[]> bytes =
                    new MethodDescriptor.Marshaller<byte[]>() {
                        @Override
                        public InputStream stream(byte[] value) {
                            return new ByteArrayInputStream(value);
                        }

                        @Override
                        public byte[] parse(InputStream stream) {
                            try {
                                return stream.readAllBytes();
                            } catch (IOException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    };
            ServerCallHandler<byte[], byte[]> handler =
                    new ServerCallHandler<byte[], byte[]>() {
                        @Override
                        public ServerCall.Listener<byte[]> startCall(
                                ServerCall<byte[], byte[]> call, Metadata headers) {
                            call.request(Integer.MAX_VALUE);
                            return new ServerCall.Listener<byte[]>() {
                                @Override
                                public void onHalfClose() {
                                    if (delayMillis < 0) {
                                        return;
                                    }
                                    answers.schedule(
                                            () -> answer(call), delayMillis, TimeUnit.MILLISECONDS);
                                }
                            };
                        }
                    };
            HandlerRegistry any =
                    new HandlerRegistry() {
                        @Override
                        public ServerMethodDefinition<?, ?> lookupMethod(
                                String methodName, String authority) {
                            MethodDescriptor<byte[], byte[]> method =
                                    MethodDescriptor.<byte[], byte[]>newBuilder()
                                            .setType(MethodDescriptor.MethodType.UNKNOWN)
                                            .setFullMethodName(methodName)
                                            .setRequestMarshaller(bytes)
                                            .setResponseMarshaller(bytes)
                                            .build();
                            return ServerMethodDefinition.create(method, handler);
                        }
                    };
            server =
                    NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                            .fallbackHandlerRegistry(any)
                            .build()
                            .start();
        }

        private static void answer(ServerCall<byte[], byte[]> call) {
            try {
                call.sendHeaders(new Metadata());
                call.sendMessage(new byte[0]);
                call.close(Status.OK, new Metadata());
            } catch (RuntimeException e) {
                // The client gave up (deadline): nothing to answer.
            }
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getPort();
        }

        @Override
        public void close() throws InterruptedException {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
