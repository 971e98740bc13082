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
package dev.flinkmetrics.skywalking.e2e;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Sample;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns received samples into what SkyWalking's Flink dashboards would show: the service {@code
 * flink::<cluster>}, its JobManager nodes, instances (TaskManagers) and endpoints (jobs), every
 * panel of the three Flink dashboards with its latest value computed as the rule and the panel
 * compute it, and which of the samples the rules read are missing, with the likely reason.
 *
 * <p>Not thread-safe. Feed it with {@link #add}; every {@link #render} also records the current
 * sums that {@code increase('PT1M')} panels need, so call it at a steady pace (every 10 s).
 */
final class PreviewReport {

    static final String JOB_MANAGER_ROLE = "flink-jobManager-monitoring";
    static final String TASK_MANAGER_ROLE = "flink-taskManager-monitoring";
    static final String NEEDS_HISTORY = "n/a (needs 1 min)";
    static final String FILTER_CAUSE =
            "excluded by metrics.reporter.<name>.filter.* or scope.variables.excludes?";

    /** Series not received for this long are forgotten. */
    static final long DEFAULT_RETAIN_MILLIS = 120_000;

    private static final long INCREASE_MILLIS = 60_000;

    /** A history point this much younger than a minute still counts as a minute old. */
    private static final long INCREASE_SLACK_MILLIS = 5_000;

    private static final long HISTORY_MILLIS = 5 * 60_000;
    private static final int WIDTH = 118;
    private static final double MIB = 1024 * 1024;
    private static final Pattern GC_NAME =
            Pattern.compile(
                    "flink_(jobmanager|taskmanager)_Status_JVM_GarbageCollector_(.+)_Count");

    /** Which samples a rule file reads, and the labels its panels group by. */
    enum Scope {
        SERVICE("cluster"),
        JOB_MANAGER_NODE("cluster", "jobManager_node"),
        INSTANCE("cluster", "taskManager_node"),
        TASK("cluster", "taskManager_node", "flink_job_name", "task_name"),
        ENDPOINT("cluster", "flink_job_name"),
        OPERATOR("cluster", "flink_job_name", "operator_name");

        final List<String> groupBy;

        Scope(String... groupBy) {
            this.groupBy = Arrays.asList(groupBy);
        }

        /** The {@code job_name} filter of the rule file. */
        boolean accepts(String jobName) {
            switch (this) {
                case SERVICE:
                case JOB_MANAGER_NODE:
                    return JOB_MANAGER_ROLE.equals(jobName);
                case INSTANCE:
                case TASK:
                    return TASK_MANAGER_ROLE.equals(jobName);
                default:
                    return JOB_MANAGER_ROLE.equals(jobName) || TASK_MANAGER_ROLE.equals(jobName);
            }
        }

        String expectedJobName() {
            switch (this) {
                case SERVICE:
                case JOB_MANAGER_NODE:
                    return JOB_MANAGER_ROLE;
                case INSTANCE:
                case TASK:
                    return TASK_MANAGER_ROLE;
                default:
                    return JOB_MANAGER_ROLE + " or " + TASK_MANAGER_ROLE;
            }
        }
    }

    /** How a rule computes a panel from its samples. */
    enum Kind {
        /** {@code name.sum(groupBy)} */
        SUM,
        /** {@code name.sum(groupBy).increase('PT1M')} */
        INCREASE,
        /** {@code max.sum(groupBy) - used.sum(groupBy)} */
        MAX_MINUS_USED
    }

    /** One dashboard panel: its title and unit as the UI shows them, and its rule. */
    static final class Panel {
        final Scope scope;
        final String title;
        final String unit;
        final Kind kind;
        final String name;

        /** The subtrahend of {@link Kind#MAX_MINUS_USED}, else null. */
        final String used;

        /** From the rule's value to the panel's unit. */
        final double factor;

        final int decimals;

        Panel(
                Scope scope,
                String title,
                String unit,
                Kind kind,
                String name,
                String used,
                double factor,
                int decimals) {
            this.scope = scope;
            this.title = title;
            this.unit = unit;
            this.kind = kind;
            this.name = name;
            this.used = used;
            this.factor = factor;
            this.decimals = decimals;
        }

        List<String> names() {
            return used == null ? Collections.singletonList(name) : Arrays.asList(name, used);
        }
    }

    static final List<Panel> PANELS = panels();

    /** Every sample name the rules read, in dashboard order. */
    static final List<String> RULE_NAMES = ruleNames();

    private static final class Entry {
        final String name;
        final Map<String, String> labels;
        final double value;
        final long time;

        Entry(String name, Map<String, String> labels, double value, long time) {
            this.name = name;
            this.labels = labels;
            this.value = value;
            this.time = time;
        }

        String label(String key) {
            String value = labels.get(key);
            return value == null ? "" : value;
        }
    }

    private static final class Point {
        final long time;
        final double value;

        Point(long time, double value) {
            this.time = time;
            this.value = value;
        }
    }

    private final long retainMillis;
    private final Map<String, Entry> latest = new HashMap<>();
    private final Map<String, Deque<Point>> history = new HashMap<>();
    private long samplesSinceRender;

    PreviewReport() {
        this(DEFAULT_RETAIN_MILLIS);
    }

    PreviewReport(long retainMillis) {
        this.retainMillis = retainMillis;
    }

    /** Records samples received at {@code now}. */
    void add(long now, List<Sample> samples) {
        for (Sample s : samples) {
            add(now, s.name, s.labels, s.value);
        }
    }

    /** Records one sample received at {@code now}. */
    void add(long now, String name, Map<String, String> labels, double value) {
        Map<String, String> sorted = new TreeMap<>(labels);
        latest.put(name + sorted, new Entry(name, sorted, value, now));
        samplesSinceRender++;
    }

    /** The preview at {@code now}, under a first line {@code headline}. */
    String render(long now, String headline) {
        latest.values().removeIf(e -> now - e.time > retainMillis);
        StringBuilder out = new StringBuilder();
        out.append("==== ").append(headline).append('\n');
        out.append(
                String.format(
                        Locale.ROOT,
                        "%,d samples since the last preview, %,d series of the last %d s kept%n",
                        samplesSinceRender,
                        latest.size(),
                        retainMillis / 1000));
        samplesSinceRender = 0;

        Map<String, List<Entry>> byCluster = new TreeMap<>();
        List<Entry> noCluster = new ArrayList<>();
        for (Entry e : latest.values()) {
            if (e.label("cluster").isEmpty()) {
                noCluster.add(e);
            } else {
                byCluster.computeIfAbsent(e.label("cluster"), c -> new ArrayList<>()).add(e);
            }
        }
        if (byCluster.isEmpty()) {
            out.append("No service yet: no sample with a label 'cluster' has arrived.\n");
        }
        for (Map.Entry<String, List<Entry>> cluster : byCluster.entrySet()) {
            new ClusterView(cluster.getKey(), cluster.getValue(), now).render(out);
        }
        if (!noCluster.isEmpty()) {
            Set<String> names = new TreeSet<>();
            for (Entry e : noCluster) {
                names.add(e.name);
            }
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%,d series (%d names, e.g. %s) have no label 'cluster';"
                                    + " SkyWalking cannot place them in a service.%n",
                            noCluster.size(),
                            names.size(),
                            names.iterator().next()));
        }
        pruneHistory(now);
        return out.toString();
    }

    private void pruneHistory(long now) {
        for (Iterator<Deque<Point>> it = history.values().iterator(); it.hasNext(); ) {
            Deque<Point> points = it.next();
            while (!points.isEmpty() && now - points.peekFirst().time > HISTORY_MILLIS) {
                points.pollFirst();
            }
            if (points.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Records {@code value} for {@code key} and returns the increase over the last minute. */
    private Double increase(String key, long now, double value) {
        Deque<Point> points = history.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (points.isEmpty() || points.peekLast().time != now) {
            points.addLast(new Point(now, value));
        }
        Point old = null;
        for (Point p : points) {
            if (now - p.time >= INCREASE_MILLIS - INCREASE_SLACK_MILLIS) {
                old = p;
            }
        }
        return old == null ? null : value - old.value;
    }

    /** The preview of one service. */
    private final class ClusterView {
        final String cluster;
        final List<Entry> entries;
        final long now;

        /** Column keys (the group-by values after the cluster) per scope, sorted. */
        final Map<Scope, Set<List<String>>> columns = new HashMap<>();

        /** Per panel, per group key: the displayed text. */
        final Map<Panel, Map<List<String>, String>> cells = new HashMap<>();

        /** Per scope, the {@code Memory_*_Max} names that are negative (no limit set). */
        final Map<Scope, Set<String>> unlimited = new HashMap<>();

        final Set<String> present = new LinkedHashSet<>();

        /** Sample names seen in this cluster with any job_name, and those job_names. */
        final Map<String, Set<String>> seenJobNames = new HashMap<>();

        ClusterView(String cluster, List<Entry> entries, long now) {
            this.cluster = cluster;
            this.entries = entries;
            this.now = now;
            for (Scope scope : Scope.values()) {
                columns.put(scope, new TreeSet<>(PreviewReport::compareKeys));
            }
            for (Entry e : entries) {
                seenJobNames.computeIfAbsent(e.name, n -> new TreeSet<>()).add(e.label("job_name"));
            }
            for (Panel panel : PANELS) {
                compute(panel);
            }
        }

        private Map<List<String>, Double> sums(Scope scope, String name) {
            Map<List<String>, Double> sums = new HashMap<>();
            for (Entry e : entries) {
                if (!e.name.equals(name) || !scope.accepts(e.label("job_name"))) {
                    continue;
                }
                present.add(name);
                List<String> key = new ArrayList<>();
                for (String label : scope.groupBy.subList(1, scope.groupBy.size())) {
                    key.add(e.label(label));
                }
                sums.merge(key, e.value, Double::sum);
            }
            return sums;
        }

        private void compute(Panel panel) {
            Map<List<String>, Double> values = sums(panel.scope, panel.name);
            Map<List<String>, Double> used =
                    panel.used == null ? null : sums(panel.scope, panel.used);
            Set<List<String>> keys = new LinkedHashSet<>(values.keySet());
            if (used != null) {
                keys.addAll(used.keySet());
            }
            columns.get(panel.scope).addAll(keys);
            Map<List<String>, String> shown = new HashMap<>();
            for (List<String> key : keys) {
                Double value = values.get(key);
                String text;
                if (panel.kind == Kind.MAX_MINUS_USED) {
                    Double u = used.get(key);
                    text = value == null || u == null ? "-" : format(panel, value - u);
                    if (value != null && value < 0) {
                        unlimited
                                .computeIfAbsent(panel.scope, k -> new TreeSet<>())
                                .add(panel.name.substring(panel.name.lastIndexOf("Memory_")));
                    }
                } else if (panel.kind == Kind.INCREASE) {
                    String historyKey = cluster + '\u0000' + panel.name + '\u0000' + key;
                    Double increase = value == null ? null : increase(historyKey, now, value);
                    text =
                            value == null
                                    ? "-"
                                    : increase == null ? NEEDS_HISTORY : format(panel, increase);
                } else {
                    text = value == null ? "-" : format(panel, value);
                }
                shown.put(key, text);
            }
            cells.put(panel, shown);
        }

        void render(StringBuilder out) {
            List<List<String>> jmNodes = new ArrayList<>(columns.get(Scope.JOB_MANAGER_NODE));
            Set<List<String>> instanceSet = new TreeSet<>(PreviewReport::compareKeys);
            instanceSet.addAll(columns.get(Scope.INSTANCE));
            for (List<String> task : columns.get(Scope.TASK)) {
                instanceSet.add(task.subList(0, 1));
            }
            List<List<String>> instances = new ArrayList<>(instanceSet);
            Set<List<String>> endpointSet = new TreeSet<>(PreviewReport::compareKeys);
            endpointSet.addAll(columns.get(Scope.ENDPOINT));
            for (List<String> operator : columns.get(Scope.OPERATOR)) {
                endpointSet.add(operator.subList(0, 1));
            }
            List<List<String>> endpoints = new ArrayList<>(endpointSet);

            out.append('\n').append("Service  flink::").append(cluster).append("  (layer FLINK)\n");
            entityList(out, "JobManager nodes", "JM", jmNodes);
            entityList(out, "Instances", "TM", instances);
            entityList(out, "Endpoints", "J", endpoints);
            String reporter = reporterLine();
            if (reporter != null) {
                out.append("  ").append(reporter).append('\n');
            }

            section(out, "Service / JobManager (flink-jobManager.yaml)");
            table(out, Scope.SERVICE, Collections.singletonList(Collections.emptyList()), null);
            out.append('\n');
            table(out, Scope.JOB_MANAGER_NODE, jmNodes, shortIds("JM", jmNodes));

            section(out, "Instance / TaskManager (flink-taskManager.yaml)");
            Map<List<String>, String> tmIds = shortIds("TM", instances);
            table(out, Scope.INSTANCE, instances, tmIds);
            List<List<String>> tasks = new ArrayList<>(columns.get(Scope.TASK));
            Map<List<String>, String> taskIds = shortIds("T", tasks);
            out.append("\n  per task (flink_job_name / task_name, summed over its subtasks):\n");
            for (List<String> task : tasks) {
                out.append(
                        String.format(
                                Locale.ROOT,
                                "    %-4s %s  %s / %s%n",
                                taskIds.get(task),
                                tmIds.get(task.subList(0, 1)),
                                task.get(1),
                                task.get(2)));
            }
            table(out, Scope.TASK, tasks, taskIds);

            section(out, "Endpoint / Job (flink-job.yaml)");
            Map<List<String>, String> jobIds = shortIds("J", endpoints);
            table(out, Scope.ENDPOINT, endpoints, jobIds);
            List<List<String>> operators = new ArrayList<>(columns.get(Scope.OPERATOR));
            Map<List<String>, String> operatorIds = shortIds("O", operators);
            out.append("\n  per operator (flink_job_name / operator_name):\n");
            for (List<String> operator : operators) {
                out.append(
                        String.format(
                                Locale.ROOT,
                                "    %-4s %s / %s%n",
                                operatorIds.get(operator),
                                operator.get(0),
                                operator.get(1)));
            }
            table(out, Scope.OPERATOR, operators, operatorIds);

            section(out, "Coverage");
            coverage(out);
        }

        private void entityList(
                StringBuilder out, String title, String prefix, List<List<String>> keys) {
            String head = String.format(Locale.ROOT, "  %-22s", title + " (" + keys.size() + ")");
            if (keys.isEmpty()) {
                out.append(head).append("none\n");
                return;
            }
            Map<List<String>, String> ids = shortIds(prefix, keys);
            for (List<String> key : keys) {
                out.append(head)
                        .append(String.format(Locale.ROOT, "%-4s %s", ids.get(key), key.get(0)))
                        .append('\n');
                head = String.format(Locale.ROOT, "  %-22s", "");
            }
        }

        /** The reporter's own counters, if it sends them. */
        private String reporterLine() {
            Map<String, Double> own = new TreeMap<>();
            for (Entry e : entries) {
                if (e.name.startsWith(ContractNames.REPORTER_OWN_PREFIX)) {
                    own.merge(
                            e.name.substring(ContractNames.REPORTER_OWN_PREFIX.length()),
                            e.value,
                            Double::sum);
                }
            }
            if (own.isEmpty()) {
                return null;
            }
            List<String> parts = new ArrayList<>();
            for (String key :
                    Arrays.asList(
                            "pointsExported",
                            "exportFailures",
                            "pointsDropped",
                            "cyclesSkipped",
                            "readFailures")) {
                Double value = own.get(key);
                if (value != null) {
                    parts.add(String.format(Locale.ROOT, "%s %,.0f", key, value));
                }
            }
            return parts.isEmpty() ? null : "Reporter (all processes)  " + String.join(", ", parts);
        }

        /** Rows: the scope's panels; columns: its group keys, as many as fit side by side. */
        private void table(
                StringBuilder out,
                Scope scope,
                List<List<String>> keys,
                Map<List<String>, String> headers) {
            List<Panel> rows = new ArrayList<>();
            int titleWidth = 5;
            int unitWidth = 4;
            for (Panel panel : PANELS) {
                if (panel.scope == scope) {
                    rows.add(panel);
                    titleWidth = Math.max(titleWidth, panel.title.length());
                    unitWidth = Math.max(unitWidth, panel.unit.length());
                }
            }
            if (keys.isEmpty()) {
                out.append("  (no series: every panel here is empty)\n");
                for (Panel panel : rows) {
                    out.append(
                            String.format(
                                    Locale.ROOT,
                                    "  %-" + titleWidth + "s  %-" + unitWidth + "s  -%n",
                                    panel.title,
                                    panel.unit));
                }
                return;
            }
            int fixed = 2 + titleWidth + 2 + unitWidth;
            int start = 0;
            while (start < keys.size()) {
                int end = start;
                int width = fixed;
                List<Integer> widths = new ArrayList<>();
                while (end < keys.size()) {
                    List<String> key = keys.get(end);
                    int w = headers == null ? 1 : headers.get(key).length();
                    for (Panel panel : rows) {
                        w = Math.max(w, cell(panel, key).length());
                    }
                    if (end > start && width + 3 + w > WIDTH) {
                        break;
                    }
                    widths.add(w);
                    width += 3 + w;
                    end++;
                }
                if (headers != null) {
                    StringBuilder line = new StringBuilder();
                    line.append(
                            String.format(
                                    Locale.ROOT,
                                    "  %-" + titleWidth + "s  %-" + unitWidth + "s",
                                    "Panel",
                                    "unit"));
                    for (int i = start; i < end; i++) {
                        line.append(
                                String.format(
                                        Locale.ROOT,
                                        "   %" + widths.get(i - start) + "s",
                                        headers.get(keys.get(i))));
                    }
                    out.append(line.toString().replaceAll("\\s+$", "")).append('\n');
                }
                for (Panel panel : rows) {
                    StringBuilder line = new StringBuilder();
                    line.append(
                            String.format(
                                    Locale.ROOT,
                                    "  %-" + titleWidth + "s  %-" + unitWidth + "s",
                                    panel.title,
                                    panel.unit));
                    for (int i = start; i < end; i++) {
                        line.append(
                                String.format(
                                        Locale.ROOT,
                                        "   %" + widths.get(i - start) + "s",
                                        cell(panel, keys.get(i))));
                    }
                    out.append(line).append('\n');
                }
                start = end;
                if (start < keys.size()) {
                    out.append('\n');
                }
            }
            Set<String> negative = unlimited.get(scope);
            if (negative != null) {
                out.append("  (")
                        .append(String.join(", ", negative))
                        .append(negative.size() == 1 ? " is -1" : " are -1")
                        .append(", the JVM sets no limit:")
                        .append(" Max - Used is negative, in SkyWalking too)\n");
            }
        }

        private String cell(Panel panel, List<String> key) {
            String text = cells.get(panel).get(key);
            return text == null ? "-" : text;
        }

        private void coverage(StringBuilder out) {
            List<String> missing = new ArrayList<>();
            for (String name : RULE_NAMES) {
                if (!present.contains(name)) {
                    missing.add(name);
                }
            }
            out.append(
                    String.format(
                            Locale.ROOT,
                            "  %d/%d SkyWalking Flink metrics present%s%n",
                            RULE_NAMES.size() - missing.size(),
                            RULE_NAMES.size(),
                            missing.isEmpty() ? "" : "; missing " + missing.size() + ":"));
            Map<String, List<String>> byCause = new LinkedHashMap<>();
            for (String name : missing) {
                byCause.computeIfAbsent(cause(name), c -> new ArrayList<>()).add(name);
            }
            for (Map.Entry<String, List<String>> cause : byCause.entrySet()) {
                out.append("    ").append(cause.getKey()).append(":\n");
                for (String name : cause.getValue()) {
                    out.append("      ").append(name).append('\n');
                }
            }
        }

        private boolean anyPresent(String prefix) {
            for (String name : present) {
                if (name.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        }

        private Double latestSum(String name) {
            Map<List<String>, Double> sums = sums(Scope.SERVICE, name);
            double sum = 0;
            for (double v : sums.values()) {
                sum += v;
            }
            return sums.isEmpty() ? null : sum;
        }

        /** The likely reason why a sample the rules read has not arrived. */
        String cause(String name) {
            Scope scope = scopeOf(name);
            Set<String> jobNames = seenJobNames.get(name);
            if (jobNames != null) {
                return "arrives with job_name "
                        + jobNames
                        + ", but the rule selects job_name "
                        + scope.expectedJobName()
                        + " (something rewrites service.name?)";
            }
            boolean jobManager = name.startsWith("flink_jobmanager_");
            if (jobManager && !anyPresent("flink_jobmanager_")) {
                return "no JobManager reports here (is the reporter configured on the JobManager,"
                        + " and can it reach this endpoint?)";
            }
            if (!jobManager && !anyPresent("flink_taskmanager_")) {
                return "no TaskManager reports here (is the reporter configured on the"
                        + " TaskManagers, and can they reach this endpoint?)";
            }
            if (name.contains("_GarbageCollector_")) {
                return gcCause(name);
            }
            Double runningJobs = latestSum("flink_jobmanager_numRunningJobs");
            String noJob =
                    runningJobs != null && runningJobs == 0
                            ? "no job running (numRunningJobs = 0)"
                            : "no job running";
            if (name.startsWith("flink_jobmanager_job_")) {
                if (isCheckpointName(name) && anyPresent("flink_jobmanager_job_")) {
                    for (String other : present) {
                        if (isCheckpointName(other)) {
                            return FILTER_CAUSE;
                        }
                    }
                    return "checkpointing off (the job's other metrics arrive)";
                }
                if (!anyPresent("flink_jobmanager_job_")) {
                    return runningJobs != null && runningJobs > 0 ? FILTER_CAUSE : noJob;
                }
                return FILTER_CAUSE;
            }
            if (name.startsWith("flink_taskmanager_job_task_operator_")) {
                if (name.equals(ContractNames.EMIT_EVENT_TIME_LAG)
                        && anyPresent("flink_taskmanager_job_task_operator_")) {
                    return "a source that isn't FLIP-27 (only FLIP-27 sources report it)";
                }
                if (!anyPresent("flink_taskmanager_job_")) {
                    return runningJobs != null && runningJobs > 0 ? FILTER_CAUSE : noJob;
                }
                return FILTER_CAUSE;
            }
            if (name.startsWith("flink_taskmanager_job_task_")) {
                if (!anyPresent("flink_taskmanager_job_")) {
                    return runningJobs != null && runningJobs > 0 ? FILTER_CAUSE : noJob;
                }
                if (name.endsWith("_busyTimeMsPerSecond")) {
                    return "NaN in Flink (not computable; NaN is not sent), or " + FILTER_CAUSE;
                }
                return FILTER_CAUSE;
            }
            return FILTER_CAUSE;
        }

        private String gcCause(String name) {
            String role = name.startsWith("flink_jobmanager_") ? "jobmanager" : "taskmanager";
            String prefix = "flink_" + role + "_Status_JVM_GarbageCollector_";
            Set<String> others = new TreeSet<>();
            for (String seen : seenJobNames.keySet()) {
                Matcher m = GC_NAME.matcher(seen);
                if (m.matches()
                        && m.group(1).equals(role)
                        && !m.group(2).startsWith("G1_")
                        && !m.group(2).equals("All")) {
                    others.add(m.group(2));
                }
            }
            boolean g1 =
                    present.contains(prefix + "G1_Young_Generation_Count")
                            || present.contains(prefix + "G1_Old_Generation_Count")
                            || present.contains(prefix + "G1_Young_Generation_Time")
                            || present.contains(prefix + "G1_Old_Generation_Time");
            boolean all =
                    present.contains(prefix + "All_Count") || present.contains(prefix + "All_Time");
            String process = role.equals("jobmanager") ? "the JobManager" : "a TaskManager";
            if (name.startsWith(prefix + "G1_")) {
                if (!others.isEmpty()) {
                    return "not the G1 collector (" + process + " reports " + others + ")";
                }
                if (all) {
                    return "not the G1 collector (GarbageCollector_All arrives, G1_* does not)";
                }
                if (g1) {
                    return FILTER_CAUSE;
                }
                return "not the G1 collector, and Flink older than 1.19? (no GC metric arrives;"
                        + " else "
                        + FILTER_CAUSE
                        + ")";
            }
            if (g1 || !others.isEmpty()) {
                return "Flink older than 1.19 (GarbageCollector_All is new in 1.19;"
                        + " per-collector GC metrics arrive)";
            }
            if (all) {
                return FILTER_CAUSE;
            }
            return "Flink older than 1.19, and not the G1 collector? (no GC metric arrives;"
                    + " else "
                    + FILTER_CAUSE
                    + ")";
        }
    }

    private static void section(StringBuilder out, String title) {
        StringBuilder line = new StringBuilder("\n-- ").append(title).append(' ');
        while (line.length() < WIDTH) {
            line.append('-');
        }
        out.append(line).append('\n');
    }

    private static boolean isCheckpointName(String name) {
        return name.startsWith("flink_jobmanager_job_") && name.contains("Checkpoint");
    }

    private static Scope scopeOf(String name) {
        for (Panel panel : PANELS) {
            if (panel.names().contains(name)) {
                return panel.scope;
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static Map<List<String>, String> shortIds(String prefix, List<List<String>> keys) {
        Map<List<String>, String> ids = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            ids.put(keys.get(i), prefix + (i + 1));
        }
        return ids;
    }

    private static int compareKeys(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    static String format(Panel panel, double ruleValue) {
        double value = ruleValue * panel.factor;
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return String.valueOf(value);
        }
        return String.format(Locale.ROOT, "%,." + panel.decimals + "f", value);
    }

    private static List<Panel> panels() {
        List<Panel> p = new ArrayList<>();
        String jm = "flink_jobmanager_";
        String jvm = "Status_JVM_";
        // flink-jobManager.yaml; titles and units from the Flink-JobManager dashboard.
        p.add(sum(Scope.SERVICE, "Running Jobs", "count", jm + "numRunningJobs"));
        p.add(sum(Scope.SERVICE, "TaskManagers", "count", jm + "numRegisteredTaskManagers"));
        p.add(sum(Scope.SERVICE, "Total Slots", "count", jm + "taskSlotsTotal"));
        p.add(sum(Scope.SERVICE, "Available Slots", "count", jm + "taskSlotsAvailable"));
        jvmPanels(p, Scope.JOB_MANAGER_NODE, jm + jvm, "NoHeap");
        String gc = jm + jvm + "GarbageCollector_";
        p.add(
                increase(
                        Scope.JOB_MANAGER_NODE,
                        "JVM G1 Young Generation Count",
                        "count",
                        gc + "G1_Young_Generation_Count",
                        1));
        p.add(
                increase(
                        Scope.JOB_MANAGER_NODE,
                        "JVM G1 Old Generation Count",
                        "count",
                        gc + "G1_Old_Generation_Count",
                        1));
        p.add(
                increase(
                        Scope.JOB_MANAGER_NODE,
                        "JVM G1 Young Generation Time",
                        "ms",
                        gc + "G1_Young_Generation_Time",
                        1));
        p.add(
                increase(
                        Scope.JOB_MANAGER_NODE,
                        "JVM G1 Old Generation Time",
                        "ms",
                        gc + "G1_Old_Generation_Time",
                        1));
        p.add(
                increase(
                        Scope.JOB_MANAGER_NODE,
                        "JVM All GarbageCollector Count",
                        "count",
                        gc + "All_Count",
                        1));
        p.add(
                increase(
                        Scope.JOB_MANAGER_NODE,
                        "JVM All GarbageCollector Time",
                        "ms",
                        gc + "All_Time",
                        1));

        // flink-taskManager.yaml; the Flink-TaskManager dashboard.
        String tm = "flink_taskmanager_";
        jvmPanels(p, Scope.INSTANCE, tm + jvm, "NonHeap");
        p.add(
                new Panel(
                        Scope.INSTANCE,
                        "Netty UsedMemory",
                        "MiB",
                        Kind.SUM,
                        tm + "Status_Shuffle_Netty_UsedMemory",
                        null,
                        1 / MIB,
                        1));
        p.add(
                new Panel(
                        Scope.INSTANCE,
                        "Netty AvailableMemory",
                        "MiB",
                        Kind.SUM,
                        tm + "Status_Shuffle_Netty_AvailableMemory",
                        null,
                        1 / MIB,
                        1));
        String task = tm + "job_task_";
        p.add(increase(Scope.TASK, "NumRecordsIn", "count", task + "numRecordsIn", 1));
        p.add(increase(Scope.TASK, "NumRecordsOut", "count", task + "numRecordsOut", 1));
        p.add(sum(Scope.TASK, "NumBytesInPerSecond", "B/s", task + "numBytesInPerSecond"));
        p.add(sum(Scope.TASK, "NumBytesOutPerSecond", "B/s", task + "numBytesOutPerSecond"));
        p.add(sum(Scope.TASK, "IsBackPressured", "count", task + "isBackPressured"));
        p.add(
                new Panel(
                        Scope.TASK,
                        "InPoolUsage",
                        "%",
                        Kind.SUM,
                        task + "Shuffle_Netty_Input_Buffers_inPoolUsage",
                        null,
                        100,
                        1));
        p.add(
                new Panel(
                        Scope.TASK,
                        "OutPoolUsage",
                        "%",
                        Kind.SUM,
                        task + "Shuffle_Netty_Output_Buffers_outPoolUsage",
                        null,
                        100,
                        1));
        p.add(
                sum(
                        Scope.TASK,
                        "SoftBackPressuredTimeMsPerSecond",
                        "ms/s",
                        task + "softBackPressuredTimeMsPerSecond"));
        p.add(
                sum(
                        Scope.TASK,
                        "HardBackPressuredTimeMsPerSecond",
                        "ms/s",
                        task + "hardBackPressuredTimeMsPerSecond"));
        p.add(sum(Scope.TASK, "IdleTimeMsPerSecond", "ms/s", task + "idleTimeMsPerSecond"));
        p.add(sum(Scope.TASK, "BusyTimeMsPerSecond", "ms/s", task + "busyTimeMsPerSecond"));

        // flink-job.yaml; the Flink-Job dashboard.
        String job = jm + "job_";
        double minutes = 1.0 / 60_000;
        p.add(
                new Panel(
                        Scope.ENDPOINT,
                        "Job RunningTime",
                        "min",
                        Kind.SUM,
                        job + "runningTime",
                        null,
                        minutes,
                        1));
        p.add(sum(Scope.ENDPOINT, "Job Restart Number", "count", job + "numRestarts"));
        p.add(
                new Panel(
                        Scope.ENDPOINT,
                        "Job RestartingTime",
                        "min",
                        Kind.SUM,
                        job + "restartingTime",
                        null,
                        minutes,
                        1));
        p.add(
                new Panel(
                        Scope.ENDPOINT,
                        "Job CancellingTime",
                        "min",
                        Kind.SUM,
                        job + "cancellingTime",
                        null,
                        minutes,
                        1));
        p.add(
                sum(
                        Scope.ENDPOINT,
                        "Job Checkpoints Total",
                        "count",
                        job + "totalNumberOfCheckpoints"));
        p.add(
                sum(
                        Scope.ENDPOINT,
                        "Checkpoints Failed",
                        "count",
                        job + "numberOfFailedCheckpoints"));
        p.add(
                sum(
                        Scope.ENDPOINT,
                        "Checkpoints Completed",
                        "count",
                        job + "numberOfCompletedCheckpoints"));
        p.add(
                sum(
                        Scope.ENDPOINT,
                        "Checkpoints InProgress",
                        "count",
                        job + "numberOfInProgressCheckpoints"));
        p.add(sum(Scope.ENDPOINT, "LastCheckpointSize", "B", job + "lastCheckpointSize"));
        p.add(sum(Scope.ENDPOINT, "LastCheckpointDuration", "ms", job + "lastCheckpointDuration"));
        String operator = tm + "job_task_operator_";
        p.add(
                sum(
                        Scope.OPERATOR,
                        "CurrentEmitEventTimeLag",
                        "ms",
                        operator + "currentEmitEventTimeLag"));
        p.add(sum(Scope.OPERATOR, "NumRecordsIn", "count", operator + "numRecordsIn"));
        p.add(sum(Scope.OPERATOR, "NumRecordsOut", "count", operator + "numRecordsOut"));
        p.add(sum(Scope.OPERATOR, "NumBytesInPerSecond", "B/s", operator + "numBytesInPerSecond"));
        p.add(
                sum(
                        Scope.OPERATOR,
                        "NumBytesOutPerSecond",
                        "B/s",
                        operator + "numBytesOutPerSecond"));
        return Collections.unmodifiableList(p);
    }

    /** The JVM panels shared by both JVM dashboards (GC aside). */
    private static void jvmPanels(List<Panel> p, Scope scope, String prefix, String nonHeapWord) {
        double mib = 1 / MIB;
        // CPU_Load is a fraction; the rule multiplies by 1000, the panel divides by 10.
        p.add(new Panel(scope, "JVM CPU load", "%", Kind.SUM, prefix + "CPU_Load", null, 100, 1));
        p.add(sum(scope, "JVM Thread Count", "count", prefix + "Threads_Count"));
        p.add(
                new Panel(
                        scope,
                        "JVM Memory Heap Used",
                        "MiB",
                        Kind.SUM,
                        prefix + "Memory_Heap_Used",
                        null,
                        mib,
                        1));
        p.add(
                new Panel(
                        scope,
                        "JVM Memory NonHeap Used",
                        "MiB",
                        Kind.SUM,
                        prefix + "Memory_NonHeap_Used",
                        null,
                        mib,
                        1));
        // CPU_Time is in nanoseconds; the panel divides by 1000 twice.
        p.add(increase(scope, "JVM CPU Time", "ms", prefix + "CPU_Time", 1e-6));
        p.add(
                new Panel(
                        scope,
                        "JVM Memory Heap Available",
                        "MiB",
                        Kind.MAX_MINUS_USED,
                        prefix + "Memory_Heap_Max",
                        prefix + "Memory_Heap_Used",
                        mib,
                        1));
        p.add(
                new Panel(
                        scope,
                        "JVM Memory " + nonHeapWord + " Available",
                        "MiB",
                        Kind.MAX_MINUS_USED,
                        prefix + "Memory_NonHeap_Max",
                        prefix + "Memory_NonHeap_Used",
                        mib,
                        1));
        p.add(
                new Panel(
                        scope,
                        "JVM Memory Metaspace Used",
                        "MiB",
                        Kind.SUM,
                        prefix + "Memory_Metaspace_Used",
                        null,
                        mib,
                        1));
        p.add(
                new Panel(
                        scope,
                        "JVM Metaspace Available",
                        "MiB",
                        Kind.MAX_MINUS_USED,
                        prefix + "Memory_Metaspace_Max",
                        prefix + "Memory_Metaspace_Used",
                        mib,
                        1));
    }

    private static Panel sum(Scope scope, String title, String unit, String name) {
        return new Panel(scope, title, unit, Kind.SUM, name, null, 1, 0);
    }

    private static Panel increase(
            Scope scope, String title, String unit, String name, double factor) {
        return new Panel(
                scope,
                title + " Increase (Per Minute)",
                unit,
                Kind.INCREASE,
                name,
                null,
                factor,
                0);
    }

    private static List<String> ruleNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Panel panel : PANELS) {
            names.addAll(panel.names());
        }
        return Collections.unmodifiableList(new ArrayList<>(names));
    }
}
