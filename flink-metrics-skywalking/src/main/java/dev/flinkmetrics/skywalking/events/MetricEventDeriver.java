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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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

/**
 * Derives SkyWalking events from the JobManager's metrics, for every Flink version: job status
 * changes (from the {@code <status>State} or {@code <status>Time} gauges Flink registers per job),
 * the job's end (its group removed), restarts ({@code numRestarts} going up), failed checkpoints
 * ({@code numberOfFailedCheckpoints} going up) and TaskManagers registered or lost ({@code
 * numRegisteredTaskManagers}). The values are read at each report, so a status that lasts less than
 * the report interval may go unseen.
 *
 * <p>While this plugin's event reporter is open in the process ({@link NativeEvents}), Flink's own
 * events cover job status, failures and checkpoints, and only the TaskManager events are derived.
 * Thread-safe: metrics come and go on Flink's threads, {@link #derive()} runs on the reporter's.
 */
@Internal
public final class MetricEventDeriver {

    static final String JOB_STATUS_CHANGE = "JobStatusChange";
    static final String JOB_ENDED = "JobEnded";
    static final String JOB_RESTART = "JobRestart";
    static final String CHECKPOINT = "Checkpoint";
    static final String TASK_MANAGERS_REGISTERED = "TaskManagerRegistered";
    static final String TASK_MANAGERS_LOST = "TaskManagerLost";

    private static final String STATE_SUFFIX = "State";

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

    private static final String TIME_SUFFIX = "Time";

    /** One job on this JobManager, as its metrics show it. */
    private static final class Job {
        final Map<String, String> variables;
        final Map<String, Gauge<?>> stateGauges = new HashMap<>();
        final Map<String, Gauge<?>> timeGauges = new HashMap<>();
        Metric restarts;
        Metric failedCheckpoints;
        int metrics;
        String status;
        long restartsSeen;
        long failedCheckpointsSeen;

        Job(Map<String, String> variables) {
            this.variables = variables;
        }
    }

    private final EventSource source;
    private final Consumer<SkyWalkingEvent> send;
    private final LongSupplier clockMillis;
    private final JobStatusEvents jobStatus = new JobStatusEvents();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private Metric taskManagers;
    private Map<String, String> jobManagerVariables;
    private long taskManagersSeen;

    /**
     * @param filterValues name instances and endpoints as the metric reporter's labels
     * @param send queues an event; must not block
     */
    public MetricEventDeriver(
            SourceSettings source,
            boolean filterValues,
            Consumer<SkyWalkingEvent> send,
            LongSupplier clockMillis) {
        this.source = new EventSource(source, filterValues);
        this.send = send;
        this.clockMillis = clockMillis;
    }

