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
package dev.flinkmetrics.skywalking.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The JVM shutdown hook of a {@link PluginProcess}: there while a reporter Flink never closes is
 * open or a connection is, gone once everything closed, so processes and tests that close their
 * reporters leave no hook behind. What the hook does at a real exit: {@code ProcessExitTest}.
 */
class ExitHookTest {

    private static final class Reporter implements PluginProcess.ClosedAtExit {
        final List<Long> closedBy = new ArrayList<>();

        @Override
        public void closeAtExit(long deadlineNanos) {
            closedBy.add(deadlineNanos);
        }

        @Override
        public long timeoutMillis() {
            return 1000;
        }
    }

    @Test
    void theHookIsThereWhileAReporterOrAConnectionIsOpen() throws Exception {
        PluginProcess process = new PluginProcess();
        assertThat(process.exitHookRegistered()).isFalse();

        Reporter traces = new Reporter();
        Reporter events = new Reporter();
        process.closeAtExit(traces);
        process.closeAtExit(events);
        assertThat(process.exitHookRegistered()).isTrue();

        ConnectionSettings connection =
                ConnectionSettings.read(
                        new OptionReader(
                                TestGroups.properties("endpoint", "http://127.0.0.1:1"),
                                Signal.METRICS));
        Sender sender =
                Sender.create(
                        connection,
                        new ExportMethod(
                                "opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                                "/v1/metrics",
                                "OTLP metrics",
                                "the OTLP receiver"),
                        process);
        try {
            // The channel opens with the first send; a refused connection is enough.
            sender.send(new byte[0], 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        } catch (ExportException expected) {
            // nothing listens on port 1
        }
        assertThat(process.openChannels()).isEqualTo(1);

        process.closedBeforeExit(traces);
        process.closedBeforeExit(events);
        assertThat(process.exitHookRegistered()).as("a channel is still open").isTrue();

        sender.close(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        assertThat(process.openChannels()).isZero();
        assertThat(process.exitHookRegistered()).isFalse();
        assertThat(traces.closedBy).as("closed by their owner, not by the hook").isEmpty();
    }
}
