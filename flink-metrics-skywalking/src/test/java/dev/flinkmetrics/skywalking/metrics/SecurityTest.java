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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flinkmetrics.skywalking.testing.LogCapture;
import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestCertificates;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.nio.file.Path;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** TLS, mTLS and the OAP token, against receivers with certificates from a CA made here. */
class SecurityTest {

    private static final String TOKEN = "oap-secret-token-4f1c";

    @TempDir static Path dir;
    private static TestCertificates certs;

    @RegisterExtension
    final ReporterHarness harness =
            ReporterHarness.withoutReceiver("cluster", "secure", "timeout", "2 s");

    private OtlpTestServer server;
    private SkyWalkingMetricReporter reporter;
    private LogCapture log;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCertificates(dir);
    }

    @BeforeEach
    void captureLogs() {
        log = harness.log();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.closeReporters();
        if (server != null) {
            server.close();
        }
        // Whatever happened, no secret reached a log line.
        assertThat(log.all())
                .doesNotContain(TOKEN)
                .doesNotContain(TestCertificates.body(certs.clientKey));
    }

    private SkyWalkingMetricReporter create(String endpoint, String... keyValues) {
        reporter = harness.reporter(concat(new String[] {"endpoint", endpoint}, keyValues));
        assertThat(reporter.toString()).doesNotContain(TOKEN);
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        return reporter;
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    private void exportOnce() {
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
    }

    @Test
    void tlsWithTheTestCa() throws Exception {
        server = new OtlpTestServer(certs.serverCert, certs.serverKey, null);
        create(server.endpoint(), "tls.ca-cert", certs.caCert.getPath(), "token", TOKEN);
        server.requireToken(TOKEN);
        exportOnce();
        assertThat(server.received()).hasSize(1);
        assertThat(server.received().get(0).headers).containsEntry("authentication", TOKEN);
    }

    @Test
    void mutualTls() throws Exception {
        server = new OtlpTestServer(certs.serverCert, certs.serverKey, certs.caCert);
        create(
                server.endpoint(),
                "tls.ca-cert",
                certs.caCert.getPath(),
                "tls.client-cert",
                certs.clientCert.getPath(),
                "tls.client-key",
                certs.clientKey.getPath());
        exportOnce();
        assertThat(server.received()).hasSize(1);
    }

    @Test
    void missingClientCertificateIsAClearError() throws Exception {
        server = new OtlpTestServer(certs.serverCert, certs.serverKey, certs.caCert);
        create(server.endpoint(), "tls.ca-cert", certs.caCert.getPath());
        exportOnce();
        assertThat(server.received()).isEmpty();
        assertThat(log.at(Level.WARN)).singleElement().asString().contains(server.endpoint());
    }

    @Test
    void untrustedServerCertificateIsATlsError() throws Exception {
        server = new OtlpTestServer(certs.serverCert, certs.serverKey, null);
        create(server.endpoint(), "tls.ca-cert", certs.otherCaCert.getPath());
        exportOnce();
        exportOnce();
        assertThat(server.received()).isEmpty();
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("TLS handshake failed")
                .contains("signed by the configured CA");
    }

    @Test
    void httpsToAPlaintextReceiverIsAClearError() throws Exception {
        server = new OtlpTestServer();
        create(server.endpoint().replace("http://", "https://"));
        exportOnce();
        assertThat(server.received()).isEmpty();
        assertThat(log.at(Level.WARN)).singleElement().asString().contains("TLS");
    }

    @Test
    void httpToATlsReceiverIsAClearError() throws Exception {
        server = new OtlpTestServer(certs.serverCert, certs.serverKey, null);
        create(server.endpoint().replace("https://", "http://"));
        exportOnce();
        assertThat(server.received()).isEmpty();
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("UNAVAILABLE")
                .contains(server.endpoint().replace("https://", "http://"));
    }

    @Test
    void wrongTokenIsLoggedOnceWithoutTheToken() throws Exception {
        server = new OtlpTestServer();
        server.requireToken("the-real-one");
        create(server.endpoint(), "token", TOKEN);
        exportOnce();
        exportOnce();
        assertThat(log.at(Level.WARN))
                .singleElement()
                .asString()
                .contains("PERMISSION_DENIED")
                .contains("metrics.reporter.<name>.token");
    }

    @Test
    void badKeyMaterialFailsAtStartupNamingFilesNotContents() throws Exception {
        assertThatThrownBy(
                        () ->
                                create(
                                        "https://127.0.0.1:1",
                                        "tls.client-cert",
                                        certs.clientKey.getPath(),
                                        "tls.client-key",
                                        certs.clientCert.getPath()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("metrics.reporter.<name>.tls.client-key")
                .hasMessageNotContaining(TestCertificates.body(certs.clientKey));
    }
}
