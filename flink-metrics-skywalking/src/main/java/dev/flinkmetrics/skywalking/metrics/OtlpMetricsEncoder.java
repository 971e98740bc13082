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

import static dev.flinkmetrics.skywalking.proto.ProtoWriter.fixed64FieldSize;
import static dev.flinkmetrics.skywalking.proto.ProtoWriter.lenFieldSize;
import static dev.flinkmetrics.skywalking.proto.ProtoWriter.varintFieldSize;

import dev.flinkmetrics.skywalking.proto.OtlpFields.AggregationTemporality;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ExportMetricsServiceRequest;
import dev.flinkmetrics.skywalking.proto.OtlpFields.Gauge;
import dev.flinkmetrics.skywalking.proto.OtlpFields.InstrumentationScope;
import dev.flinkmetrics.skywalking.proto.OtlpFields.Metric;
import dev.flinkmetrics.skywalking.proto.OtlpFields.NumberDataPoint;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ResourceMetrics;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ScopeMetrics;
import dev.flinkmetrics.skywalking.proto.OtlpFields.Sum;
import dev.flinkmetrics.skywalking.proto.OtlpFields.Summary;
import dev.flinkmetrics.skywalking.proto.OtlpFields.SummaryDataPoint;
import dev.flinkmetrics.skywalking.proto.OtlpFields.ValueAtQuantile;
import dev.flinkmetrics.skywalking.proto.ProtoWriter;
import java.util.Arrays;

/**
 * Encodes a snapshot of series into OTLP {@code ExportMetricsServiceRequest} messages, each at most
 * {@code maxRequestBytes} long. Names, labels and resources were encoded at registration; here only
 * values, timestamps and lengths are written, into one reused buffer. No I/O.
 *
 * <p>A request is split between families where possible, so that all points of one sample name from
 * one process reach OAP together.
 */
final class OtlpMetricsEncoder {

    /** Receives each encoded request. The buffer is reused once this returns. */
    interface RequestSink {
        /**
         * @return false to stop encoding the rest of this snapshot
         */
        boolean accept(byte[] request, int length, int points);
    }

    /** Receives each point that alone is larger than a request may be. */
    interface OversizeListener {
        void onOversize(Series series, int bytes);
    }

    private static final int TIME_FIELD = fixed64FieldSize(NumberDataPoint.TIME_UNIX_NANO);
    private static final int START_TIME_FIELD =
            fixed64FieldSize(NumberDataPoint.START_TIME_UNIX_NANO);
    private static final int DOUBLE_VALUE_FIELD = fixed64FieldSize(NumberDataPoint.AS_DOUBLE);
    private static final int LONG_VALUE_FIELD = fixed64FieldSize(NumberDataPoint.AS_INT);
    private static final int SUMMARY_COUNT_FIELD = fixed64FieldSize(SummaryDataPoint.COUNT);
    private static final int AGGREGATION_TEMPORALITY_FIELD =
            varintFieldSize(Sum.AGGREGATION_TEMPORALITY, AggregationTemporality.CUMULATIVE);

    /** A {@code ValueAtQuantile} message: two doubles. */
    private static final int QUANTILE_PAYLOAD =
            fixed64FieldSize(ValueAtQuantile.QUANTILE) + fixed64FieldSize(ValueAtQuantile.VALUE);

    /** A {@code quantile_values} field. */
    private static final int QUANTILE_FIELD =
            lenFieldSize(SummaryDataPoint.QUANTILE_VALUES, QUANTILE_PAYLOAD);

    /** The data field of a {@code Metric} and its points' field, by kind. */
    private static final int[] DATA_FIELD = new int[Series.Kind.values().length];

    private static final int[] DATA_POINTS_FIELD = new int[Series.Kind.values().length];

    static {
        DATA_FIELD[Series.Kind.GAUGE.ordinal()] = Metric.GAUGE;
        DATA_FIELD[Series.Kind.SUM.ordinal()] = Metric.SUM;
        DATA_FIELD[Series.Kind.SUMMARY.ordinal()] = Metric.SUMMARY;
        DATA_POINTS_FIELD[Series.Kind.GAUGE.ordinal()] = Gauge.DATA_POINTS;
        DATA_POINTS_FIELD[Series.Kind.SUM.ordinal()] = Sum.DATA_POINTS;
        DATA_POINTS_FIELD[Series.Kind.SUMMARY.ordinal()] = Summary.DATA_POINTS;
    }

    private final int maxRequestBytes;
    private final byte[] scopeField;
    private final ProtoWriter out;
    private int[] pointSizes = new int[0];

