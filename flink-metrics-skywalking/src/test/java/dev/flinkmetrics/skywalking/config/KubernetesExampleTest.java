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

import dev.flinkmetrics.skywalking.SkyWalkingReporterFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/kubernetes/} stays in step with the code: the reporter keys of the
 * FlinkDeployment are parsed as the factory parses them, and the names the files share agree. The
 * YAML is read line by line, the way the example promises it can be read.
 */
class KubernetesExampleTest {

    private static final Path EXAMPLE = Paths.get("..", "examples", "kubernetes");
    private static final String REPORTER_PREFIX = "metrics.reporter.sw.";

    /** A mapping entry {@code key: value} on one line, optionally a list item. */
    private static final Pattern ENTRY =
            Pattern.compile("^\\s*(?:- )?([A-Za-z0-9_.-]+):(?:\\s+(\\S.*))?$");

    @Test
    void reporterOptionsParseAsTheFactoryParsesThem(@TempDir Path dir) throws IOException {
        List<String> deployment = lines("flink-deployment.yaml");
        Map<String, String> reporter = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : flinkConfiguration(deployment).entrySet()) {
            if (entry.getKey().startsWith(REPORTER_PREFIX)) {
                reporter.put(entry.getKey().substring(REPORTER_PREFIX.length()), entry.getValue());
            }
        }
        assertThat(reporter)
                .containsKeys("factory.class", "endpoint", "cluster", "interval", "token-file");
        assertThat(reporter.get("factory.class"))
                .isEqualTo(SkyWalkingReporterFactory.class.getName());

        // The token file lies in the Secret's volume; the test puts a token where it would be.
        Path tokenFile = Paths.get(reporter.get("token-file"));
        assertThat(tokenFile.getParent())
                .as("token-file's folder is the Secret's mountPath")
                .isEqualTo(Paths.get(only(deployment, "mountPath")));
        assertThat(tokenFile.getFileName().toString())
                .as("token-file's name is the path of the Secret's item")
                .isEqualTo(only(deployment, "path"));
        Path token = dir.resolve("token");
        Files.write(token, "example-token\n".getBytes(StandardCharsets.UTF_8));
        Properties properties = new Properties();
        properties.putAll(reporter);
        properties.put("token-file", token.toString());

        OptionReader options = new OptionReader(properties);
        ConnectionSettings connection = ConnectionSettings.read(options);
        MetricsSettings metrics = MetricsSettings.read(options);
        assertThat(options.unknownKeys(SkyWalkingReporterOptions.ALL)).isEmpty();

        assertThat(connection.addresses).singleElement().extracting(a -> a.port).isEqualTo(11800);
        assertThat(connection.headers).containsEntry(Headers.AUTHENTICATION, "example-token");
        assertThat(metrics.clusterDefaulted).isFalse();
        assertThat(metrics.cluster).isEqualTo(metadataName(deployment));
    }

    @Test
    void theMountedSecretIsTheExampleSecret() throws IOException {
        List<String> deployment = lines("flink-deployment.yaml");
        List<String> secret = lines("oap-token-secret.yaml");
        assertThat(only(deployment, "secretName")).isEqualTo(metadataName(secret));
        assertThat(entries(block(secret, "stringData"))).containsKey(only(deployment, "key"));
        assertThat(only(deployment, "readOnly")).isEqualTo("true");
        // Kubernetes does not update a Secret mounted through subPath, so rotation would not work.
        assertThat(content(deployment)).noneMatch(line -> line.contains("subPath"));
    }

    @Test
    void theDockerfileCopiesThisVersionsJarIntoItsPluginFolder() throws IOException {
        String pom =
                new String(Files.readAllBytes(Paths.get("..", "pom.xml")), StandardCharsets.UTF_8);
        Matcher version =
                Pattern.compile(
                                "<artifactId>flink-metrics-skywalking-parent</artifactId>\\s*"
                                        + "<version>([^<]+)</version>")
                        .matcher(pom);
        assertThat(version.find()).as("project version in pom.xml").isTrue();
        List<String> dockerfile = content(lines("Dockerfile"));
        assertThat(dockerfile).contains("ARG PLUGIN_VERSION=" + version.group(1));
        assertThat(dockerfile)
                .contains(
                        "COPY flink-metrics-skywalking-${PLUGIN_VERSION}.jar"
                                + " /opt/flink/plugins/skywalking/");
    }

    private static List<String> lines(String file) throws IOException {
        return Files.readAllLines(EXAMPLE.resolve(file), StandardCharsets.UTF_8);
    }

    /** The lines that are neither blank nor comments. */
    private static List<String> content(List<String> lines) {
        List<String> content = new ArrayList<>();
        for (String line : lines) {
            String trimmed = line.trim();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                content.add(line);
            }
        }
        return content;
    }

    /** The content lines nested under the one line {@code <key>:}. */
    private static List<String> block(List<String> lines, String key) {
        List<String> block = new ArrayList<>();
        int indent = -1;
        for (String line : content(lines)) {
            int lineIndent = line.length() - line.trim().length();
            if (indent >= 0 && lineIndent <= indent) {
                break;
            }
            if (indent >= 0) {
                block.add(line);
            } else if (line.trim().equals(key + ":")) {
                indent = lineIndent;
            }
        }
        assertThat(indent).as("a line '" + key + ":'").isNotNegative();
        return block;
    }

    /**
     * The entries of a block whose lines must all be {@code key: value}, values unquoted. Nested
     * maps, lists and values over several lines fail.
     */
    private static Map<String, String> entries(List<String> block) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (String line : block) {
            Matcher m = ENTRY.matcher(line);
            assertThat(
                            m.matches()
                                    && m.group(2) != null
                                    && !m.group(2).matches("[|>][-+]?")
                                    && !line.trim().startsWith("-"))
                    .as("one line 'key: value': " + line)
                    .isTrue();
            assertThat(entries.put(m.group(1), unquote(m.group(2))))
                    .as("duplicate key " + m.group(1))
                    .isNull();
        }
        return entries;
    }

    private static Map<String, String> flinkConfiguration(List<String> deployment) {
        return entries(block(deployment, "flinkConfiguration"));
    }

    private static String metadataName(List<String> lines) {
        List<String> metadata = new ArrayList<>();
        for (String line : block(lines, "metadata")) {
            if (line.startsWith("  ") && !line.startsWith("   ")) {
                metadata.add(line);
            }
        }
        return entries(metadata).get("name");
    }

    /** The value of the one entry {@code key:} in the file. */
    private static String only(List<String> lines, String key) {
        List<String> values = new ArrayList<>();
        for (String line : content(lines)) {
            Matcher m = ENTRY.matcher(line);
            if (m.matches() && m.group(1).equals(key) && m.group(2) != null) {
                values.add(unquote(m.group(2)));
            }
        }
        assertThat(values).as("values of '" + key + ":'").hasSize(1);
        return values.get(0);
    }

    private static String unquote(String value) {
        String v = value.trim();
        if (v.length() >= 2
                && (v.charAt(0) == '"' || v.charAt(0) == '\'')
                && v.charAt(v.length() - 1) == v.charAt(0)) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }
}
