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
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.util.TestMetricGroup;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Metrics that misbehave: the rest is still sent, nothing invalid goes out, each is logged once.
 */
class BadMetricsTest {

    @RegisterExtension
    final ReporterHarness harness = ReporterHarness.withReceiver("cluster", "bad", "preset", "all");

    private OtlpTestServer server;
    private SkyWalkingMetricReporter reporter;
    private LogCapture log;

    @BeforeEach
    void setUp() {
        server = harness.receiver();
        log = harness.log();
        reporter = harness.reporter();
    }

    @Test
    void badValuesAreSkippedAndLoggedOncePerSeries() throws Exception {
        MetricGroup g = group("taskmanager.job.task", TestGroups.operatorVariables("job", "op", 0));
        SimpleCounter good = new SimpleCounter();
        good.inc(10);
        SimpleCounter goingDown = new SimpleCounter();
        goingDown.inc(5);
        reporter.notifyOfAddedMetric(good, "good", g);
        reporter.notifyOfAddedMetric(goingDown, "goingDown", g);
        reporter.notifyOfAddedMetric(
                (Gauge<Long>)
                        () -> {
                            throw new IllegalStateException("boom");
                        },
                "throws",
                g);
        reporter.notifyOfAddedMetric((Gauge<Long>) () -> null, "returnsNull", g);
        reporter.notifyOfAddedMetric((Gauge<Double>) () -> Double.NaN, "nan", g);
        reporter.notifyOfAddedMetric((Gauge<Double>) () -> Double.POSITIVE_INFINITY, "inf", g);
        reporter.notifyOfAddedMetric((Gauge<Float>) () -> Float.NEGATIVE_INFINITY, "negInf", g);
        reporter.notifyOfAddedMetric((Gauge<Long>) () -> Long.MIN_VALUE, "hugeLong", g);
        reporter.notifyOfAddedMetric(
                (Gauge<BigDecimal>) () -> new BigDecimal("1e400"), "hugeDecimal", g);
        reporter.notifyOfAddedMetric((Gauge<String>) () -> "RUNNING", "text", g);
        reporter.notifyOfAddedMetric((Gauge<Map<String, String>>) Collections::emptyMap, "map", g);

        for (int cycle = 0; cycle < 3; cycle++) {
            server.clear();
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            goingDown.dec(2);
            assertThat(server.received()).hasSize(1);
            Map<String, Double> values =
                    server.samples().stream()
                            .filter(s -> s.name.startsWith("flink_taskmanager"))
                            .collect(Collectors.toMap(s -> s.name, s -> s.value));
            String p = "flink_taskmanager_job_task_";
            assertThat(values)
                    .containsEntry(p + "good", 10.0)
                    .containsEntry(p + "goingDown", 5.0 - 2 * cycle)
                    .containsEntry(p + "hugeLong", (double) Long.MIN_VALUE)
                    .containsOnlyKeys(p + "good", p + "goingDown", p + "hugeLong");
            assertNothingInvalid(server.received().get(0).request);
        }

        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("flink_taskmanager_job_task_throws")
                .contains("boom");
        assertThat(log.at(Level.INFO))
                .filteredOn(m -> m.contains("not a number"))
                .hasSize(2)
                .anyMatch(m -> m.contains("_text") && m.contains("String"))
                .anyMatch(m -> m.contains("_map"));
        List<String> debug = log.at(Level.DEBUG);
        for (String name : new String[] {"returnsNull", "_nan", "_inf", "negInf", "hugeDecimal"}) {
            assertThat(debug)
                    .filteredOn(m -> m.contains("is skipped") && m.contains(name))
                    .hasSize(1);
        }
        assertThat(reporter.selfMetrics().pointsDropped.get()).isZero();
        // The throwing gauge, once per report.
        assertThat(reporter.selfMetrics().readFailures.get()).isEqualTo(3);
    }

