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
package dev.flinkmetrics.skywalking.install;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * What the project ships for OAP 11, carried in the plugin jar (the build copies skywalking/oap-11/
 * and skywalking/alarm-settings-flink.yml beside this class): so the jar a user put into Flink's
 * plugins/ installs the rules and pages of its own version.
 */
final class ProjectFiles {

    /** Where the files are, under the jar's root. */
    static final String ROOT = "dev/flinkmetrics/skywalking/install/";

    static final String RULES = "oap-11/otel-rules/";
    static final String PAGES = "oap-11/horizon/flink-project-pages.json";
    static final String ALARMS = "alarm-settings-flink.yml";

    /** A MAL rule file: its name for the runtime-rule API and its YAML. */
    static final class Rule {
        /** The name under the catalog, without {@code .yaml}: {@code flink-project/...}. */
        final String name;

        final String content;

        Rule(String name, String content) {
            this.name = name;
            this.content = content;
        }
    }

    private ProjectFiles() {}

    /** The MAL rule files of catalog otel-rules, by name. */
    static List<Rule> rules() {
        List<Rule> rules = new ArrayList<>();
        for (String path : list(RULES)) {
            if (path.endsWith(".yaml")) {
                String name = path.substring(RULES.length(), path.length() - ".yaml".length());
                rules.add(new Rule(name, read(path)));
            }
        }
        if (rules.isEmpty()) {
            throw new InstallException("the jar holds no rules under " + ROOT + RULES);
        }
        Collections.sort(rules, (a, b) -> a.name.compareTo(b.name));
        return rules;
    }

    /** A file's text; throws {@link InstallException} when the jar lacks it. */
    static String read(String path) {
        InputStream in = ProjectFiles.class.getClassLoader().getResourceAsStream(ROOT + path);
        if (in == null) {
            throw new InstallException("the jar holds no " + ROOT + path);
        }
        try (InputStream stream = in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = stream.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InstallException("reading " + ROOT + path + " from the jar failed: " + e);
        }
    }

    /** The paths under {@code folder} (relative to {@link #ROOT}), from the jar or the classes. */
    private static List<String> list(String folder) {
        List<String> paths = new ArrayList<>();
        URL location = ProjectFiles.class.getProtectionDomain().getCodeSource().getLocation();
        try {
            File source = new File(location.toURI());
            if (source.isDirectory()) {
                collect(new File(source, ROOT + folder), folder, paths);
            } else {
                try (JarFile jar = new JarFile(source)) {
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        String name = entries.nextElement().getName();
                        if (name.startsWith(ROOT + folder) && !name.endsWith("/")) {
                            paths.add(name.substring(ROOT.length()));
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException | IllegalArgumentException e) {
            throw new InstallException("listing " + folder + " in " + location + " failed: " + e);
        }
        return paths;
    }

    private static void collect(File dir, String prefix, List<String> paths) {
        File[] files = dir.listFiles();
        if (files == null) {
            return;
        }
        for (File f : files) {
            if (f.isDirectory()) {
                collect(f, prefix + f.getName() + "/", paths);
            } else {
                paths.add(prefix + f.getName());
            }
        }
    }
}
