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
package dev.flinkmetrics.skywalking;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.ExportLifecycle;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.events.EventBuilder;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Closing each reporter, with work still to send, does not wait for the OAP, whatever it does:
 * stalls every call for a minute, is a dead node that takes the TCP connection and never speaks, or
 * answers slowly. The metric reporter has an export under way and a derived event queued: both end
 * by the one deadline. Nothing of the plugin is left running after.
 *
 * <p>The bound asserted is far from the timeout, so that a busy machine cannot fail it, and far
 * below the stall: a close that waited for the OAP would take a minute, or forever. How close to
 * the timeout close keeps (the timeout plus {@link ExportLifecycle#GRACE_MILLIS}) is a measurement,
 * printed here, not an assertion.
 */
class CloseDeadlineTest {

    private static final long TIMEOUT_MILLIS = 2000;

    /** Ten times the timeout; a third of the stall. */
    private static final long BOUND_MILLIS = 20_000;

    private static final long STALL_MILLIS = TimeUnit.MINUTES.toMillis(1);

    private final PluginProcess process = new PluginProcess();
    private OtlpTestServer server;
    private ServerSocket deadNode;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        server = new OtlpTestServer();
        deadNode = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor =
                new Thread(
                        () -> {
                            try {
                                while (true) {
                                    held.add(deadNode.accept()); // never reads, never answers
                                }
                            } catch (Exception e) {
                                // closed
                            }
                        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        deadNode.close();
        for (Socket s : held) {
            s.close();
        }
        server.close();
    }

    private String endpoint(String oap) {
        switch (oap) {
            case "stalled":
                server.delay(STALL_MILLIS);
                server.events().delay(STALL_MILLIS);
                return server.endpoint();
            case "dead":
                return "http://127.0.0.1:" + deadNode.getLocalPort();
            default: // slow: each request answered after most of the timeout
                server.delay(TIMEOUT_MILLIS * 8 / 10);
                server.events().delay(TIMEOUT_MILLIS * 8 / 10);
                return server.endpoint();
        }
    }

    private Properties options(String oap, String... more) {
        Properties p =
                TestGroups.properties(
                        "endpoint",
                        endpoint(oap),
                        "cluster",
                        "close",
                        "timeout",
                        TIMEOUT_MILLIS + " ms");
        p.putAll(TestGroups.properties(more));
        return p;
    }

    @ParameterizedTest(name = "{0} reporter, {1} OAP")
    @CsvSource({
        "metrics,stalled", "metrics,dead", "metrics,slow",
        "traces,stalled", "traces,dead", "traces,slow",
        "events,stalled", "events,dead", "events,slow"
    })
    void closeDoesNotWaitForTheOap(String reporter, String oap) throws Exception {
        AutoCloseable closing;
        switch (reporter) {
            case "metrics":
                MetricReporter metrics =
                        new SkyWalkingReporterFactory(process)
                                .createMetricReporter(
                                        options(oap, "derive-events", "true", "preset", "all"));
                metrics.open(new MetricConfig());
                for (int i = 0; i < 100; i++) {
                    metrics.notifyOfAddedMetric(
                            new SimpleCounter(),
                            "numRecordsIn" + i,
                            TestGroups.group(
                                    "taskmanager.job.task",
                                    TestGroups.operatorVariables("job", "op", i)));
                }
                // A JobManager gauge: each report also derives an event, queued for the same OAP.
                long[] taskManagers = {0};
                metrics.notifyOfAddedMetric(
                        (org.apache.flink.metrics.Gauge<Long>) () -> ++taskManagers[0],
                        "numRegisteredTaskManagers",
                        TestGroups.group("jobmanager", TestGroups.jobManagerVariables()));
                org.apache.flink.metrics.reporter.Scheduled scheduled =
                        (org.apache.flink.metrics.reporter.Scheduled) metrics;
                scheduled.report(); // an export and an event under way
                scheduled.report(); // skipped, but one more event waits behind the first
                closing = metrics::close;
                break;
            case "traces":
                TraceReporter traces =
                        new SkyWalkingTraceReporterFactory(process)
                                .createTraceReporter(options(oap, "queue-size", "10000"));
                traces.open(new MetricConfig());
                for (int i = 0; i < 2000; i++) {
                    traces.notifyOfAddedSpan(
                            Span.builder(CloseDeadlineTest.class, "Checkpoint")
                                    .setStartTsMillis(1_700_000_000_000L + i)
                                    .setEndTsMillis(1_700_000_000_100L + i)
                                    .build());
                }
                closing = traces::close;
                break;
            default:
                EventReporter events =
                        new SkyWalkingEventReporterFactory(process)
                                .createEventReporter(options(oap, "queue-size", "10000"));
                events.open(new MetricConfig());
                for (int i = 0; i < 2000; i++) {
                    events.notifyOfAddedEvent(
                            new EventBuilder(CloseDeadlineTest.class, "JobFailureEvent")
                                    .setObservedTsMillis(1_700_000_000_000L + i)
                                    .setAttribute("<job_id>", "j" + i)
                                    .build());
                }
                closing = events::close;
        }

        long start = System.nanoTime();
        closing.close();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("close of the %s reporter, %s OAP: %d ms%n", reporter, oap, millis);
        assertThat(millis).isLessThan(BOUND_MILLIS);

        assertThat(ReporterHarness.awaitPluginThreadsGone(10_000)).isEmpty();
        assertThat(process.openChannels()).isZero();
    }
}
