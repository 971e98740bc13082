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

/** One reporter under test, driven the way Flink's MetricRegistry drives it. */
public interface Contender extends AutoCloseable {

    /** Creates and opens the reporter; push reporters send to the OTLP sink at this address. */
    void open(String otlpEndpoint) throws Exception;

    void notifyOfAddedMetric(Metric metric, String name, MetricGroup group);

    /**
     * The part that runs on Flink's reporter thread: {@code report()}. For a pull reporter this is
     * one scrape instead, and the method returns the bytes received; push reporters return -1.
     */
    long report() throws Exception;

    /** Waits until what {@link #report()} started has been delivered to the sink. */
    void awaitDelivered() throws Exception;

    /** True when a scrape client, not Flink's reporter thread, calls {@link #report()}. */
    default boolean isPull() {
        return false;
    }

    /** True when {@link #open} needs the OTLP sink. */
    default boolean needsSink() {
        return !isPull();
    }

    @Override
    void close() throws Exception;

    static Contender create(String name) {
        switch (name) {
            case "skywalking-all":
                return new dev.flinkmetrics.skywalking.metrics.SkyWalkingContender("all");
            case "skywalking-preset":
                return new dev.flinkmetrics.skywalking.metrics.SkyWalkingContender("skywalking");
            case "skywalking-all-gzip":
                return new dev.flinkmetrics.skywalking.metrics.SkyWalkingContender("all", "gzip");
            case "read-only":
                return new ReadOnlyContender();
            case "otel":
                return new org.apache.flink.metrics.otel.OtelContender();
            case "prometheus":
                return new PrometheusContender();
            default:
                throw new IllegalArgumentException("unknown contender " + name);
        }
    }
}
