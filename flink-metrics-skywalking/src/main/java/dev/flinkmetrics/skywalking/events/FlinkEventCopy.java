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
package dev.flinkmetrics.skywalking.events;

import java.util.Map;

/**
 * What one of Flink's events says, copied on Flink's thread into plain values, so that nothing past
 * the event reporter links Flink's event API.
 */
final class FlinkEventCopy {

    final String name;
    final String classScope;
    final String body;
    final String severity;
    final long observedTsMillis;

    /** The attributes, brackets taken off variable names, values as text. */
    final Map<String, String> attributes;

    FlinkEventCopy(
            String name,
            String classScope,
            String body,
            String severity,
            long observedTsMillis,
            Map<String, ?> attributes) {
        this.name = name == null ? "" : name;
        this.classScope = classScope == null ? "" : classScope;
        this.body = body == null ? "" : body;
        this.severity = severity == null ? "" : severity;
        this.observedTsMillis = observedTsMillis;
        this.attributes = EventSource.withoutBrackets(attributes);
    }
}
