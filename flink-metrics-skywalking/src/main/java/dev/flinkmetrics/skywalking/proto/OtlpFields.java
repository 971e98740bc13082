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

import org.apache.flink.annotation.Internal;

/**
 * Field numbers of the OTLP messages this plugin writes, one nested class per message, named as in
 * the {@code opentelemetry-proto} files; each constant is the field name in upper case. A test
 * checks every one against the official descriptors, so a number is never typed twice or wrong.
 */
@Internal
public final class OtlpFields {

    private OtlpFields() {}

    // opentelemetry/proto/common/v1/common.proto

    /** {@code KeyValue}. */
    public static final class KeyValue {
        public static final int KEY = 1;
        public static final int VALUE = 2;

        private KeyValue() {}
    }

    /** {@code AnyValue}. */
    public static final class AnyValue {
        public static final int STRING_VALUE = 1;
        public static final int BOOL_VALUE = 2;
        public static final int INT_VALUE = 3;
        public static final int DOUBLE_VALUE = 4;

        private AnyValue() {}
    }

    /** {@code InstrumentationScope}. */
    public static final class InstrumentationScope {
        public static final int NAME = 1;
        public static final int VERSION = 2;

        private InstrumentationScope() {}
    }

    // opentelemetry/proto/resource/v1/resource.proto

    /** {@code Resource}. */
    public static final class Resource {
        public static final int ATTRIBUTES = 1;

        private Resource() {}
    }

    // opentelemetry/proto/collector/metrics/v1/metrics_service.proto

    /** {@code ExportMetricsServiceRequest}. */
    public static final class ExportMetricsServiceRequest {
        public static final int RESOURCE_METRICS = 1;

        private ExportMetricsServiceRequest() {}
    }

    // opentelemetry/proto/metrics/v1/metrics.proto

    /** {@code ResourceMetrics}. */
    public static final class ResourceMetrics {
        public static final int RESOURCE = 1;
        public static final int SCOPE_METRICS = 2;

        private ResourceMetrics() {}
    }

    /** {@code ScopeMetrics}. */
    public static final class ScopeMetrics {
        public static final int SCOPE = 1;
        public static final int METRICS = 2;

        private ScopeMetrics() {}
    }

    /** {@code Metric}. */
    public static final class Metric {
        public static final int NAME = 1;
        public static final int GAUGE = 5;
        public static final int SUM = 7;
        public static final int SUMMARY = 11;

        private Metric() {}
    }

    /** {@code Gauge}. */
    public static final class Gauge {
        public static final int DATA_POINTS = 1;

        private Gauge() {}
    }

    /** {@code Sum}. */
    public static final class Sum {
        public static final int DATA_POINTS = 1;
        public static final int AGGREGATION_TEMPORALITY = 2;

        private Sum() {}
    }

    /** {@code Summary}. */
    public static final class Summary {
        public static final int DATA_POINTS = 1;

        private Summary() {}
    }

    /** {@code NumberDataPoint}. */
    public static final class NumberDataPoint {
        public static final int START_TIME_UNIX_NANO = 2;
        public static final int TIME_UNIX_NANO = 3;
        public static final int AS_DOUBLE = 4;
        public static final int AS_INT = 6;
        public static final int ATTRIBUTES = 7;

        private NumberDataPoint() {}
    }

    /** {@code SummaryDataPoint}. */
    public static final class SummaryDataPoint {
        public static final int START_TIME_UNIX_NANO = 2;
        public static final int TIME_UNIX_NANO = 3;
        public static final int COUNT = 4;
        public static final int QUANTILE_VALUES = 6;
        public static final int ATTRIBUTES = 7;

        private SummaryDataPoint() {}
    }

    /** {@code SummaryDataPoint.ValueAtQuantile}. */
    public static final class ValueAtQuantile {
        public static final int QUANTILE = 1;
        public static final int VALUE = 2;

        private ValueAtQuantile() {}
    }

    /** Values of the enum {@code AggregationTemporality}, without its name prefix. */
    public static final class AggregationTemporality {
        public static final int CUMULATIVE = 2;

        private AggregationTemporality() {}
    }

    // opentelemetry/proto/collector/trace/v1/trace_service.proto

    /** {@code ExportTraceServiceRequest}. */
    public static final class ExportTraceServiceRequest {
        public static final int RESOURCE_SPANS = 1;

        private ExportTraceServiceRequest() {}
    }

    // opentelemetry/proto/trace/v1/trace.proto

    /** {@code ResourceSpans}. */
    public static final class ResourceSpans {
        public static final int RESOURCE = 1;
        public static final int SCOPE_SPANS = 2;

        private ResourceSpans() {}
    }

    /** {@code ScopeSpans}. */
    public static final class ScopeSpans {
        public static final int SCOPE = 1;
        public static final int SPANS = 2;

        private ScopeSpans() {}
    }

    /** {@code Span}. */
    public static final class Span {
        public static final int TRACE_ID = 1;
        public static final int SPAN_ID = 2;
        public static final int PARENT_SPAN_ID = 4;
        public static final int NAME = 5;
        public static final int KIND = 6;
        public static final int START_TIME_UNIX_NANO = 7;
        public static final int END_TIME_UNIX_NANO = 8;
        public static final int ATTRIBUTES = 9;

        private Span() {}
    }

    /** Values of the enum {@code Span.SpanKind}, without its name prefix. */
    public static final class SpanKind {
        public static final int INTERNAL = 1;

        private SpanKind() {}
    }
}
