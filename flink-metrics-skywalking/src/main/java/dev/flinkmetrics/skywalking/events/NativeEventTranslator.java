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

import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Turns one of Flink's own events into a SkyWalking event. The name is Flink's without the {@code
 * Event} suffix ({@code JobStatusChangeEvent} is {@code JobStatusChange}); the attributes become
 * the parameters; the message is one line saying what happened. Job status changes go through
 * {@link JobStatusEvents}, so that a restart lasts until the job's next status.
 */
final class NativeEventTranslator {

    private static final int MAX_MESSAGE = 1000;

    private final EventSource source;
    private final JobStatusEvents jobStatus;
    private final LongSupplier clockMillis;

    NativeEventTranslator(EventSource source, JobStatusEvents jobStatus, LongSupplier clockMillis) {
        this.source = source;
        this.jobStatus = jobStatus;
        this.clockMillis = clockMillis;
    }

    void translate(FlinkEventCopy flink, Consumer<SkyWalkingEvent> send) {
        Map<String, String> attributes = flink.attributes;
        String name = name(flink);
        String status = upper(attributes.get("newJobStatus"));
        String checkpointStatus = upper(attributes.get("checkpointStatus"));
        if (name.equals("Checkpoint") && "COMPLETED".equals(checkpointStatus)) {
            // Not an event for SkyWalking: one a checkpoint interval would bury the rest. Every
            // checkpoint is a span of the trace reporter and a value of the checkpoint metrics.
            return;
        }
        boolean error =
                name.equals("JobFailure")
                        || JobStatusEvents.FAILED.contains(status)
                        || "FAILED".equals(checkpointStatus)
                        || severityIsError(flink.severity);
        long time = flink.observedTsMillis > 0 ? flink.observedTsMillis : clockMillis.getAsLong();
        SkyWalkingEvent event =
                source.event(attributes, name, error, message(name, flink), attributes, time);
        String job = attributes.get("job_id");
        if (name.equals("JobStatusChange") && !status.isEmpty()) {
            jobStatus.changed(job == null ? event.endpoint : job, status, event, send);
        } else {
            send.accept(event.endedAt(time));
        }
    }

    /**
     * The id of the job this event says failed for good (status FAILED, which Flink reaches only
     * when it will not restart the job); null for any other event.
     */
    static String failedJob(FlinkEventCopy flink) {
        boolean failed =
                name(flink).equals("JobStatusChange")
                        && "FAILED".equals(upper(flink.attributes.get("newJobStatus")));
        return failed ? flink.attributes.get("job_id") : null;
    }

    static String name(FlinkEventCopy flink) {
        String name = flink.name;
        if (name.isEmpty()) {
            int dot = flink.classScope.lastIndexOf('.');
            name = flink.classScope.substring(dot + 1);
        }
        if (name.endsWith("Event") && name.length() > "Event".length()) {
            name = name.substring(0, name.length() - "Event".length());
        }
        return name.isEmpty() ? "FlinkEvent" : name;
    }

    private static boolean severityIsError(String severity) {
        String s = severity.toUpperCase(Locale.ROOT);
        return s.startsWith("ERROR") || s.startsWith("WARN") || s.equals("FATAL");
    }

    private static String message(String name, FlinkEventCopy flink) {
        Map<String, String> a = flink.attributes;
        String job = "Job " + EventSource.jobName(a);
        String text;
        switch (name) {
            case "JobStatusChange":
                text = job + " is " + a.getOrDefault("newJobStatus", "in a new status");
                break;
            case "JobFailure":
                text =
                        job
                                + " failed"
                                + ("true".equals(a.get("isGlobalFailure"))
                                        ? " (global failure)"
                                        : "")
                                + ("false".equals(a.get("canRestart"))
                                        ? "; it cannot restart"
                                        : "; it restarts");
                break;
            case "Checkpoint":
                text =
                        "Checkpoint "
                                + a.getOrDefault("checkpointId", "")
                                + " of job "
                                + EventSource.jobName(a)
                                + " "
                                + a.getOrDefault("checkpointStatus", "reported")
                                        .toLowerCase(Locale.ROOT);
                break;
            case "AllSubtasksStatusChange":
                text =
                        "All subtasks of job "
                                + EventSource.jobName(a)
                                + " are "
                                + a.getOrDefault("status", "in a new status");
                break;
            default:
                text = name + (a.containsKey("job_name") ? " of job " + a.get("job_name") : "");
        }
        String cause = cause(flink);
        if (!cause.isEmpty()) {
            text += ": " + cause;
        }
        return EventSource.oneLine(text, MAX_MESSAGE);
    }

    /** The cause Flink gives: the body, or an attribute that names the failure. */
    private static String cause(FlinkEventCopy flink) {
        if (!flink.body.trim().isEmpty()) {
            return flink.body;
        }
        for (Map.Entry<String, String> a : flink.attributes.entrySet()) {
            String key = a.getKey().toLowerCase(Locale.ROOT);
            if (key.contains("cause") || key.contains("exception") || key.contains("reason")) {
                return a.getValue();
            }
        }
        return "";
    }

    private static String upper(String s) {
        return s == null ? "" : s.trim().toUpperCase(Locale.ROOT);
    }
}
