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

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OTLP/gRPC metrics receiver on 127.0.0.1 that only counts: requests, protobuf bytes and data
 * points; and the message bytes as sent (smaller when compressed). It runs as its own process (see
 * {@link SinkProcess}) so that its work does not show in the CPU and allocation figures of the
 * reporter under test.
 *
 * <p>Prints {@code PORTS <grpc> <control>} on stdout. The control port answers each line with
 * {@code <requests> <protobuf bytes> <points> <wire bytes>}. Exits when stdin closes (its parent is
 * gone).
 */
public final class OtlpSink {

    static final String SERVICE = "opentelemetry.proto.collector.metrics.v1.MetricsService";

    private static final AtomicLong REQUESTS = new AtomicLong();
    private static final AtomicLong BYTES = new AtomicLong();
    private static final AtomicLong POINTS = new AtomicLong();
    private static final AtomicLong WIRE_BYTES = new AtomicLong();

    /** Bytes and points of one request. */
    private static final class Counted {
        final int bytes;
        final long points;

        Counted(int bytes, long points) {
            this.bytes = bytes;
            this.points = points;
        }
    }

    private static final class CountingMarshaller implements MethodDescriptor.Marshaller<Counted> {
        private byte[] buf = new byte[1 << 20];

        @Override
        public InputStream stream(Counted value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized Counted parse(InputStream stream) {
            try {
                int len = 0;
                int n;
                while ((n = stream.read(buf, len, buf.length - len)) > 0) {
                    len += n;
                    if (len == buf.length) {
                        buf = Arrays.copyOf(buf, buf.length * 2);
                    }
                }
                return new Counted(len, countPoints(buf, len));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final class EmptyResponse implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            throw new UnsupportedOperationException();
        }
    }

    public static void main(String[] args) throws Exception {
        MethodDescriptor<Counted, byte[]> export =
                MethodDescriptor.<Counted, byte[]>newBuilder()
                        .setType(MethodDescriptor.MethodType.UNARY)
                        .setFullMethodName(SERVICE + "/Export")
                        .setRequestMarshaller(new CountingMarshaller())
                        .setResponseMarshaller(new EmptyResponse())
                        .build();
        ServerCallHandler<Counted, byte[]> handler =
                (call, headers) -> {
                    call.request(1);
                    return new ServerCall.Listener<Counted>() {
                        @Override
                        public void onMessage(Counted message) {
                            BYTES.addAndGet(message.bytes);
                            POINTS.addAndGet(message.points);
                            REQUESTS.incrementAndGet();
                        }

                        @Override
                        public void onHalfClose() {
                            call.sendHeaders(new Metadata());
                            call.sendMessage(new byte[0]);
                            call.close(Status.OK, new Metadata());
                        }
                    };
                };
        Server server =
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                        .maxInboundMessageSize(Integer.MAX_VALUE)
                        .directExecutor()
                        .addStreamTracerFactory(
                                new ServerStreamTracer.Factory() {
                                    @Override
                                    public ServerStreamTracer newServerStreamTracer(
                                            String fullMethodName, Metadata headers) {
                                        return new ServerStreamTracer() {
                                            @Override
                                            public void inboundWireSize(long bytes) {
                                                // As sent: compressed when the client compresses.
                                                WIRE_BYTES.addAndGet(bytes);
                                            }
                                        };
                                    }
                                })
                        .addService(
                                ServerServiceDefinition.builder(SERVICE)
                                        .addMethod(export, handler)
                                        .build())
                        .build()
                        .start();
        ServerSocket control = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        Thread controlThread = new Thread(() -> serveControl(control), "sink-control");
        controlThread.setDaemon(true);
        controlThread.start();
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        out.println("PORTS " + server.getPort() + " " + control.getLocalPort());

        // Lives as long as its parent: stdin reaches EOF when the parent exits or is killed.
        InputStream in = System.in;
        while (in.read() >= 0) {
            // nothing is sent on stdin
        }
        server.shutdownNow();
        System.exit(0);
    }

    private static void serveControl(ServerSocket control) {
        while (true) {
            try (Socket s = control.accept();
                    BufferedReader r =
                            new BufferedReader(
                                    new InputStreamReader(
                                            s.getInputStream(), StandardCharsets.US_ASCII))) {
                OutputStream w = s.getOutputStream();
                while (r.readLine() != null) {
                    String answer =
                            REQUESTS.get()
                                    + " "
                                    + BYTES.get()
                                    + " "
                                    + POINTS.get()
                                    + " "
                                    + WIRE_BYTES.get()
                                    + "\n";
                    w.write(answer.getBytes(StandardCharsets.US_ASCII));
                    w.flush();
                }
            } catch (IOException e) {
                // next connection
            }
        }
    }

    /** Counts the data points of an ExportMetricsServiceRequest by walking its wire format. */
    static long countPoints(byte[] b, int len) {
        long points = 0;
        int[] pos = {0};
        while (pos[0] < len) {
            int tag = (int) varint(b, pos);
            if (tag == ((1 << 3) | 2)) { // resource_metrics
                int end = (int) varint(b, pos) + pos[0];
                while (pos[0] < end) {
                    int t = (int) varint(b, pos);
                    if (t == ((2 << 3) | 2)) { // scope_metrics
                        int sEnd = (int) varint(b, pos) + pos[0];
                        while (pos[0] < sEnd) {
                            int st = (int) varint(b, pos);
                            if (st == ((2 << 3) | 2)) { // metrics
                                int mEnd = (int) varint(b, pos) + pos[0];
                                while (pos[0] < mEnd) {
                                    int mt = (int) varint(b, pos);
                                    int field = mt >>> 3;
                                    if ((mt & 7) == 2
                                            && field >= 5
                                            && field <= 11
                                            && field != 6
                                            && field != 8) { // gauge, sum, histograms, summary
                                        int dEnd = (int) varint(b, pos) + pos[0];
                                        while (pos[0] < dEnd) {
                                            int dt = (int) varint(b, pos);
                                            if (dt == ((1 << 3) | 2)) {
                                                points++;
                                            }
                                            skip(b, pos, dt);
                                        }
                                    } else {
                                        skip(b, pos, mt);
                                    }
                                }
                            } else {
                                skip(b, pos, st);
                            }
                        }
                    } else {
                        skip(b, pos, t);
                    }
                }
            } else {
                skip(b, pos, tag);
            }
        }
        return points;
    }

    private static void skip(byte[] b, int[] pos, int tag) {
        switch (tag & 7) {
            case 0:
                varint(b, pos);
                break;
            case 1:
                pos[0] += 8;
                break;
            case 2:
                int n = (int) varint(b, pos);
                pos[0] += n;
                break;
            case 5:
                pos[0] += 4;
                break;
            default:
                throw new IllegalArgumentException("wire type " + (tag & 7));
        }
    }

    private static long varint(byte[] b, int[] pos) {
        long result = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b[pos[0]++];
            result |= (long) (x & 0x7F) << shift;
            if (x >= 0) {
                return result;
            }
        }
    }

    private OtlpSink() {}
}
