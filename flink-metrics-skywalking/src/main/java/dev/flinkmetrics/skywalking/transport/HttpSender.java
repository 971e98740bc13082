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

import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/**
 * OTLP over HTTP with protobuf bodies ({@code POST /v1/metrics}), for OAP 11 and later or a
 * collector. Uses the JDK's {@link HttpURLConnection}, which keeps connections alive between calls.
 */
final class HttpTransport implements Transport {

    private final ReporterConfig config;
    private final URL url;
    private final SSLSocketFactory sslSocketFactory;

    HttpTransport(ReporterConfig config) {
        this.config = config;
        try {
            this.url = new URL(config.target());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "Invalid value for " + SkyWalkingReporterOptions.ENDPOINT.fullKey(), e);
        }
        this.sslSocketFactory =
                config.tls
                        ? ((JdkSslContext)
                                        GrpcTransport.sslContext(
                                                config,
                                                SslContextBuilder.forClient()
                                                        .sslProvider(SslProvider.JDK)))
                                .context()
                                .getSocketFactory()
                        : null;
    }

    @Override
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        int timeoutMillis =
                (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        HttpURLConnection connection = null;
        try {
            connection = (HttpURLConnection) url.openConnection();
            if (sslSocketFactory != null) {
                ((HttpsURLConnection) connection).setSSLSocketFactory(sslSocketFactory);
            }
            connection.setConnectTimeout(timeoutMillis);
            connection.setReadTimeout(timeoutMillis);
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setRequestProperty("Content-Type", "application/x-protobuf");
            connection.setRequestProperty("User-Agent", "flink-metrics-skywalking");
            for (Map.Entry<String, String> header : config.headers.entrySet()) {
                connection.setRequestProperty(header.getKey(), header.getValue());
            }
            if (config.compression == ReporterConfig.Compression.GZIP) {
                connection.setRequestProperty("Content-Encoding", "gzip");
                connection.setChunkedStreamingMode(64 * 1024);
                try (OutputStream out = FastGzip.stream(connection.getOutputStream())) {
                    out.write(request, 0, length);
                }
            } else {
                connection.setFixedLengthStreamingMode(length);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(request, 0, length);
                }
            }
            int code = connection.getResponseCode();
            drain(code >= 400 ? connection.getErrorStream() : connection.getInputStream());
            if (code < 200 || code >= 300) {
                throw classify(code, connection.getResponseMessage());
            }
        } catch (SSLException e) {
            throw new ExportException(
                    ExportException.Kind.CONFIGURATION,
                    "TLS handshake failed: " + e.getMessage(),
                    "Does the receiver serve TLS on this port, and is its certificate signed by the"
                            + " configured CA?",
                    null);
        } catch (IOException e) {
            throw new ExportException(
                    ExportException.Kind.UNAVAILABLE,
                    e.toString(),
                    "Is the receiver running and reachable at this address?",
                    null);
        } finally {
            if (connection != null && Thread.currentThread().isInterrupted()) {
                connection.disconnect();
            }
        }
    }

    private ExportException classify(int code, String reason) {
        String message = "HTTP " + code + (reason == null ? "" : " " + reason);
        switch (code) {
            case 401:
            case 403:
                return new ExportException(
                        ExportException.Kind.CONFIGURATION,
                        message,
                        "The receiver refused the credentials: check "
                                + SkyWalkingReporterOptions.TOKEN.fullKey()
                                + " and "
                                + SkyWalkingReporterOptions.HEADERS.fullKey()
                                + ".",
                        null);
            case 404:
            case 405:
                return new ExportException(
                        ExportException.Kind.CONFIGURATION,
                        message,
                        "Nothing serves OTLP at this path. OAP serves /v1/metrics on its REST port"
                                + " (12800) only from version 11; older OAPs need protocol grpc.",
                        null);
            case 413:
                return new ExportException(
                        ExportException.Kind.REJECTED,
                        message,
                        "The request is larger than the receiver accepts: lower "
                                + SkyWalkingReporterOptions.MAX_REQUEST_SIZE.fullKey()
                                + ".",
                        null);
            case 429:
            case 502:
            case 503:
            case 504:
                return new ExportException(
                        ExportException.Kind.UNAVAILABLE,
                        message,
                        "The receiver is overloaded or restarting.",
                        null);
            default:
                return new ExportException(
                        ExportException.Kind.REJECTED,
                        message,
                        "The receiver could not process this request; its log says why.",
                        null);
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

    @Override
    public void close() {}
}
