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

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.flinkmetrics.skywalking.config.OptionReader;
import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Span trees encoded by hand, decoded with the official OTLP classes. */
class OtlpTraceEncoderTest {

    private static final String CHECKPOINTS =
            "org.apache.flink.runtime.checkpoint.CheckpointStatsTracker";
    private static final long START = 1_700_000_000_123L;

    private final OtlpTraceEncoder encoder =
            new OtlpTraceEncoder(
                    SourceSettings.read(new OptionReader(TestGroups.properties("cluster", "prod"))),
                    new Random(42));

    private static SpanRecord checkpoint(String hostVariable, String host, int subtasks) {
        SpanRecord.Builder root = SpanRecord.builder(CHECKPOINTS, "Checkpoint", START, START + 250);
        root.attribute("<" + hostVariable + ">", host);
        root.attribute("<job_id>", "0f1e2d3c");
        root.attribute("checkpointId", 7L);
        root.attribute("checkpointStatus", "COMPLETED");
        root.attribute("fullSize", 123456L);
        root.attribute("alignmentRatio", 0.25d);
        root.attribute("isUnaligned", true);
        for (int s = 0; s < subtasks; s++) {
            SpanRecord.Builder child =
                    root.child(CHECKPOINTS, "Subtask", START + 10 + s, START + 100 + s);
            child.attribute("subtaskId", (long) s);
        }
        return root.build();
    }

    private List<ExportTraceServiceRequest> encodeAll(List<SpanRecord> batch, int maxBytes)
            throws Exception {
        List<ExportTraceServiceRequest> requests = new ArrayList<>();
        int from = 0;
        while (from < batch.size()) {
            OtlpTraceEncoder.Encoded request = encoder.encodeRequest(batch, from, maxBytes);
            byte[] bytes = encoder.out.toByteArray();
            assertThat(bytes.length).isLessThanOrEqualTo(maxBytes);
            if (request.sent > 0) {
                requests.add(ExportTraceServiceRequest.parseFrom(bytes));
            }
            assertThat(request.items).isPositive();
            from += request.items;
        }
        return requests;
    }

