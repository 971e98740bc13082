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

import static dev.flinkmetrics.skywalking.TestGroups.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReporterConfigTest {

    @Test
    void defaults() {
        ReporterConfig c = config();
        assertThat(c.protocol).isEqualTo(ReporterConfig.Protocol.GRPC);
        assertThat(c.host).isEqualTo("localhost");
        assertThat(c.port).isEqualTo(11800);
        assertThat(c.tls).isFalse();
        assertThat(c.cluster).isEqualTo("flink-cluster");
        assertThat(c.clusterDefaulted).isTrue();
        assertThat(c.timeoutMillis).isEqualTo(10_000);
        assertThat(c.compression).isEqualTo(ReporterConfig.Compression.NONE);
        assertThat(c.preset).isEqualTo(ReporterConfig.Preset.SKYWALKING);
        assertThat(c.maxRequestBytes).isEqualTo(4 * 1024 * 1024);
        assertThat(c.filterLabelValueCharacters).isTrue();
        assertThat(c.includeTaskAttemptId).isFalse();
        assertThat(c.taskManagerNodeVariable).isEqualTo("tm_id");
        assertThat(c.jobManagerNodeVariable).isEqualTo("host");
        assertThat(c.headers).isEmpty();
        assertThat(c.unknownKeys).isEmpty();
    }

    @Test
    void typedYamlValuesAreRead() {
        // config.yaml hands over Integer and Boolean objects, not strings.
        Properties p = new Properties();
        p.put("timeout", 2500);
        p.put("filter-label-value-characters", Boolean.FALSE);
        p.put("max-request-size", 1048576);
        p.put("headers", Collections.singletonMap("X-Tenant", "a"));
        ReporterConfig c = ReporterConfig.fromProperties(p);
        assertThat(c.timeoutMillis).isEqualTo(2500);
        assertThat(c.filterLabelValueCharacters).isFalse();
        assertThat(c.maxRequestBytes).isEqualTo(1048576);
        assertThat(c.headers).containsEntry("x-tenant", "a");
    }

    @Test
    void headersAndTokenAreParsedAndMasked() {
        ReporterConfig c =
                config(
                        "endpoint", "https://oap.example.com",
                        "headers", "X-Tenant=blue, X-Other = two",
                        "headers.x-third", "3",
                        "token", "s3cret-token");
        assertThat(c.headers)
                .containsEntry("x-tenant", "blue")
                .containsEntry("x-other", "two")
                .containsEntry("x-third", "3")
                .containsEntry("authentication", "s3cret-token");
        assertThat(c.tls).isTrue();
        assertThat(c.toString())
                .doesNotContain("s3cret-token")
                .doesNotContain("blue")
                .contains("authentication=******");
    }

    @Test
    void httpProtocolUsesTheRestPortAndPath() {
        ReporterConfig c = config("protocol", "http/protobuf", "endpoint", "http://oap");
        assertThat(c.port).isEqualTo(12800);
        assertThat(c.target()).isEqualTo("http://oap:12800/v1/metrics");
        ReporterConfig custom =
                config(
                        "protocol",
                        "HTTP/PROTOBUF",
                        "endpoint",
                        "http://collector:4318/otlp/v1/metrics");
        assertThat(custom.target()).isEqualTo("http://collector:4318/otlp/v1/metrics");
    }

    @Test
    void durationsAndSizesAcceptUnits() {
        assertThat(config("timeout", "1 min").timeoutMillis).isEqualTo(60_000);
        assertThat(config("timeout", "500ms").timeoutMillis).isEqualTo(500);
        assertThat(config("timeout", "3s").timeoutMillis).isEqualTo(3000);
        assertThat(config("max-request-size", "512 kb").maxRequestBytes).isEqualTo(512 * 1024);
        assertThat(config("max-request-size", "50mb").maxRequestBytes).isEqualTo(50 * 1024 * 1024);
    }

    @Test
    void unknownKeysAreKeptForAWarning() {
        ReporterConfig c = config("endpiont", "http://x", "interval", "10 s", "factory.class", "x");
        assertThat(c.unknownKeys).containsExactly("metrics.reporter.<name>.endpiont");
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("endpoint", "oap:11800"),
                Arguments.of("endpoint", "ftp://oap:21"),
                Arguments.of("endpoint", "http://"),
                Arguments.of("endpoint", "http://oap:11800/some/path"),
                Arguments.of("endpoint", "http://oap:11800/?x=1"),
                Arguments.of("endpoint", "http ://oap"),
                Arguments.of("protocol", "http"),
                Arguments.of("protocol", "grpcs"),
                Arguments.of("cluster", ""),
                Arguments.of("timeout", "0"),
                Arguments.of("timeout", "-5 s"),
                Arguments.of("timeout", "ten seconds"),
                Arguments.of("timeout", "10 fortnights"),
                Arguments.of("timeout", "1 h"),
                Arguments.of("compression", "zstd"),
                Arguments.of("tls.ca-cert", "/no/such/ca.pem"),
                Arguments.of("tls.client-cert", "/no/such/client.pem"),
                Arguments.of("taskmanager.node-variable", "tm id"),
                Arguments.of("jobmanager.node-variable", ""),
                Arguments.of("filter-label-value-characters", "yes"),
                Arguments.of("preset", "everything"),
                Arguments.of("max-request-size", "1 kb"),
                Arguments.of("max-request-size", "1 tb"),
                Arguments.of("max-request-size", "big"),
                Arguments.of("include-task-attempt-id", "1"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("invalid")
    void invalidValuesNameTheFullKeyAndTheValue(String key, String value) {
        assertThatThrownBy(() -> config(key, value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("metrics.reporter.<name>." + key)
                .hasMessageContaining("'" + value + "'");
    }

    @Test
    void invalidHeadersNeverEchoTheSecret() {
        assertThatThrownBy(() -> config("headers", "Authorization Bearer-abcdefgh"))
                .hasMessageContaining("metrics.reporter.<name>.headers")
                .hasMessageNotContaining("abcdefgh");
        assertThatThrownBy(() -> config("headers", "bad name=x"))
                .hasMessageContaining("metrics.reporter.<name>.headers")
                .hasMessageContaining("bad name");
        assertThatThrownBy(() -> config("headers", "x-a=caf\u00e9-secret"))
                .hasMessageContaining("printable ASCII")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> config("headers", "grpc-timeout=1"))
                .hasMessageContaining("the transport sets it");
        assertThatThrownBy(() -> config("token", ""))
                .hasMessageContaining("metrics.reporter.<name>.token");
    }

    @Test
    void userInfoInTheEndpointIsRejectedAndMasked() {
        assertThatThrownBy(() -> config("endpoint", "https://user:hunter2@oap:11800"))
                .hasMessageContaining("metrics.reporter.<name>.endpoint")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void mtlsNeedsBothFilesAndHttps(@TempDir Path dir) throws Exception {
        File cert = Files.write(dir.resolve("client.pem"), new byte[] {1}).toFile();
        assertThatThrownBy(
                        () ->
                                config(
                                        "endpoint",
                                        "https://oap:11800",
                                        "tls.client-cert",
                                        cert.getPath()))
                .hasMessageContaining("metrics.reporter.<name>.tls.client-cert")
                .hasMessageContaining("metrics.reporter.<name>.tls.client-key");
        assertThatThrownBy(
                        () -> config("endpoint", "http://oap:11800", "tls.ca-cert", cert.getPath()))
                .hasMessageContaining("https://");
    }
}
