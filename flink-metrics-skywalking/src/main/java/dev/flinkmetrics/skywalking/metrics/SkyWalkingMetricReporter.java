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

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.MetricsSettings;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.ExportLifecycle;
import dev.flinkmetrics.skywalking.transport.ExportMethod;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.Sender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Gauge;
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
 * on the network and never throws. The export thread encodes and sends (see {@link
 * MetricsExporter}).
 *
 * <p>With {@code derive-events}, the metrics also feed a {@link MetricListener}, which the factory
 * wires to the events derived from them; its thread starts with the first event, so TaskManagers
 * run none.
 */
@Internal
public final class SkyWalkingMetricReporter implements MetricReporter, Scheduled {

    /** The OTLP method and path metrics are sent to. */
    public static final ExportMethod EXPORT_METHOD = MetricsExporter.OTLP_METRICS;

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingMetricReporter.class);
    private static final int MAX_REMEMBERED_PROBLEMS = 1000;

    private final long timeoutMillis;
    private final int maxSeries;

    /** The WARN about series over max-series was logged. */
    private volatile boolean leftOutLogged;

    private final SeriesTranslator translator;
    private final SeriesRegistry registry;
    private final SelfMetrics self;
    private final MetricsExporter exporter;

    /** Guards the three fields below; never held while values are read. */
    private final Object reportState = new Object();

    /** Calls of {@link #report()} deriving, reading or handing over now. */
    private int reportsUnderWay;

    /** {@link #close()} began: no report starts from now on. */
    private boolean closing;

    /** A report under way when close began handed its snapshot over: the final one. */
    private boolean finalSnapshotSubmitted;

    /** Registration problems already logged, by metric name. */
    private final Set<String> loggedProblems = ConcurrentHashMap.newKeySet();

    // Used only by report() and close(), never concurrently with an export (see SnapshotSlot).
    private Series[] snapshot = new Series[0];
    private final SeriesRegistry.ReadProblems problems = new SeriesRegistry.ReadProblems();

    /** Fed with the metrics too; null without derive-events. */
    private final MetricListener listener;

    /** Where the jobs that failed for good come from (a JobManager's). */
    private final PluginProcess process;

    /**
     * The failed-job series of each job this JobManager reported, by job id, the latest {@value
     * #MAX_REMEMBERED_JOBS}: made when the job's metrics come, so that it carries the job's labels
     * also when they went away before the failure was known.
     */
    private final Map<String, SeriesTranslator.SeriesId> failedJobSeries =
            new LinkedHashMap<String, SeriesTranslator.SeriesId>() {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(
                        Map.Entry<String, SeriesTranslator.SeriesId> eldest) {
                    return size() > MAX_REMEMBERED_JOBS;
                }
            };

    private static final int MAX_REMEMBERED_JOBS = 100;

    /**
     * The sample of a job that failed for good: 1, sent once (SkyWalking's alarm rules read it).
     */
    static final String JOB_FAILED = "jobFailed";

    /**
     * A reporter sending through {@code sender}, which it closes on {@link #close()}, with the span
     * and event counts of {@code process} among its own series, and feeding {@code listener} (null:
     * none), which it closes too.
     */
    public SkyWalkingMetricReporter(
            ConnectionSettings connection,
            MetricsSettings settings,
            Sender sender,
            PluginProcess process,
            MetricListener listener) {
        this.self = new SelfMetrics(process);
        this.process = process;
        this.listener = listener;
        this.timeoutMillis = connection.timeoutMillis;
        this.translator = new SeriesTranslator(settings);
        this.registry = new SeriesRegistry(settings.cluster, self.metrics(), settings.maxSeries);
        this.maxSeries = settings.maxSeries;
        Delivery delivery =
                new Delivery(sender, "Metrics", SeriesTranslator.ownName("exportFailures"));
        this.exporter =
                new MetricsExporter(
                        connection.timeoutMillis, settings.maxRequestBytes, delivery, self);
    }

    @Override
    public void open(MetricConfig metricConfig) {
        // Configuration was parsed and validated by the factory.
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        derive(true, metric, metricName, group);
        try {
            SeriesTranslator.SeriesId id = translator.translate(metricName, group);
            if (id == null) {
                return;
            }
            SeriesRegistry.Added added;
            synchronized (registry) {
                added = registry.add(id, metric, wallClockNanos());
                countSeries();
                rememberJob(id, group);
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

    /** Hands a metric that came or went to the listener; never throws. */
    private void derive(boolean added, Metric metric, String metricName, MetricGroup group) {
        if (listener == null) {
            return;
        }
        try {
            if (added) {
                listener.added(metricName, metric, group);
            } else {
                listener.removed(metricName, metric, group);
            }
        } catch (RuntimeException e) {
            logOnce(
                    "derive " + metricName,
                    true,
                    "Metric {} feeds no events: {}",
                    metricName,
                    e.toString());
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        derive(false, metric, metricName, group);
        try {
            SeriesTranslator.SeriesId id = translator.translate(metricName, group);
            if (id != null) {
                synchronized (registry) {
                    registry.remove(id, metric);
                    countSeries();
                }
            }
        } catch (IllegalArgumentException e) {
            // The metric cannot be translated: its registration failed the same way and was
            // logged then.
        } catch (RuntimeException e) {
            logOnce(
                    "remove " + metricName,
                    true,
                    "Metric {} could not be removed: {}",
                    metricName,
                    e.toString());
        }
    }

    @Override
    public void report() {
        synchronized (reportState) {
            if (closing) {
                return;
            }
            reportsUnderWay++;
        }
        boolean submitted = false;
        try {
            submitted = reportNow();
        } finally {
            synchronized (reportState) {
                reportsUnderWay--;
                if (submitted && closing) {
                    finalSnapshotSubmitted = true;
                }
                reportState.notifyAll();
            }
        }
    }

    /**
     * Derives the events, reads every value and hands the snapshot to the export thread, unless the
     * previous snapshot is still under way. Never throws.
     *
     * @return true when a snapshot was handed over
     */
    private boolean reportNow() {
        derive();
        if (!exporter.tryBegin()) {
            self.cyclesSkipped.incrementAndGet();
            LOG.debug(
                    "The previous export to {} is still running; this cycle is skipped.",
                    exporter.target());
            return false;
        }
        boolean submitted = false;
        try {
            snapshotAndSubmit();
            submitted = true;
        } catch (Throwable t) {
            logOnce("report", true, "A report failed and was skipped: {}", t.toString());
        } finally {
            if (!submitted) {
                exporter.abandon();
            }
        }
        return submitted;
    }

    /** Lets the listener read what it watches, before the values are read; never throws. */
    private void derive() {
        if (listener == null) {
            return;
        }
        try {
            self.readFailures.addAndGet(listener.reported());
        } catch (Throwable t) {
            logOnce("derive", true, "Deriving events failed and was skipped: {}", t.toString());
        }
    }

    /** Reads every value and hands the snapshot to the export thread; call holding the claim. */
    private void snapshotAndSubmit() {
        long now = wallClockNanos();
        int count;
        List<String> failed = process.failedJobs.take();
        synchronized (registry) {
            addFailedJobs(failed, now);
            count = registry.size();
            snapshot = registry.snapshot(snapshot);
            countSeries();
        }
        // Outside the lock, which Flink's deployment threads take to register metrics: a slow
        // gauge must not hold them up.
        problems.clear();
        SeriesRegistry.read(snapshot, count, problems, TimeUnit.NANOSECONDS.toMillis(now));
        self.readFailures.addAndGet(problems.failures);
        long leftOut = self.seriesLeftOut.get();
        if (leftOut > 0 && !leftOutLogged) {
            leftOutLogged = true;
            LOG.warn(
                    "{} series are left out: {} is {} and this process registered more. The"
                            + " JobManager's and TaskManagers' own series are kept first, then the"
                            + " series SkyWalking's dashboards read, then the rest; the number left"
                            + " out is flink_reporter_skywalking_seriesLeftOut.",
                    leftOut,
                    Signal.METRICS.key(SkyWalkingReporterOptions.MAX_SERIES),
                    maxSeries);
        }
        for (int i = 0; i < problems.toLog.size(); i++) {
            Series s = problems.toLog.get(i);
            String problem = problems.messages.get(i);
            String message = "Series {} is skipped while {}; logged once for this series.";
            if (s.problemIsBug) {
                LOG.warn(message, s, problem);
            } else if (s.unsupported) {
                LOG.info(message, s, problem);
            } else {
                LOG.debug(message, s, problem);
            }
        }
        exporter.submit(snapshot, count, now);
    }

    /**
     * Sends what is registered once more, with the events derived from it, then stops, with the
     * listener. A report under way when close begins makes the final snapshot: close waits for it
     * to be handed over (until the deadline) and sends it instead of reading the values again.
     * Returns within the configured timeout plus {@link ExportLifecycle#GRACE_MILLIS}.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        boolean reportStillReading;
        boolean reportSubmitted;
        synchronized (reportState) {
            if (closing) {
                return;
            }
            closing = true;
            reportStillReading = !awaitReports(deadline);
            reportSubmitted = finalSnapshotSubmitted;
        }
        // After the report's hand-over, which started the export thread: from here on, no export
        // starts and each request still to go is one attempt ending by the deadline.
        exporter.beginClose(deadline);
        try {
            if (reportStillReading) {
                LOG.warn(
                        "A report was still reading the metric values when the reporter closed;"
                                + " the last values were not sent.");
            } else if (!reportSubmitted) {
                derive();
                if (exporter.tryBegin(deadline)) {
                    boolean submitted = false;
                    try {
                        snapshotAndSubmit();
                        submitted = true;
                    } finally {
                        if (!submitted) {
                            exporter.abandon();
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("The final export failed.", e);
        } finally {
            exporter.close(deadline);
            if (listener != null) {
                listener.close(deadline);
            }
            LOG.info("Reporter for {} closed.", exporter.target());
        }
    }

    /** Waits, holding {@link #reportState}, until no report is under way; false at the deadline. */
    private boolean awaitReports(long deadlineNanos) {
        try {
            while (reportsUnderWay > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(reportState, left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Makes the failed-job series of a JobManager's job; called under the registry's lock. */
    private void rememberJob(SeriesTranslator.SeriesId id, MetricGroup group) {
        if (id.role != SeriesTranslator.Role.JOB_MANAGER) {
            return;
        }
        String jobId = group.getAllVariables().get("<job_id>");
        if (jobId != null && !failedJobSeries.containsKey(jobId)) {
            failedJobSeries.put(jobId, translator.own(JOB_FAILED, group));
        }
    }

    /**
     * Adds the sample of each job that failed for good, as a series removed at once: it goes out
     * with this report, then never again. Called under the registry's lock.
     */
    private void addFailedJobs(List<String> jobIds, long nowNanos) {
        for (String jobId : jobIds) {
            SeriesTranslator.SeriesId id = failedJobSeries.get(jobId);
            if (id == null) {
                LOG.debug("Job {} failed, but this process reported no metric of it.", jobId);
                continue;
            }
            Gauge<Integer> one = () -> 1;
            registry.add(id, one, nowNanos);
            registry.remove(id, one);
        }
    }

    /** The wall clock in nanoseconds, as OTLP stamps points. */
    private static long wallClockNanos() {
        return TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    }

    /** Publishes the registry's counts; called under its lock. */
    private void countSeries() {
        self.seriesRegistered.set(registry.registered());
        self.seriesLeftOut.set(registry.leftOut());
    }

    /** Waits until the export submitted last has ended; for tests and benchmarks. */
    boolean awaitExport(long timeoutMillis) {
        return exporter.awaitIdle(timeoutMillis);
    }

    /** The listener, or null without derive-events; for tests. */
    MetricListener listener() {
        return listener;
    }

    /** The reporter's own numbers; for tests and benchmarks. */
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
