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
package dev.flinkmetrics.skywalking.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Parsing of the connection settings and the metric settings from what Flink hands over. */
class SettingsTest {

    /** Connection settings, after the whole configuration was checked as the factory checks it. */
    private static ConnectionSettings connection(String... keyValues) {
        return ConnectionSettings.read(checked(keyValues));
    }

    private static MetricsSettings metrics(String... keyValues) {
        return MetricsSettings.read(checked(keyValues));
    }

    private static List<String> unknownKeys(String... keyValues) {
        return checked(keyValues).unknownKeys(SkyWalkingReporterOptions.ALL);
    }

    private static OptionReader checked(String... keyValues) {
        Properties p = TestGroups.properties(keyValues);
        ConnectionSettings.read(new OptionReader(p));
        MetricsSettings.read(new OptionReader(p));
        return new OptionReader(p);
    }

    @Test
    void defaults() {
        ConnectionSettings c = connection();
        assertThat(c.protocol).isEqualTo(ConnectionSettings.Protocol.GRPC);
        assertThat(c.addresses).hasSize(1);
        assertThat(c.addresses.get(0).host).isEqualTo("localhost");
        assertThat(c.addresses.get(0).port).isEqualTo(11800);
        assertThat(c.tls).isFalse();
        assertThat(c.timeoutMillis).isEqualTo(10_000);
        assertThat(c.compression).isEqualTo(ConnectionSettings.Compression.NONE);
        assertThat(c.headers).isEmpty();
        MetricsSettings m = metrics();
        assertThat(m.cluster).isEqualTo("flink-cluster");
        assertThat(m.clusterDefaulted).isTrue();
        assertThat(m.preset).isEqualTo(MetricsSettings.Preset.SKYWALKING);
        assertThat(m.maxRequestBytes).isEqualTo(4 * 1024 * 1024);
        assertThat(m.filterLabelValueCharacters).isTrue();
        assertThat(m.includeTaskAttemptId).isFalse();
        assertThat(m.taskManagerNodeVariable).isEqualTo("tm_id");
        assertThat(m.jobManagerNodeVariable).isEqualTo("host");
        assertThat(unknownKeys()).isEmpty();
    }

    @Test
    void typedYamlValuesAreRead() {
        // config.yaml hands over Integer and Boolean objects, not strings.
        Properties p = new Properties();
        p.put("timeout", 2500);
        p.put("filter-label-value-characters", Boolean.FALSE);
        p.put("max-request-size", 1048576);
        p.put("headers", Collections.singletonMap("X-Tenant", "a"));
        ConnectionSettings c = ConnectionSettings.read(new OptionReader(p));
        MetricsSettings m = MetricsSettings.read(new OptionReader(p));
        assertThat(c.timeoutMillis).isEqualTo(2500);
        assertThat(m.filterLabelValueCharacters).isFalse();
        assertThat(m.maxRequestBytes).isEqualTo(1048576);
        assertThat(c.headers).containsEntry("x-tenant", "a");
    }

