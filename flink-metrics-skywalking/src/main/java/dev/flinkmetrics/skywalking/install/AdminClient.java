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
package dev.flinkmetrics.skywalking.install;

import dev.flinkmetrics.skywalking.config.PluginVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * Requests to the OAP's admin server (port 17128 by default), whose modules serve the runtime rules
 * ({@code /runtime/rule/...}), the UI templates ({@code /ui-management/...}) and the alarm status
 * ({@code /status/...}). A failure to reach it is an {@link InstallException} that names the OAP
 * setting to look at.
 */
final class AdminClient {

    /** An answer: the HTTP status and the body as text. */
    static final class Response {
        final int status;
        final String body;

        Response(int status, String body) {
            this.status = status;
            this.body = body;
        }

        /** The body as JSON; null when it is not JSON. */
        Object json() {
            try {
                return Json.parse(body);
            } catch (IllegalArgumentException notJson) {
                return null;
            }
        }

        /** What the OAP said about a refused request: its status words and message, if any. */
        String reason() {
            Object json = json();
            StringBuilder reason = new StringBuilder("HTTP " + status);
            for (String field : new String[] {"applyStatus", "message"}) {
                String value = Json.string(json, field);
                if (value != null && !value.isEmpty()) {
                    reason.append(", ").append(field).append(' ').append(value);
                }
            }
            if (json == null && !body.trim().isEmpty()) {
                reason.append(": ").append(body.trim());
            }
            return reason.toString();
        }
    }

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final String base;
    private final int readTimeoutMillis;

    /**
     * @param base the admin server's address, {@code http://host:port}, with a context path if the
     *     OAP sets one ({@code SW_ADMIN_SERVER_CONTEXT_PATH})
     */
    AdminClient(String base, int readTimeoutMillis) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.readTimeoutMillis = readTimeoutMillis;
        try {
            URL url = new URL(this.base);
            if (!url.getProtocol().equals("http") && !url.getProtocol().equals("https")) {
                throw new InstallException(
                        "--admin " + base + " is not an http:// or https:// address");
            }
        } catch (MalformedURLException e) {
            throw new InstallException("--admin " + base + " is not an address: " + e.getMessage());
        }
    }

    String base() {
        return base;
    }

    Response get(String path) {
        return send("GET", path, null, null);
    }

    Response post(String path, String contentType, String body) {
        return send("POST", path, contentType, body);
    }

    Response put(String path, String contentType, String body) {
        return send("PUT", path, contentType, body);
    }

    private Response send(String method, String path, String contentType, String body) {
        String address = base + path;
        HttpURLConnection connection = null;
        try {
            connection = (HttpURLConnection) new URL(address).openConnection();
            connection.setRequestMethod(method);
            connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            connection.setReadTimeout(readTimeoutMillis);
            connection.setInstanceFollowRedirects(false);
            connection.setRequestProperty(
                    "User-Agent", PluginVersion.NAME + "/" + PluginVersion.version());
            connection.setRequestProperty("Accept", "application/json");
            if (body != null) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", contentType);
                connection.setFixedLengthStreamingMode(bytes.length);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(bytes);
                }
            }
            int status = connection.getResponseCode();
            InputStream in =
                    status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            return new Response(status, in == null ? "" : read(in));
        } catch (ConnectException e) {
            throw new InstallException(
                    "nothing listens at "
                            + base
                            + " ("
                            + e.getMessage()
                            + "). The OAP's admin server is off (SW_ADMIN_SERVER), listens on"
                            + " another address or port (SW_ADMIN_SERVER_HOST,"
                            + " SW_ADMIN_SERVER_PORT, 17128 by default), or is not reachable from"
                            + " here: docs/skywalking.md says how to reach it safely.");
        } catch (SocketTimeoutException e) {
            throw new InstallException(
                    method
                            + " "
                            + address
                            + " had no answer in time ("
                            + e.getMessage()
                            + "); is the address that of the OAP's admin server?");
        } catch (UnknownHostException e) {
            throw new InstallException("unknown host in --admin " + base + ": " + e.getMessage());
        } catch (IOException e) {
            throw new InstallException(method + " " + address + " failed: " + e);
        } finally {
            if (connection != null) {
                connection.disconnect();
            }
        }
    }

    private static String read(InputStream in) throws IOException {
        try (InputStream stream = in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = stream.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        }
    }
}
