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
package dev.flinkmetrics.skywalking.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shaded plugin jar as built, before any Flink sees it: everything bundled is relocated, the
 * bytecode runs on Java 8 (Flink 1.x), the service files that Flink and gRPC look classes up by are
 * there under their relocated names, and netty's native libraries carry the relocated prefix that
 * the relocated netty derives their file names from.
 */
class PluginJarHygieneIT {

    private static final String OWN_PACKAGE = "dev/flinkmetrics/skywalking/";
    private static final String SHADED = "dev.flinkmetrics.skywalking.shaded.";
    private static final String FACTORY_SERVICE =
            "META-INF/services/org.apache.flink.metrics.reporter.MetricReporterFactory";
    private static final String GRPC_SERVICES = "META-INF/services/" + SHADED + "io.grpc.";
    private static final String NATIVE_PREFIX =
            "META-INF/native/libdev_flinkmetrics_skywalking_shaded_io_grpc_netty_shaded_netty_";
    private static final int JAVA_8_MAJOR = 52;

    /** A line of the dependency list: group, artifact, version and the jar file. */
    private static final Pattern CANDIDATE =
            Pattern.compile(
                    "^\\s*([^:\\s]+):([^:\\s]+):jar:([^:\\s]+):(?:compile|runtime):(\\S+\\.jar)");

