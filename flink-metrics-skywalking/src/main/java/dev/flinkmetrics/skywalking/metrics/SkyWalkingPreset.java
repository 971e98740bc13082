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

import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The samples SkyWalking's Flink rules read ({@code otel-rules/flink/flink-jobManager.yaml}, {@code
 * flink-taskManager.yaml}, {@code flink-job.yaml} in OAP 10.3 and later) and those the project's
 * own rules read (skywalking/oap-11/otel-rules/flink-project/ and its copies for older OAPs).
 * Preset {@code skywalking} sends exactly these, plus the reporter's own series.
 */
final class SkyWalkingPreset {

    private static final List<String> JVM =
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
                    "Status_JVM_GarbageCollector_All_Time");

    /** JobManager process: cluster-level numbers. */
    static final List<String> JOB_MANAGER =
            Arrays.asList(
                    "flink_jobmanager_numRunningJobs",
                    "flink_jobmanager_numRegisteredTaskManagers",
                    "flink_jobmanager_taskSlotsTotal",
                    "flink_jobmanager_taskSlotsAvailable");

    /** JobManager process: one series per job. */
    static final List<String> JOB =
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
                    "flink_jobmanager_job_lastCheckpointDuration");

    /** TaskManager process: per-TaskManager numbers besides the JVM. */
    static final List<String> TASK_MANAGER =
            Arrays.asList(
                    "flink_taskmanager_Status_Shuffle_Netty_UsedMemory",
                    "flink_taskmanager_Status_Shuffle_Netty_AvailableMemory",
                    // The project's rules.
                    "flink_taskmanager_Status_Flink_Memory_Managed_Used",
                    "flink_taskmanager_Status_Flink_Memory_Managed_Total");

    /** TaskManager process: one series per task (subtask). */
    static final List<String> TASK =
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
                    // The project's rules; watermarkLagMs is derived (SeriesTranslator).
                    "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
                    SeriesTranslator.WATERMARK_LAG);

    /** TaskManager process: one series per operator (subtask). */
    static final List<String> OPERATOR =
            Arrays.asList(
                    "flink_taskmanager_job_task_operator_currentEmitEventTimeLag",
                    "flink_taskmanager_job_task_operator_numRecordsIn",
                    "flink_taskmanager_job_task_operator_numRecordsOut",
                    "flink_taskmanager_job_task_operator_numBytesInPerSecond",
                    "flink_taskmanager_job_task_operator_numBytesOutPerSecond",
                    // The project's rules: FLIP-33 source backlog, where the source reports it.
                    "flink_taskmanager_job_task_operator_pendingRecords",
                    "flink_taskmanager_job_task_operator_currentFetchEventTimeLag");

    private static final Set<String> NAMES;

    static {
        Set<String> names = new HashSet<>();
        for (String jvm : JVM) {
            names.add("flink_jobmanager_" + jvm);
            names.add("flink_taskmanager_" + jvm);
        }
        names.addAll(JOB_MANAGER);
        names.addAll(JOB);
        names.addAll(TASK_MANAGER);
        names.addAll(TASK);
        names.addAll(OPERATOR);
        NAMES = Collections.unmodifiableSet(names);
    }

    /** Every sample name the rules read, JobManager and TaskManager JVM names included. */
    static Set<String> names() {
        return NAMES;
    }

    static boolean contains(String name) {
        return NAMES.contains(name) || name.startsWith(SeriesTranslator.ownName(""));
    }

    private SkyWalkingPreset() {}
}
