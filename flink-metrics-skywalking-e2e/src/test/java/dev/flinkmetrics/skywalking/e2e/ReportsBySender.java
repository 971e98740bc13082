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

import static org.assertj.core.api.Assertions.fail;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Received;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The metric reports a receiver got, by the process they describe (the JobManager, each
 * TaskManager), waited for by what arrives rather than by time: a slow machine makes the tests
 * slower, not wrong.
 */
final class ReportsBySender {

    /** Reports each process must send after it forgot a job, to show it stays forgotten. */
    static final int REPORTS_AFTER_FORGETTING = 3;

    /** Samples of no process: not counted as a sender. */
    private static final String NO_NODE = "no node";

    private ReportsBySender() {}

    /**
     * The reports received so far, by the process they describe: each request's samples split by
     * the node of their resource (a MiniCluster's one reporter sends its JobManager's and each
     * TaskManager's in one request; a real process sends its own).
     */
    static Map<String, List<List<Sample>>> received(OtlpTestServer server) {
        Map<String, List<List<Sample>>> bySender = new TreeMap<>();
        for (Received r : server.received()) {
            Map<String, List<Sample>> byNode = new TreeMap<>();
            for (Sample s : OtlpTestServer.toSamples(r.request)) {
                byNode.computeIfAbsent(node(s), k -> new ArrayList<>()).add(s);
            }
            byNode.forEach(
                    (node, samples) ->
                            bySender.computeIfAbsent(node, k -> new ArrayList<>()).add(samples));
        }
        return bySender;
    }

    /** The process a sample describes, by the node labels of its resource. */
    static String node(Sample s) {
        String node = s.labels.get("taskManager_node");
        if (node != null) {
            return "TaskManager " + node;
        }
        node = s.labels.get("jobManager_node");
        return node != null ? "JobManager " + node : NO_NODE;
    }

    /** Waits until each of {@code processes} senders has sent {@code reports} more requests. */
    static void awaitMoreReports(
            OtlpTestServer server, int processes, int reports, Duration timeout)
            throws InterruptedException {
        Map<String, Integer> before = counts(received(server));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int calls = server.calls();
            Map<String, Integer> now = counts(received(server));
            long done =
                    now.entrySet().stream()
                            .filter(
                                    e ->
                                            e.getValue() - before.getOrDefault(e.getKey(), 0)
                                                    >= reports)
                            .count();
            if (done >= processes) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail(
                        "%d processes should each send %d more reports within %s; before %s, now %s",
                        processes, reports, timeout, before, now);
            }
            server.awaitCalls(calls + 1, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }

    /**
     * After a job ended: waits until each of {@code processes} senders has sent a request with no
     * series of any job and no running job, and then {@link #REPORTS_AFTER_FORGETTING} in all;
     * fails as soon as one of them reports a job again, and when the time is up. A report taken
     * before Flink removed the job's metric groups (they go a moment after the job is terminal) may
     * still carry the job; none after may.
     *
     * @return the samples of each sender's requests from its first one without the job on
     */
    static List<Sample> awaitJobForgotten(OtlpTestServer server, int processes, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int calls = server.calls();
            List<Sample> after = new ArrayList<>();
            Map<String, Integer> forgotFor = new TreeMap<>();
            for (Map.Entry<String, List<List<Sample>>> e : received(server).entrySet()) {
                List<List<Sample>> requests = e.getValue();
                int first = 0;
                while (first < requests.size() && !withoutJob(requests.get(first))) {
                    first++;
                }
                for (int i = first; i < requests.size(); i++) {
                    List<Sample> request = requests.get(i);
                    if (!withoutJob(request)) {
                        fail(
                                "%s reported a job again after a report without it: %s",
                                e.getKey(), ofJobs(request));
                    }
                    after.addAll(request);
                }
                if (!e.getKey().equals(NO_NODE)) {
                    forgotFor.put(e.getKey(), requests.size() - first);
                }
            }
            long done =
                    forgotFor.values().stream().filter(n -> n >= REPORTS_AFTER_FORGETTING).count();
            if (done >= processes) {
                return after;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail(
                        "%d processes should each send %d reports without the ended job within %s;"
                                + " reports without it so far: %s",
                        processes, REPORTS_AFTER_FORGETTING, timeout, forgotFor);
            }
            server.awaitCalls(calls + 1, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }

    private static boolean withoutJob(List<Sample> request) {
        return ofJobs(request).isEmpty();
    }

    /** Samples of a job, or saying a job runs; at most five. */
    private static List<Sample> ofJobs(List<Sample> request) {
        return request.stream()
                .filter(
                        s ->
                                s.labels.containsKey("flink_job_name")
                                        || (s.name.equals("flink_jobmanager_numRunningJobs")
                                                && s.value != 0))
                .limit(5)
                .collect(Collectors.toList());
    }

    private static Map<String, Integer> counts(Map<String, List<List<Sample>>> bySender) {
        Map<String, Integer> counts = new TreeMap<>();
        bySender.forEach(
                (sender, requests) -> {
                    if (!sender.equals(NO_NODE)) {
                        counts.put(sender, requests.size());
                    }
                });
        return counts;
    }
}
