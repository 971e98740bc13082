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

import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.HEADERS;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN;
import static dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions.TOKEN_FILE;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.flink.annotation.Internal;

/**
 * The headers every request carries: {@code headers}, {@code headers.<name>}, and the token from
 * {@code token} or {@code token-file}. Values may be secrets: no message quotes one.
 */
@Internal
public final class Headers {

    /** The header that carries the OAP token. */
    public static final String AUTHENTICATION = "authentication";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]*");

    private Headers() {}

    /** Reads the headers, lower-case names; the token file is read here once. */
    static Map<String, String> read(OptionReader options, File tokenFile) {
        Map<String, String> result = new LinkedHashMap<>();
        Object raw = options.raw(HEADERS.key);
        if (raw instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) raw).entrySet()) {
                put(options, result, String.valueOf(e.getKey()), String.valueOf(e.getValue()));
            }
        } else if (raw != null) {
            String text = String.valueOf(raw).trim();
            if (!text.isEmpty()) {
                String[] pairs = text.split(",");
                for (int i = 0; i < pairs.length; i++) {
                    String pair = pairs[i];
                    int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        // Any part of the entry may be a secret: name its position only.
                        throw new IllegalArgumentException(
                                "Invalid value for "
                                        + options.key(HEADERS)
                                        + ": entry "
                                        + (i + 1)
                                        + " of "
                                        + pairs.length
                                        + " is not name=value. Expected name=value pairs"
                                        + " separated by commas.");
                    }
                    put(
                            options,
                            result,
                            pair.substring(0, eq).trim(),
                            pair.substring(eq + 1).trim());
                }
            }
        }
        String prefix = HEADERS.key + ".";
        for (String key : options.keys()) {
            if (key.startsWith(prefix)) {
                put(
                        options,
                        result,
                        key.substring(prefix.length()),
                        String.valueOf(options.raw(key)).trim());
            }
        }
        String token = options.string(TOKEN);
        if (token != null) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException(
                        "Invalid value for " + options.key(TOKEN) + ": the token is empty.");
            }
            checkValue(options.key(TOKEN), token);
            result.put(AUTHENTICATION, token);
        }
        if (tokenFile != null) {
            try {
                result.put(AUTHENTICATION, readToken(tokenFile, options.signal));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Invalid value '"
                                + tokenFile.getPath()
                                + "' for "
                                + options.key(TOKEN_FILE)
                                + ": "
                                + e.getMessage()
                                + ".");
            }
        }
        return result;
    }

    /**
     * The token a token file holds: its content without surrounding white space. Messages never
     * quote the content.
     *
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when it holds no token or characters a header cannot carry
     */
    public static String readToken(File file, Signal signal) throws IOException {
        String token = new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8).trim();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("the file is empty");
        }
        checkValue("the token in " + signal.key(TOKEN_FILE), token);
        return token;
    }

    private static void put(
            OptionReader options, Map<String, String> headers, String name, String value) {
        String key = options.key(HEADERS);
        if (!NAME.matcher(name).matches()) {
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
        checkValue(key + " (header " + lower + ")", value);
        headers.put(lower, value);
    }

    private static void checkValue(String where, String value) {
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
