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

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The sample names SkyWalking's Flink rules read, and those the project's own rules read
 * (skywalking/oap-11/otel-rules/flink-project/), written out from the contract and the rule files
 * rather than taken from the plugin, so that a test against them also checks the plugin's own list.
 */
final class ContractNames {

    static final String REPORTER_OWN_PREFIX = "flink_reporter_skywalking_";

    /**
     * JVM names, each sent as {@code flink_jobmanager_<name>} and {@code flink_taskmanager_<name>}.
     */
    static final List<String> JVM =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "Status_JVM_CPU_Load",
                            "Status_JVM_CPU_Time",
                            "Status_JVM_Memory_Heap_Used",
                            "Status_JVM_Memory_Heap_Max",
                            "Status_JVM_Memory_NonHeap_Used",
                            "Status_JVM_Memory_NonHeap_Max",
                            "Status_JVM_Memory_Metaspace_Used",
                            "Status_JVM_Memory_Metaspace_Max",
                            "Status_JVM_Threads_Count",
                            "Status_JVM_GarbageCollector_G1_Young_Generation_Count",
                            "Status_JVM_GarbageCollector_G1_Young_Generation_Time",
                            "Status_JVM_GarbageCollector_G1_Old_Generation_Count",
                            "Status_JVM_GarbageCollector_G1_Old_Generation_Time",
                            "Status_JVM_GarbageCollector_All_Count",
                            "Status_JVM_GarbageCollector_All_Time"));

    /** JobManager process, cluster level. */
    static final List<String> JOB_MANAGER =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "flink_jobmanager_numRunningJobs",
                            "flink_jobmanager_numRegisteredTaskManagers",
                            "flink_jobmanager_taskSlotsTotal",
                            "flink_jobmanager_taskSlotsAvailable"));

    /** JobManager process, one series per job. */
    static final List<String> JOB =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "flink_jobmanager_job_numRestarts",
                            "flink_jobmanager_job_runningTime",
                            "flink_jobmanager_job_restartingTime",
                            "flink_jobmanager_job_cancellingTime",
                            "flink_jobmanager_job_totalNumberOfCheckpoints",
                            "flink_jobmanager_job_numberOfFailedCheckpoints",
                            "flink_jobmanager_job_numberOfCompletedCheckpoints",
                            "flink_jobmanager_job_numberOfInProgressCheckpoints",
                            "flink_jobmanager_job_lastCheckpointSize",
                            "flink_jobmanager_job_lastCheckpointDuration"));

    /** TaskManager process, besides the JVM. */
    static final List<String> TASK_MANAGER =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "flink_taskmanager_Status_Shuffle_Netty_UsedMemory",
                            "flink_taskmanager_Status_Shuffle_Netty_AvailableMemory",
                            // The project's rules.
                            "flink_taskmanager_Status_Flink_Memory_Managed_Used",
                            "flink_taskmanager_Status_Flink_Memory_Managed_Total"));

    /** TaskManager process, one series per subtask. */
    static final List<String> TASK =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "flink_taskmanager_job_task_numRecordsIn",
                            "flink_taskmanager_job_task_numRecordsOut",
                            "flink_taskmanager_job_task_numBytesInPerSecond",
                            "flink_taskmanager_job_task_numBytesOutPerSecond",
                            "flink_taskmanager_job_task_Shuffle_Netty_Input_Buffers_inPoolUsage",
                            "flink_taskmanager_job_task_Shuffle_Netty_Output_Buffers_outPoolUsage",
                            "flink_taskmanager_job_task_isBackPressured",
                            "flink_taskmanager_job_task_idleTimeMsPerSecond",
                            "flink_taskmanager_job_task_busyTimeMsPerSecond",
                            "flink_taskmanager_job_task_softBackPressuredTimeMsPerSecond",
                            "flink_taskmanager_job_task_hardBackPressuredTimeMsPerSecond",
                            // The project's rules; the lag is derived from currentInputWatermark.
                            "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
                            "flink_taskmanager_job_task_watermarkLagMs"));

    /** TaskManager process, one series per operator subtask. */
    static final List<String> OPERATOR =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "flink_taskmanager_job_task_operator_currentEmitEventTimeLag",
                            "flink_taskmanager_job_task_operator_numRecordsIn",
                            "flink_taskmanager_job_task_operator_numRecordsOut",
                            "flink_taskmanager_job_task_operator_numBytesInPerSecond",
                            "flink_taskmanager_job_task_operator_numBytesOutPerSecond",
                            // The project's rules, from sources that report their backlog.
                            "flink_taskmanager_job_task_operator_pendingRecords",
                            "flink_taskmanager_job_task_operator_currentFetchEventTimeLag"));

    static final String EMIT_EVENT_TIME_LAG =
            "flink_taskmanager_job_task_operator_currentEmitEventTimeLag";

    static List<String> jobManagerJvm() {
        return prefixed("flink_jobmanager_");
    }

    static List<String> taskManagerJvm() {
        return prefixed("flink_taskmanager_");
    }

    /** Every name, in contract order. */
    static Set<String> all() {
        Set<String> names = new LinkedHashSet<>();
        names.addAll(jobManagerJvm());
        names.addAll(JOB_MANAGER);
        names.addAll(JOB);
        names.addAll(taskManagerJvm());
        names.addAll(TASK_MANAGER);
        names.addAll(TASK);
        names.addAll(OPERATOR);
        return names;
    }

    /** The names Flink registers in this JVM: G1_* only under the G1 collector. */
    static Set<String> expectedHere() {
        Set<String> names = all();
        if (!runsG1()) {
            names.removeIf(n -> n.contains("_GarbageCollector_G1_"));
        }
        return names;
    }

    static boolean runsG1() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().startsWith("G1 ")) {
                return true;
            }
        }
        return false;
    }

    private static List<String> prefixed(String prefix) {
        List<String> names = new ArrayList<>();
        for (String jvm : JVM) {
            names.add(prefix + jvm);
        }
        return names;
    }

    private ContractNames() {}
}
