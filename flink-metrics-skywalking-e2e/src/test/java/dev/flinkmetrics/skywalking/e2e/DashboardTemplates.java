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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The project's SkyWalking UI dashboard templates (skywalking/ui-dashboards/) and MAL rules
 * (skywalking/otel-rules/flink-project/), as files: the widgets' MQE expressions and the metric
 * names the rules define.
 */
final class DashboardTemplates {

    static final Path ROOT = Paths.get("..", "skywalking");
    static final Path DASHBOARDS = ROOT.resolve("ui-dashboards");
    static final Path RULES = ROOT.resolve("otel-rules").resolve("flink-project");

    private static final Pattern METRIC = Pattern.compile("meter_flink_project_[a-z0-9_]+");
    private static final Pattern PREFIX = Pattern.compile("^metricPrefix:\\s*(\\S+)\\s*$");
    private static final Pattern RULE_NAME = Pattern.compile("^\\s*- name:\\s*(\\S+)\\s*$");

    /** One widget expression and the dashboard (entity) it is on. */
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
            return dashboard + ": " + expression;
        }
    }

    /** Every dashboard template, parsed. */
    static List<JsonNode> templates() throws IOException {
        List<JsonNode> templates = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (Path file : files(DASHBOARDS, ".json")) {
            for (JsonNode template : json.readTree(file.toFile())) {
                templates.add(template);
            }
        }
        return templates;
    }

    /** Every widget expression of every template. */
    static List<Expression> expressions() throws IOException {
        List<Expression> expressions = new ArrayList<>();
        for (JsonNode template : templates()) {
            JsonNode configuration = template.get("configuration");
            for (JsonNode widget : configuration.get("children")) {
                for (JsonNode expression : widget.get("expressions")) {
                    expressions.add(
                            new Expression(
                                    configuration.get("name").asText(),
                                    configuration.get("entity").asText(),
                                    expression.asText()));
                }
            }
        }
        return expressions;
    }

    /** The metric names the rule files define: metricPrefix + '_' + each rule's name. */
    static Set<String> ruleMetrics() throws IOException {
        Set<String> metrics = new LinkedHashSet<>();
        for (Path file : files(RULES, ".yaml")) {
            String prefix = null;
            for (String line : Files.readAllLines(file)) {
                Matcher p = PREFIX.matcher(line);
                if (p.matches()) {
                    prefix = p.group(1);
                }
                Matcher name = RULE_NAME.matcher(line);
                if (name.matches()) {
                    if (prefix == null) {
                        throw new IllegalStateException(file + ": a rule before metricPrefix");
                    }
                    metrics.add(prefix + "_" + name.group(1));
                }
            }
        }
        return metrics;
    }

    static Set<String> metricsIn(String text) {
        Set<String> metrics = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            metrics.add(m.group());
        }
        return metrics;
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    private DashboardTemplates() {}
}
