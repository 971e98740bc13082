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
import java.util.Properties;
import org.apache.flink.events.EventBuilder;
import org.apache.flink.events.reporter.EventReporter;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;

/**
 * A process that reports one checkpoint span and one job event, then exits at once, as a JobManager
 * does when its application's job has finished. Flink never closes trace and event reporters, so
 * whatever still waits is up to the plugin at the JVM's exit. Run by {@link ProcessExitTest}.
 *
 * <p>Arguments: the OAP endpoint, the reporters' {@code timeout}.
 */
public final class ExitingProcess {

    /** Printed to standard output right before the exit. */
    static final String REPORTED = "reported, exiting";

    public static void main(String[] args) {
        Properties options =
                TestGroups.properties(
                        "endpoint", args[0], "cluster", "exiting", "timeout", args[1]);
        TraceReporter traces = new SkyWalkingTraceReporterFactory().createTraceReporter(options);
        traces.open(new MetricConfig());
        options.setProperty("layer", "GENERAL");
        EventReporter events = new SkyWalkingEventReporterFactory().createEventReporter(options);
        events.open(new MetricConfig());

        long now = System.currentTimeMillis();
        traces.notifyOfAddedSpan(
                Span.builder(ExitingProcess.class, "Checkpoint")
                        .setStartTsMillis(now - 200)
                        .setEndTsMillis(now)
                        .setAttribute("checkpointId", 7L)
                        .setAttribute("checkpointStatus", "COMPLETED")
                        .build());
        events.notifyOfAddedEvent(
                new EventBuilder(ExitingProcess.class, "JobStatusChangeEvent")
                        .setObservedTsMillis(now)
                        .setAttribute("<job_id>", "e3b0c44298fc1c149afbf4c8996fb924")
                        .setAttribute("<job_name>", "last job")
                        .setAttribute("newJobStatus", "FINISHED")
                        .build());
        System.out.println(REPORTED);
        System.out.flush();
        System.exit(0);
    }
}
