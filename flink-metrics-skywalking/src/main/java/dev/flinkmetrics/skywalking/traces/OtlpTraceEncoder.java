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

import static dev.flinkmetrics.skywalking.proto.ProtoWriter.MAX_LENGTH_PREFIX;
import static dev.flinkmetrics.skywalking.proto.ProtoWriter.fixed64FieldSize;
import static dev.flinkmetrics.skywalking.proto.ProtoWriter.lenFieldSize;
import static dev.flinkmetrics.skywalking.proto.ProtoWriter.tagSize;
import static dev.flinkmetrics.skywalking.proto.ProtoWriter.varintFieldSize;

import dev.flinkmetrics.skywalking.config.SourceSettings;
import dev.flinkmetrics.skywalking.proto.OtlpFields.AnyValue;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ExportTraceServiceRequest;
import dev.flinkmetrics.skywalking.proto.OtlpFields.InstrumentationScope;
import dev.flinkmetrics.skywalking.proto.OtlpFields.KeyValue;
import dev.flinkmetrics.skywalking.proto.OtlpFields.Resource;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ResourceSpans;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ScopeSpans;
import dev.flinkmetrics.skywalking.proto.OtlpFields.Span;
import dev.flinkmetrics.skywalking.proto.OtlpFields.SpanKind;
import dev.flinkmetrics.skywalking.proto.ProtoWriter;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import dev.flinkmetrics.skywalking.transport.ExportMethod;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.annotation.Internal;

/**
 * Encodes span trees into OTLP {@code ExportTraceServiceRequest}s. Pure: no I/O, one instance per
 * export thread.
 *
 * <p>Each tree Flink reported is one trace: a random trace id, a random span id per span, and each
 * child linked to its parent. Spans are {@code INTERNAL}, their status is left unset (Flink reports
 * outcomes as attributes such as {@code checkpointStatus}). One {@code ResourceSpans} per Flink
 * node, with the resource attributes:
 *
 * <ul>
 *   <li>{@code service.name} = {@code flink::<cluster>}: the service the metric reporter's samples
 *       make, so that a cluster's traces sit under the same name as its dashboards;
 *   <li>{@code service.instance.id} = the node: the TaskManager named by the TaskManager node
 *       variable when the span has it, else the JobManager named by the JobManager node variable
 *       (left out when the span has neither).
 * </ul>
 *
 * Within it one {@code ScopeSpans} per Flink span scope (the class that made the span).
 */
@Internal
public final class OtlpTraceEncoder implements BatchExporter.Encoder<SpanRecord> {

    /**
     * OTLP traces: what the OAP's otel receiver serves with its {@code otlp-traces} handler, which
     * hands the spans on to the Zipkin receiver.
     */
    public static final ExportMethod OTLP_TRACES =
            new ExportMethod(
                    "opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    "/v1/traces",
                    "OTLP traces",
                    "the otel receiver's otlp-traces handler enabled, with the Zipkin receiver"
                            + " and query (SW_OTEL_RECEIVER_ENABLED_HANDLERS including otlp-traces,"
                            + " SW_RECEIVER_ZIPKIN=default, SW_QUERY_ZIPKIN=default)");

    static final String SERVICE_NAME = "service.name";
    static final String SERVICE_INSTANCE_ID = "service.instance.id";

    /** The shortest span sent: Zipkin, which the OAP keeps spans in, counts whole microseconds. */
    static final long MIN_DURATION_NANOS = 1_000;

    private static final int TRACE_ID_BYTES = 16;
    private static final int SPAN_ID_BYTES = 8;

    /** Bounds of the length prefixes of one ResourceSpans and of one ScopeSpans. */
    private static final int RESOURCE_SPANS_OVERHEAD =
            tagSize(ExportTraceServiceRequest.RESOURCE_SPANS) + MAX_LENGTH_PREFIX;

    private static final int SCOPE_SPANS_OVERHEAD =
            tagSize(ResourceSpans.SCOPE_SPANS) + MAX_LENGTH_PREFIX;

    private final String service;
    private final String taskManagerNodeVariable;
    private final String jobManagerNodeVariable;
    private final Random random;

    /** The last request encoded. */
    final ProtoWriter out = new ProtoWriter(64 * 1024);

    private final ProtoWriter tree = new ProtoWriter(4 * 1024);
    private final ProtoWriter span = new ProtoWriter(1024);
    private final byte[] traceId = new byte[TRACE_ID_BYTES];

    /**
     * @param random source of trace and span ids
     */
    public OtlpTraceEncoder(SourceSettings source, Random random) {
        this.service = source.service();
        this.taskManagerNodeVariable = source.taskManagerNodeVariable;
        this.jobManagerNodeVariable = source.jobManagerNodeVariable;
        this.random = random;
    }

