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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one jar runs on every Flink from 1.16, but is compiled against the newest Flink API, which
 * has the trace (1.19) and event (2.1) reporter interfaces. So this test reads every compiled class
 * and checks it against the class files of the oldest Flink API that can load it, copied by the
 * build into {@code target/oldest-flink-api}: flink-metrics-core 1.16.3 for everything, 1.19.3 for
 * the trace reporter, 2.1.0 for the event reporter.
 *
 * <ul>
 *   <li>a class links something 1.16 lacks (a class, a method or a field) only when it is the trace
 *       or the event reporter or its factory, which Flink loads only through their own service
 *       entries, and those link nothing the oldest Flink with their API lacks (a Flink 1.19 span
 *       has no {@code getChildren()}, for one);
 *   <li>no other class refers to such a class, directly or through another, so nothing the metric
 *       reporter loads can fail to link on 1.16.
 * </ul>
 */
class FlinkApiLinkageTest {

    private static final Path CLASSES = Paths.get("target", "classes");
    private static final Path OLDEST_API = Paths.get("target", "oldest-flink-api");
    private static final String TRACE_REPORTER =
            "dev/flinkmetrics/skywalking/traces/SkyWalkingTraceReporter";
    private static final String EVENT_REPORTER =
            "dev/flinkmetrics/skywalking/events/SkyWalkingEventReporter";
    private static final String ROOT = "dev/flinkmetrics/skywalking/";

    /** Loaded only on a Flink that has the API they implement. */
    private static final String[] MAY_LINK_NEWER_FLINK = {
        ROOT + "SkyWalkingTraceReporterFactory",
        ROOT + "SkyWalkingEventReporterFactory",
        ROOT + "traces/",
        ROOT + "events/"
    };

    /** The oldest API every class must link against: Flink 1.16. */
    private static Map<String, ClassFile> oldestApi;

    private static Map<String, ClassFile> tracesApi;
    private static Map<String, ClassFile> eventsApi;
    private static Map<String, ClassFile> plugin;

    @BeforeAll
    static void readClasses() throws IOException {
        oldestApi = readJars(OLDEST_API.resolve("metrics"), 2);
        // The metric core changed; the annotations are taken from 1.16, which has them all.
        tracesApi = readJars(OLDEST_API.resolve("traces"), 1);
        eventsApi = readJars(OLDEST_API.resolve("events"), 1);
        for (Map.Entry<String, ClassFile> e : oldestApi.entrySet()) {
            if (e.getKey().startsWith("org/apache/flink/annotation/")) {
                tracesApi.putIfAbsent(e.getKey(), e.getValue());
                eventsApi.putIfAbsent(e.getKey(), e.getValue());
            }
        }
        plugin = new HashMap<>();
        try (Stream<Path> files = Files.walk(CLASSES)) {
            for (Path p :
                    files.filter(f -> f.toString().endsWith(".class"))
                            .collect(Collectors.toList())) {
                ClassFile c = ClassFile.read(Files.readAllBytes(p));
                plugin.put(c.name, c);
            }
        }
        assertThat(plugin).hasSizeGreaterThan(40);
    }

