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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * What the project ships for the OAP (skywalking/), as files: per OAP line, the MAL rules ({@code
 * otel-rules/flink-project/}) and the dashboards (the booster UI's {@code
 * ui-initialized-templates/custom/} up to 10.4, Horizon's pages from 11), and for every line the
 * alarm rules ({@code alarm-settings-flink.yml}). OAP 11's rules are the source; 10.3 and 10.4 have
 * the same, 10.0 to 10.2 the same with the layer changed ({@link #derive}), and the older line's
 * booster dashboards are derived from 10.3's the same way.
 */
final class SkyWalkingFiles {

    static final Path ROOT = Paths.get("..", "skywalking");
    static final Path ALARMS = ROOT.resolve("alarm-settings-flink.yml");

    private static final Pattern METRIC = Pattern.compile("meter_flink_project_[a-z0-9_]+");
    private static final Pattern PREFIX = Pattern.compile("^metricPrefix:\\s*(\\S+)\\s*$");
    private static final Pattern RULE_NAME = Pattern.compile("^\\s*- name:\\s*(\\S+)\\s*$");
    private static final Pattern ENTITY =
            Pattern.compile(
                    "^exp(?:Suffix|Prefix):.*\\b(service|instance|endpoint)\\(", Pattern.MULTILINE);

    /** An OAP line and the folder of skywalking/ that is made for it. */
    enum Line {
        /**
         * OAP 11: layer FLINK; rules and Horizon's pages go in through the admin API (the install
         * command). Its rules are the source of every line's.
         */
        OAP_11("oap-11", "FLINK"),
        /**
         * OAP 10.3 and 10.4: layer FLINK, SkyWalking's own Flink rules, the booster UI, dashboards
         * loaded from files at start. The rules are OAP 11's; the dashboards are the source of the
         * older line's.
         */
        OAP_10_3("oap-10.3-and-10.4", "FLINK"),
        /** OAP 10.0 to 10.2: no layer FLINK, so layer GENERAL. Derived from {@link #OAP_10_3}. */
        OAP_10_0("oap-10.0-to-10.2", "GENERAL");

        final Path dir;
        final String layer;

        Line(String folder, String layer) {
            this.dir = ROOT.resolve(folder);
            this.layer = layer;
        }

        /** The folder of the MAL rules: what goes into the OAP's config/otel-rules/. */
        Path rules() {
            return dir.resolve("otel-rules");
        }

        /**
         * The booster UI's dashboards, loaded by the OAP from config/ui-initialized-templates/;
         * none on 11.
         */
        Path templates() {
            return dir.resolve("ui-initialized-templates");
        }

        /** Whether the line has the booster UI and its dashboard files (up to 10.4). */
        boolean booster() {
            return this != OAP_11;
        }

        /**
         * Whether the OAP knows the layer FLINK (from 10.3), which SkyWalking's Flink rules use.
         */
        boolean flinkLayer() {
            return layer.equals("FLINK");
        }

        /** The line of an OAP release, from its version ({@code 10.1.0}, {@code 11.0.0}, ...). */
        static Line of(String oapVersion) {
            String[] parts = oapVersion.split("[.-]");
            int major = Integer.parseInt(parts[0]);
            int minor = Integer.parseInt(parts[1]);
            if (major < 10) {
                throw new IllegalArgumentException(
                        "OAP "
                                + oapVersion
                                + ": the project's rules need OAP 10.0 or later (named labels,"
                                + " downsampling(MAX) and (MIN))");
            }
            return major > 10 ? OAP_11 : minor >= 3 ? OAP_10_3 : OAP_10_0;
        }
    }

    /**
     * The GENERAL line's copy of a file of a FLINK line's folder: the layer changed, nothing else.
     * Rules name it in their expSuffix ({@code Layer.FLINK}), templates in their configuration
     * ({@code "layer": "FLINK"}).
     */
    static String derive(String source) {
        return source.replace("Layer.FLINK)", "Layer.GENERAL)")
                .replace("\"layer\": \"FLINK\"", "\"layer\": \"GENERAL\"");
    }

    /** Every file of a line's folder, relative to it, in a stable order. */
    static List<Path> files(Line line) throws IOException {
        return files(line.dir);
    }

    /** Every file under a folder, relative to it, in a stable order. */
    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .map(dir::relativize)
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** One widget expression, the dashboard it is on and the entity it is evaluated for. */
    static final class Expression {
        final String dashboard;
        final String entity;
        final String expression;

        Expression(String dashboard, String entity, String expression) {
            this.dashboard = dashboard;
            this.entity = entity;
            this.expression = expression;
        }

        Set<String> metrics() {
            return metricsIn(expression);
        }

        @Override
        public String toString() {
            return dashboard + " (" + entity + "): " + expression;
        }
    }

    /** Every booster dashboard template of a line, parsed; none on OAP 11. */
    static List<JsonNode> templates(Line line) throws IOException {
        List<JsonNode> templates = new ArrayList<>();
        if (!line.booster()) {
            return templates;
        }
        ObjectMapper json = new ObjectMapper();
        for (Path file : filesEndingWith(line.templates(), ".json")) {
            for (JsonNode template : json.readTree(file.toFile())) {
                templates.add(template);
            }
        }
        return templates;
    }

    /** OAP 11's Horizon pages: what the install command merges into the FLINK template. */
    static Path horizonPages() {
        return Line.OAP_11.dir.resolve("horizon").resolve("flink-project-pages.json");
    }

    /**
     * Every widget expression of a line's dashboards: the booster templates up to 10.4, Horizon's
     * pages on 11. A booster list widget's expressions are evaluated for each entity it lists
     * (TaskManagers, jobs), the others' for the dashboard's entity. Widgets without expressions
     * (text, the event timeline) have none.
     */
    static List<Expression> expressions(Line line) throws IOException {
        if (!line.booster()) {
            return horizonExpressions();
        }
        List<Expression> expressions = new ArrayList<>();
        for (JsonNode template : templates(line)) {
            JsonNode configuration = template.get("configuration");
            for (JsonNode widget : configuration.get("children")) {
                String graph = widget.path("graph").path("type").asText();
                String entity =
                        graph.equals("InstanceList")
                                ? "ServiceInstance"
                                : graph.equals("EndpointList")
                                        ? "Endpoint"
                                        : configuration.get("entity").asText();
                for (String field : new String[] {"expressions", "subExpressions"}) {
                    if (widget.has(field)) {
                        for (JsonNode expression : widget.get(field)) {
                            expressions.add(
                                    new Expression(
                                            configuration.get("name").asText(),
                                            entity,
                                            expression.asText()));
                        }
                    }
                }
            }
        }
        return expressions;
    }

    /** A top list: {@code top_n(<metric>, ...)} ranks the entities that metric is kept for. */
    private static final Pattern TOP_N = Pattern.compile("^top_n\\((meter_[A-Za-z0-9_]+),");

    /**
     * Every widget expression of the Horizon pages, each for the entity of its page's scope
     * (service, instance, endpoint); a tab widget's expressions are those of its tabs' widgets. A
     * top list stands for the metric it ranks, for the entity that metric is kept for (the
     * TaskManagers or jobs of the page's cluster).
     */
    static List<Expression> horizonExpressions() throws IOException {
        Map<String, String> entityOfMetric =
                metricsByEntity(Line.OAP_11.rules().resolve("flink-project"));
        List<Expression> expressions = new ArrayList<>();
        JsonNode scopes =
                new ObjectMapper().readTree(horizonPages().toFile()).path("dashboardExtPages");
        for (Iterator<Map.Entry<String, JsonNode>> it = scopes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> scope = it.next();
            String entity =
                    scope.getKey().equals("instance")
                            ? "ServiceInstance"
                            : scope.getKey().equals("endpoint") ? "Endpoint" : "Service";
            for (JsonNode page : scope.getValue()) {
                List<JsonNode> widgets = new ArrayList<>();
                for (JsonNode widget : page.path("widgets")) {
                    widgets.add(widget);
                    for (JsonNode tab : widget.path("tabs")) {
                        tab.path("widgets").forEach(widgets::add);
                    }
                }
                for (JsonNode widget : widgets) {
                    for (JsonNode expression : widget.path("expressions")) {
                        Matcher top = TOP_N.matcher(expression.asText());
                        expressions.add(
                                top.find()
                                        ? new Expression(
                                                page.path("id").asText(),
                                                entityOfMetric.get(top.group(1)),
                                                top.group(1))
                                        : new Expression(
                                                page.path("id").asText(),
                                                entity,
                                                expression.asText()));
                    }
                }
            }
        }
        return expressions;
    }

    /** The metric names a line's rule files define: metricPrefix + '_' + each rule's name. */
    static Set<String> ruleMetrics(Line line) throws IOException {
        return metricsByEntity(line.rules().resolve("flink-project")).keySet();
    }

    /**
     * The metrics the MAL rule files of a folder define (metricPrefix + '_' + each rule's name),
     * each with the entity it is kept for: Service, ServiceInstance or Endpoint, from the file's
     * {@code service(...)}, {@code instance(...)} or {@code endpoint(...)}.
     */
    static Map<String, String> metricsByEntity(Path rules) throws IOException {
        Map<String, String> metrics = new LinkedHashMap<>();
        for (Path file : filesEndingWith(rules, ".yaml")) {
            String prefix = null;
            Matcher entity = ENTITY.matcher(new String(Files.readAllBytes(file), "UTF-8"));
            if (!entity.find()) {
                throw new IllegalStateException(file + ": no service(), instance() or endpoint()");
            }
            String kind =
                    entity.group(1).equals("service")
                            ? "Service"
                            : entity.group(1).equals("instance") ? "ServiceInstance" : "Endpoint";
            for (String text : Files.readAllLines(file)) {
                Matcher p = PREFIX.matcher(text);
                if (p.matches()) {
                    prefix = p.group(1);
                }
                Matcher name = RULE_NAME.matcher(text);
                if (name.matches()) {
                    if (prefix == null) {
                        throw new IllegalStateException(file + ": a rule before metricPrefix");
                    }
                    metrics.put(prefix + "_" + name.group(1), kind);
                }
            }
        }
        return metrics;
    }

    /** One alarm rule of alarm-settings-flink.yml. */
    static final class AlarmRule {
        final String name;
        final Map<String, Object> fields;

        AlarmRule(String name, Map<String, Object> fields) {
            this.name = name;
            this.fields = fields;
        }

        String expression() {
            return String.valueOf(fields.get("expression"));
        }

        String message() {
            return String.valueOf(fields.get("message"));
        }

        @Override
        public String toString() {
            return name + ": " + expression();
        }
    }

    /** The alarm rules, in the order of the file. */
    @SuppressWarnings("unchecked")
    static List<AlarmRule> alarmRules() throws IOException {
        Map<String, Object> settings =
                (Map<String, Object>)
                        new Load(LoadSettings.builder().build())
                                .loadFromString(new String(Files.readAllBytes(ALARMS), "UTF-8"));
        List<AlarmRule> rules = new ArrayList<>();
        for (Map.Entry<String, Object> rule :
                ((Map<String, Object>) settings.get("rules")).entrySet()) {
            rules.add(
                    new AlarmRule(
                            rule.getKey(),
                            new LinkedHashMap<>((Map<String, Object>) rule.getValue())));
        }
        return rules;
    }

    static Set<String> metricsIn(String text) {
        Set<String> metrics = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            metrics.add(m.group());
        }
        return metrics;
    }

    private static List<Path> filesEndingWith(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    private SkyWalkingFiles() {}
}
