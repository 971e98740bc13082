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
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.ExportException;
import dev.flinkmetrics.skywalking.transport.ExportLifecycle;
import dev.flinkmetrics.skywalking.transport.ExportMethod;
import dev.flinkmetrics.skywalking.transport.SnapshotSlot;
import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports the metric snapshots of one reporter through an {@link ExportLifecycle}, at most one at a
 * time ({@link SnapshotSlot}): brings histogram quantiles up to date, encodes the snapshot,
 * delivers each request (retries and outage logging are {@link Delivery}'s) and counts what
 * happened.
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

    /** The series of one report, their values read, and when. */
    private static final class Snapshot {
        final Series[] series;
        final int count;
        final long timeNanos;

        Snapshot(Series[] series, int count, long timeNanos) {
            this.series = series;
            this.count = count;
            this.timeNanos = timeNanos;
        }
    }

    private final Delivery delivery;
    private final OtlpMetricsEncoder encoder;
    private final SelfMetrics self;
    private final SnapshotSlot<Snapshot> slot = new SnapshotSlot<>();
    private final ExportLifecycle<Snapshot> lifecycle;

    // Touched only by the export thread.
    private final Set<Series> loggedOversize = Collections.newSetFromMap(new WeakHashMap<>());

    MetricsExporter(long timeoutMillis, int maxRequestBytes, Delivery delivery, SelfMetrics self) {
        this.delivery = delivery;
        this.self = self;
        this.encoder =
                new OtlpMetricsEncoder(
                        maxRequestBytes, PluginVersion.NAME, PluginVersion.version());
        this.lifecycle =
                new ExportLifecycle<>("exporter", slot, this::export, delivery, timeoutMillis);
    }

    /** Where requests go, for log lines. */
    String target() {
        return delivery.target();
    }

    /** Claims the right to make the next snapshot; false while one is still under way. */
    boolean tryBegin() {
        return !lifecycle.closed() && slot.tryClaim();
    }

    /** Waits until no export is under way, at most until the deadline, and claims the next one. */
    boolean tryBegin(long deadlineNanos) {
        return slot.claim(deadlineNanos);
    }

    /** Gives the claim back without exporting. */
    void abandon() {
        slot.abandon();
    }

    /** Hands the snapshot to the export thread; call after a successful {@link #tryBegin()}. */
    void submit(Series[] snapshot, int count, long timeNanos) {
        slot.put(new Snapshot(snapshot, count, timeNanos));
        lifecycle.wake();
    }

    /**
     * From now on, no report is exported and each request is tried once, ending by the deadline.
     */
    void beginClose(long deadlineNanos) {
        lifecycle.beginClose(deadlineNanos);
    }

    /**
     * Exports the snapshot submitted last, if any, until the deadline, then stops the thread and
     * gives back the connections; returns by the deadline plus {@link
     * ExportLifecycle#GRACE_MILLIS}.
     */
    void close(long deadlineNanos) {
        lifecycle.close(deadlineNanos);
        if (slot.tryClaim()) {
            slot.abandon();
        } else {
            LOG.warn(
                    "The final export did not finish within the timeout; the last values were not"
                            + " sent.");
        }
    }

    /** Waits until the export submitted last has ended; for tests and benchmarks. */
    boolean awaitIdle(long timeoutMillis) {
        try {
            return slot.awaitIdle(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void export(Snapshot snapshot, long deadlineNanos) {
        long start = System.nanoTime();
        Cycle cycle = new Cycle(deadlineNanos);
        try {
            updateQuantiles(snapshot.series, snapshot.count);
            encoder.encode(
                    snapshot.series, snapshot.count, snapshot.timeNanos, cycle, this::onOversize);
        } catch (RuntimeException e) {
            LOG.warn("Encoding the metrics for {} failed; this cycle is skipped.", target(), e);
        } finally {
            // Let go of what was sent: the series of metrics Flink removed were in it a last time.
            Arrays.fill(snapshot.series, 0, snapshot.count, null);
            finish(cycle, start);
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
                    Signal.METRICS.key(SkyWalkingReporterOptions.MAX_REQUEST_SIZE));
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
