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

import static dev.flinkmetrics.skywalking.testing.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code protocol: http/protobuf} against a real HTTP server on 127.0.0.1. */
class HttpProtocolTest {

    private HttpServer http;
    private final List<ExportMetricsServiceRequest> received = new CopyOnWriteArrayList<>();
    private final Map<String, String> headers = new ConcurrentHashMap<>();
    private volatile int status = 200;

    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withoutReceiver("protocol", "http/protobuf", "cluster", "http");

    private SkyWalkingMetricReporter reporter;

    @BeforeEach
    void start() throws Exception {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext(
                "/v1/metrics",
                exchange -> {
                    exchange.getRequestHeaders()
                            .forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
                    InputStream body = exchange.getRequestBody();
                    if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                        body = new GZIPInputStream(body);
                    }
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = body.read(buf)) > 0) {
                        bytes.write(buf, 0, n);
                    }
                    if (status == 200) {
                        received.add(ExportMetricsServiceRequest.parseFrom(bytes.toByteArray()));
                    }
                    exchange.sendResponseHeaders(status, -1);
                    exchange.close();
                });
        http.start();
    }

    @AfterEach
    void stop() {
        harness.closeReporters();
        http.stop(0);
    }

    private void create(String... keyValues) {
        String endpoint = "http://127.0.0.1:" + http.getAddress().getPort();
        String[] options = java.util.Arrays.copyOf(keyValues, keyValues.length + 2);
        System.arraycopy(keyValues, 0, options, 2, keyValues.length);
        options[0] = "endpoint";
        options[1] = endpoint;
        reporter = harness.reporter(options);
        SimpleCounter c = new SimpleCounter();
        c.inc(3);
        reporter.notifyOfAddedMetric(
                c, "numRunningJobs", group("jobmanager", TestGroups.jobManagerVariables()));
    }

    @Test
    void postsProtobufWithHeadersAndGzip() {
        create("compression", "gzip", "token", "t0k", "headers", "X-Scope=flink");
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(received).hasSize(1);
        assertThat(headers)
                .containsEntry("content-type", "application/x-protobuf")
                .containsEntry("content-encoding", "gzip")
                .containsEntry("authentication", "t0k")
                .containsEntry("x-scope", "flink");
        assertThat(OtlpTestServer.toSamples(received.get(0)))
                .anyMatch(s -> s.name.equals("flink_jobmanager_numRunningJobs") && s.value == 3);
    }

    @Test
    void notFoundPointsAtOapVersionsWithoutOtlpHttp() throws Exception {
        try (LogCapture log = LogCapture.capture()) {
            create();
            status = 404;
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
            assertThat(log.at(Level.WARN))
                    .singleElement()
                    .asString()
                    .contains("HTTP 404")
                    .contains("/v1/metrics")
                    .contains("only from version 11");
        }
    }
}
