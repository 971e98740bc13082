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
package dev.flinkmetrics.skywalking.testing;

import dev.flinkmetrics.skywalking.testing.swevent.Commands;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A SkyWalking event receiver in the test JVM: serves {@code skywalking.v3.EventService/collect}
 * (client streaming) on 127.0.0.1 and decodes each message with the classes generated from the
 * test's copy of the event contract. Like the OAP, an event whose layer it does not know ends the
 * whole stream with INVALID_ARGUMENT. It also accepts OTLP metrics and drops them, so that a metric
 * reporter can point at it. {@link OtlpTestServer} mounts the same {@link Events} service.
 */
public final class EventTestServer implements AutoCloseable {

    static final MethodDescriptor.Marshaller<byte[]> BYTES =
            new MethodDescriptor.Marshaller<byte[]>() {
                @Override
                public InputStream stream(byte[] value) {
                    return new ByteArrayInputStream(value);
                }

                @Override
                public byte[] parse(InputStream stream) {
                    try {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        byte[] buf = new byte[8192];
                        int n;
                        while ((n = stream.read(buf)) > 0) {
                            out.write(buf, 0, n);
                        }
                        return out.toByteArray();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };

    /**
     * The event service and what it received; mounted by this server and by {@link OtlpTestServer}.
     */
    public static final class Events {
        private final List<Event> events = new CopyOnWriteArrayList<>();
        private final AtomicInteger calls = new AtomicInteger();
        private final Object changes = new Object();
        private volatile Status failWith;
        private volatile long delayMillis;
        private volatile Set<String> layers = new HashSet<>(Arrays.asList("GENERAL", "FLINK"));

        ServerServiceDefinition definition() {
            MethodDescriptor<byte[], byte[]> collect =
                    MethodDescriptor.<byte[], byte[]>newBuilder()
                            .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
                            .setFullMethodName("skywalking.v3.EventService/collect")
                            .setRequestMarshaller(BYTES)
                            .setResponseMarshaller(BYTES)
                            .build();
            return ServerServiceDefinition.builder("skywalking.v3.EventService")
                    .addMethod(collect, this::collect)
                    .build();
        }

        /**
         * One call of the event stream: each message an event, answered when the client is done.
         */
        private ServerCall.Listener<byte[]> collect(
                ServerCall<byte[], byte[]> call, io.grpc.Metadata h) {
            calls.incrementAndGet();
            call.request(1);
            return new ServerCall.Listener<byte[]>() {
                private final List<Event> stream = new ArrayList<>();
                private boolean ended;

                @Override
                public void onMessage(byte[] message) {
                    if (ended) {
                        return;
                    }
                    try {
                        Event event = Event.parseFrom(message);
                        if (!layers.contains(event.getLayer())) {
                            ended = true;
                            call.close(
                                    Status.INVALID_ARGUMENT.withDescription(
                                            "layer '" + event.getLayer() + "' is not known"),
                                    new io.grpc.Metadata());
                            changed();
                            return;
                        }
                        stream.add(event);
                    } catch (IOException e) {
                        ended = true;
                        call.close(
                                Status.INTERNAL.withDescription(e.toString()),
                                new io.grpc.Metadata());
                        return;
                    }
                    call.request(1);
                }

                @Override
                public void onHalfClose() {
                    if (ended) {
                        return;
                    }
                    sleep(delayMillis);
                    if (Context.current().isCancelled()) {
                        return; // the client gave up while the answer was held back
                    }
                    Status status = failWith;
                    if (status != null) {
                        call.close(status, new io.grpc.Metadata());
                    } else {
                        events.addAll(stream);
                        call.sendHeaders(new io.grpc.Metadata());
                        call.sendMessage(Commands.getDefaultInstance().toByteArray());
                        call.close(Status.OK, new io.grpc.Metadata());
                    }
                    changed();
                }
            };
        }

        /** Ends every call with this status (null: accept). */
        public void failWith(Status status) {
            this.failWith = status;
        }

        /** Waits this long before answering a call. */
        public void delay(long millis) {
            this.delayMillis = millis;
        }

        /** The layers accepted, as an OAP of a given version knows them; others are refused. */
        public void acceptLayers(String... accepted) {
            this.layers = new HashSet<>(Arrays.asList(accepted));
        }

        public int calls() {
            return calls.get();
        }

        public List<Event> events() {
            return new ArrayList<>(events);
        }

        /** Waits until the events received so far match. */
        public boolean awaitEvents(Predicate<List<Event>> condition, long timeoutMillis)
                throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            synchronized (changes) {
                while (!condition.test(events())) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(
                            changes, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                }
                return true;
            }
        }

        /** Waits until an event received so far matches. */
        public boolean awaitEvent(Predicate<Event> condition, long timeoutMillis)
                throws InterruptedException {
            return awaitEvents(events -> events.stream().anyMatch(condition), timeoutMillis);
        }

        /** Waits until at least this many calls have ended, accepted or not. */
        public boolean awaitCalls(int count, long timeoutMillis) throws InterruptedException {
            return Conditions.awaitUntil(
                    () -> calls.get() >= count, Duration.ofMillis(timeoutMillis));
        }

        private void changed() {
            synchronized (changes) {
                changes.notifyAll();
            }
        }
    }

    private final Events service = new Events();
    private final AtomicInteger metricCalls = new AtomicInteger();
    private int port;
    private Server server;

    public EventTestServer() throws IOException {
        start(0);
    }

    private synchronized void start(int requestedPort) throws IOException {
        MethodDescriptor<byte[], byte[]> metrics =
                MethodDescriptor.<byte[], byte[]>newBuilder()
                        .setType(MethodDescriptor.MethodType.UNARY)
                        .setFullMethodName(
                                "opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
                        .setRequestMarshaller(BYTES)
                        .setResponseMarshaller(BYTES)
                        .build();
        server =
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", requestedPort))
                        .addService(service.definition())
                        .addService(
                                ServerServiceDefinition.builder(
                                                "opentelemetry.proto.collector.metrics.v1.MetricsService")
                                        .addMethod(metrics, this::metrics)
                                        .build())
                        .build()
                        .start();
        port = server.getPort();
    }

    private ServerCall.Listener<byte[]> metrics(
            ServerCall<byte[], byte[]> call, io.grpc.Metadata h) {
        metricCalls.incrementAndGet();
        call.request(1);
        return new ServerCall.Listener<byte[]>() {
            @Override
            public void onHalfClose() {
                call.sendHeaders(new io.grpc.Metadata());
                call.sendMessage(new byte[0]);
                call.close(Status.OK, new io.grpc.Metadata());
            }
        };
    }

    /**
     * Holds the answer back this long, or until the client gives up, as a real receiver would stop
     * working on a call nobody waits for.
     */
    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        CountDownLatch cancelled = new CountDownLatch(1);
        Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
        try {
            cancelled.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public void failWith(Status status) {
        service.failWith(status);
    }

    public void delay(long millis) {
        service.delay(millis);
    }

    public void acceptLayers(String... accepted) {
        service.acceptLayers(accepted);
    }

    public int calls() {
        return service.calls();
    }

    public List<Event> events() {
        return service.events();
    }

    public void stop() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    public void restart() throws IOException {
        start(port);
    }

    public boolean awaitEvents(Predicate<List<Event>> condition, long timeoutMillis)
            throws InterruptedException {
        return service.awaitEvents(condition, timeoutMillis);
    }

    public boolean awaitCalls(int count, long timeoutMillis) throws InterruptedException {
        return service.awaitCalls(count, timeoutMillis);
    }

    /** Metric export calls received (each answered, its content not kept). */
    public int metricCalls() {
        return metricCalls.get();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
