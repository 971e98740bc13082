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
package dev.flinkmetrics.skywalking.transport;

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.PluginVersion;
import dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/**
 * OTLP/HTTP: {@code POST} of the request bytes as {@code application/x-protobuf}, with the JDK's
 * {@link HttpURLConnection} (the plugin runs on Java 8, so {@code java.net.http} is not there).
 */
final class HttpSender implements Sender {

    private final ConnectionSettings connection;
    private final ExportMethod method;
    private final Node node;
    private final URL url;
    private final SSLSocketFactory sslSocketFactory;
    private final Credentials credentials;
    private final HttpDeadlines deadlines;

    /** The exchange under way, cut off by {@link #close(long)}. */
    private volatile HttpURLConnection inFlight;

    HttpSender(
            ConnectionSettings connection,
            ExportMethod method,
            Node node,
            Credentials credentials,
            HttpDeadlines deadlines,
            SSLSocketFactory sslSocketFactory) {
        this.connection = connection;
        this.deadlines = deadlines;
        this.method = method;
        this.node = node;
        this.credentials = credentials;
        try {
            // A resolved node (plaintext only, see FailoverSender) is addressed by its IP.
            this.url =
                    node.ip == null
                            ? new URL(target())
                            : new URL(
                                    "http",
                                    node.ip.getHostAddress(),
                                    node.address.port,
                                    node.address.httpPath(method.httpPath));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "Invalid value for " + connection.key(SkyWalkingReporterOptions.ENDPOINT), e);
        }
        this.sslSocketFactory = sslSocketFactory;
    }

    @Override
    public String target() {
        return connection.target(node.address, method.httpPath);
    }

    @Override
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        int timeoutMillis =
                (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        HttpURLConnection http;
        try {
            http = (HttpURLConnection) url.openConnection();
        } catch (IOException e) {
            throw Failures.unreachable(e.toString());
        }
        AtomicBoolean cut = new AtomicBoolean();
        // Connect and read timeouts leave writing the body unbounded: the whole exchange is.
        ScheduledFuture<?> guard =
                deadlines.at(
                        deadlineNanos,
                        () -> {
                            cut.set(true);
                            http.disconnect();
                        });
        inFlight = http;
        boolean connected = false;
        try {
            prepare(http, length, timeoutMillis);
            http.connect();
            connected = true;
            exchange(http, request, length);
        } catch (SSLException e) {
            throw Failures.tlsHandshake("TLS handshake failed: " + e.getMessage());
        } catch (IOException e) {
            throw classify(e, connected, cut.get());
        } finally {
            guard.cancel(false);
            inFlight = null;
        }
    }

    /** Everything about the request but its body: set before connecting. */
    private void prepare(HttpURLConnection http, int length, int timeoutMillis) throws IOException {
        if (sslSocketFactory != null) {
            ((HttpsURLConnection) http).setSSLSocketFactory(sslSocketFactory);
        }
        http.setConnectTimeout(timeoutMillis);
        http.setReadTimeout(timeoutMillis);
        http.setRequestMethod("POST");
        http.setDoOutput(true);
        http.setRequestProperty("Content-Type", method.httpContentType);
        http.setRequestProperty("User-Agent", PluginVersion.NAME);
        for (Map.Entry<String, String> header : credentials.headers().entrySet()) {
            http.setRequestProperty(header.getKey(), header.getValue());
        }
        if (connection.compression == ConnectionSettings.Compression.GZIP) {
            http.setRequestProperty("Content-Encoding", "gzip");
            http.setChunkedStreamingMode(64 * 1024);
        } else {
            http.setFixedLengthStreamingMode(length);
        }
    }

    /** Writes the body on the open connection and reads the answer. */
    private void exchange(HttpURLConnection http, byte[] request, int length)
            throws IOException, ExportException {
        if (connection.compression == ConnectionSettings.Compression.GZIP) {
            try (OutputStream out = FastGzip.stream(http.getOutputStream())) {
                out.write(request, 0, length);
            }
        } else {
            try (OutputStream out = http.getOutputStream()) {
                out.write(request, 0, length);
            }
        }
        int code = http.getResponseCode();
        drain(code >= 400 ? http.getErrorStream() : http.getInputStream());
        if (code < 200 || code >= 300) {
            throw classify(code, http.getResponseMessage());
        }
    }

    /**
     * An exchange that failed: before a connection was made, refused (nothing listens) or not made
     * in time; after, cut off at the deadline or not answered in time.
     */
    private ExportException classify(IOException e, boolean connected, boolean cut) {
        if (!connected) {
            if (Failures.connectionRefused(e)) {
                return Failures.nothingListens(e.toString(), node);
            }
            if (cut || e instanceof SocketTimeoutException) {
                return Failures.noConnection(
                        cut ? "no connection by the deadline" : e.toString(),
                        node,
                        connection.timeoutMillis);
            }
            return Failures.unreachable(e.toString());
        }
        if (cut) {
            return Failures.noAnswer(
                    "no complete exchange by the deadline", connection.timeoutMillis);
        }
        if (e instanceof SocketTimeoutException) {
            return Failures.noAnswer(e.toString(), connection.timeoutMillis);
        }
        return Failures.unreachable(e.toString());
    }

    private ExportException classify(int code, String reason) {
        String message = "HTTP " + code + (reason == null ? "" : " " + reason);
        switch (code) {
            case 400:
                return Failures.invalid(message, method);
            case 401:
            case 403:
                return Failures.credentialsRefused(message, connection);
            case 404:
            case 405:
                return Failures.notServedOverHttp(message, method);
            case 413:
                return Failures.tooLarge(message, connection);
            case 429:
            case 502:
            case 503:
            case 504:
                return Failures.overloaded(message);
            default:
                return Failures.notProcessed(message);
        }
    }

    private static void drain(InputStream in) throws IOException {
        if (in == null) {
            return;
        }
        try (InputStream stream = in) {
            byte[] buf = new byte[1024];
            while (stream.read(buf) > 0) {
                // Reading the body to the end lets the JDK reuse the connection.
            }
        }
    }

    /** Cuts off an exchange still under way; the JDK keeps idle connections on its own. */
    @Override
    public void close(long deadlineNanos) {
        HttpURLConnection http = inFlight;
        if (http != null) {
            http.disconnect();
        }
    }
}
