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
package dev.flinkmetrics.skywalking.testing;

import dev.flinkmetrics.skywalking.SkyWalkingReporterFactory;
import dev.flinkmetrics.skywalking.metrics.SkyWalkingMetricReporter;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.flink.metrics.MetricConfig;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The setup the reporter tests share, as a JUnit 5 extension: a real OTLP receiver on 127.0.0.1
 * (unless the test brings its own), a capture of everything the plugin logs, and reporters made by
 * the factory as Flink makes them. After each test it closes the reporters, the receiver and the
 * capture, in that order.
 *
 * <pre>{@code
 * @RegisterExtension final ReporterHarness harness = ReporterHarness.withReceiver("cluster", "c");
 * }</pre>
 */
public final class ReporterHarness implements BeforeEachCallback, AfterEachCallback {

    private final boolean withReceiver;
    private final String[] defaults;
    private final List<SkyWalkingMetricReporter> reporters = new ArrayList<>();
    private OtlpTestServer receiver;
    private LogCapture log;

    private ReporterHarness(boolean withReceiver, String[] defaults) {
        this.withReceiver = withReceiver;
        this.defaults = defaults;
    }

    /** Starts a plaintext receiver; reporters send to it unless their options say otherwise. */
    /** The reporters' own process: connections and counts shared with no other test. */
    private final PluginProcess process = new PluginProcess();

    public PluginProcess process() {
        return process;
    }

    public static ReporterHarness withReceiver(String... defaultOptions) {
        return new ReporterHarness(true, defaultOptions);
    }

    /** For tests that run their own receiver (HTTP, TLS) or none at all. */
    public static ReporterHarness withoutReceiver(String... defaultOptions) {
        return new ReporterHarness(false, defaultOptions);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        log = LogCapture.capture();
        if (withReceiver) {
            receiver = new OtlpTestServer();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            closeReporters();
            if (receiver != null) {
                receiver.close();
            }
        } finally {
            log.close();
        }
    }

    public OtlpTestServer receiver() {
        if (receiver == null) {
            throw new IllegalStateException("this harness runs no receiver");
        }
        return receiver;
    }

    public LogCapture log() {
        return log;
    }

    /**
     * A reporter made by the factory and opened, as Flink does. Options are key-value pairs on top
     * of the harness' defaults (and the receiver's endpoint); a later pair overrides an earlier
     * one.
     */
    public SkyWalkingMetricReporter reporter(String... keyValues) {
        Properties options =
                receiver == null
                        ? new MetricConfig()
                        : TestGroups.properties("endpoint", receiver.endpoint());
        options.putAll(TestGroups.properties(defaults));
        options.putAll(TestGroups.properties(keyValues));
        SkyWalkingMetricReporter reporter =
                (SkyWalkingMetricReporter)
                        new SkyWalkingReporterFactory(process).createMetricReporter(options);
        reporters.add(reporter);
        MetricConfig config = new MetricConfig();
        config.putAll(options);
        reporter.open(config);
        return reporter;
    }

    /** Closes every reporter made so far (closing twice is allowed). */
    public void closeReporters() {
        for (SkyWalkingMetricReporter reporter : reporters) {
            reporter.close();
        }
    }

    /** Waits until no thread of the plugin is alive, at most the given time; returns the rest. */
    public static List<String> awaitPluginThreadsGone(long timeoutMillis)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        List<String> alive = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("flink-metrics-skywalking")) {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
                if (t.isAlive()) {
                    alive.add(t.getName());
                }
            }
        }
        return alive;
    }
}