    OtlpMetricsEncoder(int maxRequestBytes, String scopeName, String scopeVersion) {
        this.maxRequestBytes = maxRequestBytes;
        ProtoWriter scope = new ProtoWriter(64);
        byte[] name = ProtoWriter.encodeString(InstrumentationScope.NAME, scopeName);
        byte[] version = ProtoWriter.encodeString(InstrumentationScope.VERSION, scopeVersion);
        scope.lenHeader(ScopeMetrics.SCOPE, name.length + version.length);
        scope.bytes(name);
        scope.bytes(version);
        this.scopeField = scope.toByteArray();
        this.out = new ProtoWriter(Math.min(maxRequestBytes, 1 << 20));
    }

    /**
     * Encodes series {@code [0, count)} of the snapshot, in order, and hands each request to the
     * sink. Histogram quantiles must be up to date ({@link Series#updateQuantiles()}).
     */
    void encode(
            Series[] snapshot,
            int count,
            long timeNanos,
            RequestSink sink,
            OversizeListener oversize) {
        if (pointSizes.length < count) {
            pointSizes = Arrays.copyOf(pointSizes, count + count / 4);
        }
        for (int i = 0; i < count; i++) {
            pointSizes[i] = pointSize(snapshot[i]);
        }
        int start = 0;
        while (start < count) {
            int end = planRequest(snapshot, start, count, oversize);
            int points = write(snapshot, start, end, timeNanos);
            if (points > 0 && !sink.accept(out.buffer(), out.length(), points)) {
                break;
            }
            start = end;
        }
    }

    /** Finds where the request that starts at {@code start} ends, using upper-bound sizes. */
    private int planRequest(Series[] snapshot, int start, int count, OversizeListener oversize) {
        long bytes = 0;
        ProcessResource resource = null;
        MetricFamily family = null;
        int familyStart = start;
        for (int i = start; i < count; i++) {
            int size = pointSizes[i];
            if (size == 0) {
                continue;
            }
            MetricFamily f = snapshot[i].family;
            long add = lenFieldSize(DATA_POINTS_FIELD[f.kind.ordinal()], size);
            if (f.resource != resource) {
                add +=
                        lenHeaderBound(ExportMetricsServiceRequest.RESOURCE_METRICS)
                                + f.resource.resourceField.length
                                + lenHeaderBound(ResourceMetrics.SCOPE_METRICS)
                                + scopeField.length;
            }
            if (f != family) {
                add +=
                        lenHeaderBound(ScopeMetrics.METRICS)
                                + f.nameField.length
                                + lenHeaderBound(DATA_FIELD[f.kind.ordinal()])
                                + AGGREGATION_TEMPORALITY_FIELD;
            }
            if (bytes + add > maxRequestBytes) {
                if (bytes == 0) {
                    // Alone too large for any request: never sent.
                    oversize.onOversize(snapshot[i], size);
                    pointSizes[i] = 0;
                    continue;
                }
                // Keep a family whole in the next request unless it is all this one holds.
                return f == family && familyStart > start && familyStart < i ? familyStart : i;
            }
            if (f != family) {
                familyStart = i;
            }
            resource = f.resource;
            family = f;
            bytes += add;
        }
        return count;
    }

    /** Writes series {@code [start, end)} as one request; returns the points written. */
    private int write(Series[] snapshot, int start, int end, long timeNanos) {
        out.reset();
        int points = 0;
        int i = start;
        while (i < end) {
            ProcessResource resource = snapshot[i].family.resource;
            int resourceEnd = i;
            while (resourceEnd < end && snapshot[resourceEnd].family.resource == resource) {
                resourceEnd++;
            }
            int scopePayload = scopeField.length;
            for (int f = i; f < resourceEnd; ) {
                int familyEnd = familyEnd(snapshot, f, resourceEnd);
                int metricPayload = metricPayload(snapshot, f, familyEnd);
                if (metricPayload > 0) {
                    scopePayload += lenFieldSize(ScopeMetrics.METRICS, metricPayload);
                }
                f = familyEnd;
            }
            if (scopePayload > scopeField.length) {
                int resourceMetricsPayload =
                        resource.resourceField.length
                                + lenFieldSize(ResourceMetrics.SCOPE_METRICS, scopePayload);
                out.lenHeader(ExportMetricsServiceRequest.RESOURCE_METRICS, resourceMetricsPayload);
                out.bytes(resource.resourceField);
                out.lenHeader(ResourceMetrics.SCOPE_METRICS, scopePayload);
                out.bytes(scopeField);
                for (int f = i; f < resourceEnd; ) {
                    int familyEnd = familyEnd(snapshot, f, resourceEnd);
                    points += writeMetric(snapshot, f, familyEnd, timeNanos);
                    f = familyEnd;
                }
            }
            i = resourceEnd;
        }
        return points;
    }

