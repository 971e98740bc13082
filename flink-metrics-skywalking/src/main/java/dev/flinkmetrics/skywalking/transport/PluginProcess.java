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

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;

/**
 * What the reporters of this plugin in one process share: the connections to the OAP nodes, the
 * span and event counts (the metric reporter sends them as its own series, whichever reporter
 * counted them), and whether Flink's own events are being reported. Flink's reporters use {@link
 * #get()}; a test makes its own, so it starts from zero and shares nothing with other tests.
 */
@Internal
public final class PluginProcess {

    private static final PluginProcess INSTANCE = new PluginProcess();

    /** Spans of the trace reporter. */
    public final ExportCounters spans = new ExportCounters();

    /** Events of the event reporter and of the events derived from metrics. */
    public final ExportCounters events = new ExportCounters();

    final SharedChannels channels = new SharedChannels();
    final HttpDeadlines httpDeadlines = new HttpDeadlines();

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

    /** gRPC channels open now, to any node; for tests. */
    public int openChannels() {
        return channels.open();
    }
}
