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
import static org.assertj.core.api.Assertions.fail;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Received;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer.Sample;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks of what reached the OTLP receiver against the SkyWalking contract, shared by the
 * MiniCluster test and the test on real Flink processes.
 */
final class ContractAssertions {

    private ContractAssertions() {}

    /** Preset 'skywalking' sends the contract's names and the reporter's own, nothing else. */
    static void checkOnlyContractOrOwnNames(Set<String> names) {
        assertThat(names)
                .allSatisfy(
                        n ->
                                assertThat(
                                                ContractNames.all().contains(n)
                                                        || n.startsWith(
                                                                ContractNames.REPORTER_OWN_PREFIX))
                                        .as("%s is a contract name or the reporter's own", n)
                                        .isTrue());
    }

    /** Names the JobManager process sends: its JVM, the cluster level and the job level. */
    static Set<String> jobManagerNames() {
        Set<String> names = new HashSet<>(ContractNames.jobManagerJvm());
        names.addAll(ContractNames.JOB_MANAGER);
        names.addAll(ContractNames.JOB);
        return names;
    }

    /** Names a TaskManager process sends: its JVM, the TaskManager, task and operator levels. */
    static Set<String> taskManagerNames() {
        Set<String> names = new HashSet<>(ContractNames.taskManagerJvm());
        names.addAll(ContractNames.TASK_MANAGER);
        names.addAll(ContractNames.TASK);
        names.addAll(ContractNames.OPERATOR);
        return names;
    }

    /** Job, task and operator samples name the job, and tasks and operators themselves. */
    static void checkJobLabels(Sample s, String jobLabel) {
        if (ContractNames.JOB.contains(s.name)) {
            assertThat(s.labels).as("job sample %s", s).containsEntry("flink_job_name", jobLabel);
        }
        if (ContractNames.TASK.contains(s.name)) {
            assertThat(s.labels).as("task sample %s", s).containsEntry("flink_job_name", jobLabel);
            assertThat(s.labels.get("task_name")).as("task_name of %s", s).isNotEmpty();
        }
        if (ContractNames.OPERATOR.contains(s.name)) {
            assertThat(s.labels)
                    .as("operator sample %s", s)
                    .containsEntry("flink_job_name", jobLabel);
            assertThat(s.labels.get("operator_name")).as("operator_name of %s", s).isNotEmpty();
        }
    }

    /** Flink's {@code <job_name>} must never arrive as a point attribute {@code job_name}. */
    static void checkNoPointJobName(List<Received> received) {
        int points = 0;
        for (Received r : received) {
            for (ResourceMetrics rm : r.request.getResourceMetricsList()) {
                for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                    for (Metric m : sm.getMetricsList()) {
                        for (List<KeyValue> attributes : pointAttributes(m)) {
                            points++;
                            for (KeyValue kv : attributes) {
                                assertThat(kv.getKey())
                                        .as("point attribute of %s", m.getName())
                                        .isNotEqualTo("job_name");
                            }
                        }
                    }
                }
            }
        }
        assertThat(points).as("points checked").isPositive();
    }

    private static List<List<KeyValue>> pointAttributes(Metric m) {
        List<List<KeyValue>> all = new ArrayList<>();
        if (m.hasGauge()) {
            for (NumberDataPoint p : m.getGauge().getDataPointsList()) {
                all.add(p.getAttributesList());
            }
        }
        if (m.hasSum()) {
            for (NumberDataPoint p : m.getSum().getDataPointsList()) {
                all.add(p.getAttributesList());
            }
        }
        if (m.hasSummary()) {
            for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
                all.add(p.getAttributesList());
            }
        }
        if (m.hasHistogram()) {
            for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
                all.add(p.getAttributesList());
            }
        }
        if (m.hasExponentialHistogram()) {
            for (ExponentialHistogramDataPoint p :
                    m.getExponentialHistogram().getDataPointsList()) {
                all.add(p.getAttributesList());
            }
        }
        return all;
    }

    static void checkValuesFinite(List<Sample> samples) {
        assertThat(samples)
                .allSatisfy(
                        s -> assertThat(Double.isFinite(s.value)).as("%s is finite", s).isTrue());
    }

    /** OAP keeps one window per name and label set: two such points in a request collide. */
    static void checkUniqueWithinRequest(List<Received> received) {
        for (Received r : received) {
            Set<String> seen = new HashSet<>();
            for (Sample s : OtlpTestServer.toSamples(r.request)) {
                String key = s.name + new TreeMap<>(s.labels);
                assertThat(seen.add(key)).as("only once in its request: %s", key).isTrue();
            }
        }
    }

    /** Task numRecordsOut is a counter: no series goes down, and the records flow. */
    static void checkRecordsOutGrows(List<Received> received) {
        Map<String, List<Double>> bySeries = new LinkedHashMap<>();
        for (Received r : received) {
            for (Sample s : OtlpTestServer.toSamples(r.request)) {
                if (s.name.equals("flink_taskmanager_job_task_numRecordsOut")) {
                    bySeries.computeIfAbsent(
                                    String.valueOf(new TreeMap<>(s.labels)), k -> new ArrayList<>())
                            .add(s.value);
                }
            }
        }
        assertThat(bySeries).as("numRecordsOut series").isNotEmpty();
        boolean grew = false;
        for (Map.Entry<String, List<Double>> series : bySeries.entrySet()) {
            List<Double> values = series.getValue();
            for (int i = 1; i < values.size(); i++) {
                assertThat(values.get(i))
                        .as("numRecordsOut of %s never decreases: %s", series.getKey(), values)
                        .isGreaterThanOrEqualTo(values.get(i - 1));
            }
            if (values.size() > 1 && values.get(values.size() - 1) > values.get(0)) {
                grew = true;
            }
        }
        assertThat(grew).as("some numRecordsOut grows over time: %s", bySeries).isTrue();
    }

    /** After the job ended, none of its series may arrive any more. */
    static void checkNoSeriesOfJob(List<Sample> after) {
        List<Sample> ofJob =
                after.stream()
                        .filter(s -> s.labels.containsKey("flink_job_name"))
                        .collect(Collectors.toList());
        if (!ofJob.isEmpty()) {
            fail(
                    "series of the cancelled job still arrive, e.g. %s",
                    ofJob.subList(0, Math.min(5, ofJob.size())));
        }
    }

    static void checkNoRunningJobs(List<Sample> after) {
        assertThat(
                        after.stream()
                                .filter(s -> s.name.equals("flink_jobmanager_numRunningJobs"))
                                .map(s -> s.value)
                                .collect(Collectors.toSet()))
                .as("numRunningJobs after cancelling")
                .containsExactly(0.0);
    }

    static Set<String> names(List<Sample> samples) {
        Set<String> names = new TreeSet<>();
        for (Sample s : samples) {
            names.add(s.name);
        }
        return names;
    }

    static Set<String> labelValues(List<Sample> samples, String label) {
        Set<String> values = new TreeSet<>();
        for (Sample s : samples) {
            String v = s.labels.get(label);
            if (v != null) {
                values.add(v);
            }
        }
        return Collections.unmodifiableSet(values);
    }
}
