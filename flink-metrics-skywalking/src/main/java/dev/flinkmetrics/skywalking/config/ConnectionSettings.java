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
package dev.flinkmetrics.skywalking;

import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.CLUSTER;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.COMPRESSION;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.ENDPOINT;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.FILTER_LABEL_VALUE_CHARACTERS;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.HEADERS;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.INCLUDE_TASK_ATTEMPT_ID;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.JOBMANAGER_NODE_VARIABLE;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.MAX_REQUEST_SIZE;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.PRESET;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.PROTOCOL;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.TASKMANAGER_NODE_VARIABLE;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.TIMEOUT;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.TLS_CA_CERT;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.TLS_CLIENT_CERT;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.TLS_CLIENT_KEY;
import static dev.flinkmetrics.skywalking.SkyWalkingReporterOptions.TOKEN;

import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reporter's configuration, parsed and validated once. Values are read raw from the {@link
 * Properties} Flink hands over: with {@code config.yaml} they may be typed (Integer, Boolean, Map),
 * and several Flink releases' {@code MetricConfig} getters silently return the default for those.
 */
final class ReporterConfig {

    enum Protocol {
        GRPC("grpc"),
        HTTP_PROTOBUF("http/protobuf");

        final String value;

        Protocol(String value) {
            this.value = value;
        }
    }

    enum Preset {
        SKYWALKING("skywalking"),
        ALL("all");

        final String value;

        Preset(String value) {
            this.value = value;
        }
    }

    enum Compression {
        NONE("none"),
        GZIP("gzip");

        final String value;

        Compression(String value) {
            this.value = value;
        }
    }

    static final String AUTHENTICATION_HEADER = "authentication";
    static final int MIN_REQUEST_SIZE = 16 * 1024;
    static final int MAX_REQUEST_SIZE_LIMIT = 256 * 1024 * 1024;

