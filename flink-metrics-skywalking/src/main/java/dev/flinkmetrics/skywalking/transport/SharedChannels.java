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
import dev.flinkmetrics.skywalking.config.PluginVersion;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC channels of one process, one per OAP node and TLS material, shared by every reporter
 * that sends there: the metric, trace and event reporters of a TaskManager talk to an OAP node over
 * one connection. A channel stays open while a reporter holds it, quiet or not (gRPC closes an idle
 * TCP connection by itself and opens it again on the next call), and only the last holder to give
 * it back closes it: no one else does, the JVM's exit neither, so a reporter closing as the process
 * exits still has its connection. All channels share one event-loop thread, a daemon, made with the
 * first channel and stopped with the last: a channel still held as the JVM ends does not hold it
 * up.
 */
final class SharedChannels {

    private final Map<Key, Shared> channels = new HashMap<>();
    private EventLoopGroup eventLoop;

    /** A channel to {@code node}, shared with every holder of the same node and TLS material. */
    synchronized Lease acquire(ConnectionSettings connection, Node node, SslContext ssl) {
        Key key = new Key(connection, node);
        Shared shared = channels.get(key);
        if (shared == null) {
            if (eventLoop == null) {
                eventLoop =
                        new NioEventLoopGroup(
                                1, new DefaultThreadFactory(PluginVersion.NAME + "-grpc", true));
            }
            shared = new Shared(build(node, ssl, eventLoop));
            channels.put(key, shared);
        }
        shared.holders++;
        return new Lease(key, shared);
    }

    /** Channels open now. */
    synchronized int open() {
        return channels.size();
    }

    private static ManagedChannel build(Node node, SslContext ssl, EventLoopGroup eventLoop) {
        NettyChannelBuilder builder =
                node.ip == null
                        ? NettyChannelBuilder.forAddress(node.address.host, node.address.port)
                        : NettyChannelBuilder.forAddress(
                                        new InetSocketAddress(node.ip, node.address.port))
                                // TLS checks the certificate against the name, not the address.
                                .overrideAuthority(node.address.host + ":" + node.address.port);
        builder.eventLoopGroup(eventLoop)
                .channelType(NioSocketChannel.class)
                .directExecutor()
                .disableRetry()
                .maxInboundMessageSize(1024 * 1024)
                .userAgent(PluginVersion.NAME)
                .compressorRegistry(compressors());
        if (ssl != null) {
            builder.sslContext(ssl).useTransportSecurity();
        } else {
            builder.usePlaintext();
        }
        return builder.build();
    }

    private static CompressorRegistry compressors() {
        CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
        registry.register(FastGzip.INSTANCE);
        return registry;
    }

    /**
     * Gives a channel back; the last holder closes it, waiting at most until the deadline. The
     * entry goes only if it is still this channel's: a channel made since for the same node stays.
     */
    private void release(Key key, Shared shared, long deadlineNanos) {
        EventLoopGroup lastLoop = null;
        synchronized (this) {
            if (--shared.holders > 0) {
                return;
            }
            channels.remove(key, shared);
            if (channels.isEmpty() && eventLoop != null) {
                lastLoop = eventLoop;
                eventLoop = null;
            }
        }
        shared.channel.shutdownNow();
        try {
            shared.channel.awaitTermination(
                    Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lastLoop != null) {
            long left = Math.max(0, deadlineNanos - System.nanoTime());
            lastLoop.shutdownGracefully(0, left, TimeUnit.NANOSECONDS)
                    .awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
        }
    }

    /** One holder's claim on a shared channel. */
    final class Lease {
        final ManagedChannel channel;
        private final Key key;
        private final Shared shared;
        private boolean released;

        private Lease(Key key, Shared shared) {
            this.key = key;
            this.shared = shared;
            this.channel = shared.channel;
        }

        /** Gives the channel back, once; see {@link SharedChannels#release}. */
        void release(long deadlineNanos) {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            SharedChannels.this.release(key, shared, deadlineNanos);
        }
    }

    private static final class Shared {
        final ManagedChannel channel;
        int holders;

        Shared(ManagedChannel channel) {
            this.channel = channel;
        }
    }

    /** What makes two channels the same: the node, and TLS with the same files. */
    private static final class Key {
        final String host;
        final int port;
        final InetAddress ip;
        final boolean tls;
        final File caCert;
        final File clientCert;
        final File clientKey;

        Key(ConnectionSettings connection, Node node) {
            this.host = node.address.host;
            this.port = node.address.port;
            this.ip = node.ip;
            this.tls = connection.tls;
            this.caCert = connection.caCert;
            this.clientCert = connection.clientCert;
            this.clientKey = connection.clientKey;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Key)) {
                return false;
            }
            Key k = (Key) o;
            return host.equals(k.host)
                    && port == k.port
                    && Objects.equals(ip, k.ip)
                    && tls == k.tls
                    && Objects.equals(caCert, k.caCert)
                    && Objects.equals(clientCert, k.clientCert)
                    && Objects.equals(clientKey, k.clientKey);
        }

        @Override
        public int hashCode() {
            return Objects.hash(host, port, ip, tls, caCert, clientCert, clientKey);
        }
    }
}
