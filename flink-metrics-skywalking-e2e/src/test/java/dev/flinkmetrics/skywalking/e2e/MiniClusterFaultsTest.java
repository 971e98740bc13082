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
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What Flink does with the reporter when its configuration is bad or the OAP is unreachable. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MiniClusterFaultsTest {

    @Test
    void aBadOptionStopsOnlyThisReporterAndFlinkSaysWhich() throws Exception {
        try (OtlpTestServer server = new OtlpTestServer();
                Capture log = Capture.root()) {
            Configuration conf = ContractCluster.loopbackConfiguration();
            reporter(conf, "good", server.endpoint());
            reporter(conf, "bad", server.endpoint());
            conf.setString("metrics.reporter.bad.protocol", "carrier-pigeon");

            MiniCluster cluster = start(conf);
            try {
                // Flink runs on, and the good reporter reports.
                assertThat(server.awaitRequest(r -> true, 30_000)).isTrue();
                assertThat(cluster.isRunning()).isTrue();
            } finally {
                cluster.close();
            }
            List<String> errors =
                    log.lines.stream()
                            .filter(e -> e.getLevel() == Level.ERROR)
                            .map(MiniClusterFaultsTest::text)
                            .collect(Collectors.toList());
            // Flink's line names the reporter; ours names the key and the value.
            assertThat(errors)
                    .anyMatch(
                            m ->
                                    // 1.x: "metrics reporter bad", 2.x: "MetricReporter bad".
                                    m.matches(
                                                    "(?s)Could not instantiate (metrics reporter|MetricReporter) bad\\..*")
                                            && m.contains(
                                                    "Invalid value 'carrier-pigeon' for"
                                                            + " metrics.reporter.<name>.protocol")
                                            && m.contains("expected one of grpc, http/protobuf"));
            assertThat(errors).noneMatch(m -> m.contains(" good."));
        }
    }

    @Test
    void anOapNodeWithNothingListeningCostsNoReport() throws Exception {
        // Three addresses with nothing listening, then the receiver: whichever the process starts
        // on, every report reaches the receiver, and none is counted as failed.
        StringBuilder endpoints = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                endpoints.append("http://127.0.0.1:").append(socket.getLocalPort()).append(',');
            }
        }
        try (OtlpTestServer server = new OtlpTestServer();
                Capture log = Capture.root()) {
            Configuration conf = ContractCluster.loopbackConfiguration();
            reporter(conf, "sw", endpoints + server.endpoint());
            MiniCluster cluster = start(conf);
            try {
                for (int reports = 1; reports <= 3; reports++) {
                    assertThat(server.awaitCalls(reports, 30_000)).isTrue();
                }
            } finally {
                cluster.close();
            }
            assertThat(server.samples())
                    .filteredOn(x -> x.name.equals("flink_reporter_skywalking_exportFailures"))
                    .isNotEmpty()
                    .allMatch(x -> x.value == 0);
            List<String> warnings =
                    log.lines.stream()
                            .filter(e -> e.getLevel() == Level.WARN)
                            .map(MiniClusterFaultsTest::text)
                            .filter(m -> m.contains("OAP node"))
                            .collect(Collectors.toList());
            // At most one WARN per dead node and sender, each naming what was sent and the node
            // taken instead: the metrics, and the events the JobManager derives from them.
            assertThat(warnings)
                    .filteredOn(m -> m.contains("for OTLP metrics"))
                    .hasSizeLessThanOrEqualTo(3);
            assertThat(warnings.size()).isLessThanOrEqualTo(6);
            assertThat(warnings).allMatch(m -> m.contains("failed for") && m.contains("instead"));
        }
    }

    @Test
    void shutdownWithTheOapUnreachableIsBoundedAndLeavesNoReporterThread() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        // Reporters Flink never closes, of earlier tests in this JVM, may hold shared channels.
        assertThat(awaitNoExportThread(15_000)).isTrue();
        Set<String> before = pluginThreads();
        Configuration conf = ContractCluster.loopbackConfiguration();
        reporter(conf, "sw", "http://127.0.0.1:" + closedPort);
        // Were close to wait for the export's retries, it would wait this long.
        conf.setString("metrics.reporter.sw.timeout", "10 min");
        MiniCluster cluster = start(conf);
        try {
            // An export under way: it retries, nothing listening, for up to the 10 min.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!pluginThreads().contains("flink-metrics-skywalking-exporter")
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(pluginThreads()).contains("flink-metrics-skywalking-exporter");
        } finally {
            // The export in flight stops retrying on close, and the final one tries once.
            assertTimeoutPreemptively(Duration.ofMinutes(2), cluster::close);
        }
        assertThat(awaitNoExportThread(15_000)).as("export threads").isTrue();
        assertThat(pluginThreads()).as("reporter threads after shutdown").isEqualTo(before);
    }

    @Test
    void aClosedMiniClusterLeavesNoThreadAndNoConnectionBehind() throws Exception {
        try (OtlpTestServer server = new OtlpTestServer()) {
            assertThat(awaitNoExportThread(15_000)).isTrue();
            Set<String> before = pluginThreads();
            Set<String> afterFirst = null;
            for (int run = 1; run <= 2; run++) {
                Configuration conf = ContractCluster.loopbackConfiguration();
                reporter(conf, "sw", server.endpoint());
                for (String kind : new String[] {"traces", "events"}) {
                    String prefix = kind + ".reporter.sw.";
                    conf.setString(
                            prefix + "factory.class",
                            kind.equals("traces")
                                    ? "dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory"
                                    : "dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory");
                    conf.setString(prefix + "endpoint", server.endpoint());
                    conf.setString(prefix + "cluster", "faults");
                }
                MiniCluster cluster = start(conf);
                try {
                    assertThat(server.awaitCalls(run * 2, 30_000)).isTrue();
                } finally {
                    cluster.close();
                }
                // Export threads end when closed, or idle for those Flink never closes.
                assertThat(awaitNoExportThread(15_000)).as("export threads").isTrue();
                Set<String> after = pluginThreads();
                System.out.printf(
                        "plugin threads before: %s, after MiniCluster %d closed: %s; connections"
                                + " made to the receiver: %d, open: %d%n",
                        before, run, after, server.connections(), server.openConnections());
                if (afterFirst == null) {
                    afterFirst = after;
                    assertThat(after).isEqualTo(before);
                } else {
                    assertThat(after).isEqualTo(afterFirst);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (server.openConnections() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(server.openConnections()).as("connections left open").isZero();
            }
        }
    }

    @Test
    void reportersFlinkNeverClosesKeepOneSharedConnectionAcrossMiniClusters() throws Exception {
        try (OtlpTestServer server = new OtlpTestServer()) {
            Set<String> afterFirst = null;
            for (int run = 1; run <= 2; run++) {
                Configuration conf = ContractCluster.loopbackConfiguration();
                reporter(conf, "sw", server.endpoint());
                String prefix = "traces.reporter.sw.";
                conf.setString(
                        prefix + "factory.class",
                        "dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory");
                conf.setString(prefix + "endpoint", server.endpoint());
                conf.setString(prefix + "cluster", "faults");
                int spansBefore = server.spans().size();
                TracesMiniClusterTest.runContinuousJob(
                        conf,
                        "lifecycle-job",
                        "checkpoint spans of run " + run,
                        () -> server.awaitSpans(s -> s.size() > spansBefore + 1, 90_000));
                assertThat(awaitNoExportThread(15_000)).as("export threads").isTrue();
                Set<String> after = pluginThreads();
                System.out.printf(
                        "with a trace reporter, after MiniCluster %d closed: plugin threads %s;"
                                + " connections made to the receiver: %d, open: %d%n",
                        run, after, server.connections(), server.openConnections());
                if (afterFirst == null) {
                    afterFirst = after;
                } else {
                    assertThat(after)
                            .as("threads left by the second cluster")
                            .isEqualTo(afterFirst);
                }
                // Metrics and spans of both clusters over one connection: the trace reporters,
                // which Flink never closes, keep it for the process until the JVM ends.
                assertThat(server.connections()).as("connections made").isEqualTo(1);
            }
        }
    }

    /** Names of the plugin's live threads, numbers of pools cut off. */
    private static Set<String> pluginThreads() {
        Set<String> names = new java.util.TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("flink-metrics-skywalking")) {
                names.add(t.getName().replaceAll("-\\d+(-\\d+)*$", ""));
            }
        }
        return names;
    }

    private static boolean awaitNoExportThread(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            if (pluginThreads().stream().noneMatch(n -> n.endsWith("exporter"))) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static void reporter(Configuration conf, String name, String endpoint) {
        String prefix = "metrics.reporter." + name + ".";
        conf.setString(prefix + "factory.class", ContractCluster.FACTORY);
        conf.setString(prefix + "endpoint", endpoint);
        conf.setString(prefix + "cluster", "faults");
        conf.setString(prefix + "interval", "1 s");
    }

    private static MiniCluster start(Configuration conf) throws Exception {
        return ContractCluster.startMiniCluster(conf, 1, 1);
    }

    private static String text(LogEvent e) {
        StringBuilder sb = new StringBuilder(e.getMessage().getFormattedMessage());
        for (Throwable t = e.getThrown(); t != null; t = t.getCause()) {
            sb.append(" | ").append(t);
        }
        return sb.toString();
    }

    /** Records every event that reaches the root logger. */
    private static final class Capture extends AbstractAppender implements AutoCloseable {
        final List<LogEvent> lines = new CopyOnWriteArrayList<>();

        private Capture() {
            super("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
        }

        static Capture root() {
            Capture capture = new Capture();
            capture.start();
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            LoggerConfig root = context.getConfiguration().getRootLogger();
            root.addAppender(capture, Level.ALL, null);
            context.updateLoggers();
            return capture;
        }

        @Override
        public void append(LogEvent event) {
            lines.add(event.toImmutable());
        }

        @Override
        public void close() {
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            context.getConfiguration().getRootLogger().removeAppender(getName());
            context.updateLoggers();
            stop();
        }
    }
}
