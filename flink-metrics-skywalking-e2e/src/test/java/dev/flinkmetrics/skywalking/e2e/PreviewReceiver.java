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

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Sample;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for SkyWalking OAP's OTLP gRPC port that prints, every 10 seconds, what SkyWalking's
 * Flink dashboards would show for the metrics it receives: point a real Flink cluster's reporter at
 * it to see why a dashboard stays empty.
 *
 * <pre>
 * mvn -pl flink-metrics-skywalking-e2e exec:java@preview [-Dport=11800] [-Dbind=0.0.0.0]
 * </pre>
 *
 * <p>Options, as system properties or {@code key=value} arguments: {@code port} (default 11800,
 * OAP's gRPC port, so a cluster configured for an OAP can be pointed here unchanged), {@code bind}
 * (default 127.0.0.1; 0.0.0.0 accepts remote clusters), {@code preview.interval} (seconds between
 * previews, default 10), {@code preview.seconds} (stop after this many seconds; default 0, run
 * until Ctrl-C). It accepts any token and no TLS.
 */
public final class PreviewReceiver {

    /** Like OAP's default gRPC limit. */
    private static final int MAX_INBOUND_BYTES = 50 * 1024 * 1024;

    private final List<Sample> pending = new ArrayList<>();
    private final AtomicLong requests = new AtomicLong();
    private final Server server;
    private volatile boolean stopping;

    private PreviewReceiver(String bind, int port) throws IOException {
        this.server =
                NettyServerBuilder.forAddress(new InetSocketAddress(bind, port))
                        .maxInboundMessageSize(MAX_INBOUND_BYTES)
                        .addService(new Service())
                        .build()
                        .start();
    }

    public static void main(String[] args) throws Exception {
        MainOptions options = new MainOptions(args);
        String bind = options.get("bind", "127.0.0.1");
        int port = Integer.parseInt(options.get("port", "11800"));
        long interval = Long.parseLong(options.get("preview.interval", "10"));
        long seconds = Long.parseLong(options.get("preview.seconds", "0"));
        if (interval <= 0) {
            throw new IllegalArgumentException("preview.interval must be positive: " + interval);
        }

        PreviewReceiver receiver;
        try {
            receiver = new PreviewReceiver(bind, port);
        } catch (IOException e) {
            System.err.printf(
                    "Cannot listen on %s:%d (%s). Is an OAP or another receiver using the port?"
                            + " Choose another with -Dport=...%n",
                    bind, port, e.getCause() != null ? e.getCause() : e);
            System.exit(2);
            return;
        }
        Thread stop = new Thread(receiver::stop, "preview-receiver-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        System.out.printf(
                "Preview receiver: OTLP gRPC on %s:%d, a preview every %d s%s.%n"
                        + "Point the cluster's reporter here, e.g."
                        + " metrics.reporter.sw.endpoint: http://%s:%d (protocol grpc, no TLS)%n",
                bind,
                port,
                interval,
                seconds > 0 ? ", for " + seconds + " s" : ", until Ctrl-C",
                bind.equals("0.0.0.0") ? "<this host>" : bind,
                port);
        System.out.flush();
        try {
            receiver.run(interval, seconds);
        } catch (Throwable t) {
            if (!receiver.stopping) {
                throw t;
            }
            // Ctrl-C while printing: the JVM is going down anyway.
            return;
        } finally {
            receiver.stop();
        }
        Runtime.getRuntime().removeShutdownHook(stop);
        System.exit(0);
    }

    private void run(long intervalSeconds, long seconds) throws InterruptedException {
        PreviewReport report = new PreviewReport();
        long start = System.nanoTime();
        long end = seconds > 0 ? start + TimeUnit.SECONDS.toNanos(seconds) : Long.MAX_VALUE;
        long nextPreview = start + TimeUnit.SECONDS.toNanos(intervalSeconds);
        while (true) {
            long now = System.nanoTime();
            if (now - end >= 0) {
                return;
            }
            long sleep = Math.min(nextPreview - now, end - now);
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
                continue;
            }
            nextPreview += TimeUnit.SECONDS.toNanos(intervalSeconds);
            List<Sample> window;
            synchronized (pending) {
                window = new ArrayList<>(pending);
                pending.clear();
            }
            long nowMillis = System.currentTimeMillis();
            report.add(nowMillis, window);
            long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            System.out.print(
                    report.render(
                            nowMillis,
                            String.format(
                                    Locale.ROOT,
                                    "SkyWalking preview at %d s, %,d OTLP requests received so far",
                                    elapsed,
                                    requests.get())));
            System.out.println();
            System.out.flush();
        }
    }

    private void stop() {
        stopping = true;
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Service extends MetricsServiceGrpc.MetricsServiceImplBase {
        @Override
        public void export(
                ExportMetricsServiceRequest request,
                StreamObserver<ExportMetricsServiceResponse> response) {
            List<Sample> samples = OtlpTestServer.toSamples(request);
            requests.incrementAndGet();
            synchronized (pending) {
                pending.addAll(samples);
            }
            response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
            response.onCompleted();
        }
    }
}
