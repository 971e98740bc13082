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

import static dev.flinkmetrics.skywalking.config.OptionReader.invalid;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.COMPRESSION;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.ENDPOINT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.HEADERS;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.PROTOCOL;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TIMEOUT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TLS_CA_CERT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TLS_CLIENT_CERT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TLS_CLIENT_KEY;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN_FILE;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.flink.annotation.Internal;

/**
 * How to reach the OAP: endpoint, protocol, TLS, token, headers, timeout and compression. One
 * immutable value that metrics, traces and events share; its {@link #toString()} masks secrets.
 */
@Internal
public final class ConnectionSettings {

    /** The wire protocol. */
    public enum Protocol {
        GRPC("grpc"),
        HTTP_PROTOBUF("http/protobuf");

        public final String value;

        Protocol(String value) {
            this.value = value;
        }
    }

    /** Request body compression. */
    public enum Compression {
        NONE("none"),
        GZIP("gzip");

        public final String value;

        Compression(String value) {
            this.value = value;
        }
    }

    /** The header that carries the OAP token. */
    public static final String AUTHENTICATION_HEADER = "authentication";

    private static final long MAX_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(10);
    private static final Pattern HEADER_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]*");

    /** One OAP address of the endpoint list. */
    public static final class Address {
        public final String host;
        public final int port;

        /** The request path given for {@code http/protobuf}, or null for none. */
        public final String path;

        Address(String host, int port, String path) {
            this.host = host;
            this.port = port;
            this.path = path;
        }

        /** The HTTP request path: the address' own, else the signal's default. */
        public String httpPath(String defaultPath) {
            return path == null ? defaultPath : path;
        }
    }

    public final Protocol protocol;
    public final boolean tls;

    /** The OAP nodes, as listed; at least one. */
    public final List<Address> addresses;

    public final long timeoutMillis;
    public final Compression compression;

    /**
     * Header names are lower case; {@code authentication} carries the token, from {@code token} or
     * as {@link #tokenFile} held it at start.
     */
    public final Map<String, String> headers;

    /** The file the token is read from, again when the OAP refuses it; null when none. */
    public final File tokenFile;

    public final File caCert;
    public final File clientCert;
    public final File clientKey;

    private ConnectionSettings(OptionReader options) {
        this.protocol = options.choice(PROTOCOL, Protocol.values(), p -> p.value);
        String endpoint = options.stringOrDefault(ENDPOINT);
        List<Address> parsed = new ArrayList<>();
        Boolean anyTls = null;
        for (String entry : endpoint.split(",")) {
            if (entry.trim().isEmpty()) {
                continue;
            }
            URI uri = parseEndpoint(entry.trim());
            boolean entryTls = "https".equals(uri.getScheme());
            if (anyTls != null && anyTls != entryTls) {
                throw invalid(
                        ENDPOINT,
                        maskSecrets(endpoint),
                        "all addresses must use the same scheme, http:// or https://");
            }
            anyTls = entryTls;
            parsed.add(address(uri));
        }
        if (parsed.isEmpty()) {
            throw invalid(ENDPOINT, endpoint, "no address is given");
        }
        this.tls = anyTls;
        this.addresses = Collections.unmodifiableList(parsed);

        this.timeoutMillis = options.duration(TIMEOUT, MAX_TIMEOUT_MILLIS);
        this.compression = options.choice(COMPRESSION, Compression.values(), c -> c.value);
        this.tokenFile = options.readableFile(TOKEN_FILE);
        if (tokenFile != null && options.string(TOKEN) != null) {
            throw new IllegalArgumentException(
                    TOKEN.fullKey()
                            + " and "
                            + TOKEN_FILE.fullKey()
                            + " are both set: give the token one way only.");
        }
        Map<String, String> parsedHeaders = parseHeaders(options);
        if (tokenFile != null) {
            try {
                parsedHeaders.put(AUTHENTICATION_HEADER, readToken(tokenFile));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Invalid value '"
                                + tokenFile.getPath()
                                + "' for "
                                + TOKEN_FILE.fullKey()
                                + ": "
                                + e.getMessage()
                                + ".");
            }
        }
        this.headers = Collections.unmodifiableMap(parsedHeaders);

        this.caCert = options.readableFile(TLS_CA_CERT);
        this.clientCert = options.readableFile(TLS_CLIENT_CERT);
        this.clientKey = options.readableFile(TLS_CLIENT_KEY);
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
                            + maskSecrets(endpoint)
                            + "': use an https:// endpoint for TLS.");
        }
    }

    /**
     * Parses and validates the connection options.
     *
     * @throws IllegalArgumentException naming the full key and the bad value
     */
    public static ConnectionSettings read(OptionReader options) {
        return new ConnectionSettings(options);
    }

    /**
     * Where requests to one address go, for log lines: scheme, host, port and, with {@code
     * http/protobuf}, the path (the address' own, else {@code defaultPath}); never user info.
     */
    public String target(Address address, String defaultPath) {
        String base = (tls ? "https://" : "http://") + address.host + ":" + address.port;
        return protocol == Protocol.HTTP_PROTOBUF ? base + address.httpPath(defaultPath) : base;
    }

    /** Where requests go, for log lines: every address, separated by commas. */
    public String target(String defaultPath) {
        StringBuilder targets = new StringBuilder();
        for (Address address : addresses) {
            if (targets.length() > 0) {
                targets.append(',');
            }
            targets.append(target(address, defaultPath));
        }
        return targets.toString();
    }

    /**
     * The token a token file holds: its content without surrounding white space. Messages never
     * quote the content.
     *
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when it holds no token or characters a header cannot carry
     */
    public static String readToken(File file) throws IOException {
        String token = new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8).trim();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("the file is empty");
        }
        checkHeaderValue("the token in " + TOKEN_FILE.fullKey(), token);
        return token;
    }

    /** The settings for the startup log line, without the endpoint. Secrets are masked. */
    @Override
    public String toString() {
        Map<String, String> masked = new LinkedHashMap<>();
        for (String name : headers.keySet()) {
            masked.put(name, "******");
        }
        return "protocol="
                + protocol.value
                + ", timeout="
                + timeoutMillis
                + " ms, compression="
                + compression.value
                + ", headers="
                + masked
                + ", token-file="
                + (tokenFile == null ? "(none)" : tokenFile.getPath())
                + ", tls.ca-cert="
                + (caCert == null ? "(JVM default)" : caCert.getPath())
                + ", tls.client-cert="
                + (clientCert == null ? "(none)" : clientCert.getPath())
                + ", tls.client-key="
                + (clientKey == null ? "(none)" : "******");
    }

    // ------------------------------------------------------------------------------------------

    private Address address(URI uri) {
        int defaultPort = protocol == Protocol.GRPC ? 11800 : 12800;
        int port = uri.getPort() == -1 ? defaultPort : uri.getPort();
        String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
        boolean noPath = rawPath.isEmpty() || "/".equals(rawPath);
        if (protocol == Protocol.GRPC && !noPath) {
            throw invalid(
                    ENDPOINT,
                    maskSecrets(uri.toString()),
                    "a gRPC endpoint has no path; give scheme, host and port only");
        }
        return new Address(uri.getHost(), port, noPath ? null : rawPath);
    }

    private static URI parseEndpoint(String value) {
        String safe = maskSecrets(value);
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw invalid(ENDPOINT, safe, "not a URI (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw invalid(ENDPOINT, safe, "expected http://host:port or https://host:port");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid(ENDPOINT, safe, "the host is missing");
        }
        if (uri.getRawUserInfo() != null) {
            throw invalid(
                    ENDPOINT,
                    safe,
                    "user info in the endpoint is not supported; use "
                            + TOKEN.fullKey()
                            + " or "
                            + HEADERS.fullKey());
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw invalid(
                    ENDPOINT,
                    safe,
                    "query and fragment are not supported; put credentials in "
                            + TOKEN.fullKey()
                            + " or "
                            + HEADERS.fullKey());
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw invalid(ENDPOINT, safe, e.getReason());
        }
    }

    /** Hides user info, query and fragment: any of them may carry a token. */
    static String maskSecrets(String uri) {
        String masked = uri.replaceAll("//[^/@]*@", "//******@");
        int query = masked.indexOf('?');
        int fragment = masked.indexOf('#');
        int cut = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
        return cut < 0 ? masked : masked.substring(0, cut + 1) + "******";
    }

    private static Map<String, String> parseHeaders(OptionReader options) {
        Map<String, String> result = new LinkedHashMap<>();
        Object raw = options.raw(HEADERS.key);
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
        for (String key : options.keys()) {
            if (key.startsWith(prefix)) {
                putHeader(
                        result,
                        key.substring(prefix.length()),
                        String.valueOf(options.raw(key)).trim());
            }
        }
        String token = options.string(TOKEN);
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
}
