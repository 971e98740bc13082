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
package dev.flinkmetrics.skywalking;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.CompressorRegistry;
import io.grpc.Deadline;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * OTLP over gRPC: unary {@code MetricsService/Export} with the request bytes encoded by {@link
 * OtlpEncoder}. One channel and one event-loop thread of its own, both stopped on close.
 */
final class GrpcTransport implements Transport {

    static final String EXPORT_METHOD =
            "opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

    private static final MethodDescriptor<Request, byte[]> EXPORT =
            MethodDescriptor.<Request, byte[]>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(EXPORT_METHOD)
                    .setRequestMarshaller(new RequestMarshaller())
                    .setResponseMarshaller(new ResponseMarshaller())
                    .build();

    private final ReporterConfig config;
    private final EventLoopGroup eventLoop;
    private final ManagedChannel channel;
    private final Metadata headers = new Metadata();
    private final CallOptions callOptions;

    GrpcTransport(ReporterConfig config) {
        this.config = config;
        SslContext ssl = config.tls ? sslContext(config) : null;
        this.eventLoop =
                new NioEventLoopGroup(
                        1, new DefaultThreadFactory("flink-metrics-skywalking-grpc", true));
        NettyChannelBuilder builder =
                NettyChannelBuilder.forAddress(config.host, config.port)
                        .eventLoopGroup(eventLoop)
                        .channelType(NioSocketChannel.class)
                        .directExecutor()
                        .disableRetry()
                        .maxInboundMessageSize(1024 * 1024)
                        .userAgent("flink-metrics-skywalking")
                        .compressorRegistry(compressors());
        if (ssl != null) {
            builder.sslContext(ssl).useTransportSecurity();
        } else {
            builder.usePlaintext();
        }
        this.channel = builder.build();
        for (Map.Entry<String, String> header : config.headers.entrySet()) {
            headers.put(
                    Metadata.Key.of(header.getKey(), Metadata.ASCII_STRING_MARSHALLER),
                    header.getValue());
        }
        CallOptions options = CallOptions.DEFAULT;
        if (config.compression == ReporterConfig.Compression.GZIP) {
            options = options.withCompression("gzip");
        }
        this.callOptions = options;
    }

    private static CompressorRegistry compressors() {
        CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
        registry.register(FastGzip.INSTANCE);
        return registry;
    }

    /** Builds the TLS context; also used by {@link HttpTransport}. */
    static SslContext sslContext(ReporterConfig config) {
        return sslContext(config, GrpcSslContexts.forClient());
    }

    static SslContext sslContext(ReporterConfig config, SslContextBuilder builder) {
        try {
            if (config.caCert != null) {
                builder.trustManager(config.caCert);
            }
            if (config.clientCert != null) {
                builder.keyManager(config.clientCert, config.clientKey);
            }
            return builder.build();
        } catch (SSLException | RuntimeException e) {
            // Key material must not reach the log: name the files and the kind of failure only.
            throw new IllegalArgumentException(
                    "Cannot set up TLS from "
                            + SkyWalkingReporterOptions.TLS_CA_CERT.fullKey()
                            + "="
                            + (config.caCert == null ? "(JVM default)" : config.caCert)
                            + ", "
                            + SkyWalkingReporterOptions.TLS_CLIENT_CERT.fullKey()
                            + "="
                            + (config.clientCert == null ? "(none)" : config.clientCert)
                            + ", "
                            + SkyWalkingReporterOptions.TLS_CLIENT_KEY.fullKey()
                            + "="
                            + (config.clientKey == null ? "(none)" : config.clientKey)
                            + ": "
                            + e.getClass().getSimpleName()
                            + " (are they PEM files, and is the key PKCS#8?)");
        }
    }

