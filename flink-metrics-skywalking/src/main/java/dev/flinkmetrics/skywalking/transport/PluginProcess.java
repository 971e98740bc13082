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

import dev.flinkmetrics.skywalking.config.PluginVersion;
import org.apache.flink.annotation.Internal;

/**
 * What the reporters of this plugin in one process share, each part in a class of its own: the span
 * and event counts (the metric reporter sends them as its own series, whichever reporter counted
 * them), the failed jobs, whether Flink's own events are being reported ({@link
 * NativeEventReporters}), the connections to the OAP nodes ({@link SharedChannels}, used through
 * {@link SenderFactory}) and the JVM's exit, which closes the reporters Flink never closes ({@link
 * ProcessExit}). Flink's reporters use {@link #get()}; a test makes its own, so it starts from zero
 * and shares nothing with other tests.
 */
@Internal
public final class PluginProcess {

    private static final PluginProcess INSTANCE = new PluginProcess();

    /** Spans of the trace reporter. */
    public final ExportCounters spans = new ExportCounters();

    /** Events of the event reporter and of the events derived from metrics. */
    public final ExportCounters events = new ExportCounters();

    /** Jobs that failed for good, for the metric reporter to send (JobManager only). */
    public final FailedJobs failedJobs = new FailedJobs();

    private final NativeEventReporters nativeEvents = new NativeEventReporters();
    final SharedChannels channels = new SharedChannels();
    final HttpDeadlines httpDeadlines = new HttpDeadlines();
    final ProcessExit exit = new ProcessExit(PluginVersion.NAME + "-exit");

    /** The one the factories hand Flink's reporters. */
    public static PluginProcess get() {
        return INSTANCE;
    }

    /**
     * True while an event reporter of this plugin is open on a Flink that reports job events
     * itself: the metric reporter then derives none of those.
     */
    public boolean nativeEventsActive() {
        return nativeEvents.active();
    }

    public void nativeEventsOpened() {
        nativeEvents.opened();
    }

    public void nativeEventsClosed() {
        nativeEvents.closed();
    }

    /**
     * Closes {@code reporter} when the JVM exits, by its own {@link ClosedAtExit#timeoutMillis()},
     * unless {@link #closedBeforeExit} says it closed before; see {@link ProcessExit}.
     */
    public void closeAtExit(ClosedAtExit reporter) {
        exit.add(reporter);
    }

    public void closedBeforeExit(ClosedAtExit reporter) {
        exit.remove(reporter);
    }

    /** gRPC channels open now, to any node; for tests. */
    public int openChannels() {
        return channels.open();
    }
}
