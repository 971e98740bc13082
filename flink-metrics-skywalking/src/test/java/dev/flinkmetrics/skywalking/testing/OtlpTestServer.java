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

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A real OTLP gRPC receiver on 127.0.0.1 for tests. It records every request with its headers, can
 * answer with an error status or slowly, can be stopped and started again on the same port, and
 * turns requests into samples the way SkyWalking OAP does. It serves the trace service too (unless
 * told not to, as an OAP without {@code otlp-traces}), and keeps the trace requests apart.
 */
public final class OtlpTestServer implements AutoCloseable {

    /** One request as received. */
    public static final class Received {
        public final ExportMetricsServiceRequest request;
        public final Map<String, String> headers;
        public final long serializedSize;

        Received(ExportMetricsServiceRequest request, Map<String, String> headers) {
            this.request = request;
            this.headers = headers;
            this.serializedSize = request.getSerializedSize();
        }
    }

    /** One sample as OAP's MAL sees it: name, merged labels, value. */
    public static final class Sample {
        public final String name;
        public final Map<String, String> labels;
        public final double value;
        public final String type;

        Sample(String name, Map<String, String> labels, double value, String type) {
            this.name = name;
            this.labels = labels;
            this.value = value;
            this.type = type;
        }

        @Override
        public String toString() {
            return name + labels + "=" + value + " (" + type + ")";
        }
    }

    private static final Context.Key<Map<String, String>> HEADERS = Context.key("headers");

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<ExportTraceServiceRequest> traceRequests = new CopyOnWriteArrayList<>();
    private volatile boolean serveTraces = true;
    private final EventTestServer.Events events = new EventTestServer.Events();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Long> deadlinesMillis = new CopyOnWriteArrayList<>();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final Object changes = new Object();
    private volatile Status failWith;
    private final AtomicInteger failNextCount = new AtomicInteger();
    private volatile Status failNextStatus;
    private volatile String requiredToken;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile long delayMillis;
    private volatile int maxInboundBytes = 4 * 1024 * 1024;
    private final String bindAddress;
    private int port;
    private Server server;
    private final io.grpc.netty.shaded.io.netty.handler.ssl.SslContext ssl;

    public OtlpTestServer() throws IOException {
        this("127.0.0.1", 0);
    }

    /** A plaintext receiver on one loopback address, for tests of several OAP nodes. */
    public OtlpTestServer(String loopbackAddress, int port) throws IOException {
        this.ssl = null;
        this.bindAddress = loopbackAddress;
        start(port);
    }

