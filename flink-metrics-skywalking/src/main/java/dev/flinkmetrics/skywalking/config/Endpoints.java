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

import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.ENDPOINT;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.HEADERS;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.apache.flink.annotation.Internal;

/**
 * The {@code endpoint} option: a list of OAP addresses, all plaintext or all TLS. Parsing never
 * echoes user info, a query or a fragment, which may carry a token.
 */
@Internal
public final class Endpoints {

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

    /** The OAP nodes, as listed; at least one. */
    final List<Address> addresses;

    /** https:// */
    final boolean tls;

    /** The option's value with secrets masked, for messages. */
    final String masked;

    private Endpoints(List<Address> addresses, boolean tls, String masked) {
        this.addresses = addresses;
        this.tls = tls;
        this.masked = masked;
    }

    /** Parses {@code endpoint}; gRPC endpoints have no path. */
    static Endpoints read(OptionReader options, boolean grpc) {
        String endpoint = options.stringOrDefault(ENDPOINT);
        List<Address> parsed = new ArrayList<>();
        Boolean anyTls = null;
        for (String entry : endpoint.split(",")) {
            if (entry.trim().isEmpty()) {
                continue;
            }
            URI uri = parse(options, entry.trim());
            boolean entryTls = "https".equals(uri.getScheme());
            if (anyTls != null && anyTls != entryTls) {
                throw options.invalid(
                        ENDPOINT,
                        maskSecrets(endpoint),
                        "all addresses must use the same scheme, http:// or https://");
            }
            anyTls = entryTls;
            parsed.add(address(options, uri, grpc));
        }
        if (parsed.isEmpty()) {
            throw options.invalid(ENDPOINT, endpoint, "no address is given");
        }
        return new Endpoints(Collections.unmodifiableList(parsed), anyTls, maskSecrets(endpoint));
    }

    private static Address address(OptionReader options, URI uri, boolean grpc) {
        int port = uri.getPort() == -1 ? (grpc ? 11800 : 12800) : uri.getPort();
        String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
        boolean noPath = rawPath.isEmpty() || "/".equals(rawPath);
        if (grpc && !noPath) {
            throw options.invalid(
                    ENDPOINT,
                    maskSecrets(uri.toString()),
                    "a gRPC endpoint has no path; give scheme, host and port only");
        }
        return new Address(uri.getHost(), port, noPath ? null : rawPath);
    }

    private static URI parse(OptionReader options, String value) {
        String safe = maskSecrets(value);
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw options.invalid(ENDPOINT, safe, "not a URI (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw options.invalid(ENDPOINT, safe, "expected http://host:port or https://host:port");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw options.invalid(ENDPOINT, safe, "the host is missing");
        }
        String credentialKeys = options.key(TOKEN) + " or " + options.key(HEADERS);
        if (uri.getRawUserInfo() != null) {
            throw options.invalid(
                    ENDPOINT,
                    safe,
                    "user info in the endpoint is not supported; use " + credentialKeys);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw options.invalid(
                    ENDPOINT,
                    safe,
                    "query and fragment are not supported; put credentials in " + credentialKeys);
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw options.invalid(ENDPOINT, safe, e.getReason());
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
}
