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
 * otel-rules/flink-project/}) and the dashboard templates ({@code
 * ui-initialized-templates/custom/}), and for every line the alarm rules ({@code
 * alarm-settings-flink.yml}). The folder of OAP 10.3 and later is the source; the older line's
 * folder is derived from it by {@link #derive}.
 */
final class SkyWalkingFiles {

    static final Path ROOT = Paths.get("..", "skywalking");
    static final Path ALARMS = ROOT.resolve("alarm-settings-flink.yml");

    /**
     * The project's pages for Horizon UI (OAP 11): a partial layer template for layer FLINK that
     * the install command merges into the {@code horizon.layer.FLINK} template the OAP holds.
     */
    static final Path HORIZON_PAGES =
            ROOT.resolve("oap-11").resolve("horizon").resolve("flink-project-pages.json");

    private static final Pattern METRIC = Pattern.compile("meter_flink_project_[a-z0-9_]+");
    private static final Pattern PREFIX = Pattern.compile("^metricPrefix:\\s*(\\S+)\\s*$");
    private static final Pattern RULE_NAME = Pattern.compile("^\\s*- name:\\s*(\\S+)\\s*$");
    private static final Pattern ENTITY =
            Pattern.compile(
                    "^exp(?:Suffix|Prefix):.*\\b(service|instance|endpoint)\\(", Pattern.MULTILINE);

    /** An OAP line and the folder of skywalking/ that is made for it. */
    enum Line {
        /** OAP 10.3 and later: SkyWalking's own Flink rules and the layer FLINK. The source. */
        FLINK_LAYER("oap-10.3-and-later", "FLINK"),
        /** OAP 9.7 to 10.2: no layer FLINK, so layer GENERAL. Derived from {@link #FLINK_LAYER}. */
        GENERAL_LAYER("oap-9.7-to-10.2", "GENERAL");

        final Path dir;
        final String layer;

        Line(String folder, String layer) {
            this.dir = ROOT.resolve(folder);
            this.layer = layer;
        }

        /** The folder to copy into the OAP's config/otel-rules/. */
        Path rules() {
            return dir.resolve("otel-rules");
        }

        /** The folder to copy into the OAP's config/ui-initialized-templates/. */
        Path templates() {
            return dir.resolve("ui-initialized-templates");
        }

        /** The line of an OAP release, from its version ({@code 10.1.0}, {@code 10.4.0}, ...). */
        static Line of(String oapVersion) {
            String[] parts = oapVersion.split("\\.");
            int major = Integer.parseInt(parts[0]);
            int minor = Integer.parseInt(parts[1]);
            return major > 10 || (major == 10 && minor >= 3) ? FLINK_LAYER : GENERAL_LAYER;
        }
    }

    /**
     * The older line's copy of a file of the source folder: the layer changed, nothing else. Rules
     * name it in their expSuffix ({@code Layer.FLINK}), templates in their configuration ({@code
     * "layer": "FLINK"}).
     */
    static String derive(String source) {
        return source.replace("Layer.FLINK)", "Layer.GENERAL)")
                .replace("\"layer\": \"FLINK\"", "\"layer\": \"GENERAL\"");
    }

    /** Every file of a line's folder, relative to it, in a stable order. */
    static List<Path> files(Line line) throws IOException {
        try (Stream<Path> files = Files.walk(line.dir)) {
            return files.filter(Files::isRegularFile)
                    .map(line.dir::relativize)
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

    /** Every dashboard template of a line, parsed. */
    static List<JsonNode> templates(Line line) throws IOException {
        List<JsonNode> templates = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (Path file : filesEndingWith(line.templates(), ".json")) {
            for (JsonNode template : json.readTree(file.toFile())) {
                templates.add(template);
            }
        }
        return templates;
    }

    /**
     * Every widget expression of a line's templates. A list widget's expressions are evaluated for
     * each entity it lists (TaskManagers, jobs), the others' for the dashboard's entity. Widgets
     * without expressions (text, the event timeline) have none.
     */
    static List<Expression> expressions(Line line) throws IOException {
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
