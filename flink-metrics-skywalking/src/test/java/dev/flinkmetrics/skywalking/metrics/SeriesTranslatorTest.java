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

import static dev.flinkmetrics.skywalking.testing.TestGroups.group;
import static dev.flinkmetrics.skywalking.testing.TestGroups.metricsSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.util.Collections;
import java.util.Map;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.junit.jupiter.api.Test;

class SeriesTranslatorTest {

    private final SeriesTranslator all = new SeriesTranslator(metricsSettings("preset", "all"));
    private final SeriesTranslator skywalking = new SeriesTranslator(metricsSettings());

    @Test
    void operatorMetricFollowsPrometheusNamingAndRenamesJobName() {
        SeriesTranslator.SeriesId id =
                skywalking.translate(
                        "numRecordsIn",
                        group(
                                "taskmanager.job.task.operator",
                                TestGroups.operatorVariables("orders job", "Map (enrich)", 1)));

        assertThat(id.name).isEqualTo("flink_taskmanager_job_task_operator_numRecordsIn");
        assertThat(id.role).isEqualTo(SeriesTranslator.Role.TASK_MANAGER);
        assertThat(id.node).isEqualTo("127_0_0_1:40001_a1b2c3");
        assertThat(id.labels)
                .containsEntry("flink_job_name", "orders_job")
                .containsEntry("operator_name", "Map__enrich_")
                .containsEntry("task_name", "Source:_numbers____Map")
                .containsEntry("subtask_index", "1")
                .doesNotContainKey("job_name")
                .doesNotContainKey("task_attempt_id")
                .containsKey("task_attempt_num");
        // The same for every series of the process: sent once, as resource attributes.
        assertThat(id.processLabels)
                .containsOnly(
                        entry("tm_id", "127_0_0_1:40001_a1b2c3"),
                        entry("host", "worker_1_example_com"));
        assertThat(id.labels).doesNotContainKeys("tm_id", "host");
    }

    @Test
    void labelsOfOneGroupAreBuiltOnce() {
        MetricGroup g =
                group("taskmanager.job.task.operator", TestGroups.operatorVariables("j", "o", 0));
        SeriesTranslator.SeriesId a = all.translate("a", g);
        SeriesTranslator.SeriesId b = all.translate("b", g);
        assertThat(b.labelSet).isSameAs(a.labelSet);
        assertThat(b.resourceKey).isEqualTo(a.resourceKey);
    }

    @Test
    void jvmMetricNamesReplaceSpaces() {
        SeriesTranslator.SeriesId id =
                skywalking.translate(
                        "Count",
                        group(
                                "taskmanager.Status.JVM.GarbageCollector.G1 Young Generation",
                                TestGroups.taskManagerVariables()));
        assertThat(id.name)
                .isEqualTo(
                        "flink_taskmanager_Status_JVM_GarbageCollector_G1_Young_Generation_Count");
    }

    @Test
    void jobManagerMetricsUseTheHostAsNode() {
        SeriesTranslator.SeriesId id =
                skywalking.translate(
                        "numRunningJobs", group("jobmanager", TestGroups.jobManagerVariables()));
        assertThat(id.role).isEqualTo(SeriesTranslator.Role.JOB_MANAGER);
        assertThat(id.node).isEqualTo("jobmanager_0");
        assertThat(id.name).isEqualTo("flink_jobmanager_numRunningJobs");
    }

    @Test
    void presetSkywalkingSendsOnlyWhatTheRulesRead() {
        Map<String, String> vars = TestGroups.operatorVariables("j", "o", 0);
        assertThat(
                        skywalking.translate(
                                "numRecordsInPerSecond",
                                group("taskmanager.job.task.operator", vars)))
                .isNull();
        assertThat(
                        all.translate(
                                "numRecordsInPerSecond",
                                group("taskmanager.job.task.operator", vars)))
                .isNotNull();
    }

