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

import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Expression;
import dev.flinkmetrics.skywalking.e2e.SkyWalkingFiles.Line;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The project's Horizon UI pages ({@link SkyWalkingFiles#horizonPages()}) hold to what Horizon 1.0
 * accepts in a layer template, restated here from its schema (apps/bff, {@code
 * logic/dashboard/schema.ts} and {@code logic/templates/bundled-schema.ts}) so that no Horizon is
 * needed at test time: Horizon's template store, the OAP, validates nothing, and a widget Horizon
 * cannot draw would be published as it is. The Horizon check (profile {@code horizon-check}) runs
 * Horizon's own validator over the template the OAP holds once the pages are installed.
 *
 * <p>Also the file's contract with the install command (a partial template: the pages, and objects
 * merged key by key; every page id {@code flink-project-*}), and the project's own rules: every
 * widget reads metrics the project's rules define for the entity its page is about, and the pages
 * show everything the booster UI's dashboards of the project show.
 */
class HorizonPagesSchemaTest {

    /** The keys of a layer template (bundled-schema.ts, {@code .strict()}). */
    private static final Set<String> LAYER_KEYS =
            set(
                    "key",
                    "alias",
                    "splitByServiceGroup",
                    "group",
                    "visibility",
                    "color",
                    "documentLink",
                    "aliases",
                    "slots",
                    "components",
                    "layer-header",
                    "metrics",
                    "dashboards",
                    "dashboardExtPages",
                    "dashboardDefaultFilters",
                    "menuOrder",
                    "widgets",
                    "topology",
                    "endpointDependency",
                    "processTopology",
                    "deployment",
                    "traces",
                    "log",
                    "naming",
                    "instances");

    private static final Set<String> COMPONENTS =
            set(
                    "service",
                    "instances",
                    "endpoints",
                    "endpointDependency",
                    "topology",
                    "traces",
                    "logs",
                    "browserErrors",
                    "traceProfiling",
                    "ebpfProfiling",
                    "asyncProfiling",
                    "networkProfiling",
                    "pprofProfiling",
                    "continuousProfiling",
                    "podLogs",
                    "deployment");

    /** The scopes that can have extension pages, and the component each needs switched on. */
    private static final Map<String, String> PAGE_SCOPES = new LinkedHashMap<>();

    static {
        PAGE_SCOPES.put("service", "service");
        PAGE_SCOPES.put("instance", "instances");
        PAGE_SCOPES.put("endpoint", "endpoints");
    }

    private static final Set<String> PAGE_KEYS =
            set(
                    "id",
                    "name",
                    "alias",
                    "serviceFilter",
                    "instanceFilter",
                    "instanceAttributes",
                    "widgets");

    /** A page id is a route segment: Horizon's pattern, length and the layer rows it may not be. */
    private static final Pattern PAGE_ID = Pattern.compile("[a-z0-9][a-z0-9-]*");

    private static final int MAX_PAGE_ID = 48;
    private static final int MAX_PAGE_NAME = 64;
    private static final int MAX_PAGES_PER_SCOPE = 12;
    private static final Set<String> LAYER_ROWS =
            set(
                    "service",
                    "instance",
                    "endpoint",
                    "topology",
                    "deployment",
                    "dependency",
                    "trace",
                    "zipkin-trace",
                    "logs",
                    "browser-errors",
                    "pod-logs",
                    "trace-profiling",
                    "ebpf-profiling",
                    "network-profiling",
                    "continuous-profiling",
                    "pprof",
                    "async-profiling");

    /** The keys of a leaf widget (schema.ts, leafWidgetSchema); others are dropped at load. */
    private static final Set<String> WIDGET_KEYS =
            set(
                    "id",
                    "title",
                    "tip",
                    "type",
                    "expressions",
                    "expressionLabels",
                    "expressionUnits",
                    "expressionAxes",
                    "unit",
                    "tableHeaders",
                    "showTableValues",
                    "span",
                    "rowSpan",
                    "format",
                    "valueMap",
                    "valueColors",
                    "labelTopN",
                    "visibleWhen",
                    "traceDrill",
                    "x",
                    "y",
                    "w",
                    "h");

    private static final Set<String> WIDGET_TYPES = set("card", "line", "top", "record", "table");
    private static final Set<String> FORMATS = set("int", "decimal", "compact", "duration", "enum");
    private static final int MAX_EXPRESSIONS = 16;

