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

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * Every option of the reporter. The table in {@code docs/configuration.md} is generated from this
 * list, and a test fails when the two drift apart.
 *
 * <p>Options that Flink owns for every reporter ({@code interval}, {@code scope.variables.*},
 * {@code filter.*}) are deliberately not redeclared here.
 */
@Internal
public final class SkyWalkingReporterOptions {

    public static final ReporterOption ENDPOINT =
            ReporterOption.of(
                    "endpoint",
                    "http://localhost:11800",
                    "Where to send OTLP. `http://` is plaintext, `https://` is TLS. With `grpc`"
                            + " this is the OAP gRPC port (11800 when no port is given); with"
                            + " `http/protobuf` the OAP REST port (12800 when no port is given), and"
                            + " `/v1/metrics` is used when no path is given. Several OAP nodes:"
                            + " addresses separated by commas. Each Flink process starts on one"
                            + " chosen at random, stays on it, and moves to the next within the same"
                            + " export when it is unreachable or times out. A host name that resolves"
                            + " to several addresses (a headless Kubernetes service) counts as that"
                            + " many nodes and is resolved again every 30 s.");

    public static final ReporterOption PROTOCOL =
            ReporterOption.of(
                    "protocol",
                    "grpc",
                    "`grpc` (every OAP from 10.3) or `http/protobuf` (OAP 11 and later, or an"
                            + " OpenTelemetry Collector).");

    public static final ReporterOption CLUSTER =
            ReporterOption.of(
                    "cluster",
                    "flink-cluster",
                    "Name of the Flink cluster. SkyWalking shows it as the service"
                            + " `flink::<cluster>`. Set it: clusters that share a name merge into one"
                            + " service.");

    public static final ReporterOption TIMEOUT =
            ReporterOption.of(
                    "timeout",
                    "10 s",
                    "Time allowed for one export, retries included, and for the final flush on"
                            + " close. A duration such as `500 ms`, `10 s` or `1 min`; a plain number"
                            + " is milliseconds.");

    public static final ReporterOption COMPRESSION =
            ReporterOption.of("compression", "none", "`none` or `gzip`.");

    public static final ReporterOption TOKEN =
            ReporterOption.secret(
                    "token",
                    "OAP authentication token (`SW_AUTHENTICATION` on the OAP side), sent as the"
                            + " `authentication` header. Never logged; Flink also masks keys that"
                            + " contain `token` when it prints its configuration.");

    public static final ReporterOption TOKEN_FILE =
            ReporterOption.of(
                    "token-file",
                    "",
                    "File holding the OAP authentication token instead of `token`, such as a"
                            + " Kubernetes Secret mounted as a volume. Read at start, and read again"
                            + " whenever the OAP refuses the token, so a rotated Secret is used"
                            + " without a restart. Its content is never logged.");

    public static final ReporterOption HEADERS =
            ReporterOption.secret(
                    "headers",
                    "Extra request headers: `name=value` pairs separated by commas, or one key"
                            + " `headers.<name>` per header. Values are never logged by this reporter;"
                            + " Flink prints this key's value at startup, so put the OAP token in"
                            + " `token`.");

    public static final ReporterOption TLS_CA_CERT =
            ReporterOption.of(
                    "tls.ca-cert",
                    "",
                    "PEM file with the CA certificates that sign the OAP certificate. Empty: the"
                            + " JVM's default trust store.");

    public static final ReporterOption TLS_CLIENT_CERT =
            ReporterOption.of(
                    "tls.client-cert",
                    "",
                    "PEM file with the client certificate chain, for mTLS. Needs `tls.client-key`.");

    public static final ReporterOption TLS_CLIENT_KEY =
            ReporterOption.of(
                    "tls.client-key",
                    "",
                    "PEM file with the client's PKCS#8 private key, for mTLS. Needs"
                            + " `tls.client-cert`.");

    public static final ReporterOption TASKMANAGER_NODE_VARIABLE =
            ReporterOption.of(
                    "taskmanager.node-variable",
                    "tm_id",
                    "Flink scope variable whose value names a TaskManager, that is a SkyWalking"
                            + " instance (label `taskManager_node`).");

    public static final ReporterOption JOBMANAGER_NODE_VARIABLE =
            ReporterOption.of(
                    "jobmanager.node-variable",
                    "host",
                    "Flink scope variable whose value names the JobManager node (label"
                            + " `jobManager_node`).");

    public static final ReporterOption FILTER_LABEL_VALUE_CHARACTERS =
            ReporterOption.of(
                    "filter-label-value-characters",
                    "true",
                    "Replace every character outside `[a-zA-Z0-9:_]` in label values with `_`, as"
                            + " Flink's Prometheus reporter does by default.",
                    Signal.METRICS);

