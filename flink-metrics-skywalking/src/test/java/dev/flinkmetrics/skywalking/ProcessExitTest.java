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

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.OtlpTestServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flink never closes trace and event reporters: a JobManager or TaskManager that stops just exits.
 * The last span and event of a process (the job FINISHED, its final checkpoint) must still reach
 * the OAP, and an OAP that does not answer must not hold the exit longer than the reporters' {@code
 * timeout}. Each case runs {@link ExitingProcess} in its own JVM.
 */
class ProcessExitTest {

    private OtlpTestServer server;
    private Process child;

    @BeforeEach
    void setUp() throws Exception {
        server = new OtlpTestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (child != null && child.isAlive()) {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            server.close();
        }
    }

    @Test
    void theLastSpanAndEventOfAProcessReachTheOapAsItExits() throws Exception {
        // A receiver that takes a moment: the requests are still under way when the JVM exits.
        server.delay(300);
        server.events().delay(300);

        Exit exit = runChild("5 s");

        assertThat(exit.code).as("exit code; output:%n%s", exit.output).isZero();
        assertThat(server.spans()).as("spans received; child output:%n%s", exit.output).hasSize(1);
        assertThat(server.spans().get(0).getName()).isEqualTo("Checkpoint");
        assertThat(server.events().events())
                .as("events received; child output:%n%s", exit.output)
                .hasSize(1);
        assertThat(server.events().events().get(0).getParametersMap())
                .containsEntry("newJobStatus", "FINISHED");
    }

    @Test
    void anOapThatDoesNotAnswerHoldsTheExitNoLongerThanTheTimeout() throws Exception {
        // Far longer than the reporters' timeout: only the timeout can end the exit early.
        server.delay(120_000);
        server.events().delay(120_000);

        Exit exit = runChild("1 s");

        assertThat(exit.code).as("exit code; output:%n%s", exit.output).isZero();
        System.out.printf("exit took %d ms after the last report (timeout 1 s)%n", exit.millis);
        // The timeout, the close grace, and a generous margin for a loaded machine: far below the
        // two minutes the receiver would hold the requests.
        assertThat(exit.millis).isLessThan(15_000);
        assertThat(server.spans()).isEmpty();
    }

    private static final class Exit {
        final int code;
        final long millis;
        final String output;

        Exit(int code, long millis, String output) {
            this.code = code;
            this.millis = millis;
            this.output = output;
        }
    }

    /** Runs {@link ExitingProcess}; the time is from its last report to its end. */
    private Exit runChild(String timeout) throws Exception {
        String java =
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new ArrayList<>();
        command.add(java);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ExitingProcess.class.getName());
        command.add(server.endpoint());
        command.add(timeout);
        child = new ProcessBuilder(command).redirectErrorStream(true).start();

        StringBuilder output = new StringBuilder();
        long reportedAt = 0;
        try (BufferedReader lines =
                new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.equals(ExitingProcess.REPORTED)) {
                    reportedAt = System.nanoTime();
                }
                output.append(line).append('\n');
            }
        }
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child ended").isTrue();
        long end = System.nanoTime();
        assertThat(reportedAt).as("the child reported; output:%n%s", output).isPositive();
        return new Exit(
                child.exitValue(),
                TimeUnit.NANOSECONDS.toMillis(end - reportedAt),
                output.toString());
    }
}