    @Test
    void onlyTheTraceAndEventReportersLinkWhatFlink116Lacks() {
        Map<String, List<String>> newer = linksToNewerFlink();
        List<String> offenders = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : newer.entrySet()) {
            if (!mayLinkNewerFlink(e.getKey())) {
                offenders.add(e.getKey() + " -> " + e.getValue());
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void theTraceAndEventReportersLinkOnlyWhatTheFirstFlinkWithTheirApiHas() {
        List<String> offenders = new ArrayList<>();
        for (ClassFile c : plugin.values()) {
            if (isOrNests(c.name, TRACE_REPORTER)
                    || c.name.equals(ROOT + "SkyWalkingTraceReporterFactory")) {
                offenders.addAll(missingIn(c, tracesApi));
            } else if (isOrNests(c.name, EVENT_REPORTER)
                    || c.name.equals(ROOT + "SkyWalkingEventReporterFactory")) {
                offenders.addAll(missingIn(c, eventsApi));
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void nothingElseReachesThem() {
        Set<String> tainted = new TreeSet<>(linksToNewerFlink().keySet());
        // Whatever refers to a class that links newer Flink would fail to link with it.
        boolean grew = true;
        while (grew) {
            grew = false;
            for (ClassFile c : plugin.values()) {
                if (!tainted.contains(c.name)
                        && c.referencedClasses.stream().anyMatch(tainted::contains)) {
                    tainted.add(c.name);
                    grew = true;
                }
            }
        }
        List<String> offenders =
                tainted.stream()
                        .filter(name -> !mayLinkNewerFlink(name))
                        .collect(Collectors.toList());
        assertThat(offenders).isEmpty();
        assertThat(tainted).doesNotContain(ROOT + "SkyWalkingReporterFactory");
    }

    @Test
    void theCheckFindsWhatFlink116Lacks() {
        // A class of the newer API, a method added to an old interface, and one that is there.
        assertThat(oldestApi).containsKey("org/apache/flink/metrics/MetricGroup");
        assertThat(oldestApi).doesNotContainKey("org/apache/flink/traces/Span");
        assertThat(
                        resolves(
                                new ClassFile.Member(
                                        "org/apache/flink/metrics/MetricGroup",
                                        "addSpan",
                                        "(Lorg/apache/flink/traces/SpanBuilder;)V")))
                .isFalse();
        assertThat(
                        resolves(
                                new ClassFile.Member(
                                        "org/apache/flink/metrics/MetricGroup",
                                        "getAllVariables",
                                        "()Ljava/util/Map;")))
                .isTrue();
        // Inherited: MetricReporter.open is declared there in 1.16, on Reporter in 2.x.
        assertThat(
                        resolves(
                                new ClassFile.Member(
                                        "org/apache/flink/metrics/reporter/MetricReporter",
                                        "open",
                                        "(Lorg/apache/flink/metrics/MetricConfig;)V")))
                .isTrue();
    }

    @Test
    void theRootKeepsWhatUsersNameAndEveryConcernHasItsPackage() {
        Set<String> root = new TreeSet<>();
        for (String name : plugin.keySet()) {
            String rest = name.substring(name.startsWith(ROOT) ? ROOT.length() : 0);
            if (name.startsWith(ROOT) && !rest.contains("/")) {
                root.add(rest.replaceAll("\\$.*", "")); // a factory's nested classes are its own
            }
        }
        assertThat(root).contains("SkyWalkingReporterFactory");
        assertThat(root)
                .isSubsetOf(
                        "SkyWalkingReporterFactory",
                        "SkyWalkingTraceReporterFactory",
                        "SkyWalkingEventReporterFactory");
        for (String concern : new String[] {"config", "metrics", "proto", "transport"}) {
            assertThat(CLASSES.resolve(ROOT + concern)).isDirectory();
        }
    }

    /** Each plugin class that links something the oldest API lacks, with what it links. */
    private static Map<String, List<String>> linksToNewerFlink() {
        Map<String, List<String>> newer = new HashMap<>();
        for (ClassFile c : plugin.values()) {
            List<String> missing = missingIn(c, oldestApi);
            if (!missing.isEmpty()) {
                newer.put(c.name, missing);
            }
        }
        return newer;
    }

    /** What a plugin class links that the given Flink API lacks: classes, methods, fields. */
    private static List<String> missingIn(ClassFile c, Map<String, ClassFile> api) {
        List<String> missing = new ArrayList<>();
        for (String referenced : c.referencedClasses) {
            if (isFlink(referenced) && !api.containsKey(referenced)) {
                missing.add(c.name + " -> " + referenced);
            }
        }
        for (ClassFile.Member member : c.referencedMembers) {
            if (isFlink(member.owner) && api.containsKey(member.owner) && !resolves(member, api)) {
                missing.add(c.name + " -> " + member);
            }
        }
        return missing;
    }

    private static boolean isOrNests(String name, String outer) {
        return name.equals(outer) || name.startsWith(outer + "$");
    }

    private static Map<String, ClassFile> readJars(Path dir, int expected) throws IOException {
        Map<String, ClassFile> api = new HashMap<>();
        List<Path> jars;
        try (Stream<Path> files = Files.list(dir)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).collect(Collectors.toList());
        }
        assertThat(jars).as("the build copies the Flink API into " + dir).hasSize(expected);
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                Enumeration<JarEntry> entries = file.entries();
                while (entries.hasMoreElements()) {
                    JarEntry entry = entries.nextElement();
                    if (entry.getName().endsWith(".class")
                            && !entry.getName().contains("module-info")) {
                        ClassFile c = ClassFile.read(readAll(file, entry));
                        api.put(c.name, c);
                    }
                }
            }
        }
        return api;
    }

    /** Whether the oldest API has the member on the owner or one of its super types. */
    private static boolean resolves(ClassFile.Member member) {
        return resolves(member, oldestApi);
    }

    /** Whether the API has the member on the owner or one of its super types. */
    private static boolean resolves(ClassFile.Member member, Map<String, ClassFile> api) {
        Set<String> seen = new HashSet<>();
        List<String> toVisit = new ArrayList<>();
        toVisit.add(member.owner);
        while (!toVisit.isEmpty()) {
            String name = toVisit.remove(toVisit.size() - 1);
            if (!seen.add(name)) {
                continue;
            }
            ClassFile c = api.get(name);
            if (c == null) {
                if (!isFlink(name) && jdkHas(name, member.name)) {
                    return true;
                }
                continue;
            }
            if (c.declaredMembers.contains(member.name + member.descriptor)) {
                return true;
            }
            if (c.superName != null) {
                toVisit.add(c.superName);
            }
            toVisit.addAll(c.interfaces);
        }
        return false;
    }

    /** Whether a JDK super type (Object, Enum, ...) has a method or field of that name. */
    private static boolean jdkHas(String internalName, String memberName) {
        try {
            Class<?> type = Class.forName(internalName.replace('/', '.'), false, null);
            for (Class<?> t = type; t != null; t = t.getSuperclass()) {
                for (java.lang.reflect.Method m : t.getDeclaredMethods()) {
                    if (m.getName().equals(memberName)) {
                        return true;
                    }
                }
                for (java.lang.reflect.Field f : t.getDeclaredFields()) {
                    if (f.getName().equals(memberName)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static boolean isFlink(String internalName) {
        return internalName.startsWith("org/apache/flink/");
    }

    private static boolean mayLinkNewerFlink(String name) {
        for (String prefix : MAY_LINK_NEWER_FLINK) {
            if (name.equals(prefix)
                    || name.startsWith(prefix + "$")
                    || prefix.endsWith("/") && name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] readAll(JarFile file, JarEntry entry) throws IOException {
        try (java.io.InputStream in = file.getInputStream(entry)) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }
}
