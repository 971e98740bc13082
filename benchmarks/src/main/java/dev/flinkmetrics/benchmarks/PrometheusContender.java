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
package dev.flinkmetrics.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.prometheus.PrometheusReporter;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;

/**
 * Flink's {@link PrometheusReporter}: one report is one scrape of {@code /metrics} over loopback
 * (plain text, no gzip: the client sends no Accept-Encoding).
 */
final class PrometheusContender extends ReporterContender<PrometheusReporter> {

    private URL url;
    private final byte[] buffer = new byte[64 * 1024];

    @Override
    public void open(String otlpEndpoint) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        MetricConfig config = new MetricConfig();
        config.setProperty("port", Integer.toString(port));
        reporter = new PrometheusReporterFactory().createMetricReporter(config);
        reporter.open(config);
        url = new URL("http://127.0.0.1:" + port + "/metrics");
    }

    @Override
    public long report() throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        long bytes = 0;
        try (InputStream in = c.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes += n;
            }
        }
        if (c.getResponseCode() != 200) {
            throw new IOException("scrape answered " + c.getResponseCode());
        }
        return bytes;
    }

    /** Sample lines of one scrape (not comments); once, outside the measurements. */
    long countSamples() throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        long samples = 0;
        boolean lineStart = true;
        boolean comment = false;
        try (InputStream in = c.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (lineStart) {
                        comment = b == '#';
                        lineStart = false;
                    }
                    if (b == '\n') {
                        if (!comment) {
                            samples++;
                        }
                        lineStart = true;
                    }
                }
            }
        }
        return samples;
    }

    @Override
    public void awaitDelivered() {}

    @Override
    public boolean isPull() {
        return true;
    }
}
