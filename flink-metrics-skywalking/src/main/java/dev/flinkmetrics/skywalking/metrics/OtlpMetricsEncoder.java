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
package dev.flinkmetrics.skywalking;

import java.util.Arrays;

/**
 * Encodes a snapshot of series into OTLP {@code ExportMetricsServiceRequest} messages, each at most
 * {@code maxRequestBytes} long. Names, labels and resources were encoded at registration; here only
 * values, timestamps and lengths are written, into one reused buffer. No I/O.
 *
 * <p>A request is split between families where possible, so that all points of one sample name from
 * one process reach OAP together.
 */
final class OtlpEncoder {

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

    // Field numbers of the OTLP metrics protocol (opentelemetry/proto/metrics/v1/metrics.proto).
    private static final int REQUEST_RESOURCE_METRICS = 1;
    private static final int RESOURCE_METRICS_SCOPE_METRICS = 2;
    private static final int SCOPE_METRICS_METRICS = 2;
    private static final int METRIC_GAUGE = 5;
    private static final int METRIC_SUM = 7;
    private static final int METRIC_SUMMARY = 11;
    private static final int DATA_POINTS = 1;
    private static final int SUM_AGGREGATION_TEMPORALITY = 2;
    private static final int AGGREGATION_TEMPORALITY_CUMULATIVE = 2;
    private static final int POINT_START_TIME = 2;
    private static final int POINT_TIME = 3;
    private static final int NUMBER_AS_DOUBLE = 4;
    private static final int NUMBER_AS_INT = 6;
    private static final int SUMMARY_COUNT = 4;
    private static final int SUMMARY_QUANTILE_VALUES = 6;
    private static final int QUANTILE_QUANTILE = 1;
    private static final int QUANTILE_VALUE = 2;

    /** A fixed64 field with a one-byte tag. */
    private static final int FIXED64_FIELD = 9;

    /** A {@code ValueAtQuantile} field: tag, length and two doubles. */
    private static final int QUANTILE_FIELD = 2 + 2 * FIXED64_FIELD;

    /** Upper bound of a tag plus a length prefix. */
    private static final int HEADER = 1 + 5;

    private final int maxRequestBytes;
    private final byte[] scopeField;
    private final ProtoWriter out;
    private int[] pointSizes = new int[0];

    OtlpEncoder(int maxRequestBytes, String scopeName, String scopeVersion) {
        this.maxRequestBytes = maxRequestBytes;
        ProtoWriter scope = new ProtoWriter(64);
        byte[] name = ProtoWriter.encodeString(1, scopeName);
        byte[] version = ProtoWriter.encodeString(2, scopeVersion);
        scope.lenHeader(1, name.length + version.length); // ScopeMetrics.scope
        scope.bytes(name);
        scope.bytes(version);
        this.scopeField = scope.toByteArray();
        this.out = new ProtoWriter(Math.min(maxRequestBytes, 1 << 20));
    }

