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
package dev.flinkmetrics.skywalking.metrics;

import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;

/**
 * What else the metric reporter feeds with the metrics Flink registers, beside their export: the
 * events derived from them. The factory wires it, so this package knows nothing of events. Called
 * on Flink's threads; must not block and may throw (the reporter logs it once and goes on).
 */
public interface MetricListener {

    /** A metric was registered. */
    void added(String metricName, Metric metric, MetricGroup group);

    /** A metric was removed. */
    void removed(String metricName, Metric metric, MetricGroup group);

    /**
     * At each report, on Flink's reporter thread, before the metrics are read.
     *
     * @return how many reads of a metric failed, for the reporter's readFailures count
     */
    int reported();

    /** Stops; returns by the deadline ({@link System#nanoTime()} based) plus a grace period. */
    void close(long deadlineNanos);
}
