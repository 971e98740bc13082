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

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The one jar must load on Flink 1.16, which has neither the trace nor the event reporter API. So
 * only the classes under {@code traces/} and {@code events/} (loaded through their own service
 * entries) may refer to those APIs, and no other class may refer to them. The check reads the
 * compiled classes, whose constant pools name every class they link.
 */
class PackageLayoutTest {

    private static final Path CLASSES = Paths.get("target", "classes");
    private static final String ROOT = "dev/flinkmetrics/skywalking/";
    private static final String[] SIGNALS_OF_NEWER_FLINK = {ROOT + "traces/", ROOT + "events/"};

    /** The one class that links Flink's event API, and the one factory that may name it. */
    private static final String EVENT_REPORTER = ROOT + "events/SkyWalkingEventReporter";

    private static final String EVENT_FACTORY = ROOT + "SkyWalkingEventReporterFactory";

    @Test
    void onlyTheTraceAndEventPackagesLinkFlinksNewerApis() throws IOException {
        List<String> offenders = new ArrayList<>();
        List<Path> classes = classes();
        assertThat(classes).hasSizeGreaterThan(20);
        for (Path file : classes) {
            String name = CLASSES.relativize(file).toString().replace('\\', '/');
            if (startsWithAny(name, new String[] {ROOT + "traces/"})) {
                continue;
            }
            String constants = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            boolean eventReporter = name.equals(EVENT_REPORTER + ".class");
            boolean eventFactory = name.equals(EVENT_FACTORY + ".class");
            if (!eventReporter && !eventFactory && constants.contains("org/apache/flink/events/")) {
                offenders.add(name + " -> org/apache/flink/events/");
            }
            if (!name.startsWith(ROOT + "events/")
                    && !eventFactory
                    && constants.contains(EVENT_REPORTER + ";")) {
                offenders.add(name + " -> " + EVENT_REPORTER);
            }
            if (!startsWithAny(name, SIGNALS_OF_NEWER_FLINK)
                    && constants.contains("org/apache/flink/traces/")) {
                offenders.add(name + " -> org/apache/flink/traces/");
            }
            if (!startsWithAny(name, SIGNALS_OF_NEWER_FLINK)
                    && constants.contains(ROOT + "traces/")) {
                offenders.add(name + " -> " + ROOT + "traces/");
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void theEventReporterIsTheOnlyEventClassThatLinksFlinksEventApi() throws IOException {
        String reporter =
                new String(
                        Files.readAllBytes(CLASSES.resolve(EVENT_REPORTER + ".class")),
                        StandardCharsets.ISO_8859_1);
        assertThat(reporter).contains("org/apache/flink/events/Event");
        String deriver =
                new String(
                        Files.readAllBytes(
                                CLASSES.resolve(ROOT + "metrics/SkyWalkingMetricReporter.class")),
                        StandardCharsets.ISO_8859_1);
        // The metric reporter uses the event classes that run on every Flink version.
        assertThat(deriver).contains(ROOT + "events/MetricEventDeriver");
    }

    @Test
    void theCheckSeesWhatAClassLinks() throws IOException {
        // The same reading finds the Flink API the metric reporter does link.
        Path reporter = CLASSES.resolve(ROOT + "metrics/SkyWalkingMetricReporter.class");
        String constants = new String(Files.readAllBytes(reporter), StandardCharsets.ISO_8859_1);
        assertThat(constants)
                .contains("org/apache/flink/metrics/reporter/MetricReporter")
                .contains(ROOT + "transport/Sender");
    }

    @Test
    void theRootKeepsWhatUsersNameAndEveryConcernHasItsPackage() throws IOException {
        List<String> root;
        try (Stream<Path> files = Files.list(CLASSES.resolve(ROOT))) {
            root =
                    files.filter(p -> p.toString().endsWith(".class"))
                            .map(p -> p.getFileName().toString())
                            .collect(Collectors.toList());
        }
        assertThat(root).contains("SkyWalkingReporterFactory.class");
        assertThat(root)
                .isSubsetOf(
                        "SkyWalkingReporterFactory.class",
                        "SkyWalkingTraceReporterFactory.class",
                        "SkyWalkingEventReporterFactory.class");
        for (String concern : new String[] {"config", "metrics", "proto", "transport"}) {
            assertThat(CLASSES.resolve(ROOT + concern)).isDirectory();
        }
    }

    private static List<Path> classes() throws IOException {
        try (Stream<Path> files = Files.walk(CLASSES)) {
            return files.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
    }

    private static boolean startsWithAny(String name, String[] prefixes) {
        for (String prefix : prefixes) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
