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
package dev.flinkmetrics.benchmarks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.util.TestMetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The metrics every contender registers: real Flink metric types in {@link TestMetricGroup}s, 20
 * metrics per operator subtask, all in one TaskManager (a reporter sees one process), logical scope
 * {@code taskmanager.job.task.operator}.
 *
 * <p>Per operator subtask: 12 {@link SimpleCounter}s, 3 Long gauges, 2 Double gauges, 2 {@link
 * MeterView}s and 1 {@link DescriptiveStatisticsHistogram} (window 128, Flink's default latency
 * history size). Jobs have 4 chained tasks of 5 operators, 8 subtasks each in this TaskManager.
 */
public final class Fixture {

    public static final int METRICS_PER_GROUP = 20;
    static final int HISTOGRAM_WINDOW = 128;

    private static final String[] COUNTERS = {
        "numRecordsIn",
        "numRecordsOut",
        "numRecordsInErrors",
        "numRecordsSend",
        "numRecordsSendErrors",
        "numBytesIn",
        "numBytesOut",
        "numLateRecordsDropped",
        "numSplitsProcessed",
        "numRecordsFiltered",
        "numCacheHits",
        "numCacheMisses"
    };
    private static final String[] LONG_GAUGES = {
        "currentEmitEventTimeLag", "currentFetchEventTimeLag", "currentInputWatermark"
    };
    private static final String[] DOUBLE_GAUGES = {"cacheHitRatio", "avgBatchFillRatio"};
    private static final String[] METERS = {"numRecordsInPerSecond", "numRecordsOutPerSecond"};
    private static final String HISTOGRAM = "recordProcessingLatencyMs";

    private static final String[] TASK_CHAINS = {
        "Source: KafkaSource[orders-v3-eu-central-1] -> Timestamps/Watermarks[bounded-out-of-orderness"
                + "-30s] -> Map[parse-order-json]",
        "KeyedProcess[dedupe-orders-by-order-id-within-24h-window] -> Filter[drop-test-and-internal"
                + "-orders]",
        "Window(TumblingEventTimeWindows(60000), EventTimeTrigger, AggregateOrderTotals,"
                + " EmitWindowResult) -> Map[to-avro-record]",
        "AsyncWaitOperator[enrich-with-customer-profile-from-redis] -> Sink: KafkaSink[enriched"
                + "-orders-v2-eu-central-1]: Writer -> Sink: KafkaSink[enriched-orders-v2]: Committer"
    };
    private static final String[] OPERATORS = {
        "Source__KafkaSource_orders_v3_eu_central_1__bounded_watermarks_and_json_parsing",
        "KeyedProcess_dedupe_orders_by_order_id_within_24h_rolling_state_window",
        "Window_TumblingEventTimeWindows_60000_EventTimeTrigger_AggregateOrderTotals",
        "AsyncWaitOperator_enrich_with_customer_profile_from_redis_cluster_primary",
        "Sink__KafkaSink_enriched_orders_v2_eu_central_1__Writer_and_Committer_stage"
    };
    private static final int TASKS_PER_JOB = TASK_CHAINS.length;
    private static final int OPERATORS_PER_TASK = OPERATORS.length;
    private static final int SUBTASKS = 8;

    /** One registration: what a reporter's notifyOfAddedMetric receives. */
    public static final class Registration {
        public final Metric metric;
        public final String name;
        public final MetricGroup group;

        Registration(Metric metric, String name, MetricGroup group) {
            this.metric = metric;
            this.name = name;
            this.group = group;
        }
    }

    public final List<Registration> registrations;
    private final SimpleCounter[] counters;
    private final MeterView[] meters;
    private final DescriptiveStatisticsHistogram[] histograms;
    private final long[] longGaugeValues;
    private final double[] doubleGaugeValues;
    private long tick;

