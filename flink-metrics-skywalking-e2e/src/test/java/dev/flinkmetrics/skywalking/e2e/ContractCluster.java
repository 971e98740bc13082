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

import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;

/**
 * A MiniCluster with the SkyWalking reporters (metrics, traces, events), bound to 127.0.0.1 only,
 * and the continuous job the end-to-end test and the demo run on it.
 */
final class ContractCluster {

    static final String FACTORY = "dev.flinkmetrics.skywalking.SkyWalkingReporterFactory";

    private final MiniCluster miniCluster;

    private ContractCluster(MiniCluster miniCluster) {
        this.miniCluster = miniCluster;
    }

    /**
     * Starts a cluster with one JobManager and {@code taskManagers} TaskManagers of {@code slots}
     * slots each, with one SkyWalking reporter per entry of {@code reporters} (reporter name to
     * endpoint), all reporting every second for {@code cluster}.
     */
    static ContractCluster start(
            int taskManagers, int slots, String cluster, Map<String, String> reporters)
            throws Exception {
        Configuration conf = loopbackConfiguration();
        for (Map.Entry<String, String> reporter : reporters.entrySet()) {
            String prefix = "metrics.reporter." + reporter.getKey() + ".";
            conf.setString(prefix + "factory.class", FACTORY);
            conf.setString(prefix + "endpoint", reporter.getValue());
            conf.setString(prefix + "cluster", cluster);
            conf.setString(prefix + "interval", "1 s");
            // The trace and event reporters of the same jar, to the same receiver.
            for (String signal : new String[] {"traces", "events"}) {
                String other = signal + ".reporter." + reporter.getKey() + ".";
                conf.setString(
                        other + "factory.class",
                        signal.equals("traces")
                                ? StandaloneFlink.TRACE_FACTORY
                                : StandaloneFlink.EVENT_FACTORY);
                conf.setString(other + "endpoint", reporter.getValue());
                conf.setString(other + "cluster", cluster);
            }
        }
        // Spread the subtasks over both TaskManagers, so that both report task metrics.
        conf.set(
                TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE,
                TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
        // Small memory: the machine runs this next to a build.
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("16m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("16m"));
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("16m"));

        MiniCluster miniCluster = startMiniCluster(conf, taskManagers, slots);
        TestStreamEnvironment.setAsContext(miniCluster, taskManagers * slots);
        return new ContractCluster(miniCluster);
    }

    /**
     * Starts a MiniCluster made from {@code conf}, its components bound to 127.0.0.1; closes it
     * again when it does not start.
     */
    static MiniCluster startMiniCluster(Configuration conf, int taskManagers, int slots)
            throws Exception {
        MiniCluster miniCluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(taskManagers)
                                .setNumSlotsPerTaskManager(slots)
                                .setCommonBindAddress("127.0.0.1")
                                .build());
        try {
            miniCluster.start();
        } catch (Exception e) {
            miniCluster.close();
            throw e;
        }
        return miniCluster;
    }

    /**
     * A configuration that binds the JobManager, the TaskManagers and REST (on a free port) to
     * 127.0.0.1 only.
     */
    static Configuration loopbackConfiguration() {
        Configuration conf = new Configuration();
        conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_PORT, "0");
        return conf;
    }

    /**
     * Submits {@link ContinuousJob}'s pipeline, which runs until cancelled, with checkpoints every
     * 500 ms.
     */
    JobClient submitJob(String jobName) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ContinuousJob.define(env, 500);
        return env.executeAsync(jobName);
    }

    /** Waits until the job is RUNNING or the time is up. */
    static void awaitRunning(JobClient job, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (job.getJobStatus().get().name().equals("RUNNING")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(
                "job " + job.getJobID() + " is " + job.getJobStatus().get() + " after " + timeout);
    }

    /** Waits until the job has reached a terminal state or the time is up. */
    static void awaitTerminal(JobClient job, Duration timeout) throws Exception {
        try {
            job.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // Cancelled or failed: terminal too.
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "job " + job.getJobID() + " did not end in " + timeout, e);
        }
    }

    void close() throws Exception {
        try {
            TestStreamEnvironment.unsetAsContext();
        } finally {
            miniCluster.close();
        }
    }
}
