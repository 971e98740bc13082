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
package org.apache.flink.metrics.otel;

import dev.flinkmetrics.benchmarks.ReporterContender;
import org.apache.flink.metrics.MetricConfig;

/**
 * Drives flink-metrics-otel's {@link OpenTelemetryMetricReporter} with its defaults (gRPC, no
 * batching, no compression). It lives in the reporter's package to wait for the asynchronous export
 * through the package-private {@code waitForLastReportToComplete()}, which returns once the sink
 * has answered.
 */
public final class OtelContender extends ReporterContender<OpenTelemetryMetricReporter> {

    @Override
    public void open(String otlpEndpoint) {
        MetricConfig config = new MetricConfig();
        config.setProperty("exporter.endpoint", otlpEndpoint);
        reporter = new OpenTelemetryMetricReporter();
        reporter.open(config);
    }

    @Override
    public long report() {
        reporter.report();
        return -1;
    }

    @Override
    public void awaitDelivered() {
        reporter.waitForLastReportToComplete();
    }
}
