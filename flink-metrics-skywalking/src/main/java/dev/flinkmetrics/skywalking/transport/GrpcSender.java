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

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Unary or client-streaming gRPC calls of one method to one OAP node, with request bytes encoded by
 * this plugin, over the channel to that node the process shares ({@link SharedChannels}).
 */
final class GrpcSender implements Sender {

    private final ConnectionSettings connection;
    private final ExportMethod method;
    private final Node node;
    private final MethodDescriptor<Request, byte[]> descriptor;
    private final SharedChannels.Lease lease;
    private final ManagedChannel channel;
    private final Credentials credentials;

    /** The headers as metadata, and the map they were made from. */
    private volatile Metadata metadata;

    private volatile Map<String, String> metadataOf;
    private final CallOptions callOptions;

    GrpcSender(
            ConnectionSettings connection,
            ExportMethod method,
            Node node,
            Credentials credentials,
            SharedChannels channels,
            SslContext ssl) {
        this.connection = connection;
        this.method = method;
        this.node = node;
        this.credentials = credentials;
        this.descriptor =
                MethodDescriptor.<Request, byte[]>newBuilder()
                        .setType(
                                method.streamed
                                        ? MethodDescriptor.MethodType.CLIENT_STREAMING
                                        : MethodDescriptor.MethodType.UNARY)
                        .setFullMethodName(method.grpcMethod)
                        .setRequestMarshaller(new RequestMarshaller())
                        .setResponseMarshaller(new ResponseMarshaller())
                        .build();
        this.lease = channels.acquire(connection, node, ssl);
        this.channel = lease.channel;
        CallOptions options = CallOptions.DEFAULT;
        if (connection.compression == ConnectionSettings.Compression.GZIP) {
            options = options.withCompression("gzip");
        }
        this.callOptions = options;
    }

    @Override
    public String target() {
        return connection.target(node.address, method.httpPath);
    }

    @Override
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            throw Failures.unavailable("timed out before sending");
        }
        ClientCall<Request, byte[]> call =
                channel.newCall(
                        descriptor,
                        callOptions.withDeadline(Deadline.after(remaining, TimeUnit.NANOSECONDS)));
        Listener listener = new Listener();
        try {
            call.start(listener, metadata());
            call.request(1);
            if (method.streamed) {
                sendEach(call, request, length);
            } else {
                call.sendMessage(new Request(request, length));
            }
            call.halfClose();
        } catch (RuntimeException e) {
            cancel(call, "sending failed");
            if (channel.isShutdown()) {
                throw Failures.unavailable("the connection was closed while sending");
            }
            throw e;
        }
        Status status;
        try {
            // The deadline closes the call; the extra second only guards against a lost callback.
            if (!listener.done.await(
                    remaining + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)) {
                cancel(call, "no answer by the deadline");
                listener.done.await(1, TimeUnit.SECONDS);
            }
            status = listener.status;
        } catch (InterruptedException e) {
            cancel(call, "reporter closing");
            Thread.currentThread().interrupt();
            throw Failures.unavailable("interrupted");
        }
        if (status == null) {
            throw Failures.unavailable("no answer");
        }
        if (!status.isOk()) {
            throw classify(status);
        }
    }

    /**
     * Cancels a call, as far as the channel still can: once closing shut the channel and its event
     * loop down, gRPC refuses even to cancel (a RejectedExecutionException), and the call ends with
     * the channel anyway.
     */
    private static void cancel(ClientCall<?, ?> call, String reason) {
        try {
            call.cancel(reason, null);
        } catch (RuntimeException e) {
            // The channel is gone, and the call with it.
        }
    }

    /** Sends each length-delimited message of a client-streaming request on its own. */
    private static void sendEach(ClientCall<Request, byte[]> call, byte[] request, int length) {
        int position = 0;
        while (position < length) {
            int size = 0;
            int shift = 0;
            byte b;
            do {
                b = request[position++];
                size |= (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            call.sendMessage(new Request(request, position, size));
            position += size;
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
                if (cause instanceof SSLException
                        || String.valueOf(cause).contains("SslHandshake")
                        || String.valueOf(status.getDescription()).contains("SSL")) {
                    return Failures.tlsHandshake(message);
                }
                if (Failures.connectionRefused(cause)) {
                    return Failures.nothingListens(message, node);
                }
                return Failures.unreachable(message);
            case DEADLINE_EXCEEDED:
                if (waitedForConnection(status.getDescription())) {
                    return Failures.noConnection(message, node, connection.timeoutMillis);
                }
                return Failures.noAnswer(message, connection.timeoutMillis);
            case RESOURCE_EXHAUSTED:
                String description =
                        String.valueOf(status.getDescription()).toLowerCase(Locale.ROOT);
                return description.contains("size") || description.contains("larger")
                        ? Failures.tooLarge(message, connection)
                        : Failures.overloaded(message);
            case ABORTED:
            case CANCELLED:
                return Failures.unavailable(message);
            case UNAUTHENTICATED:
            case PERMISSION_DENIED:
                return Failures.credentialsRefused(message, connection);
            case UNIMPLEMENTED:
                return Failures.notServedOverGrpc(message, method);
            case INVALID_ARGUMENT:
                return Failures.invalid(message, method);
            default:
                return Failures.notProcessed(message);
        }
    }

    /**
     * Whether a call that ran out of time never had a connection to go on. gRPC says so in the
     * status: a call still waiting for a transport ends with {@code was_still_waiting} (older
     * versions: {@code waiting_for_connection}); one that was sent names the {@code remote_addr}.
     */
    static boolean waitedForConnection(String description) {
        return description != null
                && (description.contains("was_still_waiting")
                        || description.contains("waiting_for_connection"));
    }

    /** The current headers as gRPC metadata, made again only when the token changed. */
    private Metadata metadata() {
        Map<String, String> headers = credentials.headers();
        if (headers != metadataOf) {
            Metadata m = new Metadata();
            for (Map.Entry<String, String> header : headers.entrySet()) {
                m.put(
                        Metadata.Key.of(header.getKey(), Metadata.ASCII_STRING_MARSHALLER),
                        header.getValue());
            }
            metadata = m;
            metadataOf = headers;
        }
        return metadata;
    }

    @Override
    public void resetBackoff() {
        channel.resetConnectBackoff();
    }

    /** Gives the shared channel back; the last reporter to hold it closes it. */
    @Override
    public void close(long deadlineNanos) {
        lease.release(deadlineNanos);
    }

    /** An encoded request; the bytes are written straight into gRPC's frame. */
    static final class Request extends InputStream implements KnownLength, Drainable {
        private final byte[] bytes;
        private final int length;
        private int position;

        Request(byte[] bytes, int length) {
            this(bytes, 0, length);
        }

        /** The bytes from {@code offset}, {@code size} of them. */
        Request(byte[] bytes, int offset, int size) {
            this.bytes = bytes;
            this.position = offset;
            this.length = offset + size;
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
