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
package dev.flinkmetrics.skywalking.e2e;

import com.google.protobuf.CodedOutputStream;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A SkyWalking dynamic configuration center of the {@code grpc} kind ({@code
 * SW_CONFIGURATION=grpc}) on 127.0.0.1: the OAP asks it every {@code SW_DCS_PERIOD} seconds for its
 * configuration table ({@code ConfigurationService/call}: repeated {@code Config{name = 1, value =
 * 2}} as field 1, a uuid as field 2; the same uuid means "unchanged"). It serves what {@link #set}
 * put there, such as {@code alarm.default.alarm-settings}; groups ({@code callGroup}) are always
 * empty.
 */
final class DynamicConfigServer implements AutoCloseable {

    private static final String SERVICE = "ConfigurationService";

    private final Map<String, String> table = new LinkedHashMap<>();
    private final AtomicInteger version = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final Server server;

    DynamicConfigServer() throws IOException {
        ServerServiceDefinition service =
                ServerServiceDefinition.builder(SERVICE)
                        .addMethod(
                                method("call"),
                                ServerCalls.asyncUnaryCall(
                                        (request, response) -> {
                                            calls.incrementAndGet();
                                            response.onNext(configTable());
                                            response.onCompleted();
                                        }))
                        .addMethod(
                                method("callGroup"),
                                ServerCalls.asyncUnaryCall(
                                        (request, response) -> {
                                            response.onNext(uuidOnly("groups-none"));
                                            response.onCompleted();
                                        }))
                        .build();
        server =
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                        .addService(service)
                        .build()
                        .start();
    }

    int port() {
        return server.getPort();
    }

    /** How many times the OAP asked for the table. */
    int calls() {
        return calls.get();
    }

    /** Sets an item; the OAP takes it at its next poll. */
    synchronized void set(String name, String value) {
        table.put(name, value);
        version.incrementAndGet();
    }

    private synchronized byte[] configTable() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            for (Map.Entry<String, String> item : table.entrySet()) {
                ByteArrayOutputStream config = new ByteArrayOutputStream();
                CodedOutputStream c = CodedOutputStream.newInstance(config);
                c.writeString(1, item.getKey());
                c.writeString(2, item.getValue());
                c.flush();
                out.writeByteArray(1, config.toByteArray());
            }
            out.writeString(2, "table-" + version.get());
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] uuidOnly(String uuid) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.writeString(2, uuid);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A unary method whose messages are their encoded bytes (the request is not read). */
    private static MethodDescriptor<byte[], byte[]> method(String name) {
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
                            throw new UncheckedIOException(e);
                        }
                    }
                };
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(bytes)
                .setResponseMarshaller(bytes)
                .build();
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
