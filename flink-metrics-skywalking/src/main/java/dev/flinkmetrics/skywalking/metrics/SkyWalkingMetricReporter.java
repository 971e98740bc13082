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

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.Scheduled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Flink's metrics to SkyWalking OAP over OTLP.
 *
 * <p>Registration ({@link #notifyOfAddedMetric}, under Flink's registry lock) translates a metric
 * once into its series and encodes its labels. {@link #report()}, on the thread Flink shares
 * between all reporters, only reads the values and hands them to the export thread; it never waits
 * on the network and never throws. The export thread encodes and sends (see {@link Exporter}).
 */
public class SkyWalkingReporter implements MetricReporter, Scheduled {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingReporter.class);
    private static final int MAX_REMEMBERED_PROBLEMS = 1000;

    private final ReporterConfig config;
    private final SeriesTranslator translator;
    private final SeriesRegistry registry;
    private final SelfMetrics self = new SelfMetrics();
    private final Exporter exporter;
    private final Transport transport;
    private final LongSupplier wallClockNanos;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Registration problems already logged, by metric name. */
    private final Set<String> loggedProblems = ConcurrentHashMap.newKeySet();

    // Used only by report() and close(), never concurrently with an export (see Exporter).
    private Series[] snapshot = new Series[0];
    private final List<Series> problemSeries = new ArrayList<>();
    private final List<String> problemMessages = new ArrayList<>();
    private volatile Future<?> lastExport;

    SkyWalkingReporter(ReporterConfig config, Transport transport, LongSupplier wallClockNanos) {
        this.config = config;
        this.transport = transport;
        this.wallClockNanos = wallClockNanos;
        this.translator = new SeriesTranslator(config);
        // The registry-size gauge is read inside snapshot(), under the same lock.
        this.registry = new SeriesRegistry(config.cluster, self.metrics(this::registeredSeries));
        this.exporter = new Exporter(config, transport, self);
    }

    SkyWalkingReporter(ReporterConfig config, Transport transport) {
        this(config, transport, () -> TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()));
    }

    @Override
    public void open(MetricConfig metricConfig) {
        // Configuration was parsed and validated by the factory.
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        try {
            SeriesTranslator.SeriesId id = translator.translate(metricName, group);
            if (id == null) {
                return;
            }
            SeriesRegistry.Added added;
            synchronized (registry) {
                added = registry.add(id, metric, wallClockNanos.getAsLong());
            }
            switch (added) {
                case DUPLICATE:
                    logOnce(
                            id.name,
                            false,
                            "Metric {} is registered twice with the same labels; only the first"
                                    + " is sent.",
                            id);
                    break;
                case KIND_CONFLICT:
                    logOnce(
                            id.name,
                            true,
                            "Metric {} is a {} but others of that name are not; it is not sent.",
                            id,
                            metric.getClass().getSimpleName());
                    break;
                case UNSUPPORTED_TYPE:
                    logOnce(
                            metric.getClass().getName(),
                            false,
                            "Metric {} of type {} is not a counter, gauge, meter or histogram; it is"
                                    + " not sent.",
                            id,
                            metric.getClass().getName());
                    break;
                default:
            }
        } catch (IllegalArgumentException e) {
            logOnce(
                    metricName,
                    true,
                    "Metric {} in group {} is not sent: {}.",
                    metricName,
                    group.getMetricIdentifier(metricName),
                    e.getMessage());
        } catch (RuntimeException e) {
            logOnce(
                    metricName,
                    true,
                    "Metric {} could not be registered: {}",
                    metricName,
                    e.toString());
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        try {
            SeriesTranslator.SeriesId id = translator.translate(metricName, group);
            if (id != null) {
                synchronized (registry) {
                    registry.remove(id, metric);
                }
            }
        } catch (RuntimeException e) {
            // Its registration failed the same way and was logged then.
        }
    }

    @Override
    public void report() {
        if (closed.get()) {
            return;
        }
        if (!exporter.tryBegin()) {
            self.cyclesSkipped.incrementAndGet();
            LOG.debug(
                    "The previous export to {} is still running; this cycle is skipped.",
                    config.target());
            return;
        }
        Future<?> export = null;
        try {
            export = snapshotAndSubmit();
        } catch (Throwable t) {
            logOnce("report", true, "A report failed and was skipped: {}", t.toString());
        } finally {
            if (export == null) {
                exporter.abandon();
            }
        }
    }

    private Future<?> snapshotAndSubmit() {
        long now = wallClockNanos.getAsLong();
        int count;
        problemSeries.clear();
        problemMessages.clear();
        synchronized (registry) {
            snapshot = registry.snapshot(snapshot, problemSeries, problemMessages);
            count = registry.size();
        }
        for (int i = 0; i < problemSeries.size(); i++) {
            Series s = problemSeries.get(i);
            String message = "Series {} is skipped while {}; logged once for this series.";
            if (s.problemIsBug) {
                LOG.warn(message, s, problemMessages.get(i));
            } else if (s.unsupported) {
                LOG.info(message, s, problemMessages.get(i));
            } else {
                LOG.debug(message, s, problemMessages.get(i));
            }
        }
        Future<?> export = exporter.submit(snapshot, count, now);
        lastExport = export;
        return export;
    }

    /** Sends what is registered once more, then stops. Waits at most the configured timeout. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis);
        exporter.beginClose();
        try {
            if (exporter.awaitIdle(deadline) && exporter.tryBegin()) {
                Future<?> export = null;
                try {
                    export = snapshotAndSubmit();
                } finally {
                    if (export == null) {
                        exporter.abandon();
                    }
                }
                Exporter.await(export, deadline);
            }
        } catch (RuntimeException e) {
            LOG.debug("The final export failed.", e);
        } finally {
            exporter.shutdown();
            transport.close();
            LOG.info("Reporter for {} closed.", config.target());
        }
    }

    /** Registered series, for tests and the reporter's own metrics. */
    int seriesCount() {
        synchronized (registry) {
            return registry.size();
        }
    }

    /** Called only from inside {@link SeriesRegistry#snapshot}, which holds the lock. */
    private long registeredSeries() {
        return registry.size();
    }

    /** Waits until no export is in flight; for tests and benchmarks. */
    boolean awaitExport(long timeoutMillis) {
        Future<?> export = lastExport;
        if (export != null) {
            try {
                export.get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    SelfMetrics selfMetrics() {
        return self;
    }

    private void logOnce(String key, boolean warn, String format, Object... args) {
        if (loggedProblems.size() >= MAX_REMEMBERED_PROBLEMS || !loggedProblems.add(key)) {
            LOG.debug(format, args);
            return;
        }
        if (warn) {
            LOG.warn(format, args);
        } else {
            LOG.info(format, args);
        }
    }
}
