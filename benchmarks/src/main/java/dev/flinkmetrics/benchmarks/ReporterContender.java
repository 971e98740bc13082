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

import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;

/**
 * A contender that is one Flink {@link MetricReporter}: registration and closing go straight to it.
 */
public abstract class ReporterContender<R extends MetricReporter> implements Contender {

    /** Set by {@link #open}. */
    protected R reporter;

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        reporter.notifyOfAddedMetric(metric, name, group);
    }

    @Override
    public void close() {
        if (reporter != null) {
            reporter.close();
        }
    }
}
