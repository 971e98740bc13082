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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.flink.traces.SimpleSpan;
import org.apache.flink.traces.Span;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The trace reporter, made by its factory, sending to a real OTLP trace receiver. */
class SkyWalkingTraceReporterTest {

    @RegisterExtension final ReporterHarness harness = ReporterHarness.withReceiver();

    private final TraceReporters reporters = new TraceReporters();
    private OtlpTestServer server;
    private LogCapture log;

    @BeforeEach
    void setUp() {
        server = harness.receiver();
        log = harness.log();
    }

    @AfterEach
    void closeReporters() {
        reporters.close();
    }

    private SkyWalkingTraceReporter reporter(String... keyValues) {
        String[] all = new String[keyValues.length + 4];
        all[0] = "endpoint";
        all[1] = server.endpoint();
        all[2] = "cluster";
        all[3] = "prod-eu";
        System.arraycopy(keyValues, 0, all, 4, keyValues.length);
        return reporters.create(all);
    }

    @Test
    void aCheckpointSpanTreeArrivesAsOneTraceUnderTheClustersService() throws Exception {
        long exported = reporters.process.spans.exported.get();
        SkyWalkingTraceReporter reporter = reporter();
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(7, 2));

        assertThat(server.awaitSpans(spans -> spans.size() == 3, 10_000)).isTrue();
        ExportTraceServiceRequest request = server.traceRequests().get(0);
        ResourceSpans resource = request.getResourceSpans(0);
        assertThat(strings(resource.getResource().getAttributesList()))
                .containsEntry("service.name", "flink::prod-eu")
                .containsEntry("service.instance.id", "jm-host");
        assertThat(resource.getScopeSpans(0).getScope().getName())
                .isEqualTo(TraceReporters.class.getCanonicalName());
        List<io.opentelemetry.proto.trace.v1.Span> spans = server.spans();
        io.opentelemetry.proto.trace.v1.Span root = spans.get(0);
        assertThat(root.getName()).isEqualTo("Checkpoint");
        Map<String, AnyValue> attributes = values(root.getAttributesList());
        assertThat(attributes.get("checkpointId").getIntValue()).isEqualTo(7);
        assertThat(attributes.get("checkpointStatus").getStringValue()).isEqualTo("COMPLETED");
        assertThat(attributes.get("isUnaligned").getValueCase())
                .isEqualTo(AnyValue.ValueCase.BOOL_VALUE);
        assertThat(attributes.get("job_name").getStringValue()).isEqualTo("orders");
        assertThat(attributes).containsKeys("job_id", "host").doesNotContainKey("<job_id>");
        assertThat(spans.subList(1, 3))
                .allSatisfy(
                        child -> {
                            assertThat(child.getName()).isEqualTo("Subtask");
                            assertThat(child.getTraceId()).isEqualTo(root.getTraceId());
                            assertThat(child.getParentSpanId()).isEqualTo(root.getSpanId());
                        });

