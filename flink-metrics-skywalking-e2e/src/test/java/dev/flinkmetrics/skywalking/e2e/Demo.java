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

import dev.flinkmetrics.skywalking.OtlpTestServer;
import dev.flinkmetrics.skywalking.OtlpTestServer.Sample;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;

/**
 * Runs a Flink MiniCluster (one JobManager, two TaskManagers) with the SkyWalking reporter and a
 * continuous job, and every 10 seconds prints what SkyWalking would show: the service, its
 * instances and endpoints, and which of the metrics its Flink dashboards read are present.
 *
 * <p>The reporter always sends to a local OTLP receiver, which the summary is made from. With
 * {@code -Dendpoint=http://host:11800} (or the argument {@code endpoint=...}) a second reporter
 * sends the same metrics to that OAP as well. {@code -Ddemo.seconds} (default 60) sets how long it
 * runs; {@code -Dcluster} (default {@code demo-cluster}) names the cluster.
 *
 * <pre>
 * mvn -pl flink-metrics-skywalking-e2e exec:java@demo -Ddemo.seconds=40
 * </pre>
 */
public final class Demo {

    private static final long SUMMARY_EVERY_MILLIS = 10_000;

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq > 0) {
                options.put(arg.substring(0, eq).replaceFirst("^-+", ""), arg.substring(eq + 1));
            }
        }
        String endpoint = option(options, "endpoint", "");
        String clusterName = option(options, "cluster", "demo-cluster");
        long seconds = Long.parseLong(option(options, "demo.seconds", "60"));

        int status = 0;
        try {
            Integer childStatus = relaunchIfNeeded(endpoint, clusterName, seconds);
            if (childStatus != null) {
                System.exit(childStatus);
            }
            run(endpoint, clusterName, seconds);
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    /**
     * Flink resolves job classes through the system class loader when a job brings no jars of its
     * own, and needs JDK module flags; inside Maven's JVM ({@code exec:java}) neither holds. Then
     * the demo runs in a child JVM with the same class path and the flags from {@code
     * demo.jvm.flags}, and returns its exit status; otherwise it returns null.
     */
    private static Integer relaunchIfNeeded(String endpoint, String clusterName, long seconds)
            throws Exception {
        ClassLoader loader = Demo.class.getClassLoader();
        if (loader == ClassLoader.getSystemClassLoader() || !(loader instanceof URLClassLoader)) {
            return null;
        }
        List<String> classPath = new ArrayList<>();
        for (URL url : ((URLClassLoader) loader).getURLs()) {
            classPath.add(Paths.get(url.toURI()).toString());
        }
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : System.getProperty("demo.jvm.flags", "").trim().split("\\s+")) {
            if (!flag.isEmpty()) {
                command.add(flag);
            }
        }
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classPath));
        command.add(Demo.class.getName());
        command.add("endpoint=" + endpoint);
        command.add("cluster=" + clusterName);
        command.add("demo.seconds=" + seconds);
        Process child = new ProcessBuilder(command).inheritIO().start();
        Thread stopChild = new Thread(child::destroy, "demo-stop-child");
        Runtime.getRuntime().addShutdownHook(stopChild);
        int status = child.waitFor();
        Runtime.getRuntime().removeShutdownHook(stopChild);
        return status;
    }

    private static void run(String endpoint, String clusterName, long seconds) throws Exception {
        OtlpTestServer server = new OtlpTestServer();
        ContractCluster cluster = null;
        JobClient job = null;
        try {
            Map<String, String> reporters = new LinkedHashMap<>();
            reporters.put("local", server.endpoint());
            if (!endpoint.isEmpty()) {
                reporters.put("sw", endpoint);
            }
            System.out.printf(
                    "Demo: cluster %s, reporting to %s for %d s%n",
                    clusterName, reporters.values(), seconds);
            cluster = ContractCluster.start(2, 2, clusterName, reporters);
            job = cluster.submitJob("demo-job");
            System.out.printf("Demo: job demo-job submitted as %s%n", job.getJobID());

            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                long wait =
                        Math.min(
                                SUMMARY_EVERY_MILLIS,
                                TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
                Thread.sleep(Math.max(wait, 1));
                List<Sample> window = server.samples();
                server.clear();
                long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                System.out.print(summary(elapsed, clusterName, window, job));
                System.out.flush();
            }
        } finally {
            if (job != null) {
                try {
                    job.cancel().get(10, TimeUnit.SECONDS);
                    ContractCluster.awaitTerminal(job, Duration.ofSeconds(20));
                } catch (Exception e) {
                    System.out.println("Demo: cancelling the job failed: " + e);
                }
            }
            try {
                if (cluster != null) {
                    cluster.close();
                }
            } finally {
                server.stop();
            }
            System.out.println("Demo: stopped.");
        }
    }

    static String summary(long elapsed, String clusterName, List<Sample> window, JobClient job) {
        Set<String> names = new TreeSet<>();
        Set<String> services = new TreeSet<>();
        Set<String> instances = new TreeSet<>();
        Set<String> endpoints = new TreeSet<>();
        Set<String> jobManagers = new TreeSet<>();
        for (Sample s : window) {
            names.add(s.name);
            add(services, s.labels.get("cluster"), "flink::");
            add(instances, s.labels.get("taskManager_node"), "");
            add(endpoints, s.labels.get("flink_job_name"), "");
            add(jobManagers, s.labels.get("jobManager_node"), "");
        }
        Set<String> expected = ContractNames.expectedHere();
        List<String> missing = new ArrayList<>();
        for (String name : expected) {
            if (!names.contains(name)) {
                missing.add(name);
            }
        }
        String jobStatus;
        try {
            jobStatus = String.valueOf(job.getJobStatus().get(5, TimeUnit.SECONDS));
        } catch (Exception e) {
            jobStatus = "unknown (" + e.getClass().getSimpleName() + ")";
        }

        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "---- %ds, job %s%n", elapsed, jobStatus));
        out.append(
                String.format(
                        Locale.ROOT,
                        "service   %s (expected flink::%s)%n",
                        services.isEmpty() ? "(none)" : String.join(", ", services),
                        clusterName));
        out.append(
                String.format(
                        Locale.ROOT,
                        "instances %d: %s%n",
                        instances.size(),
                        String.join(", ", instances)));
        out.append(
                String.format(
                        Locale.ROOT,
                        "endpoints %d: %s%n",
                        endpoints.size(),
                        String.join(", ", endpoints)));
        out.append(
                String.format(Locale.ROOT, "jobManager_node %s%n", String.join(", ", jobManagers)));
        out.append(
                String.format(
                        Locale.ROOT,
                        "%d/%d SkyWalking Flink metrics present, %d samples in %d names%n",
                        expected.size() - missing.size(),
                        expected.size(),
                        window.size(),
                        names.size()));
        if (!missing.isEmpty()) {
            out.append("missing   ").append(String.join(", ", missing)).append('\n');
        }
        out.append(
                String.format(
                        Locale.ROOT,
                        "values    records out (tasks) %.0f, completed checkpoints %.0f,"
                                + " running jobs %.0f, JM heap %.1f MiB, TM threads %.0f%n",
                        latestSum(window, "flink_taskmanager_job_task_numRecordsOut"),
                        latestSum(window, "flink_jobmanager_job_numberOfCompletedCheckpoints"),
                        latestSum(window, "flink_jobmanager_numRunningJobs"),
                        latestSum(window, "flink_jobmanager_Status_JVM_Memory_Heap_Used")
                                / (1024 * 1024),
                        latestSum(window, "flink_taskmanager_Status_JVM_Threads_Count")));
        return out.toString();
    }

    /** The sum over series of each series' last value in the window. */
    private static double latestSum(List<Sample> window, String name) {
        Map<String, Double> last = new LinkedHashMap<>();
        for (Sample s : window) {
            if (s.name.equals(name)) {
                last.put(new java.util.TreeMap<>(s.labels).toString(), s.value);
            }
        }
        double sum = 0;
        for (double v : last.values()) {
            sum += v;
        }
        return last.isEmpty() ? Double.NaN : sum;
    }

    private static void add(Set<String> set, String value, String prefix) {
        if (value != null && !value.isEmpty()) {
            set.add(prefix + value);
        }
    }

    private static String option(Map<String, String> args, String key, String fallback) {
        String value = args.get(key);
        if (value == null) {
            value = System.getProperty(key);
        }
        return value == null || value.trim().isEmpty() ? fallback : value.trim();
    }

    private Demo() {}
}