    @Test
    void aTreeIsOneTraceWithParentLinksTypedAttributesAndNanos() throws Exception {
        ExportTraceServiceRequest request =
                encodeAll(Collections.singletonList(checkpoint("host", "jm-1", 2)), 1 << 20).get(0);

        assertThat(request.getResourceSpansCount()).isEqualTo(1);
        ResourceSpans resource = request.getResourceSpans(0);
        assertThat(attributes(resource.getResource().getAttributesList()))
                .containsExactly(
                        Map.entry(
                                "service.name",
                                AnyValue.newBuilder().setStringValue("flink::prod").build()),
                        Map.entry(
                                "service.instance.id",
                                AnyValue.newBuilder().setStringValue("jm-1").build()));
        assertThat(resource.getScopeSpansCount()).isEqualTo(1);
        ScopeSpans scope = resource.getScopeSpans(0);
        assertThat(scope.getScope().getName()).isEqualTo(CHECKPOINTS);
        assertThat(scope.getSpansCount()).isEqualTo(3);

        Span root = scope.getSpans(0);
        assertThat(root.getName()).isEqualTo("Checkpoint");
        assertThat(root.getTraceId().size()).isEqualTo(16);
        assertThat(root.getSpanId().size()).isEqualTo(8);
        assertThat(root.getParentSpanId()).isEmpty();
        assertThat(root.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_INTERNAL);
        assertThat(root.getStartTimeUnixNano()).isEqualTo(START * 1_000_000L);
        assertThat(root.getEndTimeUnixNano()).isEqualTo((START + 250) * 1_000_000L);
        assertThat(root.hasStatus()).isFalse();
        assertThat(root.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
        Map<String, AnyValue> attributes = attributes(root.getAttributesList());
        assertThat(attributes.keySet())
                .containsExactlyInAnyOrder(
                        "host",
                        "job_id",
                        "checkpointId",
                        "checkpointStatus",
                        "fullSize",
                        "alignmentRatio",
                        "isUnaligned");
        assertThat(attributes.get("host").getStringValue()).isEqualTo("jm-1");
        assertThat(attributes.get("job_id").getStringValue()).isEqualTo("0f1e2d3c");
        assertThat(attributes.get("checkpointId").getIntValue()).isEqualTo(7L);
        assertThat(attributes.get("checkpointStatus").getStringValue()).isEqualTo("COMPLETED");
        assertThat(attributes.get("fullSize").getIntValue()).isEqualTo(123456L);
        assertThat(attributes.get("alignmentRatio").getDoubleValue()).isEqualTo(0.25d);
        assertThat(attributes.get("isUnaligned").getValueCase())
                .isEqualTo(AnyValue.ValueCase.BOOL_VALUE);
        assertThat(attributes.get("isUnaligned").getBoolValue()).isTrue();

        for (int s = 1; s <= 2; s++) {
            Span child = scope.getSpans(s);
            assertThat(child.getName()).isEqualTo("Subtask");
            assertThat(child.getTraceId()).isEqualTo(root.getTraceId());
            assertThat(child.getParentSpanId()).isEqualTo(root.getSpanId());
            assertThat(child.getSpanId()).isNotEqualTo(root.getSpanId());
            assertThat(child.getStartTimeUnixNano()).isEqualTo((START + 9 + s) * 1_000_000L);
            assertThat(attributes(child.getAttributesList()).get("subtaskId").getIntValue())
                    .isEqualTo(s - 1L);
        }
        assertThat(scope.getSpans(1).getSpanId()).isNotEqualTo(scope.getSpans(2).getSpanId());
    }

    @Test
    void grandchildrenLinkToTheirOwnParent() throws Exception {
        SpanRecord.Builder root = SpanRecord.builder(CHECKPOINTS, "Checkpoint", START, START + 9);
        root.child(CHECKPOINTS, "Task", START, START + 5)
                .child(CHECKPOINTS, "Subtask", START, START + 1);
        List<Span> spans =
                encodeAll(Collections.singletonList(root.build()), 1 << 20)
                        .get(0)
                        .getResourceSpans(0)
                        .getScopeSpans(0)
                        .getSpansList();
        assertThat(spans)
                .extracting(Span::getName)
                .containsExactly("Checkpoint", "Task", "Subtask");
        assertThat(spans.get(1).getParentSpanId()).isEqualTo(spans.get(0).getSpanId());
        assertThat(spans.get(2).getParentSpanId()).isEqualTo(spans.get(1).getSpanId());
    }

    @Test
    void oneResourcePerNodeTaskManagerFirstAndEachTreeItsOwnTrace() throws Exception {
        SpanRecord tm = checkpoint("tm_id", "tm-a", 0);
        // A TaskManager span also carries the host: the TaskManager id names the node.
        SpanRecord.Builder both = SpanRecord.builder("org.example.Other", "Restore", START, START);
        both.attribute("<host>", "worker-9");
        both.attribute("<tm_id>", "tm-a");
        SpanRecord nowhere = SpanRecord.builder(CHECKPOINTS, "Orphan", START, START).build();
        List<SpanRecord> batch =
                Arrays.asList(
                        checkpoint("host", "jm-1", 0),
                        tm,
                        both.build(),
                        nowhere,
                        checkpoint("host", "jm-1", 0));

        ExportTraceServiceRequest request = encodeAll(batch, 1 << 20).get(0);

        Map<String, ResourceSpans> byInstance = new LinkedHashMap<>();
        for (ResourceSpans rs : request.getResourceSpansList()) {
            Map<String, AnyValue> resource = attributes(rs.getResource().getAttributesList());
            assertThat(resource.get("service.name").getStringValue()).isEqualTo("flink::prod");
            AnyValue instance = resource.get("service.instance.id");
            byInstance.put(instance == null ? "(none)" : instance.getStringValue(), rs);
        }
        assertThat(byInstance.keySet()).containsExactly("jm-1", "tm-a", "(none)");
        assertThat(byInstance.get("jm-1").getScopeSpans(0).getSpansCount()).isEqualTo(2);
        assertThat(byInstance.get("tm-a").getScopeSpansList())
                .extracting(s -> s.getScope().getName())
                .containsExactly(CHECKPOINTS, "org.example.Other");

        Set<ByteString> traceIds = new HashSet<>();
        for (ResourceSpans rs : request.getResourceSpansList()) {
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span span : ss.getSpansList()) {
                    traceIds.add(span.getTraceId());
                }
            }
        }
        assertThat(traceIds).hasSize(5);
    }

    @Test
    void aBatchIsSplitBelowTheLimitAndATreeLargerThanItIsDropped() throws Exception {
        List<SpanRecord> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(checkpoint("host", "jm-1", 3));
        }
        batch.add(20, checkpoint("host", "jm-1", 2000)); // alone far over 16 KiB
        int limit = 16 * 1024;

        List<ExportTraceServiceRequest> requests = encodeAll(batch, limit);

        assertThat(requests.size()).isGreaterThan(1);
        List<Span> spans =
                requests.stream()
                        .flatMap(r -> r.getResourceSpansList().stream())
                        .flatMap(r -> r.getScopeSpansList().stream())
                        .flatMap(s -> s.getSpansList().stream())
                        .collect(Collectors.toList());
        assertThat(spans).filteredOn(s -> s.getName().equals("Checkpoint")).hasSize(40);
        assertThat(spans).hasSize(40 * 4);

        // The large tree is consumed and dropped; the request goes on with the trees after it.
        OtlpTraceEncoder.Encoded fromLarge = encoder.encodeRequest(batch, 20, limit);
        assertThat(fromLarge.items).isEqualTo(fromLarge.sent + 1);
        OtlpTraceEncoder.Encoded alone = encoder.encodeRequest(batch.subList(20, 21), 0, limit);
        assertThat(alone.items).isEqualTo(1);
        assertThat(alone.sent).isZero();
        assertThat(encoder.out.length()).isZero();
        // With room for it, it goes whole.
        encoder.encodeRequest(batch.subList(20, 21), 0, 1 << 20);
        ExportTraceServiceRequest big =
                ExportTraceServiceRequest.parseFrom(encoder.out.toByteArray());
        assertThat(big.getResourceSpans(0).getScopeSpans(0).getSpansCount()).isEqualTo(2001);
    }

    @Test
    void everyRequestOfARandomMixStaysBelowTheLimit() throws Exception {
        Random random = new Random(7);
        List<SpanRecord> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            SpanRecord.Builder b =
                    SpanRecord.builder("scope-" + random.nextInt(3), "s" + i, START, START + i);
            b.attribute("<tm_id>", "tm-" + random.nextInt(5));
            b.attribute("text", "x".repeat(random.nextInt(3000)));
            for (int c = random.nextInt(20); c > 0; c--) {
                b.child("scope-0", "c", START, START).attribute("n", (long) c);
            }
            batch.add(b.build());
        }
        int total = 0;
        for (ExportTraceServiceRequest r : encodeAll(batch, 16 * 1024)) {
            total +=
                    r.getResourceSpansList().stream()
                            .flatMap(x -> x.getScopeSpansList().stream())
                            .mapToInt(ScopeSpans::getSpansCount)
                            .sum();
        }
        assertThat(total).isEqualTo(batch.stream().mapToInt(SpanRecord::spanCount).sum());
    }

    @Test
    void aSpanWithoutDurationLastsOneMicrosecondSoThatTheOapKeepsTheRequest() throws Exception {
        SpanRecord.Builder instant = SpanRecord.builder(CHECKPOINTS, "Instant", START, START);
        instant.child(CHECKPOINTS, "Backwards", START + 5, START + 4);
        SpanRecord timed = SpanRecord.builder(CHECKPOINTS, "Timed", START, START + 3).build();
        List<Span> spans = new ArrayList<>();
        for (ExportTraceServiceRequest r : encodeAll(List.of(instant.build(), timed), 1 << 20)) {
            r.getResourceSpansList()
                    .forEach(
                            rs ->
                                    rs.getScopeSpansList()
                                            .forEach(s -> spans.addAll(s.getSpansList())));
        }
        assertThat(spans).hasSize(3);
        for (Span span : spans) {
            long duration = span.getEndTimeUnixNano() - span.getStartTimeUnixNano();
            if (span.getName().equals("Timed")) {
                assertThat(duration).isEqualTo(3_000_000L);
            } else {
                assertThat(duration).as(span.getName()).isEqualTo(1_000L);
            }
        }
    }

    private static Map<String, AnyValue> attributes(List<KeyValue> list) {
        Map<String, AnyValue> map = new LinkedHashMap<>();
        for (KeyValue kv : list) {
            assertThat(map.put(kv.getKey(), kv.getValue())).as("duplicate " + kv.getKey()).isNull();
        }
        return map;
    }
}
