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
package dev.flinkmetrics.skywalking.metrics;

import dev.flinkmetrics.skywalking.config.PluginVersion;
import dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.ExportException;
import dev.flinkmetrics.skywalking.transport.ExportMethod;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs metric exports on the reporter's own thread, at most one at a time: brings histogram
 * quantiles up to date, encodes the snapshot, delivers each request (retries and outage logging are
 * {@link Delivery}'s) and counts what happened.
 */
final class MetricsExporter {

    /** OTLP metrics: what the OAP's otel receiver serves with its {@code otlp-metrics} handler. */
    static final ExportMethod OTLP_METRICS =
            new ExportMethod(
                    "opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                    "/v1/metrics",
                    "OTLP metrics",
                    "the otel receiver enabled (SW_OTEL_RECEIVER=default)");

    private static final Logger LOG = LoggerFactory.getLogger(MetricsExporter.class);

    private final long timeoutMillis;
    private final Delivery delivery;
    private final OtlpMetricsEncoder encoder;
    private final SelfMetrics self;
    private final ExecutorService thread;

    /** Held from {@link #tryBegin()} until the export ends: one export at a time. */
    private final Semaphore slot = new Semaphore(1);

    // Touched only by the export thread.
    private final Set<Series> loggedOversize = Collections.newSetFromMap(new WeakHashMap<>());

    MetricsExporter(long timeoutMillis, int maxRequestBytes, Delivery delivery, SelfMetrics self) {
        this.timeoutMillis = timeoutMillis;
        this.delivery = delivery;
        this.self = self;
        this.encoder =
                new OtlpMetricsEncoder(
                        maxRequestBytes, PluginVersion.NAME, PluginVersion.version());
        this.thread =
                new ThreadPoolExecutor(
                        1,
                        1,
                        0,
                        TimeUnit.MILLISECONDS,
                        new LinkedBlockingQueue<>(1),
                        r -> {
                            Thread t = new Thread(r, PluginVersion.NAME + "-exporter");
                            t.setDaemon(true);
                            return t;
                        });
    }

    /** Where requests go, for log lines. */
    String target() {
        return delivery.target();
    }

    /** Claims the right to run the next export; false while one is still in flight. */
    boolean tryBegin() {
        return slot.tryAcquire();
    }

    /** Waits until no export is in flight, at most until the deadline, and claims the next one. */
    boolean tryBegin(long deadlineNanos) {
        try {
            return slot.tryAcquire(
                    Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Gives the claim back without exporting. */
    void abandon() {
        slot.release();
    }

    /** Exports the snapshot on the export thread; call after a successful {@link #tryBegin()}. */
    Future<?> submit(Series[] snapshot, int count, long timeNanos) {
        try {
            return thread.submit(() -> run(snapshot, count, timeNanos));
        } catch (RejectedExecutionException e) {
            slot.release();
            return null;
        }
    }

    /** From now on, exports make one attempt per request: shutdown must not wait on retries. */
    void beginClose() {
        delivery.beginClose();
    }

    /** Waits for a submitted export, at most until the deadline. */
    static void await(Future<?> export, long deadlineNanos) {
        if (export == null) {
            return;
        }
        try {
            export.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.warn(
                    "The final export did not finish within the timeout; the last values were not"
                            + " sent.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("The final export failed.", e);
        }
    }

    /** Stops the export thread, interrupting an export still running, and closes the sender. */
    void shutdown() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delivery.close();
    }

    private void run(Series[] snapshot, int count, long timeNanos) {
        long start = System.nanoTime();
        Cycle cycle = new Cycle(start + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
        try {
            updateQuantiles(snapshot, count);
            encoder.encode(snapshot, count, timeNanos, cycle, this::onOversize);
        } catch (RuntimeException e) {
            LOG.warn("Encoding the metrics for {} failed; this cycle is skipped.", target(), e);
        } finally {
            finish(cycle, start);
            slot.release();
        }
    }

    /** Computes histogram quantiles here, off Flink's reporter thread: they copy and sort. */
    private void updateQuantiles(Series[] snapshot, int count) {
        for (int i = 0; i < count; i++) {
            Series s = snapshot[i];
            if (s.family.kind != Series.Kind.SUMMARY) {
                continue;
            }
            String problem = s.updateQuantiles();
            if (problem != null) {
                self.readFailures.incrementAndGet();
                if (!s.statisticsProblemLogged) {
                    s.statisticsProblemLogged = true;
                    LOG.warn(
                            "Series {} is skipped while {}; logged once for this series.",
                            s,
                            problem);
                }
            }
        }
    }

    private void finish(Cycle cycle, long startNanos) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        self.lastExportDurationMs.set(millis);
        self.lastExportBytes.set(cycle.bytes);
        delivery.cycleEnded(cycle.failure);
        if (LOG.isDebugEnabled()) {
            LOG.debug(
                    "Export cycle: {} points in {} request(s), {} bytes, {} ms; totals: {} exported,"
                            + " {} failures, {} skipped cycles, {} dropped points.",
                    cycle.points,
                    cycle.requests,
                    cycle.bytes,
                    millis,
                    self.pointsExported.get(),
                    self.exportFailures.get(),
                    self.cyclesSkipped.get(),
                    self.pointsDropped.get());
        }
    }

    private void onOversize(Series series, int bytes) {
        self.pointsDropped.incrementAndGet();
        if (loggedOversize.add(series)) {
            LOG.warn(
                    "Series {} is {} bytes, more than {} allows; it is not sent.",
                    series,
                    bytes,
                    SkyWalkingReporterOptions.MAX_REQUEST_SIZE.fullKey());
        }
    }

    /** Sends the requests of one export cycle. */
    private final class Cycle implements OtlpMetricsEncoder.RequestSink {
        final long deadlineNanos;
        ExportException failure;
        long bytes;
        int points;
        int requests;

        Cycle(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public boolean accept(byte[] request, int length, int pointCount) {
            requests++;
            try {
                delivery.send(request, length, deadlineNanos);
                bytes += length;
                points += pointCount;
                self.pointsExported.addAndGet(pointCount);
                return true;
            } catch (ExportException e) {
                self.exportFailures.incrementAndGet();
                self.pointsDropped.addAndGet(pointCount);
                if (e.kind == ExportException.Kind.REJECTED) {
                    // One bad request must not cost the others: log it once, go on.
                    delivery.rejected(e, pointCount, "points", length);
                    return true;
                }
                failure = e;
                return false;
            }
        }
    }
}
