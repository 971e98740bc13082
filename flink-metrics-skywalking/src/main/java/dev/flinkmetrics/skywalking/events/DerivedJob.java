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

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;

/**
 * One job on this JobManager, as its metrics show it, and the events its changes make: status
 * changes, restarts and failed checkpoints. Used under {@link MetricEventDeriver}'s lock, except
 * {@link Watched#read()}: the metrics' values are read without it, since the gauges may be slow and
 * Flink registers metrics under that lock too.
 */
final class DerivedJob {

    static final String JOB_STATUS_CHANGE = "JobStatusChange";
    static final String JOB_RESTART = "JobRestart";
    static final String CHECKPOINT = "Checkpoint";

    final String key;
    final Map<String, String> variables;
    final Map<String, Gauge<?>> stateGauges = new HashMap<>();
    final Map<String, Gauge<?>> timeGauges = new HashMap<>();
    Metric restarts;
    Metric failedCheckpoints;
    int metrics;
    String status;
    private long restartsSeen;
    private long failedCheckpointsSeen;

    DerivedJob(String key, Map<String, String> variables) {
        this.key = key;
        this.variables = variables;
    }

    String name() {
        return EventSource.jobName(variables);
    }

    /** The job's metrics as they are now, to be read outside the deriver's lock. */
    Watched watched() {
        return new Watched(
                new LinkedHashMap<>(stateGauges),
                new LinkedHashMap<>(timeGauges),
                restarts,
                failedCheckpoints);
    }

    /**
     * Sends an event for each change since the last time, from {@code reading}, in the order the
     * metrics were read. Throws what a metric threw, after the changes read before it.
     */
    void derive(
            Reading reading,
            EventSource source,
            JobStatusEvents jobStatus,
            long now,
            Consumer<SkyWalkingEvent> send) {
        if (!reading.statusRead) {
            throw reading.failure;
        }
        String current = reading.status;
        if (current != null && !current.equals(status)) {
            Map<String, String> parameters =
                    status == null
                            ? parameters(variables, "newJobStatus", current)
                            : parameters(
                                    variables,
                                    "newJobStatus",
                                    current,
                                    "previousJobStatus",
                                    status);
            status = current;
            SkyWalkingEvent event =
                    source.event(
                            variables,
                            JOB_STATUS_CHANGE,
                            JobStatusEvents.FAILED.contains(current),
                            "Job " + name() + " is " + current,
                            parameters,
                            now);
            jobStatus.changed(key, current, event, send);
        }
        if (!reading.restartsRead) {
            throw reading.failure;
        }
        Long restarted = reading.restarts;
        if (restarted != null && restarted > restartsSeen) {
            long more = restarted - restartsSeen;
            restartsSeen = restarted;
            send.accept(
                    source.event(
                                    variables,
                                    JOB_RESTART,
                                    true,
                                    "Job "
                                            + name()
                                            + (more == 1
                                                    ? " restarted"
                                                    : " restarted " + more + " times")
                                            + " after a failure ("
                                            + restarted
                                            + " restarts in all)",
                                    parameters(
                                            variables,
                                            "numRestarts",
                                            restarted,
                                            "newRestarts",
                                            more),
                                    now)
                            .endedAt(now));
        }
        if (!reading.failedCheckpointsRead) {
            throw reading.failure;
        }
        Long failed = reading.failedCheckpoints;
        if (failed != null && failed > failedCheckpointsSeen) {
            long more = failed - failedCheckpointsSeen;
            failedCheckpointsSeen = failed;
            Map<String, String> parameters =
                    parameters(
                            variables,
                            "checkpointStatus",
                            "FAILED",
                            "numberOfFailedCheckpoints",
                            failed,
                            "newFailedCheckpoints",
                            more);
            send.accept(
                    source.event(
                                    variables,
                                    CHECKPOINT,
                                    true,
                                    (more == 1 ? "A checkpoint" : more + " checkpoints")
                                            + " of job "
                                            + name()
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
    static Map<String, String> parameters(Map<String, String> variables, Object... pairs) {
        Map<String, String> parameters = new LinkedHashMap<>(variables);
        for (int i = 0; i < pairs.length; i += 2) {
            parameters.put((String) pairs[i], String.valueOf(pairs[i + 1]));
        }
        parameters.put("derivedFrom", "metrics");
        return parameters;
    }

    /**
     * A counter's count or a gauge's number; null for anything else. Throws what the metric throws.
     */
    static Long read(Metric metric) {
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

    /** References to a job's metrics, copied under the deriver's lock. */
    static final class Watched {
        private final Map<String, Gauge<?>> stateGauges;
        private final Map<String, Gauge<?>> timeGauges;
        private final Metric restarts;
        private final Metric failedCheckpoints;

        Watched(
                Map<String, Gauge<?>> stateGauges,
                Map<String, Gauge<?>> timeGauges,
                Metric restarts,
                Metric failedCheckpoints) {
            this.stateGauges = stateGauges;
            this.timeGauges = timeGauges;
            this.restarts = restarts;
            this.failedCheckpoints = failedCheckpoints;
        }

        /**
         * Reads the status, then the restarts, then the failed checkpoints, up to the first that
         * throws. Holds no lock: a slow gauge holds up only the calling thread.
         */
        Reading read() {
            Reading reading = new Reading();
            try {
                reading.status = currentStatus();
                reading.statusRead = true;
                reading.restarts = DerivedJob.read(restarts);
                reading.restartsRead = true;
                reading.failedCheckpoints = DerivedJob.read(failedCheckpoints);
                reading.failedCheckpointsRead = true;
            } catch (RuntimeException e) {
                reading.failure = e;
            }
            return reading;
        }

        /**
         * The job's status now: the one whose {@code <status>State} gauge is 1, else the one whose
         * {@code <status>Time} gauge is above 0 (Flink's default, {@code metrics.job.status.enable:
         * CURRENT_TIME}); null when neither tells.
         */
        private String currentStatus() {
            for (Map.Entry<String, Gauge<?>> state : stateGauges.entrySet()) {
                Long value = DerivedJob.read(state.getValue());
                if (value != null && value == 1) {
                    return state.getKey();
                }
            }
            String longestStatus = null;
            long longest = 0;
            for (Map.Entry<String, Gauge<?>> time : timeGauges.entrySet()) {
                Long value = DerivedJob.read(time.getValue());
                if (value != null && value > longest) {
                    longest = value;
                    longestStatus = time.getKey();
                }
            }
            return longestStatus;
        }
    }

    /** A job's values at one moment; what was not read is marked so, with the failure. */
    static final class Reading {
        String status;
        boolean statusRead;
        Long restarts;
        boolean restartsRead;
        Long failedCheckpoints;
        boolean failedCheckpointsRead;
        RuntimeException failure;
    }
}