    /**
     * A metric was registered.
     *
     * @return true when events are derived from it
     */
    public synchronized boolean added(String metricName, Metric metric, MetricGroup group) {
        String scope = logicalScope(group);
        if (scope.equals("jobmanager") && metricName.equals("numRegisteredTaskManagers")) {
            taskManagers = metric;
            jobManagerVariables = EventSource.withoutBrackets(group.getAllVariables());
            return true;
        }
        if (!scope.equals("jobmanager_job") || !isJobMetric(metricName, metric)) {
            return false;
        }
        Map<String, String> variables = EventSource.withoutBrackets(group.getAllVariables());
        Job job = jobs.computeIfAbsent(key(variables), k -> new Job(variables));
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

    /** A metric was removed; when the last of a job's is, the job has ended. */
    public synchronized void removed(String metricName, Metric metric, MetricGroup group) {
        if (metric == taskManagers) {
            taskManagers = null;
            return;
        }
        String scope = logicalScope(group);
        if (!scope.equals("jobmanager_job") || !isJobMetric(metricName, metric)) {
            return;
        }
        String key = key(EventSource.withoutBrackets(group.getAllVariables()));
        Job job = jobs.get(key);
        if (job == null || --job.metrics > 0) {
            return;
        }
        jobs.remove(key);
        long now = clockMillis.getAsLong();
        if (NativeEvents.active()) {
            return;
        }
        // What the job did since the last report, then its end.
        deriveJob(key, job, now);
        jobStatus.end(key, now, send);
        Map<String, String> parameters =
                derived(
                        job.variables,
                        "lastJobStatus",
                        job.status == null ? "UNKNOWN" : job.status);
        send.accept(
                source.event(
                                job.variables,
                                JOB_ENDED,
                                JobStatusEvents.FAILED.contains(job.status),
                                "Job "
                                        + EventSource.jobName(job.variables)
                                        + " ended (its metrics were removed); last status seen: "
                                        + (job.status == null ? "none" : job.status),
                                parameters,
                                now)
                        .endedAt(now));
    }

    /** Reads the watched metrics and sends an event for each change. Never throws. */
    public synchronized void derive() {
        long now = clockMillis.getAsLong();
        if (!NativeEvents.active()) {
            for (Map.Entry<String, Job> job : jobs.entrySet()) {
                try {
                    deriveJob(job.getKey(), job.getValue(), now);
                } catch (RuntimeException e) {
                    // A gauge that throws: nothing to derive from it this time.
                }
            }
        }
        try {
            deriveTaskManagers(now);
        } catch (RuntimeException e) {
            // As above.
        }
    }

    private void deriveJob(String key, Job job, long now) {
        String status = currentStatus(job);
        if (status != null && !status.equals(job.status)) {
            Map<String, String> parameters =
                    job.status == null
                            ? derived(job.variables, "newJobStatus", status)
                            : derived(
                                    job.variables,
                                    "newJobStatus",
                                    status,
                                    "previousJobStatus",
                                    job.status);
            job.status = status;
            SkyWalkingEvent event =
                    source.event(
                            job.variables,
                            JOB_STATUS_CHANGE,
                            JobStatusEvents.FAILED.contains(status),
                            "Job " + EventSource.jobName(job.variables) + " is " + status,
                            parameters,
                            now);
            jobStatus.changed(key, status, event, send);
        }
        Long restarts = read(job.restarts);
        if (restarts != null && restarts > job.restartsSeen) {
            long more = restarts - job.restartsSeen;
            job.restartsSeen = restarts;
            Map<String, String> parameters =
                    derived(job.variables, "numRestarts", restarts, "newRestarts", more);
            send.accept(
                    source.event(
                                    job.variables,
                                    JOB_RESTART,
                                    true,
                                    "Job "
                                            + EventSource.jobName(job.variables)
                                            + (more == 1
                                                    ? " restarted"
                                                    : " restarted " + more + " times")
                                            + " after a failure ("
                                            + restarts
                                            + " restarts in all)",
                                    parameters,
                                    now)
                            .endedAt(now));
        }
        Long failed = read(job.failedCheckpoints);
        if (failed != null && failed > job.failedCheckpointsSeen) {
            long more = failed - job.failedCheckpointsSeen;
            job.failedCheckpointsSeen = failed;
            Map<String, String> parameters =
                    derived(
                            job.variables,
                            "checkpointStatus",
                            "FAILED",
                            "numberOfFailedCheckpoints",
                            failed,
                            "newFailedCheckpoints",
                            more);
            send.accept(
                    source.event(
                                    job.variables,
                                    CHECKPOINT,
                                    true,
                                    (more == 1 ? "A checkpoint" : more + " checkpoints")
                                            + " of job "
                                            + EventSource.jobName(job.variables)
                                            + " failed ("
                                            + failed
                                            + " failed in all)",
                                    parameters,
                                    now)
                            .endedAt(now));
        }
    }

    /**
     * The parameters of a derived event: the group's variables, then the given names and values,
     * then {@code derivedFrom=metrics}.
     */
    private static Map<String, String> derived(Map<String, String> variables, Object... pairs) {
        Map<String, String> parameters = new LinkedHashMap<>(variables);
        for (int i = 0; i < pairs.length; i += 2) {
            parameters.put((String) pairs[i], String.valueOf(pairs[i + 1]));
        }
        parameters.put("derivedFrom", "metrics");
        return parameters;
    }

    private void deriveTaskManagers(long now) {
        Long registered = read(taskManagers);
        if (registered == null || registered == taskManagersSeen) {
            return;
        }
        long change = registered - taskManagersSeen;
        taskManagersSeen = registered;
        boolean lost = change < 0;
        Map<String, String> parameters =
                derived(
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

    /**
     * The job's status now: the one whose {@code <status>State} gauge is 1, else the one whose
     * {@code <status>Time} gauge is above 0 (Flink's default, {@code metrics.job.status.enable:
     * CURRENT_TIME}); null when neither tells.
     */
    private static String currentStatus(Job job) {
        for (Map.Entry<String, Gauge<?>> state : job.stateGauges.entrySet()) {
            Long value = read(state.getValue());
            if (value != null && value == 1) {
                return state.getKey();
            }
        }
        String status = null;
        long longest = 0;
        for (Map.Entry<String, Gauge<?>> time : job.timeGauges.entrySet()) {
            Long value = read(time.getValue());
            if (value != null && value > longest) {
                longest = value;
                status = time.getKey();
            }
        }
        return status;
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

    private static Long read(Metric metric) {
        if (metric instanceof Counter) {
            return ((Counter) metric).getCount();
        }
        if (metric instanceof Gauge) {
            Object value = ((Gauge<?>) metric).getValue();
            if (value instanceof Number) {
                return ((Number) value).longValue();
            }
            if (value instanceof Boolean) {
                return (Boolean) value ? 1L : 0L;
            }
        }
        return null;
    }

    private static String key(Map<String, String> variables) {
        String id = variables.get("job_id");
        return id != null ? id : String.valueOf(variables.get("job_name"));
    }

    /**
     * The group's logical scope, {@code jobmanager_job}. Flink caches the first logical scope a
     * reporter asks for, whatever filter and delimiter later calls pass: this asks with the metric
     * reporter's own ({@code _}, characters outside {@code [a-zA-Z0-9:_]} replaced), so the cached
     * string is the one its series names are made from.
     */
    private static String logicalScope(MetricGroup group) {
        try {
            return LogicalScopeProvider.castFrom(group)
                    .getLogicalScope(SourceSettings::replaceInvalidChars, '_');
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** Jobs watched, for tests. */
    synchronized int jobs() {
        return jobs.size();
    }
}
