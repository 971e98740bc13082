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

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The preview from synthetic samples: entities, values and units, and missing-metric causes. */
class PreviewReportTest {

    private static final String JM = PreviewReport.JOB_MANAGER_ROLE;
    private static final String TM = PreviewReport.TASK_MANAGER_ROLE;
    private static final double MIB = 1024 * 1024;

    /** One sample as the receiver hands it over. */
    private static final class S {
        final String name;
        final Map<String, String> labels;
        double value;

        S(String name, Map<String, String> labels, double value) {
            this.name = name;
            this.labels = labels;
            this.value = value;
        }
    }

    /**
     * Every name the rules read, from one JobManager (jm-host), two TaskManagers (tm-1, tm-2), one
     * job (job-a) with a task "Source" on each TaskManager and an operator "src", all 1.0.
     */
    private static List<S> fullCluster() {
        List<S> samples = new ArrayList<>();
        for (String name : ContractNames.all()) {
            boolean jobManager = name.startsWith("flink_jobmanager_");
            if (name.startsWith("flink_taskmanager_Status_JVM_GarbageCollector_")) {
                continue; // sent by the reporter, read by no rule
            }
            if (jobManager) {
                Map<String, String> labels = labels(JM, "jobManager_node", "jm-host");
                if (name.startsWith("flink_jobmanager_job_")) {
                    labels.put("flink_job_name", "job-a");
                }
                samples.add(new S(name, labels, 1));
            } else {
                for (String tm : new String[] {"tm-1", "tm-2"}) {
                    Map<String, String> labels = labels(TM, "taskManager_node", tm);
                    if (name.startsWith("flink_taskmanager_job_")) {
                        labels.put("flink_job_name", "job-a");
                        labels.put("task_name", "Source");
                        labels.put("subtask_index", tm.equals("tm-1") ? "0" : "1");
                    }
                    if (name.startsWith("flink_taskmanager_job_task_operator_")) {
                        labels.put("operator_name", "src");
                    }
                    samples.add(new S(name, labels, 1));
                }
            }
        }
        return samples;
    }

    private static Map<String, String> labels(String role, String nodeKey, String node) {
        Map<String, String> labels = new HashMap<>();
        labels.put("job_name", role);
        labels.put("cluster", "prod-eu");
        labels.put(nodeKey, node);
        return labels;
    }

    private static String render(List<S> samples) {
        PreviewReport report = new PreviewReport();
        feed(report, 0, samples);
        return report.render(0, "test");
    }

    private static void feed(PreviewReport report, long now, List<S> samples) {
        for (S s : samples) {
            report.add(now, s.name, s.labels, s.value);
        }
    }

    private static List<S> without(List<S> samples, Predicate<String> name) {
        List<S> kept = new ArrayList<>();
        for (S s : samples) {
            if (!name.test(s.name)) {
                kept.add(s);
            }
        }
        return kept;
    }

    private static void set(List<S> samples, String name, double value) {
        boolean found = false;
        for (S s : samples) {
            if (s.name.equals(name)) {
                s.value = value;
                found = true;
            }
        }
        assertThat(found).as(name).isTrue();
    }

    /** The line of a panel in the section that starts with {@code section}. */
    private static String line(String text, String section, String title) {
        int from = text.indexOf("-- " + section);
        assertThat(from).as("section " + section).isGreaterThanOrEqualTo(0);
        for (String line : text.substring(from).split("\n")) {
            if (line.startsWith("  " + title + " ")) {
                return line;
            }
        }
        throw new AssertionError("no line '" + title + "' in section " + section + ":\n" + text);
    }

    @Test
    void fullClusterHasEveryMetricAndItsEntities() {
        String text = render(fullCluster());

        assertThat(PreviewReport.RULE_NAMES).hasSize(56);
        assertThat(text).contains("56/56 SkyWalking Flink metrics present\n");
        assertThat(text).contains("Service  flink::prod-eu  (layer FLINK)");
        assertThat(text).containsPattern("JobManager nodes \\(1\\) +JM1 +jm-host");
        assertThat(text).containsPattern("Instances \\(2\\) +TM1 +tm-1\n +TM2 +tm-2\n");
        assertThat(text).containsPattern("Endpoints \\(1\\) +J1 +job-a");
        assertThat(text).containsPattern("T1 +TM1 +job-a / Source");
        assertThat(text).containsPattern("O1 +job-a / src");
    }

