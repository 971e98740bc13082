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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where an event shows up in SkyWalking: the service {@code flink::<cluster>}, the TaskManager
 * instance when the event is about one, the job's endpoint when it is about a job, and the layer.
 * Instance and endpoint are named as the metric reporter names them, so events sit on the same
 * entities as the metrics.
 */
final class EventSource {

    private static final String JOB_NAME = "job_name";

    final String service;
    final String layer;
    private final String taskManagerNodeVariable;
    private final boolean filterValues;

    /**
     * @param filterValues replace characters outside {@code [a-zA-Z0-9:_]} in instance and endpoint
     *     names, as the metric reporter does with its labels by default
     */
    EventSource(SourceSettings source, boolean filterValues) {
        this.service = source.service();
        this.layer = source.layer;
        this.taskManagerNodeVariable = source.taskManagerNodeVariable;
        this.filterValues = filterValues;
    }

    /** The TaskManager the variables name, or "". */
    String instance(Map<String, String> variables) {
        return name(variables.get(taskManagerNodeVariable));
    }

    /** The job the variables name, or "". */
    String endpoint(Map<String, String> variables) {
        return name(variables.get(JOB_NAME));
    }

    /** The job name as it was given, for messages. */
    static String jobName(Map<String, String> variables) {
        String name = variables.get(JOB_NAME);
        return name == null || name.isEmpty() ? "(unnamed)" : name;
    }

    private String name(String value) {
        if (value == null) {
            return "";
        }
        return filterValues ? SourceSettings.replaceInvalidChars(value) : value;
    }

    SkyWalkingEvent event(
            Map<String, String> variables,
            String name,
            boolean error,
            String message,
            Map<String, String> parameters,
            long time) {
        return new SkyWalkingEvent(
                SkyWalkingEvent.newUuid(),
                service,
                instance(variables),
                endpoint(variables),
                name,
                error,
                message,
                parameters,
                time,
                0,
                layer);
    }

    /** Flink's variables with the brackets taken off their names: {@code <job_id>} is job_id. */
    static Map<String, String> withoutBrackets(Map<String, ?> variables) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, ?> variable : variables.entrySet()) {
            String key = variable.getKey();
            if (key == null) {
                continue;
            }
            if (key.length() > 2 && key.charAt(0) == '<' && key.charAt(key.length() - 1) == '>') {
                key = key.substring(1, key.length() - 1);
            }
            out.put(key, String.valueOf(variable.getValue()));
        }
        return out;
    }

    /** Text on one line, at most {@code max} characters. */
    static String oneLine(String text, int max) {
        String line = text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
        return line.length() <= max ? line : line.substring(0, max - 3) + "...";
    }
}
