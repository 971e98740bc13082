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
package dev.flinkmetrics.skywalking.metrics;

import dev.flinkmetrics.skywalking.proto.OtlpFields;
import dev.flinkmetrics.skywalking.proto.ProtoWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * All series of one sample name within one resource: one OTLP {@code Metric} with many data points.
 * Keeping them together also keeps them in one request, so OAP sums them in one pass.
 */
final class MetricFamily {

    final ProcessResource resource;
    final String name;
    final Series.Kind kind;

    /** {@code Metric.name}, encoded with its tag. */
    final byte[] nameField;

    final ArrayList<Series> series = new ArrayList<>();

    /** The same label set twice would make two points collide in OAP: the first one wins. */
    final Map<LabelSet, Series> byLabels = new HashMap<>();

    MetricFamily(ProcessResource resource, String name, Series.Kind kind) {
        this.resource = resource;
        this.name = name;
        this.kind = kind;
        this.nameField = ProtoWriter.encodeString(OtlpFields.Metric.NAME, name);
    }

    void add(Series s) {
        s.index = series.size();
        series.add(s);
        byLabels.put(s.labels, s);
    }

    void remove(Series s) {
        Series last = series.remove(series.size() - 1);
        if (last != s) {
            series.set(s.index, last);
            last.index = s.index;
        }
        byLabels.remove(s.labels);
    }
}
