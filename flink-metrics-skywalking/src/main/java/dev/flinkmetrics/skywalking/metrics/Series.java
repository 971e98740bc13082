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

import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;

/**
 * One registered series: a Flink metric, the family (name and resource) it belongs to, its labels
 * encoded once, and the value read for the report under way.
 */
final class Series {

    /** OTLP data type of a family. */
    enum Kind {
        /** Gauges, meters (their per-second rate) and the reporter's own gauges. */
        GAUGE,
        /** Counters: a cumulative, non-monotonic sum (Flink counters may go down). */
        SUM,
        /** Histograms: count and quantiles. */
        SUMMARY
    }

    /** Quantiles of a histogram summary, as Flink's Prometheus reporter sends them. */
    static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};

    static final byte NO_VALUE = 0;
    static final byte LONG_VALUE = 1;
    static final byte DOUBLE_VALUE = 2;

    final Metric metric;
    final MetricFamily family;
    final LabelSet labels;
    final long startNanos;

    /** How important the series is when the cap is reached; 0 is the most. */
    final int priority;

    /** Neighbours among the series of its priority, in the order of registration. */
    Series older;

    Series newer;

    /** Flink removed its metric: it is sent once more, with the next report, then let go. */
    boolean departing;

    /** Position in {@link MetricFamily#series}, for removal in constant time. */
    int index;

    // The value read by report(); the export encodes it.
    byte valueType;
    long longValue;
    double doubleValue;
    final double[] quantileValues;

    /** The histogram count {@link #quantileValues} were computed at. */
    private long quantilesAtCount = -1;

    /** How loud the last problem {@link #read()} reported is: a throwing gauge is a bug. */
    boolean problemIsBug;

    /** A problem with this series was logged; further ones stay quiet. */
    boolean problemLogged;

    /** A failure of its histogram statistics was logged (export thread only). */
    boolean statisticsProblemLogged;

    /** The gauge returned something that is not a number: it is no longer read. */
    boolean unsupported;

    /**
     * A watermark gauge sent as its lag behind the clock ({@link SeriesTranslator#WATERMARK_LAG}).
     */
    private final boolean watermarkLag;

    Series(Metric metric, MetricFamily family, LabelSet labels, long startNanos, int priority) {
        this.metric = metric;
        this.family = family;
        this.labels = labels;
        this.startNanos = startNanos;
        this.priority = priority;
        this.quantileValues = family.kind == Kind.SUMMARY ? new double[QUANTILES.length] : null;
        this.watermarkLag = family.name.equals(SeriesTranslator.WATERMARK_LAG);
    }

    static Kind kindOf(Metric metric) {
        if (metric instanceof Counter) {
            return Kind.SUM;
        }
        if (metric instanceof Histogram) {
            return Kind.SUMMARY;
        }
        if (metric instanceof Gauge || metric instanceof Meter) {
            return Kind.GAUGE;
        }
        return null;
    }

    /**
     * Reads the current value. Never throws.
     *
     * @param nowMillis the wall clock, for a watermark's lag
     * @return null, or a description of a problem that made this series skip the report
     */
    String read(long nowMillis) {
        valueType = NO_VALUE;
        problemIsBug = false;
        if (unsupported) {
            return null;
        }
        try {
            if (metric instanceof Counter) {
                setLong(((Counter) metric).getCount());
            } else if (metric instanceof Gauge) {
                String problem = readGauge(((Gauge<?>) metric).getValue());
                if (watermarkLag && valueType == LONG_VALUE) {
                    toLag(nowMillis);
                }
                return problem;
            } else if (metric instanceof Meter) {
                return setDouble(((Meter) metric).getRate());
            } else if (metric instanceof Histogram) {
                readHistogram((Histogram) metric);
            }
            return null;
        } catch (RuntimeException | LinkageError e) {
            valueType = NO_VALUE;
            problemIsBug = true;
            return "reading it threw " + e;
        }
    }

    private String readGauge(Object value) {
        if (value == null) {
            return "the gauge returned null";
        }
        if (value instanceof Long
                || value instanceof Integer
                || value instanceof Short
                || value instanceof Byte
                || value instanceof AtomicLong
                || value instanceof AtomicInteger) {
            setLong(((Number) value).longValue());
            return null;
        }
        if (value instanceof BigInteger && ((BigInteger) value).bitLength() < 64) {
            setLong(((BigInteger) value).longValue());
            return null;
        }
        if (value instanceof Number) {
            return setDouble(((Number) value).doubleValue());
        }
        if (value instanceof Boolean) {
            setLong(((Boolean) value) ? 1 : 0);
            return null;
        }
        unsupported = true;
        return "its value is a " + value.getClass().getSimpleName() + ", not a number";
    }

    /**
     * Turns a watermark into its lag. Long.MIN_VALUE (no watermark yet, as at a source) and
     * Long.MAX_VALUE (the input has ended) have none: the series then skips the report quietly.
     */
    private void toLag(long nowMillis) {
        if (longValue == Long.MIN_VALUE || longValue == Long.MAX_VALUE) {
            valueType = NO_VALUE;
        } else {
            longValue = nowMillis - longValue;
        }
    }

    private void readHistogram(Histogram histogram) {
        // Only the count here, on Flink's reporter thread: the quantiles cost a copy and a sort
        // of the sample window and are computed on the export thread (updateQuantiles).
        setLong(histogram.getCount());
    }

    /**
     * Computes the quantiles of a histogram series for the count read last. Called on the export
     * thread. When nothing was recorded since the last time the quantiles cannot have changed, and
     * Flink's getStatistics(), which copies the whole sample window, is not called at all.
     *
     * @return null, or why the statistics could not be read; the series then skips this report
     */
    String updateQuantiles() {
        if (valueType == NO_VALUE || longValue == quantilesAtCount) {
            return null;
        }
        try {
            HistogramStatistics statistics = ((Histogram) metric).getStatistics();
            for (int i = 0; i < QUANTILES.length; i++) {
                // NaN (an empty window) and infinities are left out when encoding.
                quantileValues[i] = statistics.getQuantile(QUANTILES[i]);
            }
        } catch (RuntimeException | LinkageError e) {
            valueType = NO_VALUE;
            quantilesAtCount = -1;
            return "its statistics threw " + e;
        }
        quantilesAtCount = longValue;
        return null;
    }

    private void setLong(long value) {
        longValue = value;
        valueType = LONG_VALUE;
    }

    private String setDouble(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "its value is " + value;
        }
        doubleValue = value;
        valueType = DOUBLE_VALUE;
        return null;
    }

    @Override
    public String toString() {
        return family.name + labels;
    }
}