    /** Every metric an MQE expression names. */
    private static final Pattern METRIC = Pattern.compile("\\bmeter_[A-Za-z0-9_]+");

    private static final Pattern TOP_N =
            Pattern.compile("top_n\\((meter_[A-Za-z0-9_]+),\\s*[1-9][0-9]?,\\s*(des|asc)\\)");
    private static final Pattern LATEST = Pattern.compile("latest\\((meter_[A-Za-z0-9_]+)\\)");
    private static final Pattern AGGREGATE_LABELS =
            Pattern.compile("aggregate_labels\\((meter_[A-Za-z0-9_]+),\\s*(sum|max|min|avg)\\)");

    private static JsonNode file;

    /** The metrics the project's rules define, each with the entity it is kept for. */
    private static Map<String, String> ruleMetrics;

    @BeforeAll
    static void read() throws Exception {
        file = new ObjectMapper().readTree(SkyWalkingFiles.horizonPages().toFile());
        ruleMetrics = SkyWalkingFiles.metricsByEntity(Line.OAP_11.rules().resolve("flink-project"));
    }

    @Test
    void theFileIsAPartialFlinkTemplateTheInstallCommandMerges() {
        assertThat(file.isObject())
                .as("%s is a JSON object", SkyWalkingFiles.horizonPages())
                .isTrue();
        for (String key : names(file)) {
            assertThat(LAYER_KEYS)
                    .as("top-level key %s: a key of a layer template", key)
                    .contains(key);
            // Objects are merged into the OAP's template key by key; an array would replace one.
            assertThat(file.get(key).isObject()).as("%s is an object", key).isTrue();
            if (!key.equals("dashboardExtPages")) {
                assertNoArray(file.get(key), key);
            }
        }
        assertThat(names(file)).contains("dashboardExtPages", "components", "traces");
        // The checkpoint spans reach the OAP as Zipkin traces: the layer's trace view in Zipkin
        // form.
        assertThat(file.at("/components/traces").asBoolean(false)).isTrue();
        assertThat(file.at("/traces/source").asText()).isEqualTo("zipkin");
        for (String component : names(file.get("components"))) {
            assertThat(COMPONENTS).as("component %s", component).contains(component);
            assertThat(file.get("components").get(component).isBoolean()).isTrue();
        }
        assertThat(names(file.get("traces"))).containsExactly("source");
        for (JsonNode page : pages()) {
            // The install command replaces exactly the pages of this prefix and keeps the rest.
            assertThat(page.path("id").asText())
                    .as("page id: the install command's prefix")
                    .startsWith("flink-project-");
        }
    }

    @Test
    void pagesAndWidgetsHoldToHorizonsSchema() {
        assertThat(names(file.get("dashboardExtPages")))
                .as("scopes with pages")
                .containsExactlyElementsOf(PAGE_SCOPES.keySet());
        for (String scope : PAGE_SCOPES.keySet()) {
            JsonNode pages = file.get("dashboardExtPages").get(scope);
            assertThat(pages.isArray()).isTrue();
            assertThat(pages.size()).isBetween(1, MAX_PAGES_PER_SCOPE);
            // Horizon answers a dashboard by widget id: unique across every page of one scope.
            Set<String> widgetIds = new HashSet<>();
            Set<String> pageIds = new HashSet<>();
            for (JsonNode page : pages) {
                String id = page.path("id").asText();
                assertThat(PAGE_KEYS).as("keys of page %s", id).containsAll(names(page));
                assertThat(id).matches(PAGE_ID).hasSizeLessThanOrEqualTo(MAX_PAGE_ID);
                assertThat(LAYER_ROWS).as("page id %s is a layer row", id).doesNotContain(id);
                assertThat(pageIds.add(id)).as("page id %s unique in %s", id, scope).isTrue();
                assertThat(page.path("name").asText().trim())
                        .as("name of %s: its menu row", id)
                        .isNotEmpty()
                        .hasSizeLessThanOrEqualTo(MAX_PAGE_NAME);
                assertThat(page.path("widgets").size()).as("widgets of %s", id).isPositive();
                for (JsonNode widget : page.get("widgets")) {
                    String where = scope + "/" + id + "/" + widget.path("id").asText();
                    assertWidget(widget, where);
                    assertThat(widgetIds.add(widget.get("id").asText()))
                            .as("widget id of %s unique in %s", where, scope)
                            .isTrue();
                }
            }
        }
    }