    /** Keys Flink reads itself for every reporter; they are not ours to validate. */
    private static final Set<String> FLINK_KEYS =
            new HashSet<>(
                    Arrays.asList(
                            "factory.class",
                            "class",
                            "interval",
                            "scope.delimiter",
                            "scope.variables.excludes",
                            "scope.variables.additional",
                            "filter.includes",
                            "filter.excludes"));

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");
    private static final Pattern HEADER_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]*");

    final URI endpoint;
    final Protocol protocol;
    final boolean tls;
    final String host;
    final int port;

    /** Request path for {@code http/protobuf}; unused with gRPC. */
    final String path;

    final String cluster;
    final boolean clusterDefaulted;
    final long timeoutMillis;
    final Compression compression;

    /** Header names are lower case; {@code authentication} carries the token. */
    final Map<String, String> headers;

    final File caCert;
    final File clientCert;
    final File clientKey;

    final String taskManagerNodeVariable;
    final String jobManagerNodeVariable;
    final boolean filterLabelValueCharacters;
    final Preset preset;
    final int maxRequestBytes;
    final boolean includeTaskAttemptId;

    /** Keys we do not know, kept for one warning at startup (likely typos). */
    final List<String> unknownKeys;

    private ReporterConfig(Properties p) {
        this.protocol = parseEnum(p, PROTOCOL, Protocol.values(), e -> e.value);
        URI uri = parseEndpoint(p);
        this.tls = "https".equals(uri.getScheme());
        this.host = uri.getHost();
        int defaultPort = protocol == Protocol.GRPC ? 11800 : 12800;
        this.port = uri.getPort() == -1 ? defaultPort : uri.getPort();
        String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (protocol == Protocol.GRPC && !rawPath.isEmpty() && !"/".equals(rawPath)) {
            throw invalid(
                    ENDPOINT,
                    safeEndpoint(uri),
                    "a gRPC endpoint has no path; give scheme, host and port only");
        }
        this.path = rawPath.isEmpty() || "/".equals(rawPath) ? "/v1/metrics" : rawPath;
        this.endpoint = uri;

        String clusterValue = string(p, CLUSTER);
        this.clusterDefaulted = clusterValue == null;
        this.cluster = clusterDefaulted ? CLUSTER.defaultValue : clusterValue;
        if (cluster.isEmpty()) {
            throw invalid(CLUSTER, "", "the cluster name must not be empty");
        }

        this.timeoutMillis = parseDuration(p, TIMEOUT);
        this.compression = parseEnum(p, COMPRESSION, Compression.values(), e -> e.value);
        this.headers = Collections.unmodifiableMap(parseHeaders(p));

        this.caCert = readableFile(p, TLS_CA_CERT);
        this.clientCert = readableFile(p, TLS_CLIENT_CERT);
        this.clientKey = readableFile(p, TLS_CLIENT_KEY);
        if ((clientCert == null) != (clientKey == null)) {
            ReporterOption set = clientCert != null ? TLS_CLIENT_CERT : TLS_CLIENT_KEY;
            ReporterOption missing = clientCert != null ? TLS_CLIENT_KEY : TLS_CLIENT_CERT;
            throw new IllegalArgumentException(
                    set.fullKey()
                            + " is set but "
                            + missing.fullKey()
                            + " is not: mTLS needs both the client certificate and its key.");
        }
        if (!tls && (caCert != null || clientCert != null)) {
            throw new IllegalArgumentException(
                    "TLS files are configured but "
                            + ENDPOINT.fullKey()
                            + " is '"
                            + safeEndpoint(uri)
                            + "': use an https:// endpoint for TLS.");
        }

        this.taskManagerNodeVariable = variableName(p, TASKMANAGER_NODE_VARIABLE);
        this.jobManagerNodeVariable = variableName(p, JOBMANAGER_NODE_VARIABLE);
        this.filterLabelValueCharacters = parseBoolean(p, FILTER_LABEL_VALUE_CHARACTERS);
        this.preset = parseEnum(p, PRESET, Preset.values(), e -> e.value);
        this.maxRequestBytes = parseSize(p, MAX_REQUEST_SIZE);
        this.includeTaskAttemptId = parseBoolean(p, INCLUDE_TASK_ATTEMPT_ID);
        this.unknownKeys = Collections.unmodifiableList(unknownKeys(p));
    }

    /**
     * Parses and validates the reporter's properties.
     *
     * @throws IllegalArgumentException naming the full key and the bad value
     */
    static ReporterConfig fromProperties(Properties properties) {
        return new ReporterConfig(properties);
    }

    /** Where requests go, for log lines: scheme, host, port and path, never user info. */
    String target() {
        String base = (tls ? "https://" : "http://") + host + ":" + port;
        return protocol == Protocol.HTTP_PROTOBUF ? base + path : base;
    }

    /** The effective configuration for the startup log line. Header values are masked. */
    @Override
    public String toString() {
        Map<String, String> masked = new LinkedHashMap<>();
        for (String name : headers.keySet()) {
            masked.put(name, "******");
        }
        return "endpoint="
                + target()
                + ", protocol="
                + protocol.value
                + ", cluster="
                + cluster
                + ", timeout="
                + timeoutMillis
                + " ms, compression="
                + compression.value
                + ", headers="
                + masked
                + ", tls.ca-cert="
                + (caCert == null ? "(JVM default)" : caCert.getPath())
                + ", tls.client-cert="
                + (clientCert == null ? "(none)" : clientCert.getPath())
                + ", tls.client-key="
                + (clientKey == null ? "(none)" : "******")
                + ", taskmanager.node-variable="
                + taskManagerNodeVariable
                + ", jobmanager.node-variable="
                + jobManagerNodeVariable
                + ", filter-label-value-characters="
                + filterLabelValueCharacters
                + ", preset="
                + preset.value
                + ", max-request-size="
                + maxRequestBytes
                + " bytes, include-task-attempt-id="
                + includeTaskAttemptId;
    }

    // ------------------------------------------------------------------------------------------

    /** The raw value as text, or null when absent. Typed YAML values are converted. */
    private static String string(Properties p, ReporterOption option) {
        Object value = p.get(option.key);
        if (value == null) {
            return null;
        }
        String text = String.valueOf(value).trim();
        return text;
    }

    private static String stringOrDefault(Properties p, ReporterOption option) {
        String value = string(p, option);
        return value == null ? option.defaultValue : value;
    }

    private URI parseEndpoint(Properties p) {
        String value = stringOrDefault(p, ENDPOINT);
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw invalid(ENDPOINT, maskUserInfo(value), "not a URI (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw invalid(
                    ENDPOINT,
                    maskUserInfo(value),
                    "expected http://host:port or https://host:port");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid(ENDPOINT, maskUserInfo(value), "the host is missing");
        }
        if (uri.getRawUserInfo() != null) {
            throw invalid(
                    ENDPOINT,
                    maskUserInfo(value),
                    "user info in the endpoint is not supported; use "
                            + TOKEN.fullKey()
                            + " or "
                            + HEADERS.fullKey());
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw invalid(ENDPOINT, value, "query and fragment are not supported");
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw invalid(ENDPOINT, value, e.getReason());
        }
    }

    private static String safeEndpoint(URI uri) {
        return maskUserInfo(uri.toString());
    }

    /** Hides credentials written into a URI, so that an error message never carries them. */
    static String maskUserInfo(String uri) {
        return uri.replaceAll("//[^/@]*@", "//******@");
    }

    private static <E extends Enum<E>> E parseEnum(
            Properties p,
            ReporterOption option,
            E[] values,
            java.util.function.Function<E, String> name) {
        String value = stringOrDefault(p, option);
        List<String> accepted = new ArrayList<>();
        for (E e : values) {
            String n = name.apply(e);
            if (n.equalsIgnoreCase(value)) {
                return e;
            }
            accepted.add(n);
        }
        throw invalid(option, value, "expected one of " + String.join(", ", accepted));
    }

    private static boolean parseBoolean(Properties p, ReporterOption option) {
        String value = stringOrDefault(p, option);
        if ("true".equalsIgnoreCase(value)) {
            return true;
        }
        if ("false".equalsIgnoreCase(value)) {
            return false;
        }
        throw invalid(option, value, "expected true or false");
    }

    static long parseDuration(Properties p, ReporterOption option) {
        String value = stringOrDefault(p, option);
        long millis;
        Matcher m = DURATION.matcher(value);
        if (m.matches()) {
            long amount;
            try {
                amount = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw invalid(option, value, "the number is too large");
            }
            String unit = m.group(2).toLowerCase(Locale.ROOT);
            TimeUnit timeUnit;
            switch (unit) {
                case "":
                case "ms":
                case "milli":
                case "millis":
                case "millisecond":
                case "milliseconds":
                    timeUnit = TimeUnit.MILLISECONDS;
                    break;
                case "s":
                case "sec":
                case "secs":
                case "second":
                case "seconds":
                    timeUnit = TimeUnit.SECONDS;
                    break;
                case "min":
                case "mins":
                case "minute":
                case "minutes":
                    timeUnit = TimeUnit.MINUTES;
                    break;
                default:
                    throw invalid(
                            option, value, "unknown unit '" + m.group(2) + "'; use ms, s or min");
            }
            millis = timeUnit.toMillis(amount);
        } else {
            throw invalid(option, value, "expected a duration such as 500 ms, 10 s or 1 min");
        }
        if (millis <= 0) {
            throw invalid(option, value, "must be greater than zero");
        }
        if (millis > TimeUnit.MINUTES.toMillis(10)) {
            throw invalid(option, value, "must be at most 10 min");
        }
        return millis;
    }

    private static int parseSize(Properties p, ReporterOption option) {
        String value = stringOrDefault(p, option);
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw invalid(option, value, "expected a size such as 512 kb or 4 mb");
        }
        long multiplier;
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "":
            case "b":
            case "bytes":
                multiplier = 1;
                break;
            case "k":
            case "kb":
            case "kib":
                multiplier = 1024;
                break;
            case "m":
            case "mb":
            case "mib":
                multiplier = 1024 * 1024;
                break;
            case "g":
            case "gb":
            case "gib":
                multiplier = 1024L * 1024 * 1024;
                break;
            default:
                throw invalid(option, value, "unknown unit '" + m.group(2) + "'; use b, kb or mb");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(1)), multiplier);
        } catch (ArithmeticException | NumberFormatException e) {
            throw invalid(option, value, "the number is too large");
        }
        if (bytes < MIN_REQUEST_SIZE || bytes > MAX_REQUEST_SIZE_LIMIT) {
            throw invalid(option, value, "must be between 16 kb and 256 mb");
        }
        return (int) bytes;
    }

    private static Map<String, String> parseHeaders(Properties p) {
        Map<String, String> result = new LinkedHashMap<>();
        Object raw = p.get(HEADERS.key);
        if (raw instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) raw).entrySet()) {
                putHeader(result, String.valueOf(e.getKey()), String.valueOf(e.getValue()));
            }
        } else if (raw != null) {
            String text = String.valueOf(raw).trim();
            if (!text.isEmpty()) {
                for (String pair : text.split(",")) {
                    int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        // The value may be a secret: name the entry's position, not its text.
                        throw new IllegalArgumentException(
                                "Invalid value for "
                                        + HEADERS.fullKey()
                                        + ": entry '"
                                        + (eq < 0 ? maskAfterName(pair) : "=...")
                                        + "' is not name=value. Expected name=value pairs"
                                        + " separated by commas.");
                    }
                    putHeader(result, pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                }
            }
        }
        String prefix = HEADERS.key + ".";
        for (String key : keys(p)) {
            if (key.startsWith(prefix)) {
                putHeader(
                        result, key.substring(prefix.length()), String.valueOf(p.get(key)).trim());
            }
        }
        String token = string(p, TOKEN);
        if (token != null) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException(
                        "Invalid value for " + TOKEN.fullKey() + ": the token is empty.");
            }
            checkHeaderValue(TOKEN.fullKey(), token);
            result.put(AUTHENTICATION_HEADER, token);
        }
        return result;
    }

    private static String maskAfterName(String pair) {
        String trimmed = pair.trim();
        return trimmed.length() <= 3 ? trimmed : trimmed.substring(0, 3) + "...";
    }

    private static void putHeader(Map<String, String> headers, String name, String value) {
        String key = HEADERS.fullKey();
        if (!HEADER_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "Invalid header name '"
                            + name
                            + "' in "
                            + key
                            + ": use letters, digits, '-', '_' and '.'.");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("grpc-")
                || lower.equals("content-type")
                || lower.equals("content-encoding")
                || lower.equals("te")
                || lower.equals("user-agent")) {
            throw new IllegalArgumentException(
                    "Invalid header name '" + name + "' in " + key + ": the transport sets it.");
        }
        checkHeaderValue(key + " (header " + lower + ")", value);
        headers.put(lower, value);
    }

    private static void checkHeaderValue(String where, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException(
                        "Invalid value for "
                                + where
                                + ": header values must be printable ASCII (character at"
                                + " position "
                                + i
                                + ").");
            }
        }
    }

    private static File readableFile(Properties p, ReporterOption option) {
        String value = string(p, option);
        if (value == null || value.isEmpty()) {
            return null;
        }
        File file = new File(value);
        if (!file.isFile() || !file.canRead()) {
            throw invalid(option, value, "no readable file at this path");
        }
        return file;
    }

    private static String variableName(Properties p, ReporterOption option) {
        String value = stringOrDefault(p, option);
        if (value.startsWith("<") && value.endsWith(">") && value.length() > 2) {
            value = value.substring(1, value.length() - 1);
        }
        if (!value.matches("[A-Za-z0-9_]+")) {
            throw invalid(
                    option, value, "expected a Flink scope variable name such as tm_id or host");
        }
        return value;
    }

    private static List<String> unknownKeys(Properties p) {
        Set<String> known = new HashSet<>(FLINK_KEYS);
        for (ReporterOption option : SkyWalkingReporterOptions.ALL) {
            known.add(option.key);
        }
        List<String> unknown = new ArrayList<>();
        for (String key : keys(p)) {
            if (!known.contains(key) && !key.startsWith(HEADERS.key + ".")) {
                unknown.add(SkyWalkingReporterOptions.KEY_PREFIX + key);
            }
        }
        return unknown;
    }

    /** Every key, sorted. {@code stringPropertyNames()} would skip keys with typed YAML values. */
    private static Set<String> keys(Properties p) {
        Set<String> keys = new TreeSet<>();
        for (Object key : p.keySet()) {
            if (key instanceof String) {
                keys.add((String) key);
            }
        }
        return keys;
    }

    private static IllegalArgumentException invalid(
            ReporterOption option, String value, String reason) {
        return new IllegalArgumentException(
                "Invalid value '" + value + "' for " + option.fullKey() + ": " + reason + ".");
    }
}