    @Test
    void valuesAreComputedAsTheRulesAndPanelsDoWithUnits() {
        List<S> samples = fullCluster();
        set(samples, "flink_jobmanager_Status_JVM_CPU_Load", 0.25);
        set(samples, "flink_jobmanager_Status_JVM_Memory_Heap_Max", 512 * MIB);
        set(samples, "flink_jobmanager_Status_JVM_Memory_Heap_Used", 128 * MIB);
        set(samples, "flink_jobmanager_job_runningTime", 90_000);
        set(samples, "flink_jobmanager_job_lastCheckpointSize", 123_456);
        set(samples, "flink_taskmanager_job_task_Shuffle_Netty_Input_Buffers_inPoolUsage", 0.5);
        // Both TaskManagers' operator subtasks are summed per operator.
        set(samples, "flink_taskmanager_job_task_operator_numRecordsOut", 1500);

        set(samples, "flink_taskmanager_Status_JVM_Memory_NonHeap_Max", -1);
        set(samples, "flink_taskmanager_Status_JVM_Memory_NonHeap_Used", 2 * MIB);

        String text = render(samples);

        assertThat(line(text, "Service", "Running Jobs")).matches(" +Running Jobs +count +1");
        assertThat(line(text, "Instance", "JVM Memory NonHeap Available"))
                .matches(" +JVM Memory NonHeap Available +MiB +-2\\.0 +-2\\.0");
        assertThat(text)
                .contains("  (Memory_NonHeap_Max is -1, the JVM sets no limit:")
                .doesNotContain("Memory_Heap_Max is -1");
        assertThat(line(text, "Service", "JVM CPU load")).matches(" +JVM CPU load +% +25\\.0");
        assertThat(line(text, "Service", "JVM Memory Heap Used"))
                .matches(" +JVM Memory Heap Used +MiB +128\\.0");
        assertThat(line(text, "Service", "JVM Memory Heap Available"))
                .matches(" +JVM Memory Heap Available +MiB +384\\.0");
        assertThat(line(text, "Instance", "InPoolUsage"))
                .matches(" +InPoolUsage +% +50\\.0 +50\\.0");
        assertThat(line(text, "Endpoint", "Job RunningTime"))
                .matches(" +Job RunningTime +min +1\\.5");
        assertThat(line(text, "Endpoint", "LastCheckpointSize"))
                .matches(" +LastCheckpointSize +B +123,456");
        String perOperator = text.substring(text.indexOf("per operator"));
        assertThat(perOperator).containsPattern("\n  NumRecordsOut +count +3,000\n");
    }

    @Test
    void increaseNeedsAMinuteOfHistory() {
        List<S> samples = fullCluster();
        String name = "flink_taskmanager_job_task_numRecordsOut";
        PreviewReport report = new PreviewReport();

        set(samples, name, 100);
        feed(report, 0, samples);
        String first = report.render(0, "t0");
        assertThat(line(first, "Instance", "NumRecordsOut Increase (Per Minute)"))
                .matches(
                        " +NumRecordsOut Increase \\(Per Minute\\) +count +n/a \\(needs 1 min\\)"
                                + " +n/a \\(needs 1 min\\)");

        set(samples, name, 700);
        feed(report, 30_000, samples);
        assertThat(report.render(30_000, "t30")).contains(PreviewReport.NEEDS_HISTORY);

        set(samples, name, 1300);
        feed(report, 60_000, samples);
        String later = report.render(60_000, "t60");
        assertThat(line(later, "Instance", "NumRecordsOut Increase (Per Minute)"))
                .matches(" +NumRecordsOut Increase \\(Per Minute\\) +count +1,200 +1,200");
        // CPU_Time is in nanoseconds; the panel shows milliseconds. It stayed at 1 ns.
        assertThat(line(later, "Instance", "JVM CPU Time Increase (Per Minute)"))
                .matches(" +JVM CPU Time Increase \\(Per Minute\\) +ms +0 +0");
    }