    /** The node a span tree comes from, or "" when its attributes do not say. */
    String node(SpanRecord root) {
        String node = root.stringAttribute(taskManagerNodeVariable);
        if (node == null) {
            node = root.stringAttribute(jobManagerNodeVariable);
        }
        return node == null ? "" : node;
    }

    @Override
    public BatchExporter.Request encode(List<SpanRecord> batch, int from, int maxBytes) {
        Encoded request = encodeRequest(batch, from, maxBytes);
        return new BatchExporter.Request(out.buffer(), out.length(), request.items, request.sent);
    }

    /** What one request consumed and carries; its bytes are {@link #out}'s. */
    static final class Encoded {
        final int items;
        final int sent;

        Encoded(int items, int sent) {
            this.items = items;
            this.sent = sent;
        }
    }

    /** Encodes one request into {@link #out}; see {@link #encode}. */
    Encoded encodeRequest(List<SpanRecord> batch, int from, int maxBytes) {
        // node -> scope -> the encoded trees, each a run of ScopeSpans.spans fields
        Map<String, Map<String, List<byte[]>>> groups = new LinkedHashMap<>();
        long bound = 0;
        int items = 0;
        int sent = 0;
        for (int i = from; i < batch.size(); i++) {
            SpanRecord root = batch.get(i);
            String node = node(root);
            byte[] spans = encodeTree(root);
            long alone =
                    RESOURCE_SPANS_OVERHEAD
                            + resourceField(node).length
                            + SCOPE_SPANS_OVERHEAD
                            + scopeField(root.scope).length
                            + spans.length;
            if (alone > maxBytes) {
                items++; // too large for any request: consumed and dropped
                continue;
            }
            Map<String, List<byte[]>> scopes = groups.get(node);
            long added = spans.length;
            if (scopes == null) {
                added += RESOURCE_SPANS_OVERHEAD + resourceField(node).length;
            }
            if (scopes == null || !scopes.containsKey(root.scope)) {
                added += SCOPE_SPANS_OVERHEAD + scopeField(root.scope).length;
            }
            if (bound + added > maxBytes) {
                break;
            }
            bound += added;
            groups.computeIfAbsent(node, n -> new LinkedHashMap<>())
                    .computeIfAbsent(root.scope, s -> new ArrayList<>())
                    .add(spans);
            items++;
            sent++;
        }
        write(groups);
        return new Encoded(items, sent);
    }

    private void write(Map<String, Map<String, List<byte[]>>> groups) {
        out.reset();
        for (Map.Entry<String, Map<String, List<byte[]>>> node : groups.entrySet()) {
            byte[] resource = resourceField(node.getKey());
            List<byte[]> scopeFields = new ArrayList<>();
            List<Integer> scopePayloads = new ArrayList<>();
            int resourceSpansPayload = resource.length;
            for (Map.Entry<String, List<byte[]>> scope : node.getValue().entrySet()) {
                byte[] scopeField = scopeField(scope.getKey());
                int payload = scopeField.length;
                for (byte[] spans : scope.getValue()) {
                    payload += spans.length;
                }
                scopeFields.add(scopeField);
                scopePayloads.add(payload);
                resourceSpansPayload += lenFieldSize(ResourceSpans.SCOPE_SPANS, payload);
            }
            out.lenHeader(ExportTraceServiceRequest.RESOURCE_SPANS, resourceSpansPayload);
            out.bytes(resource);
            int s = 0;
            for (List<byte[]> trees : node.getValue().values()) {
                out.lenHeader(ResourceSpans.SCOPE_SPANS, scopePayloads.get(s));
                out.bytes(scopeFields.get(s));
                for (byte[] spans : trees) {
                    out.bytes(spans);
                }
                s++;
            }
        }
    }

    /** One trace: every span of the tree as a {@code ScopeSpans.spans} field, parents first. */
    private byte[] encodeTree(SpanRecord root) {
        tree.reset();
        nonZeroId(traceId);
        writeSpan(root, null);
        return tree.toByteArray();
    }

