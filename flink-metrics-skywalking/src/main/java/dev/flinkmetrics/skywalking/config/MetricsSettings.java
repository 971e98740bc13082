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

import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.DERIVE_EVENTS;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.FILTER_LABEL_VALUE_CHARACTERS;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.INCLUDE_TASK_ATTEMPT_ID;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.MAX_REQUEST_SIZE;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.MAX_SERIES;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.PRESET;

import org.apache.flink.annotation.Internal;

/**
 * What the metric reporter sends and how it names it: the cluster, the scope variables that name
 * the processes, the preset, label filtering and the request size. Immutable.
 */
@Internal
public final class MetricsSettings {

    /** Which metrics are sent. */
    public enum Preset {
        SKYWALKING("skywalking"),
        ALL("all");

        public final String value;

        Preset(String value) {
            this.value = value;
        }
    }

    public static final int MIN_REQUEST_SIZE = 16 * 1024;
    public static final int MAX_REQUEST_SIZE_LIMIT = 256 * 1024 * 1024;

    /** Below this the reporter's own series and a JobManager's would not fit. */
    public static final int MIN_MAX_SERIES = 100;

    /** The service, node variables and event layer, shared with the other reporters. */
    public final SourceSettings source;

    public final String cluster;

    /** The cluster option was not set and {@link #cluster} is the default. */
    public final boolean clusterDefaulted;

    public final String taskManagerNodeVariable;
    public final String jobManagerNodeVariable;
    public final boolean filterLabelValueCharacters;
    public final Preset preset;
    public final int maxRequestBytes;
    public final int maxSeries;
    public final boolean includeTaskAttemptId;

    /** On the JobManager, derive SkyWalking events from the metrics. */
    public final boolean deriveEvents;

    private MetricsSettings(OptionReader options) {
        this.source = SourceSettings.read(options);
        this.cluster = source.cluster;
        this.clusterDefaulted = source.clusterDefaulted;
        this.taskManagerNodeVariable = source.taskManagerNodeVariable;
        this.jobManagerNodeVariable = source.jobManagerNodeVariable;
        this.deriveEvents = options.bool(DERIVE_EVENTS);
        this.filterLabelValueCharacters = options.bool(FILTER_LABEL_VALUE_CHARACTERS);
        this.preset = options.choice(PRESET, Preset.values(), p -> p.value);
        this.maxRequestBytes =
                options.size(MAX_REQUEST_SIZE, MIN_REQUEST_SIZE, MAX_REQUEST_SIZE_LIMIT);
        this.maxSeries = options.integer(MAX_SERIES, MIN_MAX_SERIES, Integer.MAX_VALUE);
        this.includeTaskAttemptId = options.bool(INCLUDE_TASK_ATTEMPT_ID);
    }

    /**
     * Parses and validates the metric options.
     *
     * @throws IllegalArgumentException naming the full key and the bad value
     */
    public static MetricsSettings read(OptionReader options) {
        return new MetricsSettings(options);
    }

    /** The settings for the startup log line. */
    @Override
    public String toString() {
        return source
                + ", filter-label-value-characters="
                + filterLabelValueCharacters
                + ", preset="
                + preset.value
                + ", max-request-size="
                + maxRequestBytes
                + " bytes, max-series="
                + maxSeries
                + ", include-task-attempt-id="
                + includeTaskAttemptId
                + ", derive-events="
                + deriveEvents
                + (deriveEvents ? ", layer=" + source.layer : "");
    }
}
