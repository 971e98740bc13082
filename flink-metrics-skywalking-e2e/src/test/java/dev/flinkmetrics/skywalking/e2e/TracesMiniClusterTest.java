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
package dev.flinkmetrics.skywalking.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Flink's own spans, from a checkpointing job on a MiniCluster, through this plugin's trace
 * reporter to a real OTLP trace receiver. Prints the span names and attributes Flink reported.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TracesMiniClusterTest {

    private static final String FACTORY =
            "dev.flinkmetrics.skywalking.SkyWalkingTraceReporterFactory";

    /** Waits for something the running job makes happen. */
    interface Wait {
        boolean happened() throws Exception;
    }

    /**
     * Runs {@link ContinuousJob}, named {@code jobName}, on a MiniCluster made from {@code conf}
     * (with the slots and memory the job needs) until {@code until} happened, then cancels the job
     * and closes the cluster.
     */
    static void runContinuousJob(Configuration conf, String jobName, String what, Wait until)
            throws Exception {
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("16m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("16m"));
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("16m"));
        // Two slots: the job's parallelism.
        MiniCluster cluster = ContractCluster.startMiniCluster(conf, 1, 2);
        TestStreamEnvironment.setAsContext(cluster, 2);
        try {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            ContinuousJob.define(env, 500);
            JobClient job = env.executeAsync(jobName);
            ContractCluster.awaitRunning(job, Duration.ofSeconds(60));
            assertThat(until.happened()).as(what).isTrue();
            job.cancel().get(30, TimeUnit.SECONDS);
            ContractCluster.awaitTerminal(job, Duration.ofSeconds(30));
        } finally {
            TestStreamEnvironment.unsetAsContext();
            cluster.close();
        }
    }

    @Test
    void checkpointAndJobInitializationSpansArriveWithTheirAttributes() throws Exception {
        try (OtlpTestServer server = new OtlpTestServer()) {
            Configuration conf = ContractCluster.loopbackConfiguration();
            conf.setString("traces.reporter.sw.factory.class", FACTORY);
            conf.setString("traces.reporter.sw.endpoint", server.endpoint());
            conf.setString("traces.reporter.sw.cluster", "traces-e2e");
            // Children per task, to see parent links; per subtask would only be larger.
            conf.setString("traces.checkpoint.span-detail-level", "CHILDREN_SPANS_PER_TASK");
            runContinuousJob(
                    conf,
                    "traces-job",
                    "three checkpoint spans and a job initialization span",
                    () ->
                            server.awaitSpans(
                                    spans ->
                                            count(spans, "Checkpoint") >= 3
                                                    && count(spans, "JobInitialization") >= 1,
                                    90_000));

            print(server.traceRequests());

            for (ExportTraceServiceRequest request : server.traceRequests()) {
                for (ResourceSpans rs : request.getResourceSpansList()) {
                    Map<String, AnyValue> resource =
                            attributes(rs.getResource().getAttributesList());
                    assertThat(resource.get("service.name").getStringValue())
                            .isEqualTo("flink::traces-e2e");
                    // JobManager spans: the instance is the JobManager's host variable.
                    assertThat(resource.get("service.instance.id").getStringValue()).isNotEmpty();
                }
            }
            List<Span> spans = server.spans();
            Span checkpoint =
                    spans.stream()
                            .filter(s -> s.getName().equals("Checkpoint"))
                            .filter(
                                    s ->
                                            "COMPLETED"
                                                    .equals(
                                                            attributes(s.getAttributesList())
                                                                    .get("checkpointStatus")
                                                                    .getStringValue()))
                            .findFirst()
                            .orElseThrow(AssertionError::new);
            Map<String, AnyValue> attributes = attributes(checkpoint.getAttributesList());
            assertThat(attributes)
                    .containsKeys(
                            "checkpointId",
                            "checkpointStatus",
                            "fullSize",
                            "checkpointedSize",
                            "job_id",
                            "job_name");
            assertThat(attributes.get("checkpointId").getValueCase())
                    .isEqualTo(AnyValue.ValueCase.INT_VALUE);
            assertThat(attributes.get("checkpointId").getIntValue()).isPositive();
            assertThat(attributes.get("fullSize").getValueCase())
                    .isEqualTo(AnyValue.ValueCase.INT_VALUE);
            assertThat(attributes.get("job_name").getStringValue()).isEqualTo("traces-job");
            assertThat(checkpoint.getTraceId().size()).isEqualTo(16);
            assertThat(checkpoint.getEndTimeUnixNano())
                    .isGreaterThanOrEqualTo(checkpoint.getStartTimeUnixNano());
            assertThat(checkpoint.getStartTimeUnixNano())
                    .isGreaterThan(
                            TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis() - 600_000));
            // Every child belongs to the trace of a span that was sent, and links to it.
            Map<com.google.protobuf.ByteString, Span> byId = new LinkedHashMap<>();
            spans.forEach(s -> byId.put(s.getSpanId(), s));
            for (Span s : spans) {
                if (!s.getParentSpanId().isEmpty()) {
                    Span parent = byId.get(s.getParentSpanId());
                    assertThat(parent).as("parent of " + s.getName()).isNotNull();
                    assertThat(s.getTraceId()).isEqualTo(parent.getTraceId());
                }
            }
        }
    }

    private static long count(List<Span> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).count();
    }

    private static Map<String, AnyValue> attributes(List<KeyValue> list) {
        Map<String, AnyValue> map = new TreeMap<>();
        for (KeyValue kv : list) {
            map.put(kv.getKey(), kv.getValue());
        }
        return map;
    }

    /** What Flink reported: each distinct span name once, with its attributes and their types. */
    private static void print(List<ExportTraceServiceRequest> requests) {
        Map<String, String> seen = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (ExportTraceServiceRequest request : requests) {
            for (ResourceSpans rs : request.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    for (Span s : ss.getSpansList()) {
                        String key =
                                ss.getScope().getName()
                                        + " / "
                                        + s.getName()
                                        + (s.getParentSpanId().isEmpty() ? "" : " (child)");
                        counts.merge(key, 1, Integer::sum);
                        seen.putIfAbsent(
                                key,
                                s.getAttributesList().stream()
                                        .map(kv -> kv.getKey() + "=" + text(kv.getValue()))
                                        .collect(Collectors.joining(", ")));
                    }
                }
            }
        }
        System.out.println("Spans Flink reported (scope / name: count, attributes of the first):");
        for (Map.Entry<String, String> e : seen.entrySet()) {
            System.out.println(
                    "  " + e.getKey() + ": " + counts.get(e.getKey()) + " | " + e.getValue());
        }
    }

    private static String text(AnyValue value) {
        switch (value.getValueCase()) {
            case STRING_VALUE:
                return "\"" + value.getStringValue() + "\"";
            case INT_VALUE:
                return value.getIntValue() + " (int)";
            case DOUBLE_VALUE:
                return value.getDoubleValue() + " (double)";
            case BOOL_VALUE:
                return value.getBoolValue() + " (bool)";
            default:
                return value.toString();
        }
    }
}
