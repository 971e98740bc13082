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
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Jobs coming and going while reports run: nothing leaks, nothing breaks. */
class ChurnTest {

    @RegisterExtension
    final ReporterHarness harness =
            // Requests of at most 256 KB: the encoder's buffer, which grows to the largest request,
            // stays out of what the test weighs.
            ReporterHarness.withReceiver(
                    "cluster", "churn", "preset", "all", "max-request-size", "256 kb");

    @Test
    void addingAndRemovingJobSizedGroupsConcurrentlyWithReportsLeavesNothingBehind()
            throws Exception {
        {
            OtlpTestServer server = harness.receiver();
            LogCapture log = harness.log();
            SkyWalkingMetricReporter reporter = harness.reporter();
            MetricGroup tm = group("taskmanager", TestGroups.taskManagerVariables());
            reporter.notifyOfAddedMetric(new SimpleCounter(), "baseline", tm);
            long baseline = reporter.selfMetrics().seriesRegistered.get();
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            server.clear();
            long heapBefore = usedHeapAfterGc();

            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            Future<?> reports =
                    pool.submit(
                            () -> {
                                while (!stop.get()) {
                                    reporter.report();
                                    Thread.sleep(1);
                                }
                                return null;
                            });
            Future<?> churn =
                    pool.submit(
                            () -> {
                                for (int round = 0; round < 500; round++) {
                                    // One job: 4 subtasks x 25 metrics, registered then removed.
                                    List<Object[]> job = new ArrayList<>();
                                    for (int s = 0; s < 4; s++) {
                                        Map<String, String> vars =
                                                TestGroups.operatorVariables(
                                                        "job-" + round, "op", s);
                                        MetricGroup g =
                                                group("taskmanager.job.task.operator", vars);
                                        for (int m = 0; m < 25; m++) {
                                            Metric metric =
                                                    m % 2 == 0
                                                            ? new SimpleCounter()
                                                            : (Gauge<Integer>) () -> 1;
                                            reporter.notifyOfAddedMetric(metric, "m" + m, g);
                                            job.add(new Object[] {metric, "m" + m, g});
                                        }
                                    }
                                    for (Object[] r : job) {
                                        reporter.notifyOfRemovedMetric(
                                                (Metric) r[0], (String) r[1], (MetricGroup) r[2]);
                                    }
                                }
                                return null;
                            });
            churn.get(120, TimeUnit.SECONDS);
            stop.set(true);
            reports.get(30, TimeUnit.SECONDS);
            pool.shutdown();

            assertThat(reporter.selfMetrics().seriesRegistered.get()).isEqualTo(baseline);
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            // 50,000 series came and went; a leak of even 100 bytes each would show. What the
            // test itself keeps (received requests, captured log lines) is dropped first.
            assertThat(log.at(Level.WARN)).isEmpty();
            assertThat(log.all()).doesNotContain("ConcurrentModification");
            assertThat(server.received()).isNotEmpty();
            server.clear();
            log.clear();
            assertThat(usedHeapAfterGc() - heapBefore).isLessThan(4L * 1024 * 1024);
            reporter.close();
        }
    }

    /** The heap in use once a collection frees nothing more: what is still reachable. */
    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc(); // a full collection, done when it returns
            long now = rt.totalMemory() - rt.freeMemory();
            if (now >= used) {
                return used;
            }
            used = now;
        }
        return used;
    }

    @Test
    void labelSetsAreSharedAndForgottenWithTheirLastSeries() {
        SeriesTranslator translator =
                new SeriesTranslator(TestGroups.metricsSettings("preset", "all"));
        SeriesRegistry registry =
                new SeriesRegistry("c", java.util.Collections.emptyList(), Integer.MAX_VALUE);
        MetricGroup g =
                group("taskmanager.job.task.operator", TestGroups.operatorVariables("j", "o", 0));
        List<SimpleCounter> counters = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SimpleCounter c = new SimpleCounter();
            counters.add(c);
            registry.add(translator.translate("m" + i, g), c, 0);
        }
        assertThat(registry.labelSetCount()).isEqualTo(1);
        for (int i = 0; i < 20; i++) {
            registry.remove(translator.translate("m" + i, g), counters.get(i));
            assertThat(registry.registered()).isEqualTo(20 - 1 - i);
        }
        // Removed series are in one more snapshot, which sends their last values.
        assertThat(registry.size()).isEqualTo(20);
        assertThat(registry.labelSetCount()).isEqualTo(1);
        assertThat(registry.snapshot(new Series[0])).filteredOn(s -> s != null).hasSize(20);
        assertThat(registry.size()).isZero();
        assertThat(registry.labelSetCount()).isZero();
        assertThat(registry.resourceCount()).isZero();
    }
}