    public Fixture(int metrics) {
        if (metrics % METRICS_PER_GROUP != 0) {
            throw new IllegalArgumentException("metrics must be a multiple of 20");
        }
        int groups = metrics / METRICS_PER_GROUP;
        Random random = new Random(42);
        registrations = new ArrayList<>(metrics);
        counters = new SimpleCounter[groups * COUNTERS.length];
        meters = new MeterView[groups * METERS.length];
        histograms = new DescriptiveStatisticsHistogram[groups];
        longGaugeValues = new long[groups * LONG_GAUGES.length];
        doubleGaugeValues = new double[groups * DOUBLE_GAUGES.length];

        String host = "ip-10-42-117-203.eu-central-1.compute.internal";
        String tmId = "orders-platform-prod-eu-taskmanager-7c9f5d8b6-x2k4p";
        String[] jobIds = new String[groups / (TASKS_PER_JOB * OPERATORS_PER_TASK * SUBTASKS) + 1];
        String[][] taskIds = new String[jobIds.length][TASKS_PER_JOB];
        String[][] operatorIds = new String[jobIds.length][TASKS_PER_JOB * OPERATORS_PER_TASK];
        for (int j = 0; j < jobIds.length; j++) {
            jobIds[j] = hex(random);
            for (int t = 0; t < TASKS_PER_JOB; t++) {
                taskIds[j][t] = hex(random);
            }
            for (int o = 0; o < operatorIds[j].length; o++) {
                operatorIds[j][o] = hex(random);
            }
        }

        for (int g = 0; g < groups; g++) {
            int subtask = g % SUBTASKS;
            int operator = (g / SUBTASKS) % OPERATORS_PER_TASK;
            int task = (g / (SUBTASKS * OPERATORS_PER_TASK)) % TASKS_PER_JOB;
            int job = g / (SUBTASKS * OPERATORS_PER_TASK * TASKS_PER_JOB);
            String jobName = String.format("orders-enrichment-and-fraud-scoring-prod-eu-%03d", job);
            String taskName = TASK_CHAINS[task];
            String operatorName = OPERATORS[operator] + "_" + task;

            Map<String, String> variables = new HashMap<>();
            variables.put("<host>", host);
            variables.put("<tm_id>", tmId);
            variables.put("<job_id>", jobIds[job]);
            variables.put("<job_name>", jobName);
            variables.put("<task_id>", taskIds[job][task]);
            variables.put("<task_name>", taskName);
            variables.put("<subtask_index>", Integer.toString(subtask));
            variables.put("<task_attempt_num>", "0");
            variables.put("<operator_id>", operatorIds[job][task * OPERATORS_PER_TASK + operator]);
            variables.put("<operator_name>", operatorName);
            String[] scope = {
                host,
                "taskmanager",
                tmId,
                jobName,
                taskName,
                Integer.toString(subtask),
                operatorName
            };
            TestMetricGroup group =
                    TestMetricGroup.newBuilder()
                            .setScopeComponents(scope)
                            .setVariables(variables)
                            .setLogicalScopeFunction(Fixture::logicalScope)
                            .setMetricIdentifierFunction(
                                    (name, filter) -> identifier(scope, name, filter))
                            .build();

            for (int i = 0; i < COUNTERS.length; i++) {
                SimpleCounter c = new SimpleCounter();
                c.inc(random.nextInt(1_000_000));
                counters[g * COUNTERS.length + i] = c;
                add(c, COUNTERS[i], group);
            }
            for (int i = 0; i < LONG_GAUGES.length; i++) {
                int slot = g * LONG_GAUGES.length + i;
                longGaugeValues[slot] = random.nextInt(100_000);
                add((Gauge<Long>) () -> longGaugeValues[slot], LONG_GAUGES[i], group);
            }
            for (int i = 0; i < DOUBLE_GAUGES.length; i++) {
                int slot = g * DOUBLE_GAUGES.length + i;
                doubleGaugeValues[slot] = random.nextDouble();
                add((Gauge<Double>) () -> doubleGaugeValues[slot], DOUBLE_GAUGES[i], group);
            }
            for (int i = 0; i < METERS.length; i++) {
                // Like Flink's operator IO meters: a view over the records counter.
                Counter base = counters[g * COUNTERS.length + i];
                MeterView m = new MeterView(base);
                meters[g * METERS.length + i] = m;
                add(m, METERS[i], group);
            }
            DescriptiveStatisticsHistogram h = new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW);
            for (int i = 0; i < HISTOGRAM_WINDOW; i++) {
                h.update(random.nextInt(250));
            }
            histograms[g] = h;
            add(h, HISTOGRAM, group);
        }
    }

    private void add(Metric metric, String name, MetricGroup group) {
        registrations.add(new Registration(metric, name, group));
    }

    /**
     * What happens in a TaskManager between two reports: records flow (counters grow, meters update
     * as Flink's view updater does), gauges move, the histogram sees new samples.
     */
    public void advance() {
        long t = ++tick;
        for (int i = 0; i < counters.length; i++) {
            counters[i].inc(1 + ((i + t) & 63));
        }
        for (MeterView m : meters) {
            m.update();
        }
        for (int i = 0; i < histograms.length; i++) {
            histograms[i].update((i * 31 + t * 17) % 250);
        }
        for (int i = 0; i < longGaugeValues.length; i++) {
            longGaugeValues[i] += 1000;
        }
        for (int i = 0; i < doubleGaugeValues.length; i++) {
            doubleGaugeValues[i] = ((i + t) % 100) / 100.0;
        }
    }

    private static String logicalScope(CharacterFilter filter, Optional<Character> delimiter) {
        char d = delimiter.orElse('.');
        return filter.filterCharacters("taskmanager")
                + d
                + filter.filterCharacters("job")
                + d
                + filter.filterCharacters("task")
                + d
                + filter.filterCharacters("operator");
    }

    private static String identifier(
            String[] scope, String name, Optional<CharacterFilter> filter) {
        StringBuilder sb = new StringBuilder();
        for (String component : scope) {
            sb.append(filter.map(f -> f.filterCharacters(component)).orElse(component)).append('.');
        }
        return sb.append(filter.map(f -> f.filterCharacters(name)).orElse(name)).toString();
    }

    private static String hex(Random random) {
        return String.format("%016x%016x", random.nextLong(), random.nextLong());
    }
}
