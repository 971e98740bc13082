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

/**
 * The three kinds of reporter Flink creates from this plugin, each under its own configuration
 * prefix. They share the option declarations of {@link SkyWalkingReporterOptions}.
 */
@Internal
public enum Signal {
    METRICS("metrics.reporter."),
    TRACES("traces.reporter."),
    EVENTS("events.reporter.");

    /** The configuration prefix before the reporter's name. */
    public final String prefix;

    Signal(String prefix) {
        this.prefix = prefix;
    }

    /** The prefix with the name as a placeholder, as messages spell keys. */
    public String keyPrefix() {
        return prefix + "<name>.";
    }

    /** The key of {@code option} as the operator writes it for this kind of reporter. */
    public String key(ReporterOption option) {
        return keyPrefix() + option.key;
    }
}