    @Test
    void otherCollectorMeansNotG1() {
        List<S> samples = without(fullCluster(), n -> n.contains("_GarbageCollector_G1_"));
        samples.add(
                new S(
                        "flink_jobmanager_Status_JVM_GarbageCollector_Copy_Count",
                        labels(JM, "jobManager_node", "jm-host"),
                        3));

        String text = render(samples);

        assertThat(text).contains("52/56 SkyWalking Flink metrics present; missing 4:");
        assertThat(text)
                .contains(
                        "    not the G1 collector (the JobManager reports [Copy]):\n"
                                + "      flink_jobmanager_Status_JVM_GarbageCollector_G1_Young_Generation_Count\n");
        assertThat(line(text, "Service", "JVM G1 Old Generation Time Increase (Per Minute)"))
                .matches(" +JVM G1 Old Generation Time Increase \\(Per Minute\\) +ms +-");
    }

    @Test
    void g1WithoutAllMeansFlinkBefore119() {
        List<S> samples = without(fullCluster(), n -> n.contains("_GarbageCollector_All_"));

        String text = render(samples);

        assertThat(text).contains("54/56 SkyWalking Flink metrics present; missing 2:");
        assertThat(text).contains("    Flink older than 1.19 (");
        assertThat(text).doesNotContain("not the G1 collector");
    }

    @Test
    void runningJobWithoutCheckpointMetricsMeansCheckpointingOff() {
        List<S> samples = without(fullCluster(), n -> n.contains("Checkpoint"));

        String text = render(samples);

        assertThat(text).contains("50/56 SkyWalking Flink metrics present; missing 6:");
        assertThat(text)
                .contains(
                        "    checkpointing off (the job's other metrics arrive):\n"
                                + "      flink_jobmanager_job_totalNumberOfCheckpoints\n");
    }

    @Test
    void operatorsWithoutEmitLagMeanANonFlip27Source() {
        List<S> samples = without(fullCluster(), n -> n.equals(ContractNames.EMIT_EVENT_TIME_LAG));

        String text = render(samples);

        assertThat(text)
                .contains(
                        "    a source that isn't FLIP-27 (only FLIP-27 sources report it):\n"
                                + "      "
                                + ContractNames.EMIT_EVENT_TIME_LAG
                                + "\n");
    }

    @Test
    void noJobMeansNoJobRunning() {
        List<S> samples = without(fullCluster(), n -> n.contains("_job_"));
        set(samples, "flink_jobmanager_numRunningJobs", 0);

        String text = render(samples);

        assertThat(text).contains("30/56 SkyWalking Flink metrics present; missing 26:");
        assertThat(text).contains("    no job running (numRunningJobs = 0):\n");
        assertThat(text).doesNotContain(PreviewReport.FILTER_CAUSE);
        assertThat(text).containsPattern("Endpoints \\(0\\) +none");
    }

    @Test
    void anUnexplainedGapPointsAtTheFilters() {
        List<S> samples =
                without(
                        fullCluster(),
                        n -> n.equals("flink_taskmanager_Status_Shuffle_Netty_UsedMemory"));

        String text = render(samples);

        assertThat(text)
                .contains(
                        "    "
                                + PreviewReport.FILTER_CAUSE
                                + ":\n      flink_taskmanager_Status_Shuffle_Netty_UsedMemory\n");
    }

    @Test
    void wrongJobNameIsIgnoredLikeTheRulesDo() {
        List<S> samples = fullCluster();
        for (S s : samples) {
            if (s.name.equals("flink_jobmanager_numRunningJobs")) {
                s.labels.put("job_name", "flink");
            }
        }

        String text = render(samples);

        assertThat(text).contains("55/56 SkyWalking Flink metrics present");
        assertThat(text)
                .contains("arrives with job_name [flink], but the rule selects job_name " + JM);
        assertThat(line(text, "Service", "Running Jobs")).matches(" +Running Jobs +count +-");
    }

    @Test
    void staleSeriesAreForgotten() {
        PreviewReport report = new PreviewReport(60_000);
        feed(report, 0, fullCluster());
        assertThat(report.render(30_000, "t30")).contains("56/56");
        assertThat(report.render(90_000, "t90"))
                .contains("No service yet")
                .doesNotContain("flink::prod-eu");
    }
}
