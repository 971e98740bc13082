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
package dev.flinkmetrics.skywalking.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.AlarmRule;
import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Expression;
import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Line;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The files under skywalking/ cannot drift apart: OAP 10.3's rules are OAP 11's, and the folder of
 * 10.0 to 10.2 is 10.3's with the layer changed and nothing else ({@code mvn test -pl
 * flink-metrics-skywalking-e2e -Dtest=SkyWalkingFilesTest -Dskywalking.update=true} rewrites both);
 * every metric a widget or an alarm rule names is defined by a rule file, and every rule's metric
 * is on a dashboard. RealOapIT loads them all into a real OAP.
 */
class SkyWalkingFilesTest {

    private static final String UPDATE =
            "regenerate with mvn test -pl flink-metrics-skywalking-e2e -Dtest=SkyWalkingFilesTest"
                    + " -Dskywalking.update=true";

    /** SkyWalking's own Flink templates: a project template of the same name would clash. */
    private static final List<String> SKYWALKING_TEMPLATES =
            Arrays.asList("Flink-Root", "Flink-JobManager", "Flink-TaskManager", "Flink-Job");

    @Test
    void oap103HasOap11sRules() throws Exception {
        Path source = Line.OAP_11.rules();
        List<Path> rules = SkyWalkingFiles.files(source);
        assertThat(rules).as("rule files of %s", source).isNotEmpty();
        Path copy = Line.OAP_10_3.rules();
        if (Boolean.getBoolean("skywalking.update")) {
            StandaloneFlink.deleteRecursively(copy);
            for (Path file : rules) {
                Files.createDirectories(copy.resolve(file).getParent());
                Files.copy(source.resolve(file), copy.resolve(file));
            }
        }
        assertThat(SkyWalkingFiles.files(copy))
                .as("rule files of %s; %s", copy, UPDATE)
                .isEqualTo(rules);
        for (Path file : rules) {
            assertThat(read(copy.resolve(file)))
                    .as("%s in %s, OAP 11's; %s", file, copy, UPDATE)
                    .isEqualTo(read(source.resolve(file)));
        }
    }

