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

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * The dashboard templates and the rules cannot drift apart: every metric a widget names is defined
 * by a rule file, and every rule's metric is on a dashboard. RealOapIT runs each widget expression
 * on a real OAP.
 */
class DashboardTemplatesTest {

    @Test
    void everyWidgetMetricIsARuleAndEveryRuleIsOnADashboard() throws Exception {
        Set<String> rules = DashboardTemplates.ruleMetrics();
        assertThat(rules)
                .as("rule metrics, one file per entity")
                .contains(
                        "meter_flink_project_tm_records_in_per_second",
                        "meter_flink_project_job_completed_checkpoints",
                        "meter_flink_project_job_watermark_lag_ms");

        Set<String> shown = new HashSet<>();
        for (DashboardTemplates.Expression e : DashboardTemplates.expressions()) {
            assertThat(e.metrics()).as("metrics named by %s", e).isNotEmpty();
            assertThat(rules).as("rules defining what %s reads", e).containsAll(e.metrics());
            shown.addAll(e.metrics());
        }
        assertThat(shown).as("rule metrics on a dashboard").containsAll(rules);
    }

    @Test
    void templatesHaveTheShapeTheUiImports() throws Exception {
        List<JsonNode> templates = DashboardTemplates.templates();
        assertThat(templates).isNotEmpty();
        Set<String> ids = new HashSet<>();
        for (JsonNode template : templates) {
            JsonNode c = template.get("configuration");
            assertThat(c).as("configuration of %s", template).isNotNull();
            assertThat(c.get("layer").asText()).isEqualTo("GENERAL");
            assertThat(c.get("entity").asText()).isIn("Service", "ServiceInstance", "Endpoint");
            assertThat(c.get("isRoot").asBoolean(true)).isFalse();
            assertThat(c.get("name").asText()).isNotEmpty();
            assertThat(ids.add(c.get("id").asText())).as("unique id %s", c.get("id")).isTrue();
            for (JsonNode widget : c.get("children")) {
                assertThat(widget.get("type").asText()).isEqualTo("Widget");
                assertThat(widget.get("widget").get("title").asText()).isNotEmpty();
                assertThat(widget.get("metricConfig").size())
                        .as("a label per expression in %s", widget.get("widget"))
                        .isEqualTo(widget.get("expressions").size());
            }
        }
        // Instance dashboards read instance rules, endpoint dashboards endpoint rules.
        for (DashboardTemplates.Expression e : DashboardTemplates.expressions()) {
            String scope = e.entity.equals("Endpoint") ? "meter_flink_project_job_" : "";
            scope = e.entity.equals("ServiceInstance") ? "meter_flink_project_tm_" : scope;
            for (String metric : e.metrics()) {
                assertThat(metric).as("metric of %s", e).startsWith(scope);
            }
        }
    }
}
