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

import dev.flinkmetrics.skywalking.config.MetricsSettings;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.util.TestHistogram;
import org.junit.jupiter.api.Test;

/** Encodes real Flink metrics and decodes the bytes with the official OTLP protobuf classes. */
class OtlpMetricsEncoderTest {

    private static final long NOW = 1_700_000_000_123_000_000L;
    private static final long START = 1_700_000_000_000_000_000L;

    private final MetricsSettings config = metricsSettings("preset", "all", "cluster", "prod-eu");
    private final SeriesTranslator translator = new SeriesTranslator(config);
    private final SeriesRegistry registry =
            new SeriesRegistry("prod-eu", Collections.emptyList(), Integer.MAX_VALUE);

    private void add(String name, org.apache.flink.metrics.Metric metric, MetricGroup group) {
        assertThat(registry.add(translator.translate(name, group), metric, START))
                .isEqualTo(SeriesRegistry.Added.ADDED);
    }

    private List<ExportMetricsServiceRequest> encode(int maxBytes) throws Exception {
        Series[] snapshot = registry.snapshot(new Series[0]);
        SeriesRegistry.read(snapshot, registry.size(), new SeriesRegistry.ReadProblems(), 0);
        for (int i = 0; i < registry.size(); i++) {
            if (snapshot[i].family.kind == Series.Kind.SUMMARY) {
                assertThat(snapshot[i].updateQuantiles()).isNull();
            }
        }
        List<ExportMetricsServiceRequest> requests = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        new OtlpMetricsEncoder(maxBytes, "flink-metrics-skywalking", "test")
                .encode(
                        snapshot,
                        registry.size(),
                        NOW,
                        (bytes, length, points) -> {
                            sizes.add(length);
                            try {
                                requests.add(
                                        ExportMetricsServiceRequest.parseFrom(
                                                java.util.Arrays.copyOf(bytes, length)));
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                            return true;
                        },
                        (series, bytes) -> {
                            throw new AssertionError("oversize " + series);
                        });
        for (int i = 0; i < requests.size(); i++) {
            assertThat(requests.get(i).getSerializedSize())
                    .isEqualTo(sizes.get(i))
                    .isLessThanOrEqualTo(maxBytes);
        }
        return requests;
    }

    @Test
    void everyFlinkMetricTypeDecodesWithTheOfficialClasses() throws Exception {
        MetricGroup operator =
                group(
                        "taskmanager.job.task.operator",
                        TestGroups.operatorVariables("orders", "Map", 0));
        SimpleCounter counter = new SimpleCounter();
        counter.inc(42);
        add("numRecordsIn", counter, operator);
        add("currentLong", (Gauge<Long>) () -> Long.MAX_VALUE, operator);
        add("ratio", (Gauge<Double>) () -> 0.25, operator);
        add("isBackPressured", (Gauge<Boolean>) () -> true, operator);
        add("nan", (Gauge<Double>) () -> Double.NaN, operator);
        add("text", (Gauge<String>) () -> "hello", operator);
        MeterView meter = new MeterView(counter, 60);
        add("numRecordsInPerSecond", meter, operator);
        TestHistogram histogram = new TestHistogram();
        add("latency", histogram, operator);
        add(
                "numRunningJobs",
                (Gauge<Integer>) () -> 3,
                group("jobmanager", TestGroups.jobManagerVariables()));

        List<ExportMetricsServiceRequest> requests = encode(4 * 1024 * 1024);
        assertThat(requests).hasSize(1);
        ExportMetricsServiceRequest request = requests.get(0);
        assertThat(request.getResourceMetricsCount()).isEqualTo(2);

        Map<String, Metric> metrics = new HashMap<>();
        Map<String, Map<String, String>> resources = new HashMap<>();
        for (ResourceMetrics rm : request.getResourceMetricsList()) {
            Map<String, String> attributes = attributes(rm.getResource().getAttributesList());
            assertThat(rm.getScopeMetricsList()).hasSize(1);
            assertThat(rm.getScopeMetrics(0).getScope().getName())
                    .isEqualTo("flink-metrics-skywalking");
            for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
                metrics.put(m.getName(), m);
                resources.put(m.getName(), attributes);
            }
        }

        String prefix = "flink_taskmanager_job_task_operator_";
        assertThat(resources.get(prefix + "numRecordsIn"))
                .containsExactlyInAnyOrderEntriesOf(
                        map(
                                "service.name", "flink-taskManager-monitoring",
                                "cluster", "prod-eu",
                                "taskManager_node", "127_0_0_1:40001_a1b2c3",
                                "tm_id", "127_0_0_1:40001_a1b2c3",
                                "host", "worker_1_example_com"));
        assertThat(resources.get("flink_jobmanager_numRunningJobs"))
                .containsExactlyInAnyOrderEntriesOf(
                        map(
                                "service.name", "flink-jobManager-monitoring",
                                "cluster", "prod-eu",
                                "jobManager_node", "jobmanager_0",
                                "host", "jobmanager_0"));

        Metric sum = metrics.get(prefix + "numRecordsIn");
        assertThat(sum.hasSum()).isTrue();
        assertThat(sum.getSum().getAggregationTemporality())
                .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        assertThat(sum.getSum().getIsMonotonic()).isFalse();
        NumberDataPoint counterPoint = sum.getSum().getDataPoints(0);
        assertThat(counterPoint.getAsInt()).isEqualTo(42);
        assertThat(counterPoint.getTimeUnixNano()).isEqualTo(NOW);
        assertThat(counterPoint.getStartTimeUnixNano()).isEqualTo(START);
        assertThat(attributes(counterPoint.getAttributesList()))
                .containsEntry("flink_job_name", "orders")
                .containsEntry("operator_name", "Map")
                .doesNotContainKey("job_name")
                .doesNotContainKey("task_attempt_id")
                .doesNotContainKeys("host", "tm_id");

        assertThat(gauge(metrics, prefix + "currentLong").getAsInt()).isEqualTo(Long.MAX_VALUE);
        assertThat(gauge(metrics, prefix + "ratio").getAsDouble()).isEqualTo(0.25);
        assertThat(gauge(metrics, prefix + "isBackPressured").getAsInt()).isEqualTo(1);
        assertThat(gauge(metrics, prefix + "numRecordsInPerSecond").getValueCase())
                .isEqualTo(NumberDataPoint.ValueCase.AS_DOUBLE);
        assertThat(gauge(metrics, "flink_jobmanager_numRunningJobs").getAsInt()).isEqualTo(3);
        // NaN and non-numeric values are not sent at all.
        assertThat(metrics).doesNotContainKeys(prefix + "nan", prefix + "text");

        SummaryDataPoint summary = metrics.get(prefix + "latency").getSummary().getDataPoints(0);
        assertThat(summary.getCount()).isEqualTo(histogram.getCount());
        assertThat(summary.getSum()).isZero();
        assertThat(summary.getQuantileValuesList())
                .extracting(SummaryDataPoint.ValueAtQuantile::getQuantile)
                .containsExactly(0.5, 0.75, 0.95, 0.98, 0.99, 0.999);
        assertThat(summary.getQuantileValues(0).getValue())
                .isEqualTo(histogram.getStatistics().getQuantile(0.5));
    }