    @Test
    void theGeneralLinesFolderIsOap103sWithTheLayerChanged() throws Exception {
        List<Path> source = SkyWalkingFiles.files(Line.OAP_10_3);
        assertThat(source).as("files of %s", Line.OAP_10_3.dir).isNotEmpty();
        if (Boolean.getBoolean("skywalking.update")) {
            StandaloneFlink.deleteRecursively(Line.OAP_10_0.dir);
            for (Path file : source) {
                Path target = Line.OAP_10_0.dir.resolve(file);
                Files.createDirectories(target.getParent());
                Files.write(
                        target,
                        SkyWalkingFiles.derive(read(Line.OAP_10_3.dir.resolve(file)))
                                .getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(SkyWalkingFiles.files(Line.OAP_10_0))
                .as("files of %s; %s", Line.OAP_10_0.dir, UPDATE)
                .isEqualTo(source);
        for (Path file : source) {
            String text = read(Line.OAP_10_3.dir.resolve(file));
            String derived = SkyWalkingFiles.derive(text);
            assertThat(derived).as("%s names the layer", file).isNotEqualTo(text);
            assertThat(derived)
                    .as("%s names the layer FLINK only once", file)
                    .doesNotContain("FLINK)", "\"FLINK\"");
            assertThat(read(Line.OAP_10_0.dir.resolve(file)))
                    .as(
                            "%s in %s: OAP 10.3's with the layer changed; %s",
                            file, Line.OAP_10_0.dir, UPDATE)
                    .isEqualTo(derived);
        }
    }

    /** The booster UI's dashboards; Horizon's pages of OAP 11 have a test of their own. */
    @ParameterizedTest
    @EnumSource(
            value = Line.class,
            names = {"OAP_10_3", "OAP_10_0"})
    void everyWidgetMetricIsARuleAndEveryRuleIsOnADashboard(Line line) throws Exception {
        Set<String> rules = SkyWalkingFiles.ruleMetrics(line);
        assertThat(rules)
                .as("rule metrics, one file per entity")
                .contains(
                        "meter_flink_project_cluster_running_jobs",
                        "meter_flink_project_tm_records_in_per_second",
                        "meter_flink_project_tm_gc_time_ms_per_minute",
                        "meter_flink_project_tm_gc_count_per_minute",
                        "meter_flink_project_job_completed_checkpoints",
                        "meter_flink_project_job_watermark_lag_ms");

        Set<String> shown = new HashSet<>();
        for (Expression e : SkyWalkingFiles.expressions(line)) {
            assertThat(e.metrics()).as("metrics named by %s", e).isNotEmpty();
            assertThat(rules).as("rules defining what %s reads", e).containsAll(e.metrics());
            shown.addAll(e.metrics());
        }
        assertThat(shown).as("rule metrics on a dashboard").containsAll(rules);
    }

    @ParameterizedTest
    @EnumSource(
            value = Line.class,
            names = {"OAP_10_3", "OAP_10_0"})
    void templatesHaveTheShapeTheOapLoads(Line line) throws Exception {
        // The OAP loads one template per file from config/ui-initialized-templates/<folder>/.
        ObjectMapper json = new ObjectMapper();
        for (Path file : SkyWalkingFiles.files(line)) {
            if (file.toString().endsWith(".json")) {
                assertThat(file.getParent().toString())
                        .isEqualTo("ui-initialized-templates/custom");
                assertThat(json.readTree(line.dir.resolve(file).toFile()).size())
                        .as("templates in %s", file)
                        .isEqualTo(1);
            }
        }
        List<JsonNode> templates = SkyWalkingFiles.templates(line);
        assertThat(templates).hasSize(3);
        Map<String, String> entityOfName = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (JsonNode template : templates) {
            JsonNode c = template.get("configuration");
            assertThat(c).as("configuration of %s", template).isNotNull();
            assertThat(c.get("id").asText()).isEqualTo(template.get("id").asText());
            assertThat(c.get("layer").asText()).isEqualTo(line.layer);
            assertThat(c.get("entity").asText()).isIn("Service", "ServiceInstance", "Endpoint");
            assertThat(c.get("isRoot").asBoolean(true)).isFalse();
            assertThat(c.get("name").asText()).startsWith("Flink-Project-");
            assertThat(SKYWALKING_TEMPLATES).doesNotContain(c.get("name").asText());
            assertThat(ids.add(c.get("id").asText())).as("unique id %s", c.get("id")).isTrue();
            entityOfName.put(c.get("name").asText(), c.get("entity").asText());
        }
        for (JsonNode template : templates) {
            for (JsonNode widget : template.get("configuration").get("children")) {
                String kind = widget.get("type").asText();
                if (kind.equals("Event")) {
                    // The timeline opens expanded; the UI's default is a collapsed bar.
                    assertThat(template.get("configuration").get("entity").asText())
                            .as(
                                    "events on an instance or endpoint dashboard: the UI asks for them by ID and shows none")
                            .isEqualTo("Service");
                    assertThat(widget.get("eventDefaultCollapse").asBoolean(true)).isFalse();
                    continue;
                }
                if (kind.equals("Text")) {
                    // The way to the checkpoint spans: the Zipkin view SkyWalking's webapp serves.
                    assertThat(widget.get("graph").get("url").asText()).startsWith("/zipkin/");
                    assertThat(widget.get("graph").get("content").asText()).isNotEmpty();
                    continue;
                }
                assertThat(kind).isEqualTo("Widget");
                assertThat(widget.get("widget").get("title").asText()).isNotEmpty();
                assertThat(widget.get("metricConfig").size())
                        .as("a label per expression in %s", widget.get("widget"))
                        .isEqualTo(widget.get("expressions").size());
                JsonNode graph = widget.get("graph");
                String type = graph.get("type").asText();
                if (type.endsWith("List")) {
                    // A list links each row to the project's dashboard of that entity.
                    String linked = graph.get("dashboardName").asText();
                    assertThat(entityOfName.get(linked))
                            .as("entity of %s, which %s links to", linked, widget.get("widget"))
                            .isEqualTo(
                                    type.equals("InstanceList") ? "ServiceInstance" : "Endpoint");
                    assertThat(widget.get("subExpressions").size())
                            .isEqualTo(widget.get("expressions").size());
                }
            }
        }
        // Each widget reads metrics of the entity it is evaluated for.
        for (Expression e : SkyWalkingFiles.expressions(line)) {
            for (String metric : e.metrics()) {
                assertThat(metric).as("metric of %s", e).startsWith(metricPrefixOf(e.entity));
            }
        }
    }

    @Test
    void alarmRulesLoadOnEveryLineAndNameWhoAndHowBad() throws Exception {
        List<AlarmRule> rules = SkyWalkingFiles.alarmRules();
        assertThat(rules).hasSizeGreaterThanOrEqualTo(11);
        Set<String> defined = new HashSet<>(SkyWalkingFiles.ruleMetrics(Line.OAP_11));
        for (Line line : Line.values()) {
            assertThat(SkyWalkingFiles.ruleMetrics(line))
                    .as("rules of %s", line)
                    .isEqualTo(defined);
        }
        Set<String> messages = new HashSet<>();
        List<String> scopes = new ArrayList<>();
        for (AlarmRule rule : rules) {
            assertThat(rule.name).endsWith("_rule").startsWith("flink_");
            assertThat(rule.fields)
                    .containsKeys("expression", "period", "silence-period", "message", "tags");
            // The syntax of OAP 10.1, which every later line reads.
            assertThat(rule.expression()).doesNotContain("&&", "||");
            assertThat(rule.fields).doesNotContainKey("recovery-observation-period");
            assertThat(rule.fields.get("period")).isInstanceOf(Integer.class);
            assertThat(rule.fields.get("silence-period")).isInstanceOf(Integer.class);
            assertThat(rule.message()).as("message of %s", rule.name).contains("{name}");
            assertThat(messages.add(rule.message())).as("a message of its own").isTrue();
            assertThat(String.valueOf(rule.fields.get("tags")))
                    .matches("\\{level=(WARNING|CRITICAL)}");
            // A metric the OAP does not define stops it: only the project's own metrics.
            Set<String> metrics = SkyWalkingFiles.metricsIn(rule.expression());
            assertThat(metrics).as("metrics of %s", rule).isNotEmpty();
            assertThat(defined).as("rules defining what %s reads", rule).containsAll(metrics);
            String scope = rule.name.split("_")[1];
            scopes.add(scope);
            for (String metric : metrics) {
                assertThat(metric)
                        .as("one entity per rule: %s", rule)
                        .startsWith(
                                metricPrefixOf(
                                        scope.equals("job")
                                                ? "Endpoint"
                                                : scope.equals("taskmanager")
                                                        ? "ServiceInstance"
                                                        : "Service"));
            }
        }
        assertThat(scopes).contains("job", "cluster", "taskmanager");
    }

    private static String metricPrefixOf(String entity) {
        switch (entity) {
            case "Endpoint":
                return "meter_flink_project_job_";
            case "ServiceInstance":
                return "meter_flink_project_tm_";
            default:
                return "meter_flink_project_cluster_";
        }
    }

    private static String read(Path file) throws Exception {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }
}
