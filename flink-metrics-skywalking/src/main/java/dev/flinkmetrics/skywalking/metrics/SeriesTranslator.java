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

import dev.flinkmetrics.skywalking.config.MetricsSettings;
import dev.flinkmetrics.skywalking.config.SourceSettings;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.MetricGroup;

/**
 * Turns a Flink metric and its group into the identity of one series: the sample name SkyWalking's
 * rules read, the process role and node that pick the OTLP resource, and the labels. No I/O; its
 * only state is the labels of the group translated last, a cache that never changes a result.
 *
 * <p>Names follow Flink's Prometheus reporter: {@code flink_} + logical scope joined by {@code _} +
 * {@code _} + metric name, every character outside {@code [a-zA-Z0-9:_]} replaced by {@code _}.
 * Scope variables become labels without {@code <>}; {@code <job_name>} becomes {@code
 * flink_job_name}, because OAP selects rules on the label {@code job_name}.
 *
 * <p>One name is derived: a task's {@code currentInputWatermark} (epoch ms) is sent as {@link
 * #WATERMARK_LAG}, how far it is behind the reporter's clock, because OAP's rules cannot read a
 * clock.
 */
final class SeriesTranslator {

    /** The process roles, each with the {@code service.name} SkyWalking's rules select on. */
    enum Role {
        JOB_MANAGER("flink-jobManager-monitoring", "jobManager_node"),
        TASK_MANAGER("flink-taskManager-monitoring", "taskManager_node");

        final String serviceName;
        final String nodeLabel;

        Role(String serviceName, String nodeLabel) {
            this.serviceName = serviceName;
            this.nodeLabel = nodeLabel;
        }
    }

    /** The identity of one series. */
    static final class SeriesId {
        final String name;
        final Role role;
        final String node;

        /** Labels every series of the process shares; they go on the resource, once. */
        final SortedMap<String, String> processLabels;

        /** The other labels, on each data point. */
        final SortedMap<String, String> labels;

        /** {@link #labels}, encoded. */
        final LabelSet labelSet;

        /** Which resource the series belongs to. */
        final String resourceKey;

        /**
         * Which series stay when a process registers more than {@code max-series}: {@link
         * #HIGHEST_PRIORITY} for the JobManager's and TaskManagers' own series, 1 for the job
         * series SkyWalking's dashboards read, {@link #LOWEST_PRIORITY} for the rest.
         */
        final int priority;

        SeriesId(String name, Role role, String node, Labels labels, int priority) {
            this.name = name;
            this.role = role;
            this.node = node;
            this.priority = priority;
            this.processLabels = labels.process;
            this.labels = labels.point;
            this.labelSet = labels.encoded;
            this.resourceKey = role.name() + '/' + node + '/' + processLabels;
        }

        @Override
        public String toString() {
            return name + labels;
        }
    }

    /** The labels made from one group's variables. */
    static final class Labels {
        final Map<String, String> variables;
        final SortedMap<String, String> process;
        final SortedMap<String, String> point;
        final LabelSet encoded;

        Labels(
                Map<String, String> variables,
                SortedMap<String, String> process,
                SortedMap<String, String> point) {
            this.variables = variables;
            this.process = process;
            this.point = point;
            this.encoded = LabelSet.of(point);
        }
    }

    /**
     * Scope variables that are the same for every metric of one JobManager or TaskManager process.
     * They travel as resource attributes, once per request, instead of on every point; OAP adds
     * resource attributes to every sample's labels, so SkyWalking sees the same labels.
     */
    private static final Set<String> PROCESS_LABELS =
            Collections.unmodifiableSet(new HashSet<>(Arrays.asList("host", "tm_id")));

    static final CharacterFilter CHARACTER_FILTER = SourceSettings::replaceInvalidChars;

    static final String FLINK_JOB_NAME = "flink_job_name";

    /** A task's input watermark, sent as {@link #WATERMARK_LAG}. */
    static final String INPUT_WATERMARK = "flink_taskmanager_job_task_currentInputWatermark";

    /** Milliseconds a task's input watermark is behind the wall clock when it is read. */
    static final String WATERMARK_LAG = "flink_taskmanager_job_task_watermarkLagMs";

    static final int HIGHEST_PRIORITY = 0;
    static final int LOWEST_PRIORITY = 2;
    private static final String TASK_ATTEMPT_ID = "task_attempt_id";

    private final MetricsSettings config;

    /**
     * The labels of the group translated last. Flink registers a group's metrics one after the
     * other and hands out the same variables map for a group each time, so this saves building and
     * encoding the same labels twenty times over.
     */
    private volatile Labels last;

    SeriesTranslator(MetricsSettings config) {
        this.config = config;
    }