    /** One widget: Horizon's leaf-widget schema, then the project's rules for a readable widget. */
    private static void assertWidget(JsonNode w, String where) {
        assertThat(WIDGET_KEYS).as("keys of %s", where).containsAll(names(w));
        assertThat(w.path("id").asText())
                .as("%s: the project's widget ids cannot collide with SkyWalking's", where)
                .startsWith("project_");
        assertThat(w.path("title").asText()).as("title of %s", where).isNotBlank();
        assertThat(WIDGET_TYPES).as("type of %s", where).contains(w.path("type").asText());
        JsonNode expressions = w.path("expressions");
        assertThat(expressions.isArray()).as("expressions of %s", where).isTrue();
        assertThat(expressions.size()).as("expressions of %s", where).isBetween(1, MAX_EXPRESSIONS);
        for (JsonNode e : expressions) {
            assertThat(e.isTextual() && !e.asText().trim().isEmpty())
                    .as("expression of %s", where)
                    .isTrue();
        }
        for (String list : new String[] {"expressionLabels", "expressionUnits", "expressionAxes"}) {
            if (w.has(list)) {
                // Horizon takes up to 16; a label per expression, or a series goes unnamed.
                assertThat(w.get(list).size())
                        .as("%s of %s: one per expression", list, where)
                        .isEqualTo(expressions.size());
            }
        }
        for (JsonNode axis : w.path("expressionAxes")) {
            assertThat(axis.isInt() && (axis.asInt() == 0 || axis.asInt() == 1))
                    .as("axis of %s", where)
                    .isTrue();
        }
        assertIntBetween(w, "span", 1, 12, where);
        assertIntBetween(w, "rowSpan", 1, 64, where);
        assertThat(w.has("span")).as("%s places itself on the 12-column grid", where).isTrue();
        if (w.has("format")) {
            assertThat(FORMATS).as("format of %s", where).contains(w.get("format").asText());
        }
        // A number the reader can place: a unit, or a count shown as a whole number.
        assertThat(w.has("unit") || w.path("format").asText().equals("int"))
                .as("%s has a unit or counts (format int)", where)
                .isTrue();
        if (w.has("unit")) {
            assertThat(w.get("unit").asText()).as("unit of %s", where).isNotBlank();
        }
        if (w.path("type").asText().equals("line") && expressions.size() > 1) {
            assertThat(w.has("expressionLabels")).as("legend of %s", where).isTrue();
        }
    }

    @Test
    void everyExpressionReadsTheProjectsMetricsOfItsPagesEntity() {
        for (String scope : PAGE_SCOPES.keySet()) {
            for (JsonNode page : file.get("dashboardExtPages").get(scope)) {
                for (JsonNode w : page.get("widgets")) {
                    String where =
                            scope + "/" + page.get("id").asText() + "/" + w.get("id").asText();
                    String type = w.get("type").asText();
                    for (JsonNode node : w.get("expressions")) {
                        String e = node.asText();
                        assertThat(balanced(e)).as("parentheses of %s: %s", where, e).isTrue();
                        Set<String> metrics = metricsIn(e);
                        assertThat(metrics).as("metrics of %s: %s", where, e).isNotEmpty();
                        assertThat(ruleMetrics.keySet())
                                .as("the project's rules define what %s reads: %s", where, e)
                                .containsAll(metrics);
                        if (type.equals("top")) {
                            // A top list on a page ranks the entities of the page's service.
                            assertThat(e).as("%s: a top_n", where).matches(TOP_N);
                            assertThat(scope)
                                    .as("%s ranks a service's entities", where)
                                    .isEqualTo("service");
                            assertThat(entityOf(metrics))
                                    .as("%s ranks TaskManagers or jobs", where)
                                    .isIn("ServiceInstance", "Endpoint");
                        } else {
                            assertThat(entityOf(metrics))
                                    .as("%s reads metrics of the %s page's entity", where, scope)
                                    .isEqualTo(entityOfScope(scope));
                        }
                        if (type.equals("card")) {
                            assertThat(e).as("%s: a card shows one value", where).matches(LATEST);
                        }
                        Matcher aggregate = AGGREGATE_LABELS.matcher(e);
                        while (aggregate.find()) {
                            // Only the job's task metrics are kept per TaskManager (a label to
                            // fold).
                            assertThat(aggregate.group(1))
                                    .as("%s folds a metric kept per TaskManager", where)
                                    .isIn(perTaskManagerJobMetrics());
                        }
                    }
                }
            }
        }
    }

