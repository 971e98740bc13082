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
package dev.flinkmetrics.skywalking.config;

import org.apache.flink.annotation.Internal;

/** The plugin's name and version, for log lines, the user agent and the OTLP scope. */
@Internal
public final class PluginVersion {

    public static final String NAME = "flink-metrics-skywalking";

    private PluginVersion() {}

    /** The version from the jar manifest; "dev" when run from classes. */
    public static String version() {
        String version = PluginVersion.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