    /** {@code group:artifact} as NOTICE names a bundled artifact. */
    private static final Pattern ARTIFACT =
            Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z0-9-]+)+:[a-z][a-z0-9.-]*[a-z0-9]");

    private static JarFile jar;

    @BeforeAll
    static void open() throws IOException {
        Path path = StandaloneClusterIT.pluginJar();
        jar = new JarFile(path.toFile());
    }

    @AfterAll
    static void close() throws IOException {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void everyClassIsRelocatedUnderThePluginPackage() {
        List<String> outside = new ArrayList<>();
        for (String name : names()) {
            // Multi-release variants live under META-INF/versions/<n>/ and must be relocated too.
            String path = name.replaceFirst("^META-INF/versions/\\d+/", "");
            if (name.endsWith(".class") && !path.startsWith(OWN_PACKAGE)) {
                outside.add(name);
            }
        }
        assertThat(outside)
                .as(
                        "classes outside %s in %s: a relocation is missing from the shade"
                                + " configuration (these would clash with Flink's or a job's"
                                + " classes, or be hidden by the plugin class loader)",
                        OWN_PACKAGE, jar.getName())
                .isEmpty();
    }

    @Test
    void everyClassIsJava8Bytecode() throws IOException {
        Map<String, Integer> newer = new TreeMap<>();
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
            JarEntry e = entries.nextElement();
            // Multi-release variants are only read on a newer JVM; the base classes must be 8.
            if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/versions/")) {
                continue;
            }
            try (DataInputStream in = new DataInputStream(jar.getInputStream(e))) {
                int magic = in.readInt();
                in.readUnsignedShort(); // minor
                int major = in.readUnsignedShort();
                if (magic != 0xCAFEBABE) {
                    newer.put(e.getName(), -1);
                } else if (major > JAVA_8_MAJOR) {
                    newer.put(e.getName(), major);
                }
            }
        }
        assertThat(newer)
                .as(
                        "classes that are not Java 8 bytecode (major > %d, -1 = not a class file)"
                                + " in %s: Flink 1.x runs on Java 8",
                        JAVA_8_MAJOR, jar.getName())
                .isEmpty();
    }

    @Test
    void flinkFindsTheReporterFactory() throws IOException {
        String service = text(FACTORY_SERVICE);
        assertThat(service)
                .as(
                        "%s in %s: without it Flink's plugin manager does not find the reporter",
                        FACTORY_SERVICE, jar.getName())
                .isNotNull();
        assertThat(lines(service))
                .as("factories named in %s", FACTORY_SERVICE)
                .contains(StandaloneFlink.FACTORY);
        assertThat(jar.getEntry(StandaloneFlink.FACTORY.replace('.', '/') + ".class"))
                .as("the factory class named in %s", FACTORY_SERVICE)
                .isNotNull();
    }

    @Test
    void grpcServiceFilesAreRelocated() throws IOException {
        List<String> services = new ArrayList<>();
        List<String> unrelocated = new ArrayList<>();
        for (String name : names()) {
            if (name.startsWith(GRPC_SERVICES)) {
                services.add(name);
                for (String impl : lines(text(name))) {
                    if (!impl.startsWith(SHADED)) {
                        unrelocated.add(name + ": " + impl);
                    }
                }
            } else if (name.startsWith("META-INF/services/io.grpc.")) {
                unrelocated.add(name);
            }
        }
        // gRPC finds its transport, name resolver and load balancer through these files.
        assertThat(services)
                .as(
                        "relocated gRPC service files %s* in %s (without them the relocated gRPC"
                                + " finds no transport or name resolver)",
                        GRPC_SERVICES, jar.getName())
                .anyMatch(n -> n.endsWith(".ManagedChannelProvider"))
                .anyMatch(n -> n.endsWith(".NameResolverProvider"))
                .anyMatch(n -> n.endsWith(".LoadBalancerProvider"));
        assertThat(unrelocated)
                .as(
                        "service files or implementations not relocated to %s in %s",
                        SHADED, jar.getName())
                .isEmpty();
    }

    @Test
    void nettyNativeLibrariesCarryTheRelocatedPrefix() {
        List<String> natives = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (String name : names()) {
            if (name.startsWith("META-INF/native/") && !name.endsWith("/")) {
                natives.add(name);
                String file = name.substring("META-INF/native/".length());
                if (!file.startsWith("libdev_flinkmetrics_skywalking_shaded_")
                        && !file.startsWith("dev_flinkmetrics_skywalking_shaded_")) {
                    wrong.add(name);
                }
            }
        }
        assertThat(natives)
                .as(
                        "netty native libraries renamed to %s* in %s: the relocated netty loads"
                                + " them by that name, else it falls back to NIO or fails",
                        NATIVE_PREFIX, jar.getName())
                .anyMatch(n -> n.startsWith(NATIVE_PREFIX + "transport_native_epoll_x86_64"))
                .anyMatch(n -> n.startsWith(NATIVE_PREFIX + "tcnative_linux_x86_64"));
        assertThat(wrong)
                .as("native libraries not renamed to the relocated prefix in %s", jar.getName())
                .isEmpty();
    }

    @Test
    void noticeIsPresent() throws IOException {
        assertThat(text("META-INF/NOTICE"))
                .as(
                        "META-INF/NOTICE in %s (required for the bundled Apache-licensed code)",
                        jar.getName())
                .isNotBlank();
        assertThat(jar.getEntry("META-INF/LICENSE"))
                .as("META-INF/LICENSE in %s", jar.getName())
                .isNotNull();
    }

    @Test
    void noticeNamesExactlyTheBundledArtifactsWithTheirVersions() throws IOException {
        Map<String, String> bundled = bundledArtifacts();
        assertThat(bundled)
                .as("artifacts whose classes are in %s", jar.getName())
                .containsKey("io.grpc:grpc-api");

        String notice = text("META-INF/NOTICE");
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> artifact : bundled.entrySet()) {
            String line =
                    lines(notice).stream()
                            .filter(l -> l.contains(artifact.getKey()))
                            .findFirst()
                            .orElse(null);
            if (line == null) {
                wrong.add(artifact.getKey() + " " + artifact.getValue() + " is not named");
            } else if (!line.contains(" " + artifact.getValue())) {
                wrong.add(artifact.getKey() + " is " + artifact.getValue() + ", NOTICE: " + line);
            }
        }
        Matcher named = ARTIFACT.matcher(notice);
        while (named.find()) {
            if (!bundled.containsKey(named.group())) {
                wrong.add(named.group() + " is named but not bundled");
            }
        }
        assertThat(wrong)
                .as(
                        "flink-metrics-skywalking/src/main/resources/META-INF/NOTICE against the"
                                + " artifacts bundled in %s",
                        jar.getName())
                .isEmpty();
    }

    /**
     * The runtime artifacts (group:artifact to version) whose classes the shaded jar holds,
     * relocated. The candidates are what the plugin's build listed next to the jar; an artifact the
     * shade step left out (annotations, an empty jar) has none of its classes in the jar.
     */
    private static Map<String, String> bundledArtifacts() throws IOException {
        Path candidates = Paths.get(jar.getName()).resolveSibling("bundle-candidates.txt");
        assertThat(candidates).as("the plugin build's list of runtime artifacts").exists();
        Map<String, String> bundled = new TreeMap<>();
        for (String line : Files.readAllLines(candidates, StandardCharsets.UTF_8)) {
            Matcher m = CANDIDATE.matcher(line);
            if (!m.find()) {
                continue;
            }
            try (JarFile dependency = new JarFile(m.group(4))) {
                Enumeration<JarEntry> entries = dependency.entries();
                while (entries.hasMoreElements()) {
                    String name = entries.nextElement().getName();
                    if (name.endsWith(".class")
                            && !name.startsWith("META-INF/")
                            && !name.endsWith("module-info.class")
                            && jar.getEntry(OWN_PACKAGE + "shaded/" + name) != null) {
                        bundled.put(m.group(1) + ":" + m.group(2), m.group(3));
                        break;
                    }
                }
            }
        }
        return bundled;
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>();
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
            names.add(entries.nextElement().getName());
        }
        return names;
    }

    private static String text(String name) throws IOException {
        JarEntry e = jar.getJarEntry(name);
        if (e == null) {
            return null;
        }
        try (InputStream in = jar.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        if (text == null) {
            return lines;
        }
        for (String line : text.split("\n")) {
            String l = line.replaceAll("#.*", "").trim();
            if (!l.isEmpty()) {
                lines.add(l);
            }
        }
        return lines;
    }
}