    private void writeSpan(SpanRecord record, byte[] parentId) {
        byte[] spanId = new byte[SPAN_ID_BYTES];
        nonZeroId(spanId);
        span.reset();
        span.lenHeader(Span.TRACE_ID, TRACE_ID_BYTES);
        span.bytes(traceId);
        span.lenHeader(Span.SPAN_ID, SPAN_ID_BYTES);
        span.bytes(spanId);
        if (parentId != null) {
            span.lenHeader(Span.PARENT_SPAN_ID, SPAN_ID_BYTES);
            span.bytes(parentId);
        }
        span.stringField(Span.NAME, record.name);
        span.varintField(Span.KIND, SpanKind.INTERNAL);
        long start = unixNanos(record.startMillis);
        span.fixed64Field(Span.START_TIME_UNIX_NANO, start);
        span.fixed64Field(Span.END_TIME_UNIX_NANO, endNanos(start, record.endMillis));
        for (Map.Entry<String, Object> attribute : record.attributes.entrySet()) {
            writeAttribute(span, Span.ATTRIBUTES, attribute.getKey(), attribute.getValue());
        }
        tree.lenHeader(ScopeSpans.SPANS, span.length());
        tree.bytes(span.buffer(), 0, span.length());
        for (SpanRecord child : record.children) {
            writeSpan(child, spanId);
        }
    }

    /**
     * The end of a span, at least 1 µs after its start. Flink's times are milliseconds, so a short
     * span often starts and ends in the same one. The OAP turns OTLP spans into Zipkin spans, where
     * a duration under 1 µs is no duration at all, and its Zipkin receiver then fails on the whole
     * request (a NullPointerException on {@code Span.duration()}, seen on OAP 10.1.0), losing every
     * other span in it.
     */
    private static long endNanos(long startNanos, long endMillis) {
        long end = unixNanos(endMillis);
        return end - startNanos >= MIN_DURATION_NANOS
                        || startNanos > Long.MAX_VALUE - MIN_DURATION_NANOS
                ? end
                : startNanos + MIN_DURATION_NANOS;
    }

    /** Millis to nanos, saturating instead of overflowing on absurd timestamps. */
    private static long unixNanos(long millis) {
        if (millis <= 0) {
            return 0;
        }
        return millis > Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : millis * 1_000_000;
    }

    private void nonZeroId(byte[] id) {
        do {
            random.nextBytes(id);
        } while (isZero(id)); // an all-zero id is invalid in OTLP
    }

    private static boolean isZero(byte[] id) {
        for (byte b : id) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code ResourceSpans.resource} with its tag. */
    private byte[] resourceField(String node) {
        ProtoWriter w = new ProtoWriter(128);
        writeAttribute(w, Resource.ATTRIBUTES, SERVICE_NAME, service);
        if (!node.isEmpty()) {
            writeAttribute(w, Resource.ATTRIBUTES, SERVICE_INSTANCE_ID, node);
        }
        ProtoWriter field = new ProtoWriter(w.length() + 8);
        field.lenHeader(ResourceSpans.RESOURCE, w.length());
        field.bytes(w.buffer(), 0, w.length());
        return field.toByteArray();
    }

    /** {@code ScopeSpans.scope} with its tag: the scope's name. */
    private static byte[] scopeField(String scope) {
        byte[] name = ProtoWriter.encodeString(InstrumentationScope.NAME, scope);
        ProtoWriter field = new ProtoWriter(name.length + 8);
        field.lenHeader(ScopeSpans.SCOPE, name.length);
        field.bytes(name);
        return field.toByteArray();
    }

    /** A {@code KeyValue} field with a typed {@code AnyValue}. */
    private static void writeAttribute(ProtoWriter w, int field, String key, Object value) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        byte[] text = null;
        int anyValuePayload;
        if (value instanceof Boolean) {
            anyValuePayload = varintFieldSize(AnyValue.BOOL_VALUE, 1);
        } else if (value instanceof Long) {
            anyValuePayload = varintFieldSize(AnyValue.INT_VALUE, (Long) value);
        } else if (value instanceof Double) {
            anyValuePayload = fixed64FieldSize(AnyValue.DOUBLE_VALUE);
        } else {
            text = value.toString().getBytes(StandardCharsets.UTF_8);
            anyValuePayload = lenFieldSize(AnyValue.STRING_VALUE, text.length);
        }
        w.lenHeader(
                field,
                lenFieldSize(KeyValue.KEY, keyBytes.length)
                        + lenFieldSize(KeyValue.VALUE, anyValuePayload));
        w.lenHeader(KeyValue.KEY, keyBytes.length);
        w.bytes(keyBytes);
        w.lenHeader(KeyValue.VALUE, anyValuePayload);
        if (value instanceof Boolean) {
            w.varintField(AnyValue.BOOL_VALUE, (Boolean) value ? 1 : 0);
        } else if (value instanceof Long) {
            w.varintField(AnyValue.INT_VALUE, (Long) value);
        } else if (value instanceof Double) {
            w.doubleField(AnyValue.DOUBLE_VALUE, (Double) value);
        } else {
            w.lenHeader(AnyValue.STRING_VALUE, text.length);
            w.bytes(text);
        }
    }
}