    /**
     * Translates one metric.
     *
     * @return the series identity, or null when the preset does not send this metric
     * @throws IllegalArgumentException when the metric cannot be sent (the reason says why)
     */
    SeriesId translate(String metricName, MetricGroup group) {
        String logicalScope = logicalScope(group);
        String name =
                "flink_" + logicalScope + "_" + SourceSettings.replaceInvalidChars(metricName);
        if (name.equals(INPUT_WATERMARK)) {
            name = WATERMARK_LAG;
        }
        if (config.preset == MetricsSettings.Preset.SKYWALKING
                && !SkyWalkingPreset.contains(name)) {
            return null;
        }
        return identity(name, logicalScope, group, priority(logicalScope, name));
    }

    /**
     * A series of the reporter's own about a group (a job that failed, say): named {@link
     * #ownName}, with the group's labels, always sent.
     *
     * @throws IllegalArgumentException as {@link #translate}
     */
    SeriesId own(String suffix, MetricGroup group) {
        return identity(ownName(suffix), logicalScope(group), group, HIGHEST_PRIORITY);
    }

    private static String logicalScope(MetricGroup group) {
        try {
            return LogicalScopeProvider.castFrom(group).getLogicalScope(CHARACTER_FILTER, '_');
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(
                    "its group " + group.getClass().getName() + " has no logical scope");
        }
    }

    private SeriesId identity(String name, String logicalScope, MetricGroup group, int priority) {
        Map<String, String> variables = group.getAllVariables();
        Role role = roleOf(logicalScope, variables);
        String nodeVariable =
                role == Role.TASK_MANAGER
                        ? config.taskManagerNodeVariable
                        : config.jobManagerNodeVariable;
        String node = variables.get("<" + nodeVariable + ">");
        if (node == null || node.isEmpty()) {
            throw new IllegalArgumentException(
                    "it has no scope variable <"
                            + nodeVariable
                            + "> to name its "
                            + (role == Role.TASK_MANAGER ? "TaskManager" : "JobManager")
                            + " (is it excluded through scope.variables.excludes?)");
        }
        return new SeriesId(name, role, labelValue(node), labels(variables), priority);
    }

    private Labels labels(Map<String, String> variables) {
        Labels cached = last;
        if (cached != null && cached.variables == variables) {
            return cached;
        }
        SortedMap<String, String> process = new TreeMap<>();
        SortedMap<String, String> point = new TreeMap<>();
        for (Map.Entry<String, String> label : labelMap(variables).entrySet()) {
            (PROCESS_LABELS.contains(label.getKey()) ? process : point)
                    .put(label.getKey(), label.getValue());
        }
        Labels labels = new Labels(variables, process, point);
        last = labels;
        return labels;
    }

    /** A name the reporter gives its own series; always sent. */
    static String ownName(String suffix) {
        return "flink_reporter_skywalking_" + suffix;
    }

    private SortedMap<String, String> labelMap(Map<String, String> variables) {
        SortedMap<String, String> labels = new TreeMap<>();
        for (Map.Entry<String, String> variable : variables.entrySet()) {
            String key = variable.getKey();
            if (key.length() > 2 && key.charAt(0) == '<' && key.charAt(key.length() - 1) == '>') {
                key = key.substring(1, key.length() - 1);
            }
            key = SourceSettings.replaceInvalidChars(key);
            if (key.equals(TASK_ATTEMPT_ID) && !config.includeTaskAttemptId) {
                continue;
            }
            if (key.equals("job_name")) {
                key = FLINK_JOB_NAME;
            }
            String value = variable.getValue();
            labels.put(key, value == null ? "" : labelValue(value));
        }
        return labels;
    }

    private String labelValue(String value) {
        return config.filterLabelValueCharacters
                ? SourceSettings.replaceInvalidChars(value)
                : value;
    }

    private static int priority(String logicalScope, String name) {
        boolean ofAJob =
                isOrUnder(logicalScope, "jobmanager_job")
                        || isOrUnder(logicalScope, "taskmanager_job");
        if (!ofAJob) {
            return HIGHEST_PRIORITY;
        }
        return SkyWalkingPreset.contains(name) ? 1 : LOWEST_PRIORITY;
    }

    private static boolean isOrUnder(String logicalScope, String scope) {
        return logicalScope.equals(scope) || logicalScope.startsWith(scope + "_");
    }

    private static Role roleOf(String logicalScope, Map<String, String> variables) {
        if (logicalScope.startsWith("taskmanager")) {
            return Role.TASK_MANAGER;
        }
        if (logicalScope.startsWith("jobmanager")) {
            return Role.JOB_MANAGER;
        }
        return variables.containsKey("<tm_id>") ? Role.TASK_MANAGER : Role.JOB_MANAGER;
    }
}
