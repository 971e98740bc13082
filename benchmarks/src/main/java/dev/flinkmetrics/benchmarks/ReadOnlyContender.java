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
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;

/**
 * Not a reporter: the floor every reporter pays. Each report reads every value once, as all
 * contenders must: counters, gauges, meter rates, and for histograms Flink's {@code
 * getStatistics()} plus the six quantiles the SkyWalking and Prometheus reporters send.
 */
final class ReadOnlyContender implements Contender {

    private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};

    private final List<Metric> metrics = new ArrayList<>();
    private volatile double sink;

    @Override
    public void open(String otlpEndpoint) {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        metrics.add(metric);
    }

    @Override
    public long report() {
        double sum = 0;
        for (int i = 0, n = metrics.size(); i < n; i++) {
            Metric m = metrics.get(i);
            if (m instanceof Counter) {
                sum += ((Counter) m).getCount();
            } else if (m instanceof Gauge) {
                Object v = ((Gauge<?>) m).getValue();
                sum += ((Number) v).doubleValue();
            } else if (m instanceof Meter) {
                sum += ((Meter) m).getRate();
            } else if (m instanceof Histogram) {
                Histogram h = (Histogram) m;
                sum += h.getCount();
                HistogramStatistics s = h.getStatistics();
                for (double q : QUANTILES) {
                    sum += s.getQuantile(q);
                }
            }
        }
        sink += sum;
        return -1;
    }

    @Override
    public void awaitDelivered() {}

    @Override
    public boolean needsSink() {
        return false;
    }

    @Override
    public void close() {}
}
