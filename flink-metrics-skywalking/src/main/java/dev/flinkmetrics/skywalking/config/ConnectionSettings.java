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

import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.COMPRESSION;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.ENDPOINT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.PROTOCOL;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TIMEOUT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TLS_CA_CERT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TLS_CLIENT_CERT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TLS_CLIENT_KEY;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN_FILE;

import java.io.File;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.Internal;

/**
 * How to reach the OAP: endpoint ({@link Endpoints}), protocol, TLS, headers and token ({@link
 * Headers}), timeout and compression. One immutable value per reporter; its {@link #toString()}
 * masks secrets, and every message it leads to names keys with its reporter's prefix.
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

    private static final long MAX_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(10);

    /** The reporter these settings are for: messages name keys with its prefix. */
    public final Signal signal;

    public final Protocol protocol;
    public final boolean tls;

    /** The OAP nodes, as listed; at least one. */
    public final List<Endpoints.Address> addresses;

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
        this.signal = options.signal;
        this.protocol = options.choice(PROTOCOL, Protocol.values(), p -> p.value);
        Endpoints endpoints = Endpoints.read(options, protocol == Protocol.GRPC);
        this.tls = endpoints.tls;
        this.addresses = endpoints.addresses;
        this.timeoutMillis = options.duration(TIMEOUT, MAX_TIMEOUT_MILLIS);
        this.compression = options.choice(COMPRESSION, Compression.values(), c -> c.value);
        this.tokenFile = options.readableFile(TOKEN_FILE);
        if (tokenFile != null && options.string(TOKEN) != null) {
            throw new IllegalArgumentException(
                    options.key(TOKEN)
                            + " and "
                            + options.key(TOKEN_FILE)
                            + " are both set: give the token one way only.");
        }
        this.headers = Collections.unmodifiableMap(Headers.read(options, tokenFile));

        this.caCert = options.readableFile(TLS_CA_CERT);
        this.clientCert = options.readableFile(TLS_CLIENT_CERT);
        this.clientKey = options.readableFile(TLS_CLIENT_KEY);
        if ((clientCert == null) != (clientKey == null)) {
            ReporterOption set = clientCert != null ? TLS_CLIENT_CERT : TLS_CLIENT_KEY;
            ReporterOption missing = clientCert != null ? TLS_CLIENT_KEY : TLS_CLIENT_CERT;
            throw new IllegalArgumentException(
                    options.key(set)
                            + " is set but "
                            + options.key(missing)
                            + " is not: mTLS needs both the client certificate and its key.");
        }
        if (!tls && (caCert != null || clientCert != null)) {
            throw new IllegalArgumentException(
                    "TLS files are configured but "
                            + options.key(ENDPOINT)
                            + " is '"
                            + endpoints.masked
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

    /** The key of {@code option} as the operator wrote it for this reporter, for hints. */
    public String key(ReporterOption option) {
        return signal.key(option);
    }

    /**
     * Where requests to one address go, for log lines: scheme, host, port and, with {@code
     * http/protobuf}, the path (the address' own, else {@code defaultPath}); never user info.
     */
    public String target(Endpoints.Address address, String defaultPath) {
        String base = (tls ? "https://" : "http://") + address.host + ":" + address.port;
        return protocol == Protocol.HTTP_PROTOBUF ? base + address.httpPath(defaultPath) : base;
    }

    /** Where requests go, for log lines: every address, separated by commas. */
    public String target(String defaultPath) {
        StringBuilder targets = new StringBuilder();
        for (Endpoints.Address address : addresses) {
            if (targets.length() > 0) {
                targets.append(',');
            }
            targets.append(target(address, defaultPath));
        }
        return targets.toString();
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
}
