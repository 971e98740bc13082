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

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import dev.flinkmetrics.skywalking.testing.ReporterHarness;
import dev.flinkmetrics.skywalking.testing.TestGroups;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A token from a file, as a Kubernetes Secret mounts it, rotated while the reporter runs. */
class TokenFileTest {

    private static final String OLD_TOKEN = "old-token-5d2e";
    private static final String NEW_TOKEN = "new-token-9a71";

    @RegisterExtension
    final ReporterHarness harness = ReporterHarness.withReceiver("cluster", "rotating");

    @TempDir Path dir;

    /** A reporter with one JobManager metric, its token read from {@code tokenFile}. */
    private SkyWalkingMetricReporter reporterReading(Path tokenFile) {
        SkyWalkingMetricReporter reporter =
                harness.reporter("token-file", tokenFile.toString(), "timeout", "2 s");
        reporter.notifyOfAddedMetric(
                new SimpleCounter(),
                "numRunningJobs",
                group("jobmanager", TestGroups.jobManagerVariables()));
        return reporter;
    }

    @Test
    void aRotatedTokenIsReadAgainWhenTheOapRefusesTheOldOne() throws Exception {
        OtlpTestServer server = harness.receiver();
        Path tokenFile = dir.resolve("oap-token");
        // A Secret volume holds the value as written, often with a trailing newline.
        Files.write(tokenFile, (OLD_TOKEN + "\n").getBytes(StandardCharsets.UTF_8));
        server.requireToken(NEW_TOKEN);
        SkyWalkingMetricReporter reporter = reporterReading(tokenFile);

        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(server.received()).isEmpty();
        assertThat(reporter.selfMetrics().exportFailures.get()).isEqualTo(1);

        // The Secret is rotated: the next refusal makes the reporter read the file again.
        Files.write(tokenFile, NEW_TOKEN.getBytes(StandardCharsets.UTF_8));
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(server.received()).hasSize(1);
        assertThat(server.received().get(0).headers).containsEntry("authentication", NEW_TOKEN);

        // From then on the new token goes first: no refusal in between.
        int calls = server.calls();
        reporter.report();
        assertThat(reporter.awaitExport(10_000)).isTrue();
        assertThat(server.calls()).isEqualTo(calls + 1);
        assertThat(server.received()).hasSize(2);

        assertThat(harness.log().at(Level.INFO))
                .filteredOn(m -> m.contains("holds a new one"))
                .singleElement()
                .asString()
                .contains(tokenFile.toString());
        assertThat(harness.log().all()).doesNotContain(OLD_TOKEN).doesNotContain(NEW_TOKEN);
    }

    @Test
    void anUnreadableFileKeepsTheTokenReadBeforeAndSaysSoOnce() throws Exception {
        OtlpTestServer server = harness.receiver();
        Path tokenFile = dir.resolve("oap-token");
        Files.write(tokenFile, OLD_TOKEN.getBytes(StandardCharsets.UTF_8));
        server.requireToken(NEW_TOKEN);
        SkyWalkingMetricReporter reporter = reporterReading(tokenFile);
        Files.delete(tokenFile);

        for (int i = 0; i < 3; i++) {
            reporter.report();
            assertThat(reporter.awaitExport(10_000)).isTrue();
        }
        assertThat(harness.log().at(Level.WARN))
                .filteredOn(m -> m.contains("Cannot read the token"))
                .singleElement()
                .asString()
                .contains(tokenFile.toString());
        assertThat(harness.log().all()).doesNotContain(OLD_TOKEN);
    }
}
