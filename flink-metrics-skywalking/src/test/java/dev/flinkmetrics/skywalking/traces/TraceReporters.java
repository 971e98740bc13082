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
package dev.flinkmetrics.skywalking.traces;

import dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.SpanBuilder;

/**
 * Trace reporters made by the factory and opened as Flink does, closed together after a test; and
 * spans built with Flink's own builder, as Flink's checkpoint statistics build them.
 */
final class TraceReporters implements AutoCloseable {

    private final List<SkyWalkingTraceReporter> reporters = new ArrayList<>();

    /** The reporters' own process: counts start at zero. */
    final PluginProcess process = new PluginProcess();

    SkyWalkingTraceReporter create(String... keyValues) {
        Properties options = TestGroups.properties(keyValues);
        SkyWalkingTraceReporter reporter =
                (SkyWalkingTraceReporter)
                        new SkyWalkingTraceReporterFactory(process).createTraceReporter(options);
        reporters.add(reporter);
        MetricConfig config = new MetricConfig();
        config.putAll(options);
        reporter.open(config);
        return reporter;
    }

    /** The JobManager job group's variables, as Flink passes them to {@code build}. */
    static Map<String, String> jobVariables() {
        Map<String, String> variables = new HashMap<>();
        variables.put("<host>", "jm-host");
        variables.put("<job_id>", "4b3a2f1e");
        variables.put("<job_name>", "orders");
        return variables;
    }

    /** A completed checkpoint with one child span per subtask. */
    static Span checkpoint(long checkpointId, int subtasks) {
        long start = System.currentTimeMillis() - 500;
        SpanBuilder builder =
                Span.builder(TraceReporters.class, "Checkpoint")
                        .setStartTsMillis(start)
                        .setEndTsMillis(start + 300)
                        .setAttribute("checkpointId", checkpointId)
                        .setAttribute("checkpointStatus", "COMPLETED")
                        .setAttribute("fullSize", 4096L)
                        .setAttribute("isUnaligned", false);
        for (int s = 0; s < subtasks; s++) {
            builder.addChild(
                    Span.builder(TraceReporters.class, "Subtask")
                            .setStartTsMillis(start + s)
                            .setEndTsMillis(start + 100)
                            .setAttribute("subtaskId", (long) s));
        }
        return builder.build(jobVariables());
    }

    @Override
    public void close() {
        for (SkyWalkingTraceReporter reporter : reporters) {
            reporter.close();
        }
    }
}