    /**
     * A TLS receiver with the given certificate and key, optionally requiring client certificates.
     */
    public OtlpTestServer(File cert, File key, File clientCa) throws IOException {
        io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder builder =
                io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forServer(cert, key);
        if (clientCa != null) {
            builder.trustManager(clientCa)
                    .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE);
        }
        this.ssl = builder.build();
        this.bindAddress = "127.0.0.1";
        start(0);
    }

    public synchronized void start(int requestedPort) throws IOException {
        NettyServerBuilder builder =
                NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, requestedPort))
                        .maxInboundMessageSize(maxInboundBytes)
                        .addTransportFilter(
                                new io.grpc.ServerTransportFilter() {
                                    @Override
                                    public io.grpc.Attributes transportReady(
                                            io.grpc.Attributes attributes) {
                                        connections.incrementAndGet();
                                        openConnections.incrementAndGet();
                                        return attributes;
                                    }

                                    @Override
                                    public void transportTerminated(io.grpc.Attributes attributes) {
                                        openConnections.decrementAndGet();
                                    }
                                })
                        .addService(
                                ServerInterceptors.intercept(new Service(), new HeaderCapture()));
        if (serveTraces) {
            builder.addService(
                    ServerInterceptors.intercept(new TraceService(), new HeaderCapture()));
        }
        // The events the metric reporter derives go to its endpoint, as they would to an OAP.
        builder.addService(events.definition());
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        server = builder.build().start();
        port = server.getPort();
    }

    /** Restarts on the port it had, after {@link #stop()}. */
    public synchronized void restart() throws IOException {
        start(port);
    }

    public synchronized void stop() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    public int port() {
        return port;
    }

    /** SkyWalking events received on this server's endpoint, as an OAP's event receiver would. */
    public EventTestServer.Events events() {
        return events;
    }

    public String endpoint() {
        return (ssl == null ? "http" : "https") + "://" + bindAddress + ":" + port;
    }

    /** Answer every call with this status (null: accept). */
    public void failWith(Status status) {
        this.failWith = status;
    }

    /** Answer the next {@code count} calls with this status, then accept again. */
    public void failNext(Status status, int count) {
        this.failNextStatus = status;
        this.failNextCount.set(count);
    }

    /**
     * Refuse calls whose {@code authentication} header differs, as OAP does with SW_AUTHENTICATION.
     */
    public void requireToken(String token) {
        this.requiredToken = token;
    }

    /** The most calls that were ever being handled at the same time. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    public void delay(long millis) {
        this.delayMillis = millis;
    }

    /** Takes effect on the next (re)start. */
    public void maxInboundBytes(int bytes) {
        this.maxInboundBytes = bytes;
    }

    /**
     * Whether to serve {@code TraceService/Export}; without it, trace calls are answered
     * UNIMPLEMENTED, as by an OAP without the {@code otlp-traces} handler. Takes effect on the next
     * (re)start.
     */
    public void serveTraces(boolean serve) {
        this.serveTraces = serve;
    }

    /** The time each call had left when it arrived, by the deadline its client set. */
    public List<Long> callDeadlinesMillis() {
        return deadlinesMillis;
    }

    /** Connections (HTTP/2 transports) clients made to this server, ever. */
    public int connections() {
        return connections.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Calls of either service, accepted or not. */
    public int calls() {
        return calls.get();
    }

    public List<Received> received() {
        return new ArrayList<>(received);
    }

    public void clear() {
        received.clear();
        traceRequests.clear();
    }

    /** Every accepted trace request, in order of arrival. */
    public List<ExportTraceServiceRequest> traceRequests() {
        return new ArrayList<>(traceRequests);
    }

    /** Every span of every accepted trace request, in order of arrival. */
    public List<Span> spans() {
        List<Span> spans = new ArrayList<>();
        for (ExportTraceServiceRequest request : traceRequests) {
            for (ResourceSpans rs : request.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    spans.addAll(ss.getSpansList());
                }
            }
        }
        return spans;
    }

    /** Waits until the spans received so far match. */
    public boolean awaitSpans(Predicate<List<Span>> condition, long timeoutMillis)
            throws InterruptedException {
        return awaitChange(() -> condition.test(spans()), timeoutMillis);
    }

    /** Waits until a received request matches. */
    public boolean awaitRequest(
            Predicate<ExportMetricsServiceRequest> condition, long timeoutMillis)
            throws InterruptedException {
        return awaitChange(
                () -> received.stream().anyMatch(r -> condition.test(r.request)), timeoutMillis);
    }

    /** Waits until at least {@code count} calls have arrived, accepted or not. */
    public boolean awaitCalls(int count, long timeoutMillis) throws InterruptedException {
        return awaitChange(() -> calls.get() >= count, timeoutMillis);
    }

    /** Waits, woken by every call and every accepted request, until the condition holds. */
    private boolean awaitChange(BooleanSupplier condition, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (changes) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(changes, left);
            }
            return true;
        }
    }

    private void changed() {
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    /** Every sample of every request so far, converted as OAP does. */
    public List<Sample> samples() {
        List<Sample> samples = new ArrayList<>();
        for (Received r : received) {
            samples.addAll(toSamples(r.request));
        }
        return samples;
    }

    /**
     * OAP's conversion: resource attributes with '.' replaced by '_', {@code service.name} copied
     * to {@code job_name} when absent, point attributes on top; metric names with '.' and '/'
     * replaced by '_'.
     */
    public static List<Sample> toSamples(ExportMetricsServiceRequest request) {
        List<Sample> samples = new ArrayList<>();
        for (ResourceMetrics rm : request.getResourceMetricsList()) {
            Map<String, String> node = new HashMap<>();
            for (KeyValue kv : rm.getResource().getAttributesList()) {
                node.putIfAbsent(kv.getKey().replace('.', '_'), text(kv.getValue()));
            }
            for (KeyValue kv : rm.getResource().getAttributesList()) {
                if (kv.getKey().equals("service.name")) {
                    node.putIfAbsent("job_name", text(kv.getValue()));
                }
            }
            for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                for (Metric m : sm.getMetricsList()) {
                    String name = m.getName().replace('.', '_').replace('/', '_');
                    if (m.hasGauge() || m.hasSum()) {
                        List<NumberDataPoint> points =
                                m.hasGauge()
                                        ? m.getGauge().getDataPointsList()
                                        : m.getSum().getDataPointsList();
                        String type =
                                m.hasGauge()
                                        ? "gauge"
                                        : m.getSum().getIsMonotonic() ? "counter" : "gauge(sum)";
                        for (NumberDataPoint p : points) {
                            double value =
                                    p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE
                                            ? p.getAsDouble()
                                            : p.getAsInt();
                            samples.add(
                                    new Sample(
                                            name, merge(node, p.getAttributesList()), value, type));
                        }
                    } else if (m.hasSummary()) {
                        for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
                            Map<String, String> labels = merge(node, p.getAttributesList());
                            samples.add(
                                    new Sample(name + "_count", labels, p.getCount(), "summary"));
                            samples.add(new Sample(name + "_sum", labels, p.getSum(), "summary"));
                            for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
                                Map<String, String> withQuantile = new HashMap<>(labels);
                                withQuantile.put("quantile", String.valueOf(q.getQuantile()));
                                samples.add(
                                        new Sample(name, withQuantile, q.getValue(), "summary"));
                            }
                        }
                    }
                }
            }
        }
        return samples;
    }

    private static Map<String, String> merge(Map<String, String> node, List<KeyValue> attributes) {
        Map<String, String> labels = new HashMap<>(node);
        for (KeyValue kv : attributes) {
            labels.put(kv.getKey().replace('.', '_'), text(kv.getValue()));
        }
        return labels;
    }

    /** An attribute value as text, whatever its type. */
    public static String text(AnyValue value) {
        switch (value.getValueCase()) {
            case STRING_VALUE:
                return value.getStringValue();
            case INT_VALUE:
                return String.valueOf(value.getIntValue());
            case DOUBLE_VALUE:
                return String.valueOf(value.getDoubleValue());
            case BOOL_VALUE:
                return String.valueOf(value.getBoolValue());
            default:
                return value.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private final class Service extends MetricsServiceGrpc.MetricsServiceImplBase {
        @Override
        public void export(
                ExportMetricsServiceRequest request,
                StreamObserver<ExportMetricsServiceResponse> response) {
            answer(
                    response,
                    ExportMetricsServiceResponse.getDefaultInstance(),
                    headers -> received.add(new Received(request, headers)));
        }
    }

    private final class TraceService extends TraceServiceGrpc.TraceServiceImplBase {
        @Override
        public void export(
                ExportTraceServiceRequest request,
                StreamObserver<ExportTraceServiceResponse> response) {
            answer(
                    response,
                    ExportTraceServiceResponse.getDefaultInstance(),
                    headers -> traceRequests.add(request));
        }
    }

    /**
     * Answers one call as configured: slowly, with an error, or by keeping the request (given the
     * call's headers) and answering {@code ok}.
     */
    private <A> void answer(StreamObserver<A> response, A ok, Consumer<Map<String, String>> keep) {
        io.grpc.Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            deadlinesMillis.add(deadline.timeRemaining(TimeUnit.MILLISECONDS));
        }
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        calls.incrementAndGet();
        changed();
        try {
            // A slow receiver; it stops waiting when the client gives up, as a real one would.
            if (delayMillis > 0) {
                CountDownLatch cancelled = new CountDownLatch(1);
                Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
                try {
                    cancelled.await(delayMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (Context.current().isCancelled()) {
                return;
            }
            Status status = failWith;
            if (status == null && failNextCount.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                status = failNextStatus;
            }
            String token = requiredToken;
            if (status == null
                    && token != null
                    && !token.equals(HEADERS.get().get("authentication"))) {
                status = Status.PERMISSION_DENIED.withDescription("wrong token");
            }
            if (status != null) {
                response.onError(status.asRuntimeException());
                return;
            }
        } finally {
            inFlight.decrementAndGet();
        }
        keep.accept(HEADERS.get());
        response.onNext(ok);
        response.onCompleted();
        changed();
    }

    private static final class HeaderCapture implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, A> call, Metadata metadata, ServerCallHandler<Q, A> next) {
            Map<String, String> headers = new HashMap<>();
            for (String key : metadata.keys()) {
                if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    headers.put(
                            key,
                            metadata.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)));
                }
            }
            headers.put("grpc-encoding", String.valueOf(headers.get("grpc-encoding")));
            return Contexts.interceptCall(
                    Context.current().withValue(HEADERS, headers), call, metadata, next);
        }
    }
}
