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

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs exports on the reporter's own thread, at most one at a time: encodes a snapshot, sends each
 * request with retries within the timeout, counts what happened and logs it without flooding.
 *
 * <p>Logging: one WARN when an outage starts (endpoint, cause, what to check), DEBUG while it
 * lasts, one INFO when exports succeed again.
 */
final class Exporter {

    private static final Logger LOG = LoggerFactory.getLogger(Exporter.class);
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 1000;
    private static final int MAX_REMEMBERED_REJECTIONS = 100;

    private final ReporterConfig config;
    private final Transport transport;
    private final OtlpEncoder encoder;
    private final SelfMetrics self;
    private final ExecutorService thread;
    private final AtomicBoolean inFlight = new AtomicBoolean();

    /** Set by close(): the export in flight and the final flush try once, without retries. */
    private volatile boolean closing;

    // Touched only by the export thread.
    private ExportException.Kind outage;
    private int failedCycles;
    private long outageStartMillis;
    private final Set<String> loggedRejections = new HashSet<>();
    private final Set<Series> loggedOversize =
            Collections.newSetFromMap(new java.util.WeakHashMap<>());

    Exporter(ReporterConfig config, Transport transport, SelfMetrics self) {
        this.config = config;
        this.transport = transport;
        this.self = self;
        this.encoder =
                new OtlpEncoder(config.maxRequestBytes, "flink-metrics-skywalking", version());
        ThreadPoolExecutor executor =
                new ThreadPoolExecutor(
                        1,
                        1,
                        0,
                        TimeUnit.MILLISECONDS,
                        new LinkedBlockingQueue<>(1),
                        r -> {
                            Thread t = new Thread(r, "flink-metrics-skywalking-exporter");
                            t.setDaemon(true);
                            return t;
                        });
        this.thread = executor;
    }

    /** The plugin's version from the jar manifest; "dev" when run from classes. */
    static String version() {
        String version = Exporter.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** Claims the right to run the next export; false while one is still in flight. */
    boolean tryBegin() {
        return inFlight.compareAndSet(false, true);
    }

    /** Gives the claim back without exporting. */
    void abandon() {
        inFlight.set(false);
    }

    /** Exports the snapshot on the export thread; call after a successful {@link #tryBegin()}. */
    Future<?> submit(Series[] snapshot, int count, long timeNanos) {
        try {
            return thread.submit(() -> run(snapshot, count, timeNanos));
        } catch (RejectedExecutionException e) {
            inFlight.set(false);
            return null;
        }
    }

    /** From now on, exports make one attempt per request: shutdown must not wait on retries. */
    void beginClose() {
        closing = true;
    }

    /** Waits until no export is in flight, at most until the deadline. */
    boolean awaitIdle(long deadlineNanos) {
        while (inFlight.get()) {
            if (System.nanoTime() >= deadlineNanos) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
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

    /** Stops the export thread, interrupting an export still running. */
    void shutdown() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(Series[] snapshot, int count, long timeNanos) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis);
        Cycle cycle = new Cycle(deadline);
        try {
            encoder.encode(snapshot, count, timeNanos, cycle, this::onOversize);
        } catch (RuntimeException e) {
            LOG.warn(
                    "Encoding the metrics for {} failed; this cycle is skipped.",
                    config.target(),
                    e);
        } finally {
            finish(cycle, start);
            inFlight.set(false);
        }
    }

    private void finish(Cycle cycle, long startNanos) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        self.lastExportDurationMs.set(millis);
        self.lastExportBytes.set(cycle.bytes);
        if (cycle.failure == null) {
            if (outage != null) {
                LOG.info(
                        "Export to {} works again after {} failed export cycle(s) over {} s.",
                        config.target(),
                        failedCycles,
                        (System.currentTimeMillis() - outageStartMillis) / 1000);
                outage = null;
                failedCycles = 0;
            }
        } else {
            ExportException e = cycle.failure;
            failedCycles++;
            if (outage != e.kind) {
                if (outage == null) {
                    outageStartMillis = System.currentTimeMillis();
                }
                outage = e.kind;
                LOG.warn(
                        "Export to {} failed: {}. {} Metrics are dropped until exports succeed"
                                + " again; further failures are logged at DEBUG and counted in"
                                + " flink_reporter_skywalking_exportFailures.",
                        config.target(),
                        e.getMessage(),
                        e.hint);
            } else {
                LOG.debug("Export to {} failed again: {}", config.target(), e.getMessage());
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug(
                    "Export cycle: {} points in {} request(s), {} bytes, {} ms; totals: {} exported,"
                            + " {} failures, {} skipped cycles, {} dropped points.",
                    cycle.points,
                    cycle.requests,
                    cycle.bytes,
                    millis,
                    self.seriesExported.get(),
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
    private final class Cycle implements OtlpEncoder.RequestSink {
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
                sendWithRetries(request, length);
                bytes += length;
                points += pointCount;
                self.seriesExported.addAndGet(pointCount);
                return true;
            } catch (ExportException e) {
                self.exportFailures.incrementAndGet();
                self.pointsDropped.addAndGet(pointCount);
                if (e.kind == ExportException.Kind.REJECTED) {
                    // One bad request must not cost the others: log it once, go on.
                    if (loggedRejections.size() < MAX_REMEMBERED_REJECTIONS
                            && loggedRejections.add(e.getMessage())) {
                        LOG.warn(
                                "{} rejected a request of {} points ({} bytes): {}. {}",
                                config.target(),
                                pointCount,
                                length,
                                e.getMessage(),
                                e.hint);
                    }
                    return true;
                }
                failure = e;
                return false;
            }
        }

        private void sendWithRetries(byte[] request, int length) throws ExportException {
            long backoff = FIRST_BACKOFF_MILLIS;
            while (true) {
                if (outage != null) {
                    transport.resetBackoff();
                }
                try {
                    transport.send(request, length, deadlineNanos);
                    return;
                } catch (ExportException e) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                    if (e.kind != ExportException.Kind.UNAVAILABLE
                            || left <= backoff
                            || closing
                            || Thread.currentThread().isInterrupted()) {
                        throw e;
                    }
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                    transport.resetBackoff();
                    backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
                }
            }
        }
    }
}