    @Test
    void headersAndTokenAreParsedAndMasked() {
        ConnectionSettings c =
                connection(
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
        ConnectionSettings c = connection("protocol", "http/protobuf", "endpoint", "http://oap");
        assertThat(c.addresses.get(0).port).isEqualTo(12800);
        assertThat(c.target("/v1/metrics")).isEqualTo("http://oap:12800/v1/metrics");
        ConnectionSettings custom =
                connection(
                        "protocol",
                        "HTTP/PROTOBUF",
                        "endpoint",
                        "http://collector:4318/otlp/v1/metrics");
        assertThat(custom.target("/v1/metrics")).isEqualTo("http://collector:4318/otlp/v1/metrics");
    }

    @Test
    void severalOapNodesAreListedWithCommas() {
        ConnectionSettings c =
                connection("endpoint", "http://oap-0:11800, http://oap-1 ,http://10.0.0.7:11801,");
        assertThat(c.addresses)
                .extracting(a -> a.host + ":" + a.port)
                .containsExactly("oap-0:11800", "oap-1:11800", "10.0.0.7:11801");
        assertThat(c.target("/v1/metrics"))
                .isEqualTo("http://oap-0:11800,http://oap-1:11800,http://10.0.0.7:11801");
        assertThatThrownBy(() -> connection("endpoint", "http://oap-0,https://oap-1"))
                .hasMessageContaining("metrics.reporter.<name>.endpoint")
                .hasMessageContaining("same scheme");
        assertThatThrownBy(() -> connection("endpoint", " , "))
                .hasMessageContaining("no address is given");
        assertThatThrownBy(() -> connection("endpoint", "http://oap-0,http://oap-1/?token=hunter2"))
                .hasMessageContaining("metrics.reporter.<name>.endpoint")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void durationsAndSizesAcceptUnits() {
        assertThat(connection("timeout", "1 min").timeoutMillis).isEqualTo(60_000);
        assertThat(connection("timeout", "500ms").timeoutMillis).isEqualTo(500);
        assertThat(connection("timeout", "3s").timeoutMillis).isEqualTo(3000);
        assertThat(metrics("max-request-size", "512 kb").maxRequestBytes).isEqualTo(512 * 1024);
        assertThat(metrics("max-request-size", "50mb").maxRequestBytes).isEqualTo(50 * 1024 * 1024);
    }

    @Test
    void unknownKeysAreKeptForAWarning() {
        List<String> unknown = new java.util.ArrayList<>();
        for (String flinkKey : SkyWalkingReporterOptions.FLINK_KEYS) {
            unknown.addAll(unknownKeys("endpiont", "http://x", flinkKey, "x", "headers.x-a", "1"));
        }
        assertThat(unknown)
                .hasSize(SkyWalkingReporterOptions.FLINK_KEYS.size())
                .containsOnly("metrics.reporter.<name>.endpiont");
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("endpoint", "oap:11800"),
                Arguments.of("endpoint", "ftp://oap:21"),
                Arguments.of("endpoint", "http://"),
                Arguments.of("endpoint", "http://oap:11800/some/path"),
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
                Arguments.of("max-series", "99"),
                Arguments.of("max-series", "lots"),
                Arguments.of("token-file", "/no/such/token"),
                Arguments.of("include-task-attempt-id", "1"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("invalid")
    void invalidValuesNameTheFullKeyAndTheValue(String key, String value) {
        assertThatThrownBy(() -> checked(key, value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("metrics.reporter.<name>." + key)
                .hasMessageContaining("'" + value + "'");
    }

    @Test
    void invalidHeadersNeverEchoTheSecret() {
        assertThatThrownBy(() -> checked("headers", "Authorization Bearer-abcdefgh"))
                .hasMessageContaining("metrics.reporter.<name>.headers")
                .hasMessageNotContaining("abcdefgh");
        assertThatThrownBy(() -> checked("headers", "bad name=x"))
                .hasMessageContaining("metrics.reporter.<name>.headers")
                .hasMessageContaining("bad name");
        assertThatThrownBy(() -> checked("headers", "x-a=caf\u00e9-secret"))
                .hasMessageContaining("printable ASCII")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> checked("headers", "grpc-timeout=1"))
                .hasMessageContaining("the transport sets it");
        assertThatThrownBy(() -> checked("token", ""))
                .hasMessageContaining("metrics.reporter.<name>.token");
    }

    @Test
    void userInfoInTheEndpointIsRejectedAndMasked() {
        assertThatThrownBy(() -> connection("endpoint", "https://user:hunter2@oap:11800"))
                .hasMessageContaining("metrics.reporter.<name>.endpoint")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void queryAndFragmentInTheEndpointAreRejectedAndMasked() {
        assertThatThrownBy(() -> connection("endpoint", "http://oap:11800/?token=hunter2"))
                .hasMessageContaining("metrics.reporter.<name>.endpoint")
                .hasMessageContaining("'http://oap:11800/?******'")
                .hasMessageContaining("query and fragment are not supported")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> connection("endpoint", "https://oap:11800#key=hunter2"))
                .hasMessageContaining("'https://oap:11800#******'")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> connection("endpoint", "http ://oap/?token=hunter2"))
                .hasMessageContaining("not a URI")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void bothParsersNameTheirLimits() {
        assertThatThrownBy(() -> connection("timeout", "11 min"))
                .hasMessageContaining("'11 min'")
                .hasMessageContaining("must be at most 10 min");
        assertThatThrownBy(() -> metrics("max-request-size", "300 mb"))
                .hasMessageContaining("'300 mb'")
                .hasMessageContaining("must be between 16 kb and 256 mb");
        assertThatThrownBy(() -> metrics("max-request-size", "99999999999999999999 kb"))
                .hasMessageContaining("the number is too large");
    }

    @Test
    void theTokenComesFromAFileWhoseContentIsNeverEchoed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("oap-token");
        Files.write(file, "  s3cret-from-file\n".getBytes(StandardCharsets.UTF_8));
        ConnectionSettings c = connection("token-file", file.toString());
        assertThat(c.headers).containsEntry("authentication", "s3cret-from-file");
        assertThat(c.tokenFile).isEqualTo(file.toFile());
        assertThat(c.toString()).contains("token-file=" + file).doesNotContain("s3cret-from-file");

        assertThatThrownBy(() -> connection("token-file", file.toString(), "token", "other"))
                .hasMessageContaining("metrics.reporter.<name>.token ")
                .hasMessageContaining("metrics.reporter.<name>.token-file");

        Files.write(file, " \n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> connection("token-file", file.toString()))
                .hasMessageContaining("metrics.reporter.<name>.token-file")
                .hasMessageContaining("'" + file + "'")
                .hasMessageContaining("empty");

        Files.write(file, "s3cret\u00e9".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> connection("token-file", file.toString()))
                .hasMessageContaining("printable ASCII")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void maxSeriesHasADefaultNoOrdinaryJobReaches() {
        assertThat(metrics().maxSeries).isEqualTo(100_000);
        assertThat(metrics("max-series", "250").maxSeries).isEqualTo(250);
        Properties typed = new Properties();
        typed.put("max-series", 5000); // config.yaml hands over an Integer
        assertThat(MetricsSettings.read(new OptionReader(typed)).maxSeries).isEqualTo(5000);
    }

    @Test
    void mtlsNeedsBothFilesAndHttps(@TempDir Path dir) throws Exception {
        File cert = Files.write(dir.resolve("client.pem"), new byte[] {1}).toFile();
        assertThatThrownBy(
                        () ->
                                connection(
                                        "endpoint",
                                        "https://oap:11800",
                                        "tls.client-cert",
                                        cert.getPath()))
                .hasMessageContaining("metrics.reporter.<name>.tls.client-cert")
                .hasMessageContaining("metrics.reporter.<name>.tls.client-key");
        assertThatThrownBy(
                        () ->
                                connection(
                                        "endpoint",
                                        "http://oap:11800",
                                        "tls.ca-cert",
                                        cert.getPath()))
                .hasMessageContaining("https://");
    }

    @Test
    void aHeaderEntryWithoutNameIsNamedByItsPositionOnly() {
        assertThatThrownBy(() -> checked("headers", "x-tenant=blue,SecretValue"))
                .hasMessageContaining("metrics.reporter.<name>.headers")
                .hasMessageContaining("entry 2 of 2")
                .hasMessageNotContaining("Sec");
    }

    @Test
    void messagesNameTheKeysOfTheReporterThatReadsThem() {
        java.util.Properties p = TestGroups.properties("headers", "oops");
        assertThatThrownBy(() -> ConnectionSettings.read(new OptionReader(p, Signal.TRACES)))
                .hasMessageContaining("traces.reporter.<name>.headers");
    }
}