    public static final ReporterOption PRESET =
            ReporterOption.of(
                    "preset",
                    "skywalking",
                    "`skywalking`: only the series that SkyWalking's Flink dashboards read, plus"
                            + " the reporter's own. `all`: every metric Flink registers (after"
                            + " Flink's own `filter.*`).",
                    Signal.METRICS);

    public static final ReporterOption MAX_REQUEST_SIZE =
            ReporterOption.of(
                    "max-request-size",
                    "4 mb",
                    "Largest OTLP request. A report is split into several requests below it. 4 mb"
                            + " suits any gRPC server; OAP accepts up to 50 mb. From 16 kb to"
                            + " 256 mb.");

    public static final ReporterOption MAX_SERIES =
            ReporterOption.of(
                    "max-series",
                    "100000",
                    "Most series one Flink process sends. Over it, JobManager and TaskManager"
                            + " series are kept first, then the series SkyWalking's dashboards read,"
                            + " then the rest, each in the order Flink registered them; what is left"
                            + " out is counted in `seriesLeftOut` and logged once. At least 100.",
                    Signal.METRICS);

    public static final ReporterOption INCLUDE_TASK_ATTEMPT_ID =
            ReporterOption.of(
                    "include-task-attempt-id",
                    "false",
                    "Send Flink's `task_attempt_id` label. It changes on every restart, so every"
                            + " restart would start new series.",
                    Signal.METRICS);

    public static final ReporterOption QUEUE_SIZE =
            ReporterOption.of(
                    "queue-size",
                    "2048",
                    "Most spans (trace reporter) or events (event reporter, and the events the"
                            + " metric reporter derives) held for export. When the OAP is down or"
                            + " slow, what does not fit is dropped and counted in the reporter's"
                            + " own metrics (`spansDropped`, `eventsDropped`). From 16 to"
                            + " 1000000.",
                    Signal.METRICS,
                    Signal.TRACES,
                    Signal.EVENTS);

    public static final ReporterOption LAYER =
            ReporterOption.of(
                    "layer",
                    "FLINK",
                    "SkyWalking layer of the events sent. `FLINK` (OAP 10.3 and later) puts them on"
                            + " the Flink dashboards; an older OAP has no such layer and keeps those"
                            + " events with layer `UNDEFINED`, off its General Service pages, so set"
                            + " `GENERAL` there.",
                    Signal.METRICS,
                    Signal.EVENTS);

    public static final ReporterOption DERIVE_EVENTS =
            ReporterOption.of(
                    "derive-events",
                    "true",
                    "On the JobManager, derive SkyWalking events from the metrics it reports: job"
                            + " status changes, restarts, failed checkpoints, TaskManagers"
                            + " registered and lost. This gives every Flink version events; where"
                            + " Flink's own events reach this plugin's event reporter in the same"
                            + " process (Flink 2.2 and later), the kinds that reporter sends are not derived"
                            + " again.",
                    Signal.METRICS);

    /** Every option of the three reporters, in the order of the documentation. */
    public static final List<ReporterOption> ALL =
            Collections.unmodifiableList(
                    Arrays.asList(
                            ENDPOINT,
                            PROTOCOL,
                            CLUSTER,
                            TIMEOUT,
                            COMPRESSION,
                            TOKEN,
                            TOKEN_FILE,
                            HEADERS,
                            TLS_CA_CERT,
                            TLS_CLIENT_CERT,
                            TLS_CLIENT_KEY,
                            TASKMANAGER_NODE_VARIABLE,
                            JOBMANAGER_NODE_VARIABLE,
                            FILTER_LABEL_VALUE_CHARACTERS,
                            PRESET,
                            MAX_REQUEST_SIZE,
                            MAX_SERIES,
                            INCLUDE_TASK_ATTEMPT_ID,
                            DERIVE_EVENTS,
                            LAYER,
                            QUEUE_SIZE));

    /** The options one kind of reporter reads, in the order of the documentation. */
    public static List<ReporterOption> of(Signal signal) {
        List<ReporterOption> options = new ArrayList<>();
        for (ReporterOption option : ALL) {
            if (option.signals.contains(signal)) {
                options.add(option);
            }
        }
        return Collections.unmodifiableList(options);
    }

    /**
     * Keys Flink reads itself for every reporter (the reporter's factory, interval, scope and
     * filters). They are Flink's, so they are neither declared nor validated here; the unknown-key
     * warning and the documentation take them from this list.
     */
    public static final List<String> FLINK_KEYS =
            Collections.unmodifiableList(
                    Arrays.asList(
                            "factory.class",
                            "class",
                            "interval",
                            "scope.delimiter",
                            "scope.variables.excludes",
                            "scope.variables.additional",
                            "filter.includes",
                            "filter.excludes"));

    private SkyWalkingReporterOptions() {}
}
