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

import dev.flinkmetrics.skywalking.config.BatchSettings;
import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.Signal;
import dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import dev.flinkmetrics.skywalking.transport.Delivery;
import dev.flinkmetrics.skywalking.transport.ExportCounters;
import dev.flinkmetrics.skywalking.transport.ExportLifecycle;
import dev.flinkmetrics.skywalking.transport.ExportMethod;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import dev.flinkmetrics.skywalking.transport.Sender;
import org.apache.flink.annotation.Internal;

/**
 * Sends events to the OAP's event receiver from a bounded queue on a thread of its own: protobuf
 * over gRPC ({@code EventService/collect}), JSON over HTTP ({@code /v3/events}). {@link #offer}
 * never blocks; counts go to the process's {@link PluginProcess#events}.
 */
@Internal
public final class EventExporter {

    /** The self-metric that counts events not sent. */
    static final String DROPPED_COUNTER = "eventsDropped";

    private final BatchExporter<SkyWalkingEvent> exporter;

    /** A sender made with {@link #exportMethod(Signal)}, closed by {@link #close(long)}. */
    public EventExporter(
            ConnectionSettings connection,
            BatchSettings batch,
            Sender sender,
            ExportCounters counters) {
        BatchExporter.Encoder<SkyWalkingEvent> encoder =
                connection.protocol == ConnectionSettings.Protocol.GRPC
                        ? new EventProtoEncoder()
                        : new EventJsonEncoder();
        this.exporter =
                new BatchExporter<>(
                        "events",
                        batch.queueSize,
                        batch.maxRequestBytes,
                        connection.timeoutMillis,
                        new Delivery(sender, "Events", DROPPED_COUNTER),
                        encoder,
                        counters);
    }

    /**
     * Where events go, for the reporter whose options are under {@code signal}'s prefix: the hint
     * for a refused event names that reporter's {@code layer} key.
     */
    public static ExportMethod exportMethod(Signal signal) {
        return ExportMethod.streamed(
                        "skywalking.v3.EventService/collect",
                        "/v3/events",
                        "SkyWalking events",
                        "the event receiver enabled (SW_RECEIVER_EVENT, on by default)")
                .withHttpContentType("application/json")
                .withInvalidHint(
                        "The OAP refused the events as invalid; it refuses an event without a"
                                + " layer: check "
                                + signal.key(SkyWalkingReporterOptions.LAYER)
                                + ", and the OAP's log for why.");
    }

    /**
     * Queues an event. Never blocks.
     *
     * @return false when it was dropped
     */
    public boolean offer(SkyWalkingEvent event) {
        return exporter.offer(event);
    }

    public String target() {
        return exporter.target();
    }

    /**
     * Sends what is queued until the deadline, then stops; returns by the deadline plus {@link
     * ExportLifecycle#GRACE_MILLIS}.
     */
    public void close(long deadlineNanos) {
        exporter.close(deadlineNanos);
    }
}