    private static int familyEnd(Series[] snapshot, int start, int end) {
        MetricFamily family = snapshot[start].family;
        int i = start;
        while (i < end && snapshot[i].family == family) {
            i++;
        }
        return i;
    }

    /** Size of the {@code Gauge}, {@code Sum} or {@code Summary} message of a family's points. */
    private int dataPayload(int start, int end, Series.Kind kind) {
        int pointsField = DATA_POINTS_FIELD[kind.ordinal()];
        int data = 0;
        for (int i = start; i < end; i++) {
            if (pointSizes[i] > 0) {
                data += lenFieldSize(pointsField, pointSizes[i]);
            }
        }
        if (data > 0 && kind == Series.Kind.SUM) {
            data += AGGREGATION_TEMPORALITY_FIELD;
        }
        return data;
    }

    private int metricPayload(Series[] snapshot, int start, int end) {
        MetricFamily family = snapshot[start].family;
        int data = dataPayload(start, end, family.kind);
        return data == 0
                ? 0
                : family.nameField.length + lenFieldSize(DATA_FIELD[family.kind.ordinal()], data);
    }

    private int writeMetric(Series[] snapshot, int start, int end, long timeNanos) {
        MetricFamily family = snapshot[start].family;
        Series.Kind kind = family.kind;
        int data = dataPayload(start, end, kind);
        if (data == 0) {
            return 0;
        }
        int dataField = DATA_FIELD[kind.ordinal()];
        out.lenHeader(
                ScopeMetrics.METRICS, family.nameField.length + lenFieldSize(dataField, data));
        out.bytes(family.nameField);
        out.lenHeader(dataField, data);
        int pointsField = DATA_POINTS_FIELD[kind.ordinal()];
        int points = 0;
        for (int i = start; i < end; i++) {
            int size = pointSizes[i];
            if (size == 0) {
                continue;
            }
            Series s = snapshot[i];
            out.lenHeader(pointsField, size);
            out.bytes(s.labels.encoded);
            if (kind == Series.Kind.SUMMARY) {
                out.fixed64Field(SummaryDataPoint.START_TIME_UNIX_NANO, s.startNanos);
                out.fixed64Field(SummaryDataPoint.TIME_UNIX_NANO, timeNanos);
                out.fixed64Field(SummaryDataPoint.COUNT, s.longValue);
                for (int q = 0; q < Series.QUANTILES.length; q++) {
                    double value = s.quantileValues[q];
                    if (isFinite(value)) {
                        out.lenHeader(SummaryDataPoint.QUANTILE_VALUES, QUANTILE_PAYLOAD);
                        out.doubleField(ValueAtQuantile.QUANTILE, Series.QUANTILES[q]);
                        out.doubleField(ValueAtQuantile.VALUE, value);
                    }
                }
            } else {
                if (kind == Series.Kind.SUM) {
                    out.fixed64Field(NumberDataPoint.START_TIME_UNIX_NANO, s.startNanos);
                }
                out.fixed64Field(NumberDataPoint.TIME_UNIX_NANO, timeNanos);
                if (s.valueType == Series.LONG_VALUE) {
                    out.fixed64Field(NumberDataPoint.AS_INT, s.longValue);
                } else {
                    out.doubleField(NumberDataPoint.AS_DOUBLE, s.doubleValue);
                }
            }
            points++;
        }
        if (kind == Series.Kind.SUM) {
            out.varintField(Sum.AGGREGATION_TEMPORALITY, AggregationTemporality.CUMULATIVE);
        }
        return points;
    }

    /** Size of a series' data point message, or 0 when it has no value to send. */
    private static int pointSize(Series s) {
        if (s.valueType == Series.NO_VALUE) {
            return 0;
        }
        int size = s.labels.encoded.length + TIME_FIELD;
        int valueField = s.valueType == Series.LONG_VALUE ? LONG_VALUE_FIELD : DOUBLE_VALUE_FIELD;
        switch (s.family.kind) {
            case GAUGE:
                return size + valueField;
            case SUM:
                return size + START_TIME_FIELD + valueField;
            default:
                size += START_TIME_FIELD + SUMMARY_COUNT_FIELD;
                for (double value : s.quantileValues) {
                    if (isFinite(value)) {
                        size += QUANTILE_FIELD;
                    }
                }
                return size;
        }
    }

    /** Upper bound of a length-delimited field's tag and length prefix. */
    private static int lenHeaderBound(int field) {
        return ProtoWriter.tagSize(field) + ProtoWriter.MAX_LENGTH_PREFIX;
    }

    private static boolean isFinite(double value) {
        return !Double.isNaN(value) && !Double.isInfinite(value);
    }
}
