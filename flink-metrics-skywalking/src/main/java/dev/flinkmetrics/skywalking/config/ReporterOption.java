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

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.apache.flink.annotation.Internal;

/**
 * One configuration key of the reporter, relative to the reporter's prefix, such as {@code
 * metrics.reporter.<name>.}.
 */
@Internal
public final class ReporterOption {

    public final String key;
    public final String defaultValue;
    public final String description;
    public final boolean secret;

    /** The reporters that read it. */
    public final Set<Signal> signals;

    private ReporterOption(
            String key,
            String defaultValue,
            String description,
            boolean secret,
            Set<Signal> signals) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
        this.secret = secret;
        this.signals = Collections.unmodifiableSet(signals);
    }

    /** An option every reporter reads: the connection and the cluster. */
    static ReporterOption of(String key, String defaultValue, String description) {
        return new ReporterOption(
                key, defaultValue, description, false, EnumSet.allOf(Signal.class));
    }

    /** An option only the given reporters read. */
    static ReporterOption of(
            String key, String defaultValue, String description, Signal first, Signal... rest) {
        return new ReporterOption(key, defaultValue, description, false, EnumSet.of(first, rest));
    }

    static ReporterOption secret(String key, String description) {
        return new ReporterOption(key, "", description, true, EnumSet.allOf(Signal.class));
    }

    @Override
    public String toString() {
        return key;
    }
}
