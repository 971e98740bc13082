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
package dev.flinkmetrics.skywalking.metrics;

import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;

/**
 * The reporter's own numbers. They travel with the other series, on the first resource of the
 * process, under names starting {@code flink_reporter_skywalking_}, so any OTLP backend or a custom
 * OAP rule can chart them. Both presets send them. The span and event counts are the process's,
 * whichever reporter of this plugin sent them (the trace and event reporters have no metrics of
 * their own to send them with).
 */
final class SelfMetrics {

    /** Where the span and event counts come from. */
    private final PluginProcess process;

    SelfMetrics(PluginProcess process) {
        this.process = process;
    }

    /** Series registered now. */
    final AtomicLong seriesRegistered = new AtomicLong();

    /** Series Flink registered that are not sent, because the process has max-series already. */
    final AtomicLong seriesLeftOut = new AtomicLong();

    /** Points accepted by the receiver. */
    final AtomicLong pointsExported = new AtomicLong();

    /** Points not delivered: their request failed or was rejected, or one alone was too large. */
    final AtomicLong pointsDropped = new AtomicLong();

    /** Requests that failed or were rejected. */
    final AtomicLong exportFailures = new AtomicLong();

    /** Reports skipped because the previous export was still running. */
    final AtomicLong cyclesSkipped = new AtomicLong();

    /** Reads of a metric that threw (a gauge, a counter, a meter, a histogram's statistics). */
    final AtomicLong readFailures = new AtomicLong();

    final AtomicLong lastExportDurationMs = new AtomicLong();
    final AtomicLong lastExportBytes = new AtomicLong();

    /** The metrics to register, reading these numbers. */
    List<SeriesRegistry.OwnMetric> metrics() {
        return Arrays.asList(
                own("seriesRegistered", gauge(seriesRegistered)),
                own("seriesLeftOut", gauge(seriesLeftOut)),
                own("pointsExported", counter(pointsExported)),
                own("exportFailures", counter(exportFailures)),
                own("cyclesSkipped", counter(cyclesSkipped)),
                own("pointsDropped", counter(pointsDropped)),
                own("readFailures", counter(readFailures)),
                own("lastExportDurationMs", gauge(lastExportDurationMs)),
                own("lastExportBytes", gauge(lastExportBytes)),
                own("spansExported", counter(process.spans.exported)),
                own("spansDropped", counter(process.spans.dropped)),
                own("spanRequestsFailed", counter(process.spans.failedRequests)),
                own("eventsExported", counter(process.events.exported)),
                own("eventsDropped", counter(process.events.dropped)),
                own("eventRequestsFailed", counter(process.events.failedRequests)));
    }

    private static SeriesRegistry.OwnMetric own(String name, org.apache.flink.metrics.Metric m) {
        return new SeriesRegistry.OwnMetric(SeriesTranslator.ownName(name), m);
    }

    private static Gauge<Long> gauge(AtomicLong value) {
        return value::get;
    }

    private static Counter counter(AtomicLong value) {
        return new Counter() {
            @Override
            public void inc() {
                value.incrementAndGet();
            }

            @Override
            public void inc(long n) {
                value.addAndGet(n);
            }

            @Override
            public void dec() {
                value.decrementAndGet();
            }

            @Override
            public void dec(long n) {
                value.addAndGet(-n);
            }

            @Override
            public long getCount() {
                return value.get();
            }
        };
    }
}
