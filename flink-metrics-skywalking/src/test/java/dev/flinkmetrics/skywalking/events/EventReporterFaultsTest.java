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
package dev.flinkmetrics.skywalking.events;

import static dev.flinkmetrics.skywalking.events.SkyWalkingEventReporterTest.jobEvent;
import static dev.flinkmetrics.skywalking.testing.Conditions.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory;
import dev.flinkmetrics.skywalking.testing.EventTestServer;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EventReporterFaultsTest {

    private EventTestServer server;
    private LogCapture log;
    private EventReporter reporter;

    private PluginProcess process;

    @BeforeEach
    void setUp() throws Exception {
        process = new PluginProcess();
        log = LogCapture.capture();
        server = new EventTestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (reporter != null) {
                reporter.close();
                reporter.close(); // twice is allowed
            }
            server.close();
        } finally {
            log.close();
        }
    }

    private void createReporter(String... keyValues) {
        Properties options =
                TestGroups.properties("endpoint", server.endpoint(), "cluster", "faults");
        options.putAll(TestGroups.properties(keyValues));
        reporter = new SkyWalkingEventReporterFactory(process).createEventReporter(options);
        reporter.open(new MetricConfig());
    }

    private void send(int i) {
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 1000 + i)
                        .setAttribute("newJobStatus", i % 2 == 0 ? "RUNNING" : "CREATED")
                        .build());
    }

    @Test
    void receiverDownIsOneWarningAndEventsFlowWhenItIsBack() throws Exception {
        server.stop();
        // Long enough for the first connection attempt on a busy machine: a timeout spent
        // connecting is another failure, with another WARN.
        createReporter("timeout", "3 s");
        // Three failed export cycles, one after the other, each retried for the timeout.
        for (int i = 0; i < 3; i++) {
            send(i);
            long failures = i + 1;
            assertThat(awaitUntil(() -> process.events.dropped.get() == failures)).isTrue();
        }
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("UNAVAILABLE")
                .contains("Nothing listens at " + server.endpoint().substring("http://".length()))
                .contains("Events are dropped")
                .contains("eventsDropped");
        server.restart();
        send(100);
        assertThat(server.awaitEvents(e -> !e.isEmpty(), 10_000)).isTrue();
        // Logged when the cycle after the outage ends, so every failed cycle ended before it.
        assertThat(log.await(Level.INFO, "works again")).isTrue();
        assertThat(log.at(Level.WARN)).hasSize(1);
    }

    @Test
    void aStalledReceiverBoundsTheQueueAndFlinksThreadNeverWaits() throws Exception {
        server.delay(TimeUnit.MINUTES.toMillis(1));
        createReporter("timeout", "5 s", "queue-size", "16");
        send(0);
        assertThat(server.awaitCalls(1, 10_000)).isTrue(); // the first export is stalled
        for (int i = 1; i < 2000; i++) {
            send(i);
        }
        // Every call returned while that export was still waiting for its answer: none waited
        // for it, or for room in the queue.
        assertThat(process.events.failedRequests.get()).isZero();
        assertThat(process.events.exported.get()).isZero();
        assertThat(process.events.dropped.get()).isGreaterThanOrEqualTo(2000 - 1 - 16);
        assertThat(log.at(Level.WARN))
                .filteredOn(m -> m.contains("queue of events"))
                .singleElement()
                .asString()
                .contains("(16 held)");
    }

    @Test
    void aRefusedLayerIsOneWarningNamingTheLayerOption() throws Exception {
        server.acceptLayers("GENERAL");
        createReporter();
        for (int i = 0; i < 4; i++) {
            send(i);
        }
        // Refused requests are not tried again: once all four are counted, none is in flight.
        assertThat(awaitUntil(() -> process.events.dropped.get() == 4)).isTrue();
        assertThat(awaitUntil(() -> !log.at(Level.WARN).isEmpty())).isTrue();
        assertThat(process.events.exported.get()).isZero();
        assertThat(server.events()).isEmpty();
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("INVALID_ARGUMENT")
                .contains("check events.reporter.<name>.layer");
    }
}
