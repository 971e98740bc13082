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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;

/**
 * What the reporters of this plugin in one process share: the connections to the OAP nodes, the
 * span and event counts (the metric reporter sends them as its own series, whichever reporter
 * counted them), whether Flink's own events are being reported, and the JVM's exit, which closes
 * the trace and event reporters Flink never closes. Flink's reporters use {@link #get()}; a test
 * makes its own, so it starts from zero and shares nothing with other tests.
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

    private final ExitHook exit = new ExitHook(PluginVersion.NAME + "-exit", this::exit);
    final SharedChannels channels = new SharedChannels(exit);
    final HttpDeadlines httpDeadlines = new HttpDeadlines();

    /** The reporters Flink never closes, open now, in the order they opened. */
    private final Set<ClosedAtExit> closedAtExit = new LinkedHashSet<>();

    private final AtomicInteger nativeEventReporters = new AtomicInteger();

    /** The one the factories hand Flink's reporters. */
    public static PluginProcess get() {
        return INSTANCE;
    }

    /**
     * True while an event reporter of this plugin is open on a Flink that reports job events
     * itself: the metric reporter then derives none of those.
     */
    public boolean nativeEventsActive() {
        return nativeEventReporters.get() > 0;
    }

    public void nativeEventsOpened() {
        nativeEventReporters.incrementAndGet();
    }

    public void nativeEventsClosed() {
        nativeEventReporters.decrementAndGet();
    }

    /**
     * A reporter that Flink never closes (traces, events): a JobManager or TaskManager that stops
     * just exits, and what the reporter still holds would be lost with the JVM.
     */
    public interface ClosedAtExit {
        /** Sends what waits until the deadline, then stops; returns by the deadline plus grace. */
        void closeAtExit(long deadlineNanos);

        /** How long one export may take: the exit gives its reporters the longest of these. */
        long timeoutMillis();
    }

    /**
     * Closes {@code reporter} when the JVM exits, unless {@link #closedBeforeExit} says it closed
     * before: the exit then waits at most the longest {@link ClosedAtExit#timeoutMillis()} of those
     * still open (plus {@link ExportLifecycle#GRACE_MILLIS}: they all work to one deadline), and
     * closes the connections last.
     */
    public void closeAtExit(ClosedAtExit reporter) {
        synchronized (closedAtExit) {
            closedAtExit.add(reporter);
        }
        exit.hold(reporter);
    }

    public void closedBeforeExit(ClosedAtExit reporter) {
        synchronized (closedAtExit) {
            closedAtExit.remove(reporter);
        }
        exit.release(reporter);
    }

    /** The JVM's exit: every reporter sends what it holds by one deadline, then channels close. */
    private void exit() {
        List<ClosedAtExit> open;
        synchronized (closedAtExit) {
            open = new ArrayList<>(closedAtExit);
        }
        long timeoutMillis = 0;
        for (ClosedAtExit reporter : open) {
            timeoutMillis = Math.max(timeoutMillis, reporter.timeoutMillis());
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (ClosedAtExit reporter : open) {
            reporter.closeAtExit(deadline);
        }
        channels.closeAll();
    }

    /** Whether the JVM's exit has anything to close now; for tests. */
    boolean exitHookRegistered() {
        return exit.registered();
    }

    /** gRPC channels open now, to any node; for tests. */
    public int openChannels() {
        return channels.open();
    }
}
