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

import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.CLUSTER;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.JOBMANAGER_NODE_VARIABLE;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.LAYER;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TASKMANAGER_NODE_VARIABLE;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;

/**
 * Where in SkyWalking what a reporter sends shows up, the same for metrics, spans and events: the
 * service {@code flink::<cluster>}, the scope variables that name the JobManager and TaskManager
 * nodes, and the layer of events. Immutable.
 */
@Internal
public final class SourceSettings {

    /** The prefix SkyWalking's Flink rules put before the cluster to make the service name. */
    public static final String SERVICE_PREFIX = "flink::";

    private static final Pattern LAYER_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    public final String cluster;

    /** The cluster option was not set and {@link #cluster} is the default. */
    public final boolean clusterDefaulted;

    public final String taskManagerNodeVariable;
    public final String jobManagerNodeVariable;

    /** The SkyWalking layer events carry. */
    public final String layer;

    private SourceSettings(OptionReader options) {
        String clusterValue = options.string(CLUSTER);
        this.clusterDefaulted = clusterValue == null;
        this.cluster = clusterDefaulted ? CLUSTER.defaultValue : clusterValue;
        if (cluster.isEmpty()) {
            throw options.invalid(CLUSTER, "", "the cluster name must not be empty");
        }
        this.taskManagerNodeVariable = options.variableName(TASKMANAGER_NODE_VARIABLE);
        this.jobManagerNodeVariable = options.variableName(JOBMANAGER_NODE_VARIABLE);
        String layerValue = options.stringOrDefault(LAYER).trim();
        this.layer = layerValue.toUpperCase(Locale.ROOT);
        if (!LAYER_NAME.matcher(layer).matches()) {
            throw options.invalid(
                    LAYER, layerValue, "a SkyWalking layer name such as FLINK or GENERAL");
        }
    }

    /**
     * Parses and validates the options that name the source.
     *
     * @throws IllegalArgumentException naming the full key and the bad value
     */
    public static SourceSettings read(OptionReader options) {
        return new SourceSettings(options);
    }

    /** The SkyWalking service: {@code flink::<cluster>}. */
    public String service() {
        return SERVICE_PREFIX + cluster;
    }

    /**
     * Logs, once at start, what the operator should fix but that does not stop the reporter: keys
     * this reporter does not know, and a cluster left at its default.
     */
    public void warnAtStart(Logger log, OptionReader options) {
        Signal signal = options.signal;
        List<String> unknownKeys = options.unknownKeys(SkyWalkingReporterOptions.of(signal));
        if (!unknownKeys.isEmpty()) {
            log.warn(
                    "Ignoring unknown reporter option(s) {}; the known ones are listed in the"
                            + " flink-metrics-skywalking documentation.",
                    unknownKeys);
        }
        if (clusterDefaulted) {
            log.warn(
                    "{}{} is not set, so this cluster reports as SkyWalking service '{}'. Set it to"
                            + " a name of your own: clusters that share a name merge into one"
                            + " service.",
                    signal.keyPrefix(),
                    CLUSTER.key,
                    service());
        }
    }

    /**
     * Every character outside {@code [a-zA-Z0-9:_]} becomes {@code _}, one per code point: how
     * metric names, label values, instance and endpoint names are made safe for SkyWalking, the
     * same for metrics and events, as Flink's Prometheus reporter does. Returns the input itself
     * when nothing needs replacing.
     */
    public static String replaceInvalidChars(String input) {
        int i = 0;
        while (i < input.length() && isValid(input.charAt(i))) {
            i++;
        }
        if (i == input.length()) {
            return input;
        }
        StringBuilder out = new StringBuilder(input.length()).append(input, 0, i);
        while (i < input.length()) {
            int codePoint = input.codePointAt(i);
            out.append(codePoint < 0x80 && isValid((char) codePoint) ? (char) codePoint : '_');
            i += Character.charCount(codePoint);
        }
        return out.toString();
    }

    private static boolean isValid(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == ':'
                || c == '_';
    }

    /** The settings for the startup log line. */
    @Override
    public String toString() {
        return "cluster="
                + cluster
                + ", taskmanager.node-variable="
                + taskManagerNodeVariable
                + ", jobmanager.node-variable="
                + jobManagerNodeVariable;
    }
}
