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
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.SkyWalkingEventReporterFactory;
import dev.flinkmetrics.skywalking.testing.EventTestServer;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.BatchCounters;
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

    @BeforeEach
    void setUp() throws Exception {
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
        reporter = new SkyWalkingEventReporterFactory().createEventReporter(options);
        reporter.open(new MetricConfig());
    }

    private void send(int i) {
        long start = System.nanoTime();
        reporter.notifyOfAddedEvent(
                jobEvent("JobStatusChangeEvent", 1000 + i)
                        .setAttribute("newJobStatus", i % 2 == 0 ? "RUNNING" : "CREATED")
                        .build());
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(100);
    }

    @Test
    void receiverDownIsOneWarningAndEventsFlowWhenItIsBack() throws Exception {
        server.stop();
        createReporter("timeout", "500 ms");
        for (int i = 0; i < 6; i++) {
            send(i);
            Thread.sleep(150);
        }
        Thread.sleep(1500);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("UNAVAILABLE")
                .contains("Is the OAP running and reachable")
                .contains("Events are dropped")
                .contains("eventsDropped");
        server.restart();
        send(100);
        assertThat(server.awaitEvents(e -> !e.isEmpty(), 10_000)).isTrue();
        long deadline = System.currentTimeMillis() + 5000;
        while (log.at(Level.INFO).stream().noneMatch(m -> m.contains("works again"))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(log.at(Level.INFO)).anyMatch(m -> m.contains("works again"));
        assertThat(log.at(Level.WARN)).hasSize(1);
    }

    @Test
    void aStalledReceiverBoundsTheQueueAndFlinksThreadNeverWaits() throws Exception {
        server.delay(2000);
        createReporter("timeout", "500 ms", "queue-size", "16");
        long dropped = BatchCounters.EVENTS.dropped.get();
        for (int i = 0; i < 2000; i++) {
            send(i);
        }
        assertThat(BatchCounters.EVENTS.dropped.get() - dropped).isGreaterThan(1000);
        assertThat(log.at(Level.WARN))
                .filteredOn(m -> m.contains("queue of events"))
                .singleElement()
                .asString()
                .contains("(16 held)");
    }

    @Test
    void aRefusedLayerIsOneWarningSayingToSetLayer() throws Exception {
        server.acceptLayers("GENERAL");
        createReporter();
        for (int i = 0; i < 4; i++) {
            send(i);
            Thread.sleep(200);
        }
        assertThat(server.awaitCalls(2, 10_000)).isTrue();
        Thread.sleep(300);
        assertThat(server.events()).isEmpty();
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("INVALID_ARGUMENT")
                .contains("set events.reporter.<name>.layer to GENERAL");
    }
}
