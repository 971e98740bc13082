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
import java.util.HashMap;
import java.util.Map;

/**
 * Figures gathered inside the forked benchmark JVM, read per iteration by {@link
 * MeasurementProfiler}. One benchmark thread writes them; the profiler reads them between
 * iterations.
 */
final class Measurements {

    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    // Set once per trial by ReportBenchmark's setup.
    static volatile SinkProcess sink;
    static volatile boolean pull;
    static volatile int metrics;
    static volatile double retainedBytesPerMetric;
    static volatile double notifyNanosPerMetric;
    static volatile double fixedRetainedBytes;
    static volatile double pullSamples;

    // Accumulated by each benchmark invocation, reset per iteration.
    static long ops;
    static long excludedCpuNanos;
    static long excludedAllocatedBytes;
    static long reportWallNanos;
    static long reportCpuNanos;
    static long opWallNanos;
    static long pullBytes;

    // Taken by ReportBenchmark at the start and end of each iteration, outside the measured
    // operations, and turned into per-report figures by MeasurementProfiler.
    static long iterationCpuNanos;
    static long iterationAllocatedBytes;
    static long[] iterationSink;
    private static long cpuAtStart;
    private static Map<Long, Long> allocatedAtStart;
    private static long[] sinkAtStart;

    static void startIteration() throws java.io.IOException {
        reset();
        SinkProcess s = sink;
        sinkAtStart = s == null ? null : s.stats();
        allocatedAtStart = allocatedByThread();
        cpuAtStart = OS.getProcessCpuTime();
    }

    static void endIteration() throws java.io.IOException {
        iterationCpuNanos = OS.getProcessCpuTime() - cpuAtStart;
        iterationAllocatedBytes = allocatedSince(allocatedAtStart);
        SinkProcess s = sink;
        if (s == null) {
            iterationSink = null;
        } else {
            long[] end = s.stats();
            iterationSink = new long[end.length];
            for (int i = 0; i < end.length; i++) {
                iterationSink[i] = end[i] - sinkAtStart[i];
            }
        }
    }

    static void reset() {
        ops = 0;
        excludedCpuNanos = 0;
        excludedAllocatedBytes = 0;
        reportWallNanos = 0;
        reportCpuNanos = 0;
        opWallNanos = 0;
        pullBytes = 0;
    }

    /** Bytes allocated so far by each live thread. */
    static Map<Long, Long> allocatedByThread() {
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, Long> out = new HashMap<>(ids.length * 2);
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                out.put(ids[i], bytes[i]);
            }
        }
        return out;
    }

    /**
     * Bytes allocated since {@code before} by threads alive now (threads that ended in between are
     * missed; the reporters keep theirs).
     */
    static long allocatedSince(Map<Long, Long> before) {
        long total = 0;
        for (Map.Entry<Long, Long> e : allocatedByThread().entrySet()) {
            total += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return total;
    }

    private Measurements() {}
}