        reporter.close();
        // One Flink span tree is one item of the exporter, whatever its children.
        assertThat(reporters.process.spans.exported.get() - exported).isEqualTo(1);
        assertThat(log.at(Level.WARN)).isEmpty();
    }

    @Test
    void startupIsLoggedOnceWithTheTraceKeysAndTheDefaultClusterIsWarnedAbout() {
        reporters.create("endpoint", server.endpoint(), "queue-size", "64", "preset", "all");
        assertThat(log.at(Level.INFO))
                .filteredOn(m -> m.contains("reporting spans"))
                .singleElement()
                .asString()
                .contains(server.endpoint())
                .contains("cluster=flink-cluster")
                .contains("queue-size=64");
        // preset is a metric reporter option: unknown here.
        assertThat(log.at(Level.WARN))
                .anyMatch(m -> m.contains("traces.reporter.<name>.preset"))
                .anyMatch(
                        m ->
                                m.contains("traces.reporter.<name>.cluster is not set")
                                        && m.contains("flink::flink-cluster"));
    }

    @Test
    void aBadValueFailsCreationNamingTheTraceKeyAndTheValue() {
        assertThatThrownBy(() -> reporter("queue-size", "lots"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("traces.reporter.<name>.queue-size")
                .hasMessageContaining("lots")
                .message()
                .doesNotContain("metrics.reporter.");
        assertThatThrownBy(() -> reporter("protocol", "carrier-pigeon"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("traces.reporter.<name>.protocol")
                .hasMessageContaining("carrier-pigeon");
    }

    @Test
    void oddAttributesAreSentAsWellAsTheyCanBe() throws Exception {
        SkyWalkingTraceReporter reporter = reporter();
        HashMap<String, Object> attributes = new HashMap<>();
        attributes.put("nothing", null);
        attributes.put(null, "no key");
        attributes.put("int", 3);
        attributes.put("float", 1.5f);
        attributes.put("list", Collections.singletonList("a"));
        attributes.put("huge", "y".repeat(1_000_000));
        attributes.put("<tm_id>", "tm-1");
        reporter.notifyOfAddedSpan(
                new SimpleSpan("scope", "Odd", 1000, 2000, attributes, Collections.emptyList()));

        assertThat(server.awaitSpans(spans -> spans.size() == 1, 10_000)).isTrue();
        Map<String, AnyValue> sent = values(server.spans().get(0).getAttributesList());
        assertThat(sent.keySet())
                .containsExactlyInAnyOrder("int", "float", "list", "huge", "tm_id");
        assertThat(sent.get("int").getIntValue()).isEqualTo(3);
        assertThat(sent.get("float").getDoubleValue()).isEqualTo(1.5);
        assertThat(sent.get("list").getStringValue()).isEqualTo("[a]");
        assertThat(sent.get("huge").getStringValue()).hasSize(SpanRecord.MAX_STRING_CHARS);
        assertThat(
                        strings(
                                server.traceRequests()
                                        .get(0)
                                        .getResourceSpans(0)
                                        .getResource()
                                        .getAttributesList()))
                .containsEntry("service.instance.id", "tm-1");
        assertThat(log.at(Level.WARN)).isEmpty();
    }

    @Test
    void aSpanThatCannotBeReadIsSkippedCountedAndLoggedOnce() throws Exception {
        long dropped = reporters.process.spans.dropped.get();
        SkyWalkingTraceReporter reporter = reporter();
        Span broken =
                new SimpleSpan("scope", "Broken", 0, 0, new HashMap<>(), Collections.emptyList()) {
                    @Override
                    public Map<String, Object> getAttributes() {
                        throw new IllegalStateException("concurrently modified");
                    }
                };
        reporter.notifyOfAddedSpan(broken);
        reporter.notifyOfAddedSpan(broken);
        // A span that is its own child.
        Span loop =
                new SimpleSpan("scope", "Loop", 0, 0, new HashMap<>(), Collections.emptyList()) {
                    @Override
                    public List<Span> getChildren() {
                        return Collections.singletonList(this);
                    }
                };
        reporter.notifyOfAddedSpan(loop);
        reporter.notifyOfAddedSpan(TraceReporters.checkpoint(1, 0));

        assertThat(server.awaitSpans(spans -> spans.size() == 1, 10_000)).isTrue();
        assertThat(server.spans().get(0).getName()).isEqualTo("Checkpoint");
        assertThat(reporters.process.spans.dropped.get() - dropped).isEqualTo(3);
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("Skipping a span that cannot be read")
                .contains("concurrently modified");
    }

    @Test
    void otlpHttpPostsToV1Traces() throws Exception {
        List<String> paths = new CopyOnWriteArrayList<>();
        List<ExportTraceServiceRequest> bodies = new CopyOnWriteArrayList<>();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext(
                "/",
                exchange -> {
                    try (InputStream in = exchange.getRequestBody()) {
                        bodies.add(ExportTraceServiceRequest.parseFrom(in.readAllBytes()));
                    }
                    paths.add(exchange.getRequestURI().getPath());
                    exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                    exchange.sendResponseHeaders(200, -1);
                    exchange.close();
                });
        http.start();
        try {
            SkyWalkingTraceReporter reporter =
                    reporters.create(
                            "endpoint",
                            "http://127.0.0.1:" + http.getAddress().getPort(),
                            "protocol",
                            "http/protobuf",
                            "cluster",
                            "http");
            reporter.notifyOfAddedSpan(TraceReporters.checkpoint(3, 1));
            reporter.close();
        } finally {
            http.stop(0);
        }
        assertThat(paths).containsExactly("/v1/traces");
        assertThat(bodies.get(0).getResourceSpans(0).getScopeSpans(0).getSpansList())
                .extracting(io.opentelemetry.proto.trace.v1.Span::getName)
                .containsExactly("Checkpoint", "Subtask");
    }

    private static Map<String, AnyValue> values(List<KeyValue> attributes) {
        Map<String, AnyValue> map = new HashMap<>();
        for (KeyValue kv : attributes) {
            map.put(kv.getKey(), kv.getValue());
        }
        return map;
    }

    private static Map<String, String> strings(List<KeyValue> attributes) {
        return attributes.stream()
                .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
    }
}
