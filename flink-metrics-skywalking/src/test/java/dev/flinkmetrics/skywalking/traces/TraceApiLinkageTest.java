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
package dev.flinkmetrics.skywalking.traces;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Within the trace package, only the reporter links Flink's trace API, and only the factory and the
 * reporter itself name the reporter: the record and the encoder load on a Flink without the API.
 * Read from the compiled classes' constant pools.
 */
class TraceApiLinkageTest {

    private static final Path CLASSES = Paths.get("target", "classes");
    private static final String ROOT = "dev/flinkmetrics/skywalking/";
    private static final String REPORTER = ROOT + "traces/SkyWalkingTraceReporter";
    private static final String FACTORY = ROOT + "SkyWalkingTraceReporterFactory.class";

    /** The reporter's name as a class constant or in a descriptor, not a longer name. */
    private static final Pattern NAMES_REPORTER =
            Pattern.compile(Pattern.quote(REPORTER) + "(?![A-Za-z0-9_])");

    @Test
    void onlyTheReporterLinksTheTraceApiAndOnlyTheFactoryNamesIt() throws IOException {
        List<String> offenders = new ArrayList<>();
        List<Path> classes;
        try (Stream<Path> files = Files.walk(CLASSES)) {
            classes =
                    files.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        int traceClasses = 0;
        for (Path file : classes) {
            String name = CLASSES.relativize(file).toString().replace('\\', '/');
            String constants = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            boolean isReporter =
                    name.equals(REPORTER + ".class") || name.startsWith(REPORTER + "$");
            if (name.startsWith(ROOT + "traces/")) {
                traceClasses++;
                if (!isReporter && constants.contains("org/apache/flink/traces/")) {
                    offenders.add(name + " links the trace API");
                }
            }
            if (!isReporter && !name.equals(FACTORY) && NAMES_REPORTER.matcher(constants).find()) {
                offenders.add(name + " names the reporter");
            }
        }
        assertThat(traceClasses).isGreaterThanOrEqualTo(3);
        assertThat(offenders).isEmpty();
    }

    @Test
    void theCheckSeesWhatTheReporterAndTheFactoryLink() throws IOException {
        String reporter = read(REPORTER + ".class");
        assertThat(reporter).contains("org/apache/flink/traces/Span");
        assertThat(NAMES_REPORTER.matcher(read(FACTORY)).find()).isTrue();
        assertThat(NAMES_REPORTER.matcher(read(ROOT + "traces/OtlpTraceEncoder.class")).find())
                .isFalse();
    }

    private static String read(String name) throws IOException {
        return new String(Files.readAllBytes(CLASSES.resolve(name)), StandardCharsets.ISO_8859_1);
    }
}
