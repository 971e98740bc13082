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
package dev.flinkmetrics.skywalking.config;

import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.MAX_REQUEST_SIZE;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.QUEUE_SIZE;

import org.apache.flink.annotation.Internal;

/** How spans and events wait for export: the queue's size and the largest request. Immutable. */
@Internal
public final class BatchSettings {

    public static final int MIN_QUEUE_SIZE = 16;
    public static final int MAX_QUEUE_SIZE = 1_000_000;

    public final int queueSize;
    public final int maxRequestBytes;

    private BatchSettings(OptionReader options) {
        this.queueSize = options.integer(QUEUE_SIZE, MIN_QUEUE_SIZE, MAX_QUEUE_SIZE);
        this.maxRequestBytes =
                options.size(
                        MAX_REQUEST_SIZE,
                        MetricsSettings.MIN_REQUEST_SIZE,
                        MetricsSettings.MAX_REQUEST_SIZE_LIMIT);
    }

    /**
     * Parses and validates the queue options.
     *
     * @throws IllegalArgumentException naming the full key and the bad value
     */
    public static BatchSettings read(OptionReader options) {
        return new BatchSettings(options);
    }

    @Override
    public String toString() {
        return "queue-size=" + queueSize + ", max-request-size=" + maxRequestBytes + " bytes";
    }
}
