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

import dev.flinkmetrics.skywalking.config.SourceSettings;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.annotation.Internal;
import org.apache.flink.events.Event;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Flink's own events (Flink 2.x) to the OAP as SkyWalking events. The only class of the
 * plugin that links Flink's event API: each event is copied into plain values on Flink's thread and
 * queued; encoding and sending happen on the exporter's thread. Never throws into Flink.
 */
@Internal
public final class SkyWalkingEventReporter implements EventReporter {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingEventReporter.class);

    private final EventExporter exporter;
    private final NativeEventTranslator translator;
    private final AtomicBoolean opened = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean unreadableLogged = new AtomicBoolean();

    /** A reporter sending through {@code exporter}, which it closes on {@link #close()}. */
    public SkyWalkingEventReporter(SourceSettings source, EventExporter exporter) {
        this.exporter = exporter;
        this.translator =
                new NativeEventTranslator(
                        new EventSource(source, true),
                        new JobStatusEvents(),
                        System::currentTimeMillis);
    }

    @Override
    public void open(MetricConfig config) {
        // Configuration was parsed and validated by the factory.
        if (!NativeEvents.flinkReportsJobEvents(Event.class.getClassLoader())) {
            // Flink 2.1: the API is there, the job events are not; the metric reporter derives.
            LOG.info(
                    "This Flink reports no job events of its own; the metric reporter goes on"
                            + " deriving job status, restart and checkpoint events.");
            return;
        }
        if (opened.compareAndSet(false, true)) {
            NativeEvents.opened();
        }
    }

    @Override
    public void notifyOfAddedEvent(Event event) {
        if (closed.get()) {
            return;
        }
        FlinkEventCopy copy;
        try {
            Map<String, Object> attributes = event.getAttributes();
            copy =
                    new FlinkEventCopy(
                            event.getName(),
                            event.getClassScope(),
                            event.getBody(),
                            event.getSeverity(),
                            event.getObservedTsMillis(),
                            attributes == null ? java.util.Collections.emptyMap() : attributes);
        } catch (Throwable t) {
            if (unreadableLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "An event of Flink could not be read and is skipped; such events are"
                                + " skipped from now on without a log line: {}",
                        t.toString());
            }
            return;
        }
        try {
            translator.translate(copy, exporter::offer);
        } catch (RuntimeException e) {
            if (unreadableLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "Event {} could not be translated and is skipped: {}",
                        copy.name,
                        e.toString());
            }
        }
    }

    /** Sends what is queued, at most for the configured timeout. Can be called twice. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        if (opened.get()) {
            NativeEvents.closed();
        }
        exporter.close();
        LOG.info("Event reporter for {} closed.", exporter.target());
    }
}
