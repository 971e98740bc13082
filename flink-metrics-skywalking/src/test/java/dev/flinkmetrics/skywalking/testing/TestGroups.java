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
package dev.flinkmetrics.skywalking.testing;

import dev.flinkmetrics.skywalking.config.MetricsSettings;
import dev.flinkmetrics.skywalking.config.OptionReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.util.TestMetricGroup;

/** Flink metric groups shaped like the runtime's, built with Flink's own test utilities. */
public final class TestGroups {

    public static final String TM_ID = "127.0.0.1:40001-a1b2c3";

    private TestGroups() {}

    /**
     * A group with Flink's logical-scope behaviour: components filtered, joined by the delimiter.
     */
    public static MetricGroup group(String logicalScope, Map<String, String> variables) {
        return TestMetricGroup.newBuilder()
                .setVariables(variables)
                .setLogicalScopeFunction(
                        (CharacterFilter filter, java.util.Optional<Character> delimiter) -> {
                            StringBuilder sb = new StringBuilder();
                            for (String part : logicalScope.split("\\.")) {
                                if (sb.length() > 0) {
                                    sb.append(delimiter.orElse('.'));
                                }
                                sb.append(filter.filterCharacters(part));
                            }
                            return sb.toString();
                        })
                .build();
    }

    public static Map<String, String> taskManagerVariables() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("<host>", "worker-1.example.com");
        v.put("<tm_id>", TM_ID);
        return v;
    }

    public static Map<String, String> operatorVariables(String job, String operator, int subtask) {
        Map<String, String> v = taskManagerVariables();
        v.put("<job_id>", "b7f5e0ab6e8c4e3b9a0c1d2e3f405162");
        v.put("<job_name>", job);
        v.put("<task_id>", "cbc357ccb763df2852fee8c4fc7d55f2");
        v.put("<task_name>", "Source: numbers -> Map");
        v.put("<task_attempt_id>", "4a1e8f5c7d2b9e0f1a3c5e7d9b1f3a5c");
        v.put("<task_attempt_num>", "0");
        v.put("<subtask_index>", String.valueOf(subtask));
        v.put("<operator_id>", "6cdc5bb954874d922eaee11a8e7ca5be");
        v.put("<operator_name>", operator);
        return v;
    }

    public static Map<String, String> jobManagerVariables() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("<host>", "jobmanager-0");
        return v;
    }

    /** The variables of a job's group on the JobManager. */
    public static Map<String, String> jobManagerJobVariables(String job) {
        Map<String, String> v = jobManagerVariables();
        v.put("<job_id>", "b7f5e0ab6e8c4e3b9a0c1d2e3f405162");
        v.put("<job_name>", job);
        return v;
    }

    /** Metric settings parsed from key-value pairs, as the factory parses them. */
    public static MetricsSettings metricsSettings(String... keyValues) {
        return MetricsSettings.read(new OptionReader(properties(keyValues)));
    }

    /** Properties as Flink hands them to a factory; a later pair overrides an earlier one. */
    public static Properties properties(String... keyValues) {
        Properties p = new MetricConfig();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }
}
