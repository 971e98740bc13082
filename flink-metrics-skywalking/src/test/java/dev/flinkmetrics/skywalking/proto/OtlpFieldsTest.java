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
package dev.flinkmetrics.skywalking.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every number in {@link OtlpFields} against the descriptors of the official OTLP classes. */
class OtlpFieldsTest {

    private static final Map<Class<?>, Descriptor> MESSAGES = new HashMap<>();
    private static final Map<Class<?>, EnumDescriptor> ENUMS = new HashMap<>();

    static {
        MESSAGES.put(
                OtlpFields.KeyValue.class,
                io.opentelemetry.proto.common.v1.KeyValue.getDescriptor());
        MESSAGES.put(
                OtlpFields.AnyValue.class,
                io.opentelemetry.proto.common.v1.AnyValue.getDescriptor());
        MESSAGES.put(
                OtlpFields.InstrumentationScope.class,
                io.opentelemetry.proto.common.v1.InstrumentationScope.getDescriptor());
        MESSAGES.put(
                OtlpFields.Resource.class,
                io.opentelemetry.proto.resource.v1.Resource.getDescriptor());
        MESSAGES.put(
                OtlpFields.ExportMetricsServiceRequest.class,
                io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest
                        .getDescriptor());
        MESSAGES.put(
                OtlpFields.ResourceMetrics.class,
                io.opentelemetry.proto.metrics.v1.ResourceMetrics.getDescriptor());
        MESSAGES.put(
                OtlpFields.ScopeMetrics.class,
                io.opentelemetry.proto.metrics.v1.ScopeMetrics.getDescriptor());
        MESSAGES.put(
                OtlpFields.Metric.class, io.opentelemetry.proto.metrics.v1.Metric.getDescriptor());
        MESSAGES.put(
                OtlpFields.Gauge.class, io.opentelemetry.proto.metrics.v1.Gauge.getDescriptor());
        MESSAGES.put(OtlpFields.Sum.class, io.opentelemetry.proto.metrics.v1.Sum.getDescriptor());
        MESSAGES.put(
                OtlpFields.Summary.class,
                io.opentelemetry.proto.metrics.v1.Summary.getDescriptor());
        MESSAGES.put(
                OtlpFields.NumberDataPoint.class,
                io.opentelemetry.proto.metrics.v1.NumberDataPoint.getDescriptor());
        MESSAGES.put(
                OtlpFields.SummaryDataPoint.class,
                io.opentelemetry.proto.metrics.v1.SummaryDataPoint.getDescriptor());
        MESSAGES.put(
                OtlpFields.ValueAtQuantile.class,
                io.opentelemetry.proto.metrics.v1.SummaryDataPoint.ValueAtQuantile.getDescriptor());
        MESSAGES.put(
                OtlpFields.ExportTraceServiceRequest.class,
                io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest
                        .getDescriptor());
        MESSAGES.put(
                OtlpFields.ResourceSpans.class,
                io.opentelemetry.proto.trace.v1.ResourceSpans.getDescriptor());
        MESSAGES.put(
                OtlpFields.ScopeSpans.class,
                io.opentelemetry.proto.trace.v1.ScopeSpans.getDescriptor());
        MESSAGES.put(OtlpFields.Span.class, io.opentelemetry.proto.trace.v1.Span.getDescriptor());
        ENUMS.put(
                OtlpFields.SpanKind.class,
                io.opentelemetry.proto.trace.v1.Span.SpanKind.getDescriptor());
        ENUMS.put(
                OtlpFields.AggregationTemporality.class,
                io.opentelemetry.proto.metrics.v1.AggregationTemporality.getDescriptor());
    }

    @Test
    void everyMessageOfTheTableIsChecked() {
        assertThat(OtlpFields.class.getDeclaredClasses())
                .allSatisfy(
                        c ->
                                assertThat(MESSAGES.containsKey(c) || ENUMS.containsKey(c))
                                        .as(c.getSimpleName() + " has a descriptor in this test")
                                        .isTrue());
    }

    @Test
    void everyFieldNumberMatchesTheOfficialDescriptor() throws Exception {
        List<String> checked = new ArrayList<>();
        for (Map.Entry<Class<?>, Descriptor> message : MESSAGES.entrySet()) {
            Descriptor descriptor = message.getValue();
            assertThat(descriptor.getName()).isEqualTo(message.getKey().getSimpleName());
            for (Field constant : constants(message.getKey())) {
                String name = constant.getName().toLowerCase(Locale.ROOT);
                FieldDescriptor field = descriptor.findFieldByName(name);
                assertThat(field).as(descriptor.getFullName() + "." + name + " exists").isNotNull();
                assertThat(constant.getInt(null))
                        .as(descriptor.getFullName() + "." + name)
                        .isEqualTo(field.getNumber());
                checked.add(descriptor.getName() + "." + name);
            }
        }
        assertThat(checked).hasSizeGreaterThan(25);
    }

    @Test
    void everyEnumValueMatchesTheOfficialDescriptor() throws Exception {
        for (Map.Entry<Class<?>, EnumDescriptor> e : ENUMS.entrySet()) {
            EnumDescriptor descriptor = e.getValue();
            assertThat(descriptor.getName()).isEqualTo(e.getKey().getSimpleName());
            for (Field constant : constants(e.getKey())) {
                // Enum values carry the enum's name as a prefix:
                // AGGREGATION_TEMPORALITY_CUMULATIVE.
                String prefix =
                        descriptor
                                .getName()
                                .replaceAll("([a-z])([A-Z])", "$1_$2")
                                .toUpperCase(Locale.ROOT);
                String name = prefix + "_" + constant.getName();
                assertThat(descriptor.findValueByName(name)).as(name).isNotNull();
                assertThat(constant.getInt(null))
                        .as(name)
                        .isEqualTo(descriptor.findValueByName(name).getNumber());
            }
        }
    }

    @Test
    void pointAttributesShareOneNumberSoLabelsAreEncodedOnceForBothKinds() {
        assertThat(OtlpFields.NumberDataPoint.ATTRIBUTES)
                .isEqualTo(OtlpFields.SummaryDataPoint.ATTRIBUTES);
    }

    private static List<Field> constants(Class<?> type) {
        List<Field> fields = new ArrayList<>();
        for (Field f : type.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class) {
                fields.add(f);
            }
        }
        assertThat(fields).as(type.getSimpleName() + " has constants").isNotEmpty();
        return fields;
    }
}
