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
package dev.flinkmetrics.skywalking;

import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.Scheduled;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;

/**
 * A process whose main thread returns while a metric reporter and a trace reporter still hold their
 * shared connection to the OAP, neither closed: the JVM must end all the same, and the exit must
 * still send the span. Run by {@link ChannelsLeftOpenTest}.
 *
 * <p>Argument: the OAP endpoint.
 */
public final class ChannelsLeftOpenProcess {

    /** Printed to standard output right before main returns. */
    static final String REPORTED = "reported, returning";

    public static void main(String[] args) throws Exception {
        Properties options =
                TestGroups.properties(
                        "endpoint", args[0], "cluster", "left-open", "timeout", "5 s");
        MetricReporter metrics = new SkyWalkingReporterFactory().createMetricReporter(options);
        metrics.open(new MetricConfig());
        metrics.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRecordsIn",
                TestGroups.group(
                        "taskmanager.job.task", TestGroups.operatorVariables("job", "op", 0)));
        ((Scheduled) metrics).report();
        TraceReporter traces = new SkyWalkingTraceReporterFactory().createTraceReporter(options);
        traces.open(new MetricConfig());
        traces.notifyOfAddedSpan(span("first"));
        // Sent: the connection is up and its event-loop thread runs.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (PluginProcess.get().spans.exported.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        traces.notifyOfAddedSpan(span("last")); // left for the exit to send
        System.out.println(REPORTED);
        System.out.flush();
    }

    private static Span span(String name) {
        long now = System.currentTimeMillis();
        return Span.builder(ChannelsLeftOpenProcess.class, name)
                .setStartTsMillis(now - 200)
                .setEndTsMillis(now)
                .build();
    }
}
