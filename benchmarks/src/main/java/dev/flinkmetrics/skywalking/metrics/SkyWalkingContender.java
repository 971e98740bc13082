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

import dev.flinkmetrics.benchmarks.ReporterContender;
import dev.flinkmetrics.skywalking.SkyWalkingReporterFactory;
import java.util.Properties;
import org.apache.flink.metrics.MetricConfig;

/**
 * Drives {@link SkyWalkingMetricReporter} as Flink does; lives in the reporter's package to wait
 * for an export through the package-private {@link SkyWalkingMetricReporter#awaitExport(long)}.
 */
public final class SkyWalkingContender extends ReporterContender<SkyWalkingMetricReporter> {

    private final String preset;
    private final String compression;

    public SkyWalkingContender(String preset) {
        this(preset, "none");
    }

    public SkyWalkingContender(String preset, String compression) {
        this.preset = preset;
        this.compression = compression;
    }

    @Override
    public void open(String otlpEndpoint) {
        Properties p = new Properties();
        p.setProperty("endpoint", otlpEndpoint);
        p.setProperty("cluster", "orders-platform-prod-eu");
        p.setProperty("preset", preset);
        p.setProperty("compression", compression);
        // The largest fixture is 100,000 metrics plus the reporter's own series, just over the
        // default max-series: every contender sends everything it registers.
        p.setProperty("max-series", "1000000");
        reporter =
                (SkyWalkingMetricReporter) new SkyWalkingReporterFactory().createMetricReporter(p);
        MetricConfig config = new MetricConfig();
        config.putAll(p);
        reporter.open(config);
    }

    @Override
    public long report() {
        reporter.report();
        return -1;
    }

    @Override
    public void awaitDelivered() {
        if (!reporter.awaitExport(120_000)) {
            throw new IllegalStateException("export did not finish");
        }
        SelfMetrics self = reporter.selfMetrics();
        if (self.exportFailures.get() != 0 || self.cyclesSkipped.get() != 0) {
            throw new IllegalStateException(
                    "export failures "
                            + self.exportFailures.get()
                            + ", skipped cycles "
                            + self.cyclesSkipped.get());
        }
    }
}