    @Test
    void largeReportsAreSplitBetweenFamiliesAndLoseNothing() throws Exception {
        int subtasks = 300;
        String[] names = {"numRecordsIn", "numRecordsOut", "numBytesIn", "numBytesOut"};
        for (int s = 0; s < subtasks; s++) {
            MetricGroup g =
                    group(
                            "taskmanager.job.task.operator",
                            TestGroups.operatorVariables(
                                    "job", "operator-with-a-long-name-" + s, s));
            for (String name : names) {
                SimpleCounter c = new SimpleCounter();
                c.inc(s);
                add(name, c, g);
            }
        }
        List<ExportMetricsServiceRequest> one = encode(64 * 1024 * 1024);
        assertThat(one).hasSize(1);
        int total = one.get(0).getSerializedSize();

        for (int max : new int[] {64 * 1024, 256 * 1024}) {
            List<ExportMetricsServiceRequest> chunks = encode(max);
            assertThat(chunks.size()).isGreaterThanOrEqualTo(total / max);

            Set<String> seen = new HashSet<>();
            Map<String, Integer> requestsPerFamily = new HashMap<>();
            for (ExportMetricsServiceRequest chunk : chunks) {
                Set<String> familiesHere = new HashSet<>();
                for (ResourceMetrics rm : chunk.getResourceMetricsList()) {
                    for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
                        familiesHere.add(m.getName());
                        for (NumberDataPoint p : m.getSum().getDataPointsList()) {
                            assertThat(seen.add(m.getName() + attributes(p.getAttributesList())))
                                    .isTrue();
                        }
                    }
                }
                for (String f : familiesHere) {
                    requestsPerFamily.merge(f, 1, Integer::sum);
                }
            }
            assertThat(seen).hasSize(subtasks * names.length);
            if (max > total / names.length * 3 / 2) {
                // A family fits in one request, so none is split across requests.
                assertThat(requestsPerFamily.values()).allMatch(n -> n == 1);
            } else {
                assertThat(requestsPerFamily.values()).anyMatch(n -> n > 1);
            }
        }
    }

    private static NumberDataPoint gauge(Map<String, Metric> metrics, String name) {
        Metric m = metrics.get(name);
        assertThat(m).as(name).isNotNull();
        assertThat(m.hasGauge()).as(name + " is a gauge").isTrue();
        return m.getGauge().getDataPoints(0);
    }

    static Map<String, String> attributes(List<KeyValue> kvs) {
        Map<String, String> map = new HashMap<>();
        for (KeyValue kv : kvs) {
            map.put(kv.getKey(), kv.getValue().getStringValue());
        }
        return map;
    }

    private static Map<String, String> map(String... kv) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            map.put(kv[i], kv[i + 1]);
        }
        return map;
    }
}
