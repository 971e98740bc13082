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
package dev.flinkmetrics.skywalking.events;

import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Derives SkyWalking events from the JobManager's metrics, for every Flink version: job status
 * changes (from the {@code <status>State} or {@code <status>Time} gauges Flink registers per job),
 * the job's end (its group removed), restarts ({@code numRestarts} going up), failed checkpoints
 * ({@code numberOfFailedCheckpoints} going up) and TaskManagers registered or lost ({@code
 * numRegisteredTaskManagers}). The values are read at each report, so a status that lasts less than
 * the report interval may go unseen.
 *
 * <p>While this plugin's event reporter is open in the process on a Flink that reports job events
 * ({@link PluginProcess#nativeEventsActive()}), Flink's own events cover job status, failures and
 * checkpoints, and only the TaskManager events are derived. A metric that throws when read is
 * counted and logged once (WARN; then DEBUG), and derives nothing that time. Thread-safe: metrics
 * come and go on Flink's threads, {@link #derive()} runs on the reporter's; no metric is read while
 * holding the lock those share.
 */
@Internal
public final class MetricEventDeriver {

    static final String JOB_ENDED = "JobEnded";
    static final String TASK_MANAGERS_REGISTERED = "TaskManagerRegistered";
    static final String TASK_MANAGERS_LOST = "TaskManagerLost";

    private static final Logger LOG = LoggerFactory.getLogger(MetricEventDeriver.class);

    private static final String STATE_SUFFIX = "State";
    private static final String TIME_SUFFIX = "Time";

    /**
     * The statuses Flink registers {@code <status>State} and {@code <status>Time} gauges for: every
     * one but the terminal ones and RECONCILING, as they appear in the names.
     */
    private static final Set<String> JOB_STATUSES =
            new HashSet<>(
                    Arrays.asList(
                            "initializing",
                            "created",
                            "running",
                            "failing",
                            "cancelling",
                            "restarting"));

    private final EventSource source;
    private final Consumer<SkyWalkingEvent> send;
    private final LongSupplier clockMillis;
    private final PluginProcess process;
    private final JobStatusEvents jobStatus = new JobStatusEvents();
    private final Map<String, DerivedJob> jobs = new LinkedHashMap<>();
    private Metric taskManagers;
    private Map<String, String> jobManagerVariables;
    private long taskManagersSeen;

    /** Failures since the last {@link #derive()}, which hands them to the caller's count. */
    private int failures;

    private final Set<String> loggedFailures = new HashSet<>();

    /**
     * @param filterValues name instances and endpoints as the metric reporter's labels
     * @param send queues an event; must not block
     */
    public MetricEventDeriver(
            SourceSettings source,
            boolean filterValues,
            Consumer<SkyWalkingEvent> send,
            LongSupplier clockMillis,
            PluginProcess process) {
        this.source = new EventSource(source, filterValues);
        this.send = send;
        this.clockMillis = clockMillis;
        this.process = process;
    }

    /**
     * A metric was registered.
     *
     * @return true when events are derived from it
     */
    public synchronized boolean added(String metricName, Metric metric, MetricGroup group) {
        String scope = logicalScope(metricName, group);
        if (scope.equals("jobmanager") && metricName.equals("numRegisteredTaskManagers")) {
            taskManagers = metric;
            jobManagerVariables = EventSource.withoutBrackets(group.getAllVariables());
            return true;
        }
        if (!scope.equals("jobmanager_job") || !isJobMetric(metricName, metric)) {
            return false;
        }
        Map<String, String> variables = EventSource.withoutBrackets(group.getAllVariables());
        String key = key(variables);
        DerivedJob job = jobs.computeIfAbsent(key, k -> new DerivedJob(k, variables));
        job.metrics++;
        if (metricName.equals("numRestarts")) {
            job.restarts = metric;
        } else if (metricName.equals("numberOfFailedCheckpoints")) {
            job.failedCheckpoints = metric;
        } else if (metricName.endsWith(STATE_SUFFIX)) {
            job.stateGauges.put(statusOf(metricName, STATE_SUFFIX), (Gauge<?>) metric);
        } else {
            job.timeGauges.put(statusOf(metricName, TIME_SUFFIX), (Gauge<?>) metric);
        }
        return true;
    }

    /**
     * A metric was removed; when the last of a job's is, the job has ended. Its metrics are read a
     * last time without the lock, as in {@link #derive()}.
     */
    public void removed(String metricName, Metric metric, MetricGroup group) {
        DerivedJob job;
        DerivedJob.Watched watched;
        long now;
        synchronized (this) {
            if (metric == taskManagers) {
                taskManagers = null;
                return;
            }
            String scope = logicalScope(metricName, group);
            if (!scope.equals("jobmanager_job") || !isJobMetric(metricName, metric)) {
                return;
            }
            String key = key(EventSource.withoutBrackets(group.getAllVariables()));
            job = jobs.get(key);
            if (job == null || --job.metrics > 0) {
                return;
            }
            jobs.remove(key);
            now = clockMillis.getAsLong();
            if (process.nativeEventsActive()) {
                return;
            }
            watched = job.watched();
        }
        DerivedJob.Reading reading = watched.read();
        synchronized (this) {
            ended(job, reading, now);
        }
    }

    /** What the job did since the last report, then its end; called under the lock. */
    private void ended(DerivedJob job, DerivedJob.Reading reading, long now) {
        deriveJob(job, reading, now);
        if ("FAILING".equals(job.status)) {
            // Seen failing, then gone: it failed for good (a restart would be seen RESTARTING).
            process.failedJobs.failed(String.valueOf(job.variables.get("job_id")));
        }
        jobStatus.end(job.key, now, send);
        Map<String, String> parameters =
                DerivedJob.parameters(
                        job.variables,
                        "lastJobStatus",
                        job.status == null ? "UNKNOWN" : job.status);
        send.accept(
                source.event(
                                job.variables,
                                JOB_ENDED,
                                JobStatusEvents.FAILED.contains(job.status),
                                "Job "
                                        + job.name()
                                        + " ended (its metrics were removed); last status seen: "
                                        + (job.status == null ? "none" : job.status),
                                parameters,
                                now)
                        .endedAt(now));
    }

    /**
     * Reads the watched metrics and sends an event for each change. Never throws. The values are
     * read outside the lock that {@link #added} and {@link #removed} take: a slow gauge must not
     * hold up Flink's metric registration, and so the deployment of tasks.
     *
     * @return how many metrics failed to be read since the last call
     */
    public int derive() {
        long now;
        List<DerivedJob> watchedJobs = new ArrayList<>();
        List<DerivedJob.Watched> watched = new ArrayList<>();
        Metric registeredTaskManagers;
        synchronized (this) {
            now = clockMillis.getAsLong();
            if (!process.nativeEventsActive()) {
                for (DerivedJob job : jobs.values()) {
                    watchedJobs.add(job);
                    watched.add(job.watched());
                }
            }
            registeredTaskManagers = taskManagers;
        }
        List<DerivedJob.Reading> readings = new ArrayList<>(watched.size());
        for (DerivedJob.Watched w : watched) {
            readings.add(w.read());
        }
        Long registered = null;
        RuntimeException taskManagersFailure = null;
        try {
            registered = DerivedJob.read(registeredTaskManagers);
        } catch (RuntimeException e) {
            taskManagersFailure = e;
        }
        synchronized (this) {
            for (int i = 0; i < watchedJobs.size(); i++) {
                DerivedJob job = watchedJobs.get(i);
                // A job removed meanwhile was read again and ended by removed().
                if (jobs.get(job.key) == job) {
                    deriveJob(job, readings.get(i), now);
                }
            }
            if (taskManagersFailure != null) {
                failed(
                        "numRegisteredTaskManagers",
                        "its value could not be read",
                        taskManagersFailure);
            } else if (registeredTaskManagers == taskManagers) {
                deriveTaskManagers(registered, now);
            }
            int failed = failures;
            failures = 0;
            return failed;
        }
    }

    private void deriveJob(DerivedJob job, DerivedJob.Reading reading, long now) {
        try {
            job.derive(reading, source, jobStatus, now, send);
        } catch (RuntimeException e) {
            failed("job " + job.name(), "a metric of it could not be read", e);
        }
    }

    /** Counts a failure and logs it, at WARN the first time for this subject. */
    private void failed(String subject, String what, RuntimeException e) {
        failures++;
        String format = "Events from {} are not derived this time: {}: {}";
        if (loggedFailures.size() < 100 && loggedFailures.add(subject)) {
            LOG.warn(
                    format + " (logged once; further failures at DEBUG).",
                    subject,
                    what,
                    e.toString());
        } else {
            LOG.debug(format, subject, what, e.toString());
        }
    }

    /** Sends an event when the number of TaskManagers changed; called under the lock. */
    private void deriveTaskManagers(Long registered, long now) {
        if (registered == null || registered == taskManagersSeen) {
            return;
        }
        long change = registered - taskManagersSeen;
        taskManagersSeen = registered;
        boolean lost = change < 0;
        Map<String, String> parameters =
                DerivedJob.parameters(
                        jobManagerVariables,
                        "numRegisteredTaskManagers",
                        registered,
                        lost ? "lostTaskManagers" : "newTaskManagers",
                        Math.abs(change));
        String count = Math.abs(change) == 1 ? "1 TaskManager" : Math.abs(change) + " TaskManagers";
        // About the cluster, not one TaskManager: the metric does not say which.
        send.accept(
                new SkyWalkingEvent(
                        SkyWalkingEvent.newUuid(),
                        source.service,
                        "",
                        "",
                        lost ? TASK_MANAGERS_LOST : TASK_MANAGERS_REGISTERED,
                        lost,
                        count
                                + (lost ? " lost" : " registered")
                                + "; "
                                + registered
                                + " registered now",
                        parameters,
                        now,
                        now,
                        source.layer));
    }

    private static boolean isJobMetric(String metricName, Metric metric) {
        if (metricName.equals("numRestarts") || metricName.equals("numberOfFailedCheckpoints")) {
            return metric instanceof Gauge || metric instanceof Counter;
        }
        if (!(metric instanceof Gauge)) {
            return false;
        }
        return statusOf(metricName, STATE_SUFFIX) != null
                || statusOf(metricName, TIME_SUFFIX) != null;
    }

    /** RUNNING for {@code runningTime}; null when the name is not a job status metric. */
    private static String statusOf(String metricName, String suffix) {
        if (!metricName.endsWith(suffix)) {
            return null;
        }
        String status = metricName.substring(0, metricName.length() - suffix.length());
        return JOB_STATUSES.contains(status) ? status.toUpperCase(Locale.ROOT) : null;
    }

    private static String key(Map<String, String> variables) {
        String id = variables.get("job_id");
        return id != null ? id : String.valueOf(variables.get("job_name"));
    }

    /**
     * The group's logical scope, {@code jobmanager_job}; "" when the group cannot tell, counted and
     * logged. Flink caches the first logical scope a reporter asks for, whatever filter and
     * delimiter later calls pass: this asks with the metric reporter's own ({@code _}, characters
     * outside {@code [a-zA-Z0-9:_]} replaced), so the cached string is the one its series names are
     * made from.
     */
    private String logicalScope(String metricName, MetricGroup group) {
        try {
            return LogicalScopeProvider.castFrom(group)
                    .getLogicalScope(SourceSettings::replaceInvalidChars, '_');
        } catch (RuntimeException e) {
            failed("metric groups", "metric " + metricName + " has no logical scope", e);
            return "";
        }
    }
}
