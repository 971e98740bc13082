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

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} is generated from {@link SkyWalkingReporterOptions}. This test
 * fails when they drift; {@code mvn test -Dtest=ConfigurationDocsTest -Ddocs.update=true} rewrites
 * the file.
 */
class ConfigurationDocsTest {

    private static final Path DOC = Paths.get("..", "docs", "configuration.md");

    static String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Configuration reference\n\n")
                .append("<!-- Generated from SkyWalkingReporterOptions.java by")
                .append(" ConfigurationDocsTest; do not edit by hand. -->\n\n")
                .append("The plugin holds three reporters. Every key goes under the prefix of the")
                .append(" reporter that reads it, where `<name>` is the name you give the reporter")
                .append(" (for example `sw`): `metrics.reporter.<name>.` for metrics,")
                .append(" `traces.reporter.<name>.` for spans (Flink 1.19 and later) and")
                .append(
                        " `events.reporter.<name>.` for events (Flink 2.1 and later; Flink sends job events from 2.2). The column Reporters")
                .append(" says which read a key. Flink's own reporter keys (`")
                .append(String.join("`, `", SkyWalkingReporterOptions.FLINK_KEYS))
                .append("`) work as for any reporter.\n\n")
                .append("| Key | Default | Reporters | Description |\n")
                .append("|-----|---------|-----------|-------------|\n");
        for (ReporterOption option : SkyWalkingReporterOptions.ALL) {
            StringBuilder signals = new StringBuilder();
            for (Signal signal : option.signals) {
                signals.append(signals.length() == 0 ? "" : ", ")
                        .append(signal.name().toLowerCase(java.util.Locale.ROOT));
            }
            sb.append("| `")
                    .append(option.key)
                    .append("` | ")
                    .append(
                            option.defaultValue.isEmpty()
                                    ? "(none)"
                                    : "`" + option.defaultValue + "`")
                    .append(" | ")
                    .append(signals)
                    .append(" | ")
                    .append(option.description.replace("|", "\\|"))
                    .append(" |\n");
        }
        sb.append(
                        "\nA bad value stops the reporter at startup with a message that names the key and")
                .append(" the value; Flink logs it and runs on without this reporter.\n");
        return sb.toString();
    }

    @Test
    void readmeNamesEveryOption() throws Exception {
        String readme =
                new String(
                        Files.readAllBytes(Paths.get("..", "README.md")), StandardCharsets.UTF_8);
        for (ReporterOption option : SkyWalkingReporterOptions.ALL) {
            assertThat(readme).as("README mentions " + option.key).contains("`" + option.key + "`");
        }
    }

    @Test
    void exampleConfigurationsUseOnlyKnownKeys() throws Exception {
        java.util.Set<String> known = new java.util.HashSet<>();
        for (ReporterOption option : SkyWalkingReporterOptions.ALL) {
            known.add(option.key);
        }
        known.addAll(SkyWalkingReporterOptions.FLINK_KEYS);
        java.util.regex.Pattern key =
                java.util.regex.Pattern.compile("^#?\\s*metrics\\.reporter\\.sw\\.([^:\\s]+):");
        int seen = 0;
        for (String file : new String[] {"config.yaml", "flink-conf.yaml"}) {
            Path path = Paths.get("..", "examples", "flink-conf", file);
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                java.util.regex.Matcher m = key.matcher(line);
                if (m.find()) {
                    seen++;
                    assertThat(known).as(file + ": " + line).contains(m.group(1));
                }
            }
        }
        assertThat(seen).isGreaterThan(10);
    }

    @Test
    void documentationMatchesTheOptions() throws Exception {
        String expected = render();
        if (Boolean.getBoolean("docs.update")) {
            Files.write(DOC, expected.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(DOC).as("docs/configuration.md exists").exists();
        String actual = new String(Files.readAllBytes(DOC), StandardCharsets.UTF_8);
        assertThat(actual)
                .as(
                        "docs/configuration.md is out of date; regenerate it with"
                                + " mvn test -pl flink-metrics-skywalking -Dtest=ConfigurationDocsTest"
                                + " -Ddocs.update=true")
                .isEqualTo(expected);
    }
}
