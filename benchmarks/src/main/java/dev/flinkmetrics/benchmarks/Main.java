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

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link ReportBenchmark} for every contender and size and prints one table per size.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar [quick] [--sizes=1000,10000,100000]
 *     [--contenders=skywalking-all,skywalking-preset,otel,prometheus]
 * </pre>
 */
public final class Main {

    private static final String[] LABELS = {
        "points/report",
        "requests",
        "protobuf KB",
        "on the wire KB",
        "CPU all threads ms",
        "CPU ns/metric",
        "report+delivery wall ms",
        "report() wall ms",
        "report() CPU ms",
        "alloc KB/report",
        "retained B/metric",
        "fixed retained KB",
        "notifyOfAddedMetric µs/metric"
    };

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        String[] sizes = {"1000", "10000", "100000"};
        String[] contenders = ReportBenchmark.CONTENDERS;
        for (String arg : args) {
            if (arg.equals("quick")) {
                quick = true;
            } else if (arg.startsWith("--sizes=")) {
                sizes = arg.substring("--sizes=".length()).split(",");
            } else if (arg.startsWith("--contenders=")) {
                contenders = arg.substring("--contenders=".length()).split(",");
            } else {
                System.err.println(
                        "usage: java -jar benchmarks.jar [quick] [--sizes=1000,10000,100000]"
                                + " [--contenders="
                                + String.join(",", ReportBenchmark.CONTENDERS)
                                + "]");
                System.exit(2);
            }
        }
        Path target = targetDirectory();
        ChainedOptionsBuilder options =
                new OptionsBuilder()
                        .include(ReportBenchmark.class.getName() + ".report$")
                        .param("contender", contenders)
                        .param("metrics", sizes)
                        .forks(1)
                        .addProfiler(MeasurementProfiler.class)
                        .resultFormat(ResultFormatType.JSON)
                        .result(target.resolve("jmh-result.json").toString());
        if (quick) {
            options.warmupIterations(2)
                    .warmupTime(TimeValue.seconds(1))
                    .measurementIterations(2)
                    .measurementTime(TimeValue.seconds(2));
        } else {
            options.warmupIterations(3)
                    .warmupTime(TimeValue.seconds(3))
                    .measurementIterations(5)
                    .measurementTime(TimeValue.seconds(3));
        }
        Collection<RunResult> results = new Runner(options.build()).run();

        String report = tables(results, sizes, contenders, quick);
        System.out.println();
        System.out.println(report);
        Path out = target.resolve("benchmark-results.md");
        Files.write(out, report.getBytes(StandardCharsets.UTF_8));
        System.out.println("Written to " + out + " (JMH results: jmh-result.json)");
    }

    static String tables(
            Collection<RunResult> results, String[] sizes, String[] contenders, boolean quick) {
        Map<String, RunResult> byKey = new LinkedHashMap<>();
        for (RunResult r : results) {
            byKey.put(
                    r.getParams().getParam("contender") + "/" + r.getParams().getParam("metrics"),
                    r);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Machine: %d CPUs, %s %s, %s%s%n",
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.vm.name"),
                        System.getProperty("java.runtime.version"),
                        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                        quick ? " (quick mode)" : ""));
        for (String size : sizes) {
            sb.append(String.format(Locale.ROOT, "%n### %,d metrics%n%n", Integer.parseInt(size)));
            sb.append("| reporter |");
            for (String l : LABELS) {
                sb.append(' ').append(l).append(" |");
            }
            sb.append('\n').append("|---|");
            for (int i = 0; i < LABELS.length; i++) {
                sb.append("---:|");
            }
            sb.append('\n');
            for (String c : contenders) {
                RunResult r = byKey.get(c + "/" + size);
                if (r == null) {
                    continue;
                }
                boolean pull = c.equals("prometheus");
                int metrics = Integer.parseInt(size);
                List<String> cells = new ArrayList<>();
                cells.add(fmt(v(r, MeasurementProfiler.POINTS), 0));
                cells.add(fmt(v(r, MeasurementProfiler.REQUESTS), 1));
                cells.add(fmt(v(r, MeasurementProfiler.PROTOBUF) / 1024, 1));
                cells.add(fmt(v(r, MeasurementProfiler.WIRE) / 1024, 1));
                cells.add(fmt(v(r, MeasurementProfiler.CPU_ALL), 2));
                cells.add(fmt(v(r, MeasurementProfiler.CPU_ALL) * 1e6 / metrics, 0));
                cells.add(fmt(v(r, MeasurementProfiler.OP_WALL), 2));
                cells.add(pull ? "— (pull)" : fmt(v(r, MeasurementProfiler.REPORT_WALL), 2));
                cells.add(pull ? "— (pull)" : fmt(v(r, MeasurementProfiler.REPORT_CPU), 2));
                cells.add(fmt(v(r, MeasurementProfiler.ALLOC) / 1024, 1));
                cells.add(fmt(v(r, MeasurementProfiler.RETAINED), 0));
                cells.add(fmt(v(r, MeasurementProfiler.FIXED) / 1024, 0));
                cells.add(fmt(v(r, MeasurementProfiler.NOTIFY) / 1000, 2));
                sb.append("| ").append(c).append(" | ").append(String.join(" | ", cells));
                sb.append(" |\n");
            }
            RunResult otel = byKey.get("otel/" + size);
            for (String c : new String[] {"skywalking-all", "skywalking-all-gzip"}) {
                RunResult sw = byKey.get(c + "/" + size);
                if (sw == null || otel == null) {
                    continue;
                }
                sb.append(
                        String.format(
                                Locale.ROOT,
                                "%n%s / otel, same run: CPU all threads %.3f (1/%.1f), report()"
                                        + " wall %.3f, bytes on the wire %.3f, alloc %.3f,"
                                        + " retained heap per metric %.3f%n",
                                c,
                                ratio(sw, otel, MeasurementProfiler.CPU_ALL),
                                1 / ratio(sw, otel, MeasurementProfiler.CPU_ALL),
                                ratio(sw, otel, MeasurementProfiler.REPORT_WALL),
                                ratio(sw, otel, MeasurementProfiler.WIRE),
                                ratio(sw, otel, MeasurementProfiler.ALLOC),
                                ratio(sw, otel, MeasurementProfiler.RETAINED)));
            }
        }
        return sb.toString();
    }

    private static double ratio(RunResult a, RunResult b, String label) {
        return v(a, label) / v(b, label);
    }

    private static double v(RunResult r, String label) {
        Result<?> result = r.getSecondaryResults().get(label);
        return result == null ? Double.NaN : result.getScore();
    }

    private static String fmt(double value, int decimals) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** The directory of benchmarks.jar (benchmarks/target), or the working directory. */
    private static Path targetDirectory() throws URISyntaxException, IOException {
        File location =
                new File(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = location.getParentFile().toPath(); // target/benchmarks.jar or target/classes
        if (!Files.isDirectory(dir)) {
            dir = Path.of(".");
        }
        return dir;
    }

    private Main() {}
}