    @Test
    void labelValuesAreKeptWhenFilteringIsOff() {
        SeriesTranslator raw =
                new SeriesTranslator(
                        metricsSettings("filter-label-value-characters", "false", "preset", "all"));
        SeriesTranslator.SeriesId id =
                raw.translate(
                        "x",
                        group(
                                "taskmanager.job.task.operator",
                                TestGroups.operatorVariables("orders job", "Map (enrich)", 0)));
        assertThat(id.labels).containsEntry("flink_job_name", "orders job");
        assertThat(id.node).isEqualTo(TestGroups.TM_ID);
    }

    @Test
    void taskAttemptIdCanBeIncluded() {
        SeriesTranslator withAttempt =
                new SeriesTranslator(
                        metricsSettings("include-task-attempt-id", "true", "preset", "all"));
        SeriesTranslator.SeriesId id =
                withAttempt.translate(
                        "x",
                        group("taskmanager.job.task", TestGroups.operatorVariables("j", "o", 0)));
        assertThat(id.labels).containsKey("task_attempt_id");
    }

    @Test
    void missingNodeVariableIsReported() {
        assertThatThrownBy(
                        () ->
                                all.translate(
                                        "x",
                                        group(
                                                "taskmanager",
                                                java.util.Collections.singletonMap("<host>", "h"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<tm_id>");
    }

    @Test
    void replacesEachCodePointOnce() {
        assertThat(SourceSettings.replaceInvalidChars("a b\u00e9\uD83D\uDE00c:d_e"))
                .isEqualTo("a_b__c:d_e");
        assertThat(SourceSettings.replaceInvalidChars("plain_name:1")).isEqualTo("plain_name:1");
    }

    @Test
    void presetListCoversTheContract() {
        assertThat(SkyWalkingPreset.names())
                .hasSize(30 + 4 + 10 + 2 + 11 + 5 + 6)
                .contains(
                        "flink_jobmanager_Status_JVM_CPU_Load",
                        "flink_taskmanager_Status_JVM_GarbageCollector_All_Time",
                        "flink_taskmanager_job_task_isBackPressured",
                        "flink_taskmanager_job_task_operator_currentEmitEventTimeLag",
                        "flink_taskmanager_Status_Flink_Memory_Managed_Used",
                        "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
                        "flink_taskmanager_job_task_watermarkLagMs",
                        "flink_taskmanager_job_task_operator_pendingRecords");
    }

    @Test
    void aTasksInputWatermarkIsSentAsItsLagBehindTheClock() {
        SeriesRegistry registry = new SeriesRegistry("c", Collections.emptyList(), 100);
        long[] watermark = {Long.MIN_VALUE};
        Gauge<Long> gauge = () -> watermark[0];
        SeriesTranslator.SeriesId id =
                skywalking.translate(
                        "currentInputWatermark",
                        group("taskmanager.job.task", TestGroups.operatorVariables("j", "o", 0)));
        assertThat(id.name).isEqualTo("flink_taskmanager_job_task_watermarkLagMs");
        registry.add(id, gauge, 0);

        // No watermark yet (a source task): no value, and no problem to log.
        SeriesRegistry.ReadProblems problems = new SeriesRegistry.ReadProblems();
        Series[] snapshot = registry.snapshot(new Series[0]);
        SeriesRegistry.read(snapshot, 1, problems, 1_700_000_005_000L);
        Series series = snapshot[0];
        assertThat(series.valueType).isEqualTo(Series.NO_VALUE);
        assertThat(problems.toLog).isEmpty();

        watermark[0] = 1_700_000_000_000L;
        SeriesRegistry.read(snapshot, 1, problems, 1_700_000_005_000L);
        assertThat(series.valueType).isEqualTo(Series.LONG_VALUE);
        assertThat(series.longValue).isEqualTo(5_000L);

        // The input has ended.
        watermark[0] = Long.MAX_VALUE;
        SeriesRegistry.read(snapshot, 1, problems, 1_700_000_005_000L);
        assertThat(series.valueType).isEqualTo(Series.NO_VALUE);

        // Operators keep their watermarks as they are (preset all).
        assertThat(
                        all.translate(
                                        "currentInputWatermark",
                                        group(
                                                "taskmanager.job.task.operator",
                                                TestGroups.operatorVariables("j", "o", 0)))
                                .name)
                .isEqualTo("flink_taskmanager_job_task_operator_currentInputWatermark");
    }
}
