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

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A process that registers more series than max-series: what is kept, sent and counted. */
class SeriesCapTest {

    private static final int CAP = 100;
    private static final int OWN = 15;
    private static final int PROCESS = 10;
    private static final int DASHBOARD = 30;
    private static final int REST = 200;

    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withReceiver(
                    "cluster", "capped", "preset", "all", "max-series", String.valueOf(CAP));

    /** Registers the least important first, so that the cap has to evict to keep the order. */
    private List<Object[]> registerJob(SkyWalkingMetricReporter reporter) {
        List<Object[]> metrics = new ArrayList<>();
        for (int i = 0; i < REST; i++) {
            MetricGroup op =
                    group(
                            "taskmanager.job.task.operator",
                            TestGroups.operatorVariables("big-job", "op-" + i, i));
            metrics.add(register(reporter, "numSplitsProcessed", op));
        }
        for (int i = 0; i < DASHBOARD; i++) {
            MetricGroup task =
                    group(
                            "taskmanager.job.task",
                            TestGroups.operatorVariables("big-job", "op-" + i, i));
            metrics.add(register(reporter, "numRecordsIn", task));
        }
        MetricGroup jm = group("jobmanager", TestGroups.jobManagerVariables());
        MetricGroup tm = group("taskmanager", TestGroups.taskManagerVariables());
        for (int i = 0; i < PROCESS / 2; i++) {
            metrics.add(register(reporter, "jmCounter" + i, jm));
            metrics.add(register(reporter, "tmCounter" + i, tm));
        }
        return metrics;
    }

    private static Object[] register(
            SkyWalkingMetricReporter reporter, String name, MetricGroup group) {
        SimpleCounter counter = new SimpleCounter();
        counter.inc(1);
        reporter.notifyOfAddedMetric(counter, name, group);
        return new Object[] {counter, name, group};
    }

    @Test
    void exactlyTheCapIsSentAndTheKeptSetIsStableAndOrdered() throws Exception {
        OtlpTestServer server = harness.receiver();
        SkyWalkingMetricReporter reporter = harness.reporter();
        registerJob(reporter);

        Set<String> first = null;
        for (int cycle = 0; cycle < 3; cycle++) {
            server.clear();
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            List<OtlpTestServer.Sample> samples = server.samples();
            assertThat(samples).hasSize(CAP);
            Set<String> sent =
                    samples.stream()
                            .map(s -> s.name + s.labels.get("operator_name"))
                            .collect(Collectors.toCollection(TreeSet::new));
            if (first == null) {
                first = sent;
            }
            assertThat(sent).as("the same series in every report").isEqualTo(first);

            long process =
                    samples.stream()
                            .filter(
                                    s ->
                                            s.name.matches(
                                                    "flink_(job|task)manager_(jm|tm)Counter\\d"))
                            .count();
            long dashboard =
                    samples.stream()
                            .filter(s -> s.name.equals("flink_taskmanager_job_task_numRecordsIn"))
                            .count();
            List<String> rest =
                    samples.stream()
                            .filter(s -> s.name.endsWith("_numSplitsProcessed"))
                            .map(s -> s.labels.get("operator_name"))
                            .collect(Collectors.toList());
            assertThat(process).isEqualTo(PROCESS);
            assertThat(dashboard).isEqualTo(DASHBOARD);
            // The rest fills what is left, first registered first.
            int restKept = CAP - OWN - PROCESS - DASHBOARD;
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < restKept; i++) {
                expected.add("op_" + i);
            }
            Collections.sort(expected);
            Collections.sort(rest);
            assertThat(rest).isEqualTo(expected);
            assertThat(only(samples, "flink_reporter_skywalking_seriesLeftOut"))
                    .isEqualTo(PROCESS + DASHBOARD + REST + OWN - CAP);
        }
        assertThat(harness.log().at(Level.WARN))
                .singleElement()
                .asString()
                .contains("metrics.reporter.<name>.max-series")
                .contains(String.valueOf(CAP))
                .startsWith((PROCESS + DASHBOARD + REST + OWN - CAP) + " series are left out");
    }

    @Test
    void removingSeriesFreesRoomAndForgetsWhatWasLeftOut() throws Exception {
        SkyWalkingMetricReporter reporter = harness.reporter();
        List<Object[]> metrics = registerJob(reporter);
        SelfMetrics self = reporter.selfMetrics();
        long leftOut = PROCESS + DASHBOARD + REST + OWN - CAP;
        assertThat(self.seriesLeftOut.get()).isEqualTo(leftOut);
        assertThat(self.seriesRegistered.get()).isEqualTo(CAP);

        // The job goes away: every one of its metrics is removed, kept or not.
        for (Object[] m : metrics.subList(0, REST + DASHBOARD)) {
            reporter.notifyOfRemovedMetric((SimpleCounter) m[0], (String) m[1], (MetricGroup) m[2]);
        }
        assertThat(self.seriesLeftOut.get()).isZero();
        assertThat(self.seriesRegistered.get()).isEqualTo(OWN + PROCESS);

        // A new job fits again.
        MetricGroup task =
                group("taskmanager.job.task", TestGroups.operatorVariables("next-job", "op", 0));
        reporter.notifyOfAddedMetric(new SimpleCounter(), "numRecordsIn", task);
        assertThat(self.seriesRegistered.get()).isEqualTo(OWN + PROCESS + 1);
    }

    @Test
    void memoryStaysBoundedHoweverManySeriesAreRegistered() {
        SeriesTranslator translator =
                new SeriesTranslator(TestGroups.metricsSettings("preset", "all"));
        SeriesRegistry registry = new SeriesRegistry("c", Collections.emptyList(), CAP);
        for (int i = 0; i < 200_000; i++) {
            MetricGroup g =
                    group(
                            "taskmanager.job.task.operator",
                            TestGroups.operatorVariables("job", "op-" + i, i));
            SeriesRegistry.Added added =
                    registry.add(
                            translator.translate("numSplitsProcessed", g), new SimpleCounter(), 0);
            assertThat(added)
                    .isEqualTo(
                            i < CAP ? SeriesRegistry.Added.ADDED : SeriesRegistry.Added.LEFT_OUT);
        }
        assertThat(registry.size()).isEqualTo(CAP);
        assertThat(registry.labelSetCount()).isEqualTo(CAP);
        assertThat(registry.leftOut()).isEqualTo(200_000 - CAP);
    }

    private static double only(List<OtlpTestServer.Sample> samples, String name) {
        List<OtlpTestServer.Sample> matching =
                samples.stream().filter(s -> s.name.equals(name)).collect(Collectors.toList());
        assertThat(matching).as(name).hasSize(1);
        return matching.get(0).value;
    }
}
