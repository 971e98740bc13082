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

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Turns what one iteration did into per-report figures: CPU of the whole process (all threads, GC
 * and JIT included; sink out of process), allocation of all threads, bytes and points the sink
 * received, plus the registration figures measured at setup.
 */
public final class MeasurementProfiler implements InternalProfiler {

    static final String CPU_ALL = "x.cpuAllMs";
    static final String OP_WALL = "x.opWallMs";
    static final String REPORT_WALL = "x.reportWallMs";
    static final String REPORT_CPU = "x.reportCpuMs";
    static final String ALLOC = "x.allocBytes";
    static final String PROTOBUF = "x.protobufBytes";
    static final String WIRE = "x.wireBytes";
    static final String REQUESTS = "x.requests";
    static final String POINTS = "x.points";
    static final String RETAINED = "x.retainedBytesPerMetric";
    static final String NOTIFY = "x.notifyNsPerMetric";
    static final String FIXED = "x.fixedRetainedBytes";
    static final String OPS = "x.reports";

    @Override
    public String getDescription() {
        return "per-report CPU (all threads), allocation, wire bytes, registration cost";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {}

    @Override
    public Collection<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams,
            IterationParams iterationParams,
            IterationResult result) {
        double ops = Math.max(1, Measurements.ops);
        long cpu = Measurements.iterationCpuNanos - Measurements.excludedCpuNanos;
        long alloc = Measurements.iterationAllocatedBytes - Measurements.excludedAllocatedBytes;
        long[] sink = Measurements.iterationSink;
        List<Result> out = new ArrayList<>();
        out.add(avg(OPS, Measurements.ops, "#"));
        out.add(avg(CPU_ALL, cpu / ops / 1e6, "ms/report"));
        out.add(avg(OP_WALL, Measurements.opWallNanos / ops / 1e6, "ms/report"));
        out.add(avg(REPORT_WALL, Measurements.reportWallNanos / ops / 1e6, "ms/report"));
        out.add(avg(REPORT_CPU, Measurements.reportCpuNanos / ops / 1e6, "ms/report"));
        out.add(avg(ALLOC, alloc / ops, "B/report"));
        if (sink != null) {
            out.add(avg(REQUESTS, sink[0] / ops, "#/report"));
            out.add(avg(PROTOBUF, sink[1] / ops, "B/report"));
            out.add(avg(POINTS, sink[2] / ops, "#/report"));
            out.add(avg(WIRE, sink[3] / ops, "B/report"));
        } else if (Measurements.pull) {
            out.add(avg(REQUESTS, 1, "#/report"));
            out.add(avg(PROTOBUF, Double.NaN, "B/report"));
            out.add(avg(WIRE, Measurements.pullBytes / ops, "B/report"));
            out.add(avg(POINTS, Measurements.pullSamples, "#/report"));
        } else {
            out.add(avg(REQUESTS, Double.NaN, "#/report"));
            out.add(avg(PROTOBUF, Double.NaN, "B/report"));
            out.add(avg(WIRE, Double.NaN, "B/report"));
            out.add(avg(POINTS, Double.NaN, "#/report"));
        }
        out.add(avg(RETAINED, Measurements.retainedBytesPerMetric, "B/metric"));
        out.add(avg(FIXED, Measurements.fixedRetainedBytes, "B"));
        out.add(avg(NOTIFY, Measurements.notifyNanosPerMetric, "ns/metric"));
        return out;
    }

    private static ScalarResult avg(String label, double value, String unit) {
        return new ScalarResult(label, value, unit, AggregationPolicy.AVG);
    }
}