    @Override
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            throw new ExportException(
                    ExportException.Kind.UNAVAILABLE, "timed out before sending", "", null);
        }
        ClientCall<Request, byte[]> call =
                channel.newCall(
                        EXPORT,
                        callOptions.withDeadline(Deadline.after(remaining, TimeUnit.NANOSECONDS)));
        Listener listener = new Listener();
        call.start(listener, headers);
        call.request(1);
        call.sendMessage(new Request(request, length));
        call.halfClose();
        Status status;
        try {
            // The deadline closes the call; the extra second only guards against a lost callback.
            if (!listener.done.await(
                    remaining + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)) {
                call.cancel("no answer by the deadline", null);
                listener.done.await(1, TimeUnit.SECONDS);
            }
            status = listener.status;
        } catch (InterruptedException e) {
            call.cancel("reporter closing", null);
            Thread.currentThread().interrupt();
            throw new ExportException(ExportException.Kind.UNAVAILABLE, "interrupted", "", e);
        }
        if (status == null) {
            throw new ExportException(ExportException.Kind.UNAVAILABLE, "no answer", "", null);
        }
        if (!status.isOk()) {
            throw classify(status);
        }
    }

    private ExportException classify(Status status) {
        String message = "gRPC status " + status.getCode();
        if (status.getDescription() != null) {
            message += ": " + status.getDescription();
        }
        Throwable cause = status.getCause();
        if (cause != null && status.getDescription() == null) {
            message += ": " + cause;
        }
        switch (status.getCode()) {
            case UNAVAILABLE:
                if (cause instanceof javax.net.ssl.SSLException
                        || String.valueOf(cause).contains("SslHandshake")
                        || String.valueOf(status.getDescription()).contains("SSL")) {
                    return new ExportException(
                            ExportException.Kind.CONFIGURATION,
                            message,
                            "The TLS handshake failed: does the OAP serve TLS on this port, is its"
                                    + " certificate signed by the configured CA, and does it require"
                                    + " a client certificate?",
                            null);
                }
                return new ExportException(
                        ExportException.Kind.UNAVAILABLE,
                        message,
                        "Is the OAP running and reachable at this address?",
                        null);
            case DEADLINE_EXCEEDED:
                return new ExportException(
                        ExportException.Kind.UNAVAILABLE,
                        message,
                        "The OAP did not answer within "
                                + config.timeoutMillis
                                + " ms; it may be overloaded, or the address may drop packets.",
                        null);
            case RESOURCE_EXHAUSTED:
                String description =
                        String.valueOf(status.getDescription()).toLowerCase(java.util.Locale.ROOT);
                if (description.contains("size") || description.contains("larger")) {
                    return new ExportException(
                            ExportException.Kind.REJECTED,
                            message,
                            "The request is larger than the receiver accepts: lower "
                                    + SkyWalkingReporterOptions.MAX_REQUEST_SIZE.fullKey()
                                    + ".",
                            null);
                }
                return new ExportException(
                        ExportException.Kind.UNAVAILABLE, message, "The OAP is overloaded.", null);
            case ABORTED:
            case CANCELLED:
                return new ExportException(ExportException.Kind.UNAVAILABLE, message, "", null);
            case UNAUTHENTICATED:
            case PERMISSION_DENIED:
                return new ExportException(
                        ExportException.Kind.CONFIGURATION,
                        message,
                        "The OAP refused the token: set "
                                + SkyWalkingReporterOptions.TOKEN.fullKey()
                                + " to the OAP's SW_AUTHENTICATION value.",
                        null);
            case UNIMPLEMENTED:
                return new ExportException(
                        ExportException.Kind.CONFIGURATION,
                        message,
                        "The receiver does not serve OTLP metrics over gRPC: is this the OAP's gRPC"
                                + " port (11800), and is the otel receiver enabled"
                                + " (SW_OTEL_RECEIVER=default)?",
                        null);
            default:
                return new ExportException(
                        ExportException.Kind.REJECTED,
                        message,
                        "The OAP could not process this request; its log says why.",
                        null);
        }
    }

    @Override
    public void resetBackoff() {
        channel.resetConnectBackoff();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        eventLoop
                .shutdownGracefully(0, 2, TimeUnit.SECONDS)
                .awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** An encoded request; the bytes are written straight into gRPC's frame. */
    static final class Request extends InputStream implements KnownLength, Drainable {
        private final byte[] bytes;
        private final int length;
        private int position;

        Request(byte[] bytes, int length) {
            this.bytes = bytes;
            this.length = length;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = length - position;
            target.write(bytes, position, n);
            position = length;
            return n;
        }

        @Override
        public int available() {
            return length - position;
        }

        @Override
        public int read() {
            return position < length ? bytes[position++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= length) {
                return -1;
            }
            int n = Math.min(len, length - position);
            System.arraycopy(bytes, position, b, off, n);
            position += n;
            return n;
        }
    }

    private static final class RequestMarshaller implements MethodDescriptor.Marshaller<Request> {
        @Override
        public InputStream stream(Request value) {
            return value;
        }

        @Override
        public Request parse(InputStream stream) {
            throw new UnsupportedOperationException("client side only");
        }
    }

    /** Keeps the response bytes; a partial-success answer is rare and not acted upon. */
    private static final class ResponseMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[256];
                int n;
                while ((n = stream.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
                return out.toByteArray();
            } catch (IOException e) {
                return new byte[0];
            }
        }
    }

    private static final class Listener extends ClientCall.Listener<byte[]> {
        final CountDownLatch done = new CountDownLatch(1);
        volatile Status status;

        @Override
        public void onClose(Status status, Metadata trailers) {
            this.status = status;
            done.countDown();
        }
    }
}
