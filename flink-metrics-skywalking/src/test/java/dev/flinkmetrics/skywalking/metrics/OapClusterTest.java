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
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three real receivers on 127.0.0.1 as the nodes of an OAP cluster. */
class OapClusterTest {

    @RegisterExtension
    final ReporterHarness harness = ReporterHarness.withoutReceiver("cluster", "spread");

    private final List<OtlpTestServer> nodes = new ArrayList<>();

    @BeforeEach
    void startNodes() throws Exception {
        for (int i = 0; i < 3; i++) {
            nodes.add(new OtlpTestServer());
        }
    }

    @AfterEach
    void stopNodes() throws Exception {
        harness.closeReporters();
        for (OtlpTestServer node : nodes) {
            node.close();
        }
    }

    private String endpointList() {
        return nodes.stream().map(OtlpTestServer::endpoint).collect(Collectors.joining(","));
    }

    private SkyWalkingMetricReporter reporter(String... keyValues) {
        SkyWalkingMetricReporter reporter = harness.reporter(keyValues);
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        return reporter;
    }

    private OtlpTestServer receiving() {
        List<OtlpTestServer> got =
                nodes.stream().filter(n -> !n.received().isEmpty()).collect(Collectors.toList());
        assertThat(got).hasSize(1);
        return got.get(0);
    }

    @Test
    void processesSpreadOverTheNodesAndEachStaysOnOne() throws Exception {
        List<SkyWalkingMetricReporter> reporters = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            reporters.add(reporter("endpoint", endpointList()));
        }
        for (int cycle = 0; cycle < 3; cycle++) {
            for (SkyWalkingMetricReporter r : reporters) {
                r.report();
            }
            for (SkyWalkingMetricReporter r : reporters) {
                assertThat(r.awaitExport(10_000)).isTrue();
            }
        }
        int total = nodes.stream().mapToInt(OtlpTestServer::calls).sum();
        assertThat(total).isEqualTo(12 * 3);
        // Random first choices: all twelve on one node has a chance of 3 in 3^12.
        assertThat(nodes.stream().filter(n -> n.calls() > 0).count()).isGreaterThanOrEqualTo(2);
        // Each process stays where it started: every node got whole multiples of 3 reports.
        assertThat(nodes).allSatisfy(n -> assertThat(n.calls() % 3).isZero());
        assertThat(harness.log().at(Level.WARN)).isEmpty();
    }

    @Test
    void aNodeDownCostsNoReportWhileAnotherIsUp() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", endpointList(), "timeout", "5 s");
        reporter.report();
        assertThat(reporter.awaitExport(30_000)).isTrue();
        OtlpTestServer first = receiving();

        first.stop();
        long start = System.nanoTime();
        reporter.report();
        assertThat(reporter.awaitExport(30_000)).isTrue();
        long failoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        OtlpTestServer second =
                nodes.stream()
                        .filter(n -> n != first && !n.received().isEmpty())
                        .findFirst()
                        .orElseThrow(AssertionError::new);
        assertThat(reporter.selfMetrics().exportFailures.get()).isZero();
        assertThat(harness.log().at(Level.WARN))
                .singleElement()
                .asString()
                .contains("OAP node 127.0.0.1:" + first.port() + " failed")
                .contains("sending to 127.0.0.1:" + second.port() + " instead");
        System.out.printf(
                "Failover to the next node after a refused connection: %d ms%n", failoverMillis);

        // The first node comes back; the other two go away: the report still arrives, on it.
        first.restart();
        for (OtlpTestServer n : nodes) {
            if (n != first) {
                n.stop();
            }
        }
        first.clear();
        reporter.report();
        assertThat(reporter.awaitExport(30_000)).isTrue();
        assertThat(first.received()).hasSize(1);
        assertThat(reporter.selfMetrics().exportFailures.get()).isZero();
        assertThat(harness.log().at(Level.INFO))
                .filteredOn(m -> m.contains("is used again"))
                .singleElement()
                .asString()
                .contains("127.0.0.1:" + first.port());
    }

    @Test
    void aStalledNodeIsLeftWithinTheSameExport() throws Exception {
        SkyWalkingMetricReporter reporter = reporter("endpoint", endpointList(), "timeout", "3 s");
        reporter.report();
        assertThat(reporter.awaitExport(30_000)).isTrue();
        OtlpTestServer first = receiving();

        first.delay(30_000); // accepts, never answers in time
        long start = System.nanoTime();
        reporter.report();
        assertThat(reporter.awaitExport(30_000)).isTrue();
        long failoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(reporter.selfMetrics().exportFailures.get()).isZero();
        assertThat(nodes.stream().filter(n -> n != first).mapToInt(n -> n.received().size()).sum())
                .isEqualTo(1);
        // The stalled node gets a third of the 3 s timeout before the next one is tried: the
        // deadline the call carried, as the node saw it.
        assertThat(first.callDeadlinesMillis())
                .last(org.assertj.core.api.InstanceOfAssertFactories.LONG)
                .isBetween(1L, 1000L);
        System.out.printf("Failover to the next node after a stalled one: %d ms%n", failoverMillis);
    }

    @Test
    void aSingleAddressBehavesAsBefore() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        SkyWalkingMetricReporter reporter =
                reporter("endpoint", "http://127.0.0.1:" + closed, "timeout", "1 s");
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(harness.log().at(Level.WARN))
                .singleElement()
                .asString()
                .startsWith("Export to http://127.0.0.1:" + closed + " failed")
                .doesNotContain("OAP node");
    }
}
