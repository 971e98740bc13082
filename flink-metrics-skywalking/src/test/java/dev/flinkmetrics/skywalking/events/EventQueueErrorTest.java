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

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.config.BatchSettings;
import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.testing.ErrorOnTarget;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.SenderFactory;
import java.util.Properties;
import org.apache.flink.events.Event;
import org.apache.flink.events.EventBuilder;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * An Error out of queuing an event (the exporter's thread cannot start, memory ran out) never
 * reaches Flink's thread: an Error there can stop the JobManager. The event is counted as dropped,
 * once, and the failure logged once.
 */
class EventQueueErrorTest {

    @Test
    void anErrorWhileQueuingAnEventIsCountedAndNeverReachesFlink() throws Exception {
        PluginProcess process = new PluginProcess();
        try (OtlpTestServer server = new OtlpTestServer();
                LogCapture log = LogCapture.capture()) {
            server.events().delay(500); // the export thread is busy: the queue fills
            Properties options =
                    TestGroups.properties(
                            "endpoint",
                            server.endpoint(),
                            "timeout",
                            "5 s",
                            "layer",
                            "GENERAL",
                            "queue-size",
                            String.valueOf(BatchSettings.MIN_QUEUE_SIZE));
            OptionReader reader = new OptionReader(options, Signal.EVENTS);
            ConnectionSettings connection = ConnectionSettings.read(reader);
            ErrorOnTarget sender =
                    new ErrorOnTarget(
                            SenderFactory.create(
                                    connection,
                                    EventExporter.exportMethod(Signal.EVENTS),
                                    process));
            SkyWalkingEventReporter reporter =
                    new SkyWalkingEventReporter(
                            SourceSettings.read(reader),
                            new EventExporter(
                                    connection, BatchSettings.read(reader), sender, process.events),
                            process,
                            connection.timeoutMillis);

            sender.arm();
            int offered = 0;
            while (process.events.dropped.get() == 0 && offered < 10_000) {
                reporter.notifyOfAddedEvent(event(offered++)); // must not throw
            }
            assertThat(process.events.dropped.get()).as("the event the Error hit").isEqualTo(1);
            reporter.notifyOfAddedEvent(event(offered++));
            reporter.notifyOfAddedEvent(event(offered++));
            sender.disarm();
            reporter.close();

            assertThat(process.events.exported.get() + process.events.dropped.get())
                    .as("every event counted once")
                    .isEqualTo(offered);
            assertThat(log.lines())
                    .filteredOn(l -> l.level == Level.WARN && l.message.contains("queued"))
                    .hasSize(1);
        }
        assertThat(ReporterHarness.awaitPluginThreadsGone(10_000)).isEmpty();
        assertThat(process.openChannels()).isZero();
    }

    private static Event event(int i) {
        return new EventBuilder(EventQueueErrorTest.class, "JobStatusChangeEvent")
                .setObservedTsMillis(1_700_000_000_000L + i)
                .setAttribute("<job_id>", "e3b0c44298fc1c149afbf4c8996fb924")
                .setAttribute("<job_name>", "job " + i)
                .setAttribute("newJobStatus", "RUNNING")
                .build();
    }
}
