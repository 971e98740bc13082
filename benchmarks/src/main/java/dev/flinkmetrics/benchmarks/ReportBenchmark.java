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

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One operation is one complete report: what Flink's reporter thread runs ({@code report()}), plus
 * waiting until the export reached the sink (push reporters), or one scrape (Prometheus). Between
 * reports the fixture advances (counters, meters, gauges, histograms change); that part is excluded
 * from every figure except JMH's own score.
 *
 * <p>Each contender and size runs in its own fork, so reporters never share a JVM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xms3g",
            "-Xmx3g",
            // Fresh heap pages cost a page fault (expensive in a VM) on first touch; without this
            // a large, rarely collected young generation inflates the first minutes' CPU figures.
            "-XX:+AlwaysPreTouch",
            "-XX:+UseG1GC",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
        })
public class ReportBenchmark {

    static final String[] CONTENDERS = {
        "read-only",
        "skywalking-all",
        "skywalking-preset",
        "skywalking-all-gzip",
        "otel",
        "prometheus"
    };

    @Param({
        "read-only",
        "skywalking-all",
        "skywalking-preset",
        "skywalking-all-gzip",
        "otel",
        "prometheus"
    })
    public String contender;

    @Param({"1000", "10000", "100000"})
    public int metrics;

    private Fixture fixture;
    private Contender reporter;
    private SinkProcess sink;
    private boolean pull;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        fixture = new Fixture(metrics);
        reporter = Contender.create(contender);
        pull = reporter.isPull();
        if (!pull && reporter.needsSink()) {
            sink = new SinkProcess();
        }
        List<Fixture.Registration> all = fixture.registrations;
        int half = all.size() / 2;

        // Registration runs in two halves. The first warms the code and pays the fixed cost
        // (buffers, threads, connections, class initialisation); the second is timed, and the heap
        // it adds (after three reports) is the retained heap per metric.
        long heapBefore = usedHeapAfterGc();
        reporter.open(sink == null ? null : sink.endpoint());
        for (Fixture.Registration r : all.subList(0, half)) {
            reporter.notifyOfAddedMetric(r.metric, r.name, r.group);
        }
        reportThrice();
        long heapHalf = usedHeapAfterGc();
        long start = System.nanoTime();
        for (Fixture.Registration r : all.subList(half, all.size())) {
            reporter.notifyOfAddedMetric(r.metric, r.name, r.group);
        }
        long registration = System.nanoTime() - start;
        reportThrice();
        long heapAfter = usedHeapAfterGc();

        int second = all.size() - half;
        Measurements.metrics = metrics;
        Measurements.pull = pull;
        Measurements.sink = sink;
        Measurements.notifyNanosPerMetric = (double) registration / second;
        Measurements.retainedBytesPerMetric = (double) (heapAfter - heapHalf) / second;
        Measurements.fixedRetainedBytes =
                (heapAfter - heapBefore) - Measurements.retainedBytesPerMetric * all.size();
        Measurements.pullSamples =
                pull ? ((PrometheusContender) reporter).countSamples() : Double.NaN;
    }

    private void reportThrice() throws Exception {
        for (int i = 0; i < 3; i++) {
            fixture.advance();
            reporter.report();
            reporter.awaitDelivered();
        }
    }

    @Benchmark
    public void report() throws Exception {
        com.sun.management.ThreadMXBean threads = Measurements.THREADS;
        long advanceStart = threads.getCurrentThreadCpuTime();
        fixture.advance();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long alloc0 = pull ? threads.getCurrentThreadAllocatedBytes() : 0;
        long wall0 = System.nanoTime();
        long pulled = reporter.report();
        long wall1 = System.nanoTime();
        long cpu1 = threads.getCurrentThreadCpuTime();
        reporter.awaitDelivered();
        long wall2 = System.nanoTime();

        Measurements.ops++;
        Measurements.excludedCpuNanos += cpu0 - advanceStart;
        Measurements.opWallNanos += wall2 - wall0;
        if (pull) {
            // The scrape client stands in for a Prometheus server, another process in reality.
            Measurements.excludedCpuNanos += cpu1 - cpu0;
            Measurements.excludedAllocatedBytes +=
                    threads.getCurrentThreadAllocatedBytes() - alloc0;
            Measurements.pullBytes += pulled;
        } else {
            Measurements.reportWallNanos += wall1 - wall0;
            Measurements.reportCpuNanos += cpu1 - cpu0;
        }
    }

    @Setup(Level.Iteration)
    public void startIteration() throws Exception {
        Measurements.startIteration();
    }

    /** Runs before the trial's teardown, so closing the reporter counts nowhere. */
    @TearDown(Level.Iteration)
    public void endIteration() throws Exception {
        Measurements.endIteration();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        Measurements.sink = null;
        try {
            if (reporter != null) {
                reporter.close();
            }
        } finally {
            if (sink != null) {
                sink.close();
            }
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