    @Test
    void aHistogramWhoseStatisticsThrowIsSkippedCountedAndLoggedOnce() throws Exception {
        MetricGroup g = group("taskmanager.job.task", TestGroups.operatorVariables("job", "op", 0));
        SimpleCounter good = new SimpleCounter();
        good.inc(4);
        reporter.notifyOfAddedMetric(good, "good", g);
        BrokenHistogram broken = new BrokenHistogram();
        reporter.notifyOfAddedMetric(broken, "latency", g);

        for (int cycle = 0; cycle < 3; cycle++) {
            broken.count++; // a new value each cycle, so the statistics are asked for each time
            server.clear();
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            assertThat(server.samples())
                    .anyMatch(s -> s.name.equals("flink_taskmanager_job_task_good"))
                    .noneMatch(s -> s.name.startsWith("flink_taskmanager_job_task_latency"));
        }
        assertThat(reporter.selfMetrics().readFailures.get()).isEqualTo(3);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("flink_taskmanager_job_task_latency")
                .contains("statistics threw")
                .contains("window gone");
    }

    @Test
    void removingAMetricWhoseGroupFailsNeitherThrowsNorStaysSilent() {
        MetricGroup broken =
                TestMetricGroup.newBuilder()
                        .setLogicalScopeFunction(
                                (filter, delimiter) -> {
                                    throw new UnsupportedOperationException("group closed");
                                })
                        .build();
        SimpleCounter counter = new SimpleCounter();

        reporter.notifyOfAddedMetric(counter, "numRecordsIn", broken);
        reporter.notifyOfRemovedMetric(counter, "numRecordsIn", broken);
        reporter.notifyOfRemovedMetric(counter, "numRecordsIn", broken);

        assertThat(log.at(Level.WARN))
                .filteredOn(m -> m.contains("could not be removed"))
                .singleElement()
                .asString()
                .contains("numRecordsIn")
                .contains("group closed");
    }

    /** A histogram whose sample window fails, as a buggy custom histogram would. */
    private static final class BrokenHistogram implements Histogram {
        long count;

        @Override
        public void update(long value) {}

        @Override
        public long getCount() {
            return count;
        }

        @Override
        public HistogramStatistics getStatistics() {
            throw new IllegalStateException("window gone");
        }
    }

    @Test
    void awkwardNamesAndLabelValuesAreSentSanitized() throws Exception {
        StringBuilder tenKb = new StringBuilder();
        while (tenKb.length() < 10_000) {
            tenKb.append("very long \"operator\" name ");
        }
        Map<String, String> vars =
                TestGroups.operatorVariables("job with spaces\nand a newline", tenKb.toString(), 0);
        vars.put("<task_name>", "Source: Kafka → Filter 'ünïcödé' 日本");
        MetricGroup g = group("taskmanager.job.task.operator", vars);
        reporter.notifyOfAddedMetric(new SimpleCounter(), "records \"in\"\nper sec ü", g);

        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        ExportMetricsServiceRequest request = server.received().get(0).request;
        assertNothingInvalid(request);
        OtlpTestServer.Sample sample =
                server.samples().stream()
                        .filter(s -> s.name.startsWith("flink_taskmanager"))
                        .findFirst()
                        .orElseThrow(AssertionError::new);
        assertThat(sample.name)
                .isEqualTo("flink_taskmanager_job_task_operator_records__in__per_sec__");
        assertThat(sample.labels.get("flink_job_name")).isEqualTo("job_with_spaces_and_a_newline");
        assertThat(sample.labels.get("task_name")).isEqualTo("Source:_Kafka___Filter___n_c_d_____");
        assertThat(sample.labels.get("operator_name"))
                .hasSize(tenKb.length())
                .matches("[a-zA-Z0-9:_]+");
    }

    private static void assertNothingInvalid(ExportMetricsServiceRequest request) {
        for (ResourceMetrics rm : request.getResourceMetricsList()) {
            for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
                assertThat(m.getName()).matches("[a-zA-Z0-9:_]+");
                List<NumberDataPoint> points =
                        m.hasGauge()
                                ? m.getGauge().getDataPointsList()
                                : m.hasSum()
                                        ? m.getSum().getDataPointsList()
                                        : Collections.emptyList();
                for (NumberDataPoint p : points) {
                    if (p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE) {
                        assertThat(Double.isFinite(p.getAsDouble())).as(m.getName()).isTrue();
                    } else {
                        assertThat(p.getValueCase()).isEqualTo(NumberDataPoint.ValueCase.AS_INT);
                    }
                }
            }
        }
    }
}