    /**
     * Encodes series {@code [0, count)} of the snapshot, in order, and hands each request to the
     * sink.
     *
     * @return points encoded
     */
    int encode(
            Series[] snapshot,
            int count,
            long timeNanos,
            RequestSink sink,
            OversizeListener oversize) {
        if (pointSizes.length < count) {
            pointSizes = Arrays.copyOf(pointSizes, count + count / 4);
        }
        for (int i = 0; i < count; i++) {
            Series s = snapshot[i];
            if (s.family.kind == Series.Kind.SUMMARY) {
                s.updateQuantiles();
            }
            pointSizes[i] = pointSize(s);
        }
        int encoded = 0;
        int start = 0;
        while (start < count) {
            int end = planRequest(snapshot, start, count, oversize);
            int points = write(snapshot, start, end, timeNanos);
            if (points > 0) {
                encoded += points;
                if (!sink.accept(out.buffer(), out.length(), points)) {
                    break;
                }
            }
            start = end;
        }
        return encoded;
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
            long add = ProtoWriter.lenFieldSize(size);
            if (f.resource != resource) {
                add += HEADER + f.resource.resourceField.length + HEADER + scopeField.length;
            }
            if (f != family) {
                add += HEADER + f.nameField.length + HEADER + 2;
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
                    scopePayload += ProtoWriter.lenFieldSize(metricPayload);
                }
                f = familyEnd;
            }
            if (scopePayload > scopeField.length) {
                int resourceMetricsPayload =
                        resource.resourceField.length + ProtoWriter.lenFieldSize(scopePayload);
                out.lenHeader(REQUEST_RESOURCE_METRICS, resourceMetricsPayload);
                out.bytes(resource.resourceField);
                out.lenHeader(RESOURCE_METRICS_SCOPE_METRICS, scopePayload);
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

    private int dataPayload(int start, int end, Series.Kind kind) {
        int data = 0;
        for (int i = start; i < end; i++) {
            if (pointSizes[i] > 0) {
                data += ProtoWriter.lenFieldSize(pointSizes[i]);
            }
        }
        if (data > 0 && kind == Series.Kind.SUM) {
            data += 2; // aggregation_temporality
        }
        return data;
    }

    private int metricPayload(Series[] snapshot, int start, int end) {
        MetricFamily family = snapshot[start].family;
        int data = dataPayload(start, end, family.kind);
        return data == 0 ? 0 : family.nameField.length + ProtoWriter.lenFieldSize(data);
    }

    private int writeMetric(Series[] snapshot, int start, int end, long timeNanos) {
        MetricFamily family = snapshot[start].family;
        int data = dataPayload(start, end, family.kind);
        if (data == 0) {
            return 0;
        }
        out.lenHeader(
                SCOPE_METRICS_METRICS, family.nameField.length + ProtoWriter.lenFieldSize(data));
        out.bytes(family.nameField);
        int dataField =
                family.kind == Series.Kind.GAUGE
                        ? METRIC_GAUGE
                        : family.kind == Series.Kind.SUM ? METRIC_SUM : METRIC_SUMMARY;
        out.lenHeader(dataField, data);
        int points = 0;
        for (int i = start; i < end; i++) {
            int size = pointSizes[i];
            if (size == 0) {
                continue;
            }
            Series s = snapshot[i];
            out.lenHeader(DATA_POINTS, size);
            out.bytes(s.labels.encoded);
            if (family.kind != Series.Kind.GAUGE) {
                out.fixed64Field(POINT_START_TIME, s.startNanos);
            }
            out.fixed64Field(POINT_TIME, timeNanos);
            if (family.kind == Series.Kind.SUMMARY) {
                out.fixed64Field(SUMMARY_COUNT, s.longValue);
                for (int q = 0; q < Series.QUANTILES.length; q++) {
                    double value = s.quantileValues[q];
                    if (isFinite(value)) {
                        out.lenHeader(SUMMARY_QUANTILE_VALUES, 2 * FIXED64_FIELD);
                        out.doubleField(QUANTILE_QUANTILE, Series.QUANTILES[q]);
                        out.doubleField(QUANTILE_VALUE, value);
                    }
                }
            } else if (s.valueType == Series.LONG_VALUE) {
                out.fixed64Field(NUMBER_AS_INT, s.longValue);
            } else {
                out.doubleField(NUMBER_AS_DOUBLE, s.doubleValue);
            }
            points++;
        }
        if (family.kind == Series.Kind.SUM) {
            out.tag(SUM_AGGREGATION_TEMPORALITY, ProtoWriter.VARINT);
            out.varint(AGGREGATION_TEMPORALITY_CUMULATIVE);
        }
        return points;
    }

    /** Size of a series' data point message, or 0 when it has no value to send. */
    private static int pointSize(Series s) {
        if (s.valueType == Series.NO_VALUE) {
            return 0;
        }
        int size = s.labels.encoded.length + FIXED64_FIELD; // attributes, time
        switch (s.family.kind) {
            case GAUGE:
                return size + FIXED64_FIELD;
            case SUM:
                return size + 2 * FIXED64_FIELD; // start time, value
            default:
                size += 2 * FIXED64_FIELD; // start time, count
                for (double value : s.quantileValues) {
                    if (isFinite(value)) {
                        size += QUANTILE_FIELD;
                    }
                }
                return size;
        }
    }

    private static boolean isFinite(double value) {
        return !Double.isNaN(value) && !Double.isInfinite(value);
    }
}
