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

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of the demo's and the preview receiver's main methods: {@code name=value} arguments (with
 * or without leading dashes), else {@code -Dname=value} system properties, as exec:java passes
 * them.
 */
final class MainOptions {

    private final Map<String, String> args = new LinkedHashMap<>();

    MainOptions(String[] args) {
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq > 0) {
                this.args.put(arg.substring(0, eq).replaceFirst("^-+", ""), arg.substring(eq + 1));
            }
        }
    }

    String get(String key, String fallback) {
        String value = args.get(key);
        if (value == null) {
            value = System.getProperty(key);
        }
        return value == null || value.trim().isEmpty() ? fallback : value.trim();
    }
}
