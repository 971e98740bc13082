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
import dev.flinkmetrics.skywalking.transport.ClosedAtExit;
import dev.flinkmetrics.skywalking.transport.ExportLifecycle;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.annotation.Internal;
import org.apache.flink.events.Event;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Flink's own events (job events from Flink 2.2; the API from 2.1) to the OAP as SkyWalking
 * events. With its factory, the only classes of the plugin that link Flink's event API: each event
 * is copied into plain values on Flink's thread and queued; encoding and sending happen on the
 * exporter's thread. Never throws into Flink, not even an Error (one on Flink's thread can end the
 * JobManager): an event that cannot be read, or translated and queued, is skipped, counted as
 * dropped, and each of the two failures is logged once.
 */
@Internal
public final class SkyWalkingEventReporter implements EventReporter, ClosedAtExit {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingEventReporter.class);

    private final EventExporter exporter;
    private final PluginProcess process;
    private final long timeoutMillis;
    private final NativeEventTranslator translator;
    private final AtomicBoolean opened = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean unreadableLogged = new AtomicBoolean();
    private final AtomicBoolean untranslatableLogged = new AtomicBoolean();

    /**
     * A reporter sending through {@code exporter}, which it closes on {@link #close()} within
     * {@code timeoutMillis}.
     */
    public SkyWalkingEventReporter(
            SourceSettings source,
            EventExporter exporter,
            PluginProcess process,
            long timeoutMillis) {
        this.exporter = exporter;
        this.process = process;
        this.timeoutMillis = timeoutMillis;
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
            process.nativeEventsOpened();
            // Flink never closes an event reporter: the JVM's exit sends what is still queued.
            process.closeAtExit(this);
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
            process.events.dropped.incrementAndGet();
            if (unreadableLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "An event of Flink could not be read and is skipped; such events are"
                                + " skipped from now on without a log line: {}",
                        t.toString());
            }
            return;
        }
        try {
            // An alarm rule reads failures from a sample the metric reporter sends.
            process.failedJobs.failed(NativeEventTranslator.failedJob(copy));
            translator.translate(copy, exporter::offer);
        } catch (Throwable t) {
            process.events.dropped.incrementAndGet();
            if (untranslatableLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "Event {} could not be translated or queued and is skipped; such events"
                                + " are skipped from now on without a log line: {}",
                        copy.name,
                        t.toString());
            }
        }
    }

    /**
     * Sends what is queued, at most for the configured timeout (plus {@link
     * ExportLifecycle#GRACE_MILLIS}). Can be called twice.
     */
    @Override
    public void close() {
        close(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), true);
    }

    /**
     * Sends what is queued until the deadline, and stops; only the first close does anything. At
     * the JVM's exit Flink goes on reporting its job events until the end, so the metric reporter,
     * which may report once more as Flink shuts down, must not start deriving them again.
     */
    @Override
    public void closeAtExit(long deadlineNanos) {
        close(deadlineNanos, false);
    }

    private void close(long deadlineNanos, boolean flinkClosedIt) {
        if (closed.getAndSet(true)) {
            return;
        }
        if (opened.get()) {
            if (flinkClosedIt) {
                process.nativeEventsClosed();
            }
            process.closedBeforeExit(this);
        }
        exporter.close(deadlineNanos);
        LOG.info("Event reporter for {} closed.", exporter.target());
    }

    @Override
    public long timeoutMillis() {
        return timeoutMillis;
    }
}
