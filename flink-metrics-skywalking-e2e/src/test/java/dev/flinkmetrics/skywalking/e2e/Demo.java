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

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Sample;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;

/**
 * Runs a Flink MiniCluster (one JobManager, two TaskManagers) with the SkyWalking reporter and a
 * continuous job (checkpointing on, a little back pressure), and every 10 seconds prints what
 * SkyWalking would show ({@link PreviewReport}): the service, its instances and endpoints, every
 * Flink dashboard panel with its latest value, and which of the metrics the panels read are missing
 * and why.
 *
 * <p>The reporter always sends to a local OTLP receiver, which the preview is made from. With
 * {@code -Dendpoint=http://host:11800} (or the argument {@code endpoint=...}) a second reporter
 * sends the same metrics to that OAP as well. {@code -Ddemo.seconds} (default 60) sets how long it
 * runs; {@code -Dcluster} (default {@code demo-cluster}) names the cluster.
 *
 * <pre>
 * mvn -pl flink-metrics-skywalking-e2e exec:java@demo -Ddemo.seconds=40
 * </pre>
 */
public final class Demo {

    private static final long PREVIEW_EVERY_MILLIS = 10_000;

    public static void main(String[] args) throws Exception {
        MainOptions options = new MainOptions(args);
        String endpoint = options.get("endpoint", "");
        String clusterName = options.get("cluster", "demo-cluster");
        long seconds = Long.parseLong(options.get("demo.seconds", "60"));

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

            PreviewReport report = new PreviewReport();
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                long wait =
                        Math.min(
                                PREVIEW_EVERY_MILLIS,
                                TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
                Thread.sleep(Math.max(wait, 1));
                List<Sample> window = server.samples();
                List<Span> spans = server.spans();
                server.clear();
                long now = System.currentTimeMillis();
                report.add(now, window);
                long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                System.out.print(
                        report.render(
                                now,
                                String.format(
                                        Locale.ROOT,
                                        "SkyWalking preview at %d s (expected service flink::%s,"
                                                + " job demo-job %s)",
                                        elapsed,
                                        clusterName,
                                        jobStatus(job))));
                printSpansAndEvents(spans, server.events().events());
                System.out.println();
                System.out.flush();
            }
        } finally {
            if (job != null) {
                try {
                    job.cancel().get(10, TimeUnit.SECONDS);
                    ContractCluster.awaitTerminal(job, Duration.ofSeconds(20));
                    // The events of the cancel arrive within the reporter's next flush.
                    server.events().awaitEvent(e -> e.getMessage().contains("CANCELED"), 5_000);
                    printSpansAndEvents(Collections.emptyList(), server.events().events());
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

    /** Events printed so far, so that each shows once. */
    private static int eventsShown;

    /**
     * The spans (trace reporter) that came in since the last preview, and the SkyWalking events
     * (event reporter, and those the metric reporter derives) not printed yet.
     */
    private static void printSpansAndEvents(List<Span> spans, List<Event> events) {
        Map<String, Integer> byName = new java.util.TreeMap<>();
        for (Span span : spans) {
            byName.merge(span.getName(), 1, Integer::sum);
        }
        if (!byName.isEmpty()) {
            Span last = spans.get(spans.size() - 1);
            StringBuilder attributes = new StringBuilder();
            for (KeyValue a : last.getAttributesList()) {
                if (a.getKey().startsWith("checkpoint") || a.getKey().equals("fullSize")) {
                    attributes.append(attributes.length() == 0 ? "" : ", ").append(a.getKey());
                    attributes.append('=').append(OtlpTestServer.text(a.getValue()));
                }
            }
            System.out.printf(
                    "Spans received (trace reporter): %s; latest %s {%s}%n",
                    byName, last.getName(), attributes);
        }
        for (Event e : events.subList(eventsShown, events.size())) {
            System.out.printf(
                    "Event %-22s %-6s service=%s%s%s: %s%s%n",
                    e.getName(),
                    e.getType(),
                    e.getSource().getService(),
                    e.getSource().getServiceInstance().isEmpty()
                            ? ""
                            : " instance=" + e.getSource().getServiceInstance(),
                    e.getSource().getEndpoint().isEmpty()
                            ? ""
                            : " endpoint=" + e.getSource().getEndpoint(),
                    e.getMessage(),
                    e.getEndTime() == 0 ? " (started)" : "");
        }
        eventsShown = events.size();
    }

    private static String jobStatus(JobClient job) {
        try {
            return String.valueOf(job.getJobStatus().get(5, TimeUnit.SECONDS));
        } catch (Exception e) {
            return "status unknown (" + e.getClass().getSimpleName() + ")";
        }
    }

    private Demo() {}
}