    @Test
    void thePagesShowEveryRuleMetricAndWhatTheBoosterDashboardsShow() throws Exception {
        Set<String> shown = new HashSet<>();
        for (JsonNode page : pages()) {
            for (JsonNode w : page.get("widgets")) {
                for (JsonNode e : w.get("expressions")) {
                    shown.addAll(metricsIn(e.asText()));
                }
            }
        }
        assertThat(shown).as("rule metrics on a Horizon page").containsAll(ruleMetrics.keySet());
        Set<String> booster = new LinkedHashSet<>();
        for (Expression e : SkyWalkingFiles.expressions(Line.OAP_10_3)) {
            booster.addAll(e.metrics());
        }
        assertThat(shown).as("what the booster UI's dashboards show").containsAll(booster);
    }

    /** A checker that passes everything would prove nothing: the rules above catch real faults. */
    @Test
    void theRulesCatchWhatHorizonRejects() {
        assertThat(balanced("(meter_flink_project_job_restarts)/1024)")).isFalse();
        assertThat(balanced("aggregate_labels(meter_flink_project_job_restarts,sum)")).isTrue();
        assertThat("top_n(meter_flink_project_tm_heap_used_percent,10,des)").matches(TOP_N);
        assertThat("top_n(meter_flink_project_tm_heap_used_percent,10)").doesNotMatch(TOP_N);
        assertThat(metricsIn("meter_flink_jobManager_jvm_cpu_load/10"))
                .as("SkyWalking's metrics are seen, and then are not the project's")
                .containsExactly("meter_flink_jobManager_jvm_cpu_load")
                .doesNotContainAnyElementsOf(ruleMetrics.keySet());
        assertThat("flink-project-Job").doesNotMatch(PAGE_ID);
        assertThat(LAYER_ROWS).contains("trace");
    }

    private static List<JsonNode> pages() {
        List<JsonNode> pages = new ArrayList<>();
        for (JsonNode scope : file.get("dashboardExtPages")) {
            scope.forEach(pages::add);
        }
        return pages;
    }

    private static String entityOf(Set<String> metrics) {
        Set<String> entities = new HashSet<>();
        for (String m : metrics) {
            entities.add(ruleMetrics.get(m));
        }
        assertThat(entities).as("one entity for %s", metrics).hasSize(1);
        return entities.iterator().next();
    }

    private static String entityOfScope(String scope) {
        return scope.equals("service")
                ? "Service"
                : scope.equals("instance") ? "ServiceInstance" : "Endpoint";
    }

    /** The job metrics of the rule file that keeps the label {@code taskManager_node}. */
    private static Set<String> perTaskManagerJobMetrics() {
        try {
            return SkyWalkingFiles.metricsByEntity(
                            Line.OAP_11
                                    .rules()
                                    .resolve("flink-project")
                                    .resolve("flink-project-job-tasks.yaml"))
                    .keySet();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Set<String> metricsIn(String expression) {
        Set<String> metrics = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(expression);
        while (m.find()) {
            metrics.add(m.group());
        }
        return metrics;
    }

    private static boolean balanced(String expression) {
        int depth = 0;
        for (char c : expression.toCharArray()) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    private static void assertIntBetween(JsonNode w, String key, int min, int max, String where) {
        if (w.has(key)) {
            assertThat(w.get(key).isInt()).as("%s of %s is a whole number", key, where).isTrue();
            assertThat(w.get(key).asInt()).as("%s of %s", key, where).isBetween(min, max);
        }
    }

    private static void assertNoArray(JsonNode node, String where) {
        assertThat(node.isArray()).as("%s: no array outside the pages", where).isFalse();
        for (String key : names(node)) {
            assertNoArray(node.get(key), where + "." + key);
        }
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    private static Set<String> set(String... values) {
        return new LinkedHashSet<>(Arrays.asList(values));
    }
}
