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

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Metric;

/**
 * The registered series, grouped by resource and then by family, which is the order they are
 * encoded in. Not thread-safe: the reporter guards it with one lock, held briefly by Flink's
 * registration calls and by {@code report()} while it copies the series (not their values).
 *
 * <p>It holds at most {@code maxSeries} series. Over that, a series of a more important {@linkplain
 * SeriesTranslator.SeriesId#priority priority} takes the place of the one registered last among the
 * least important; otherwise the new one is left out. What is left out is only counted, so memory
 * stays bounded however many metrics Flink registers, and the choice changes only when metrics come
 * or go, never from one report to the next.
 */
final class SeriesRegistry {

    /** What {@link #add} did. */
    enum Added {
        ADDED,
        DUPLICATE,
        KIND_CONFLICT,
        UNSUPPORTED_TYPE,
        LEFT_OUT
    }

    /** The reporter's own metrics, attached to the first resource that appears. */
    static final class OwnMetric {
        final String name;
        final Metric metric;

        OwnMetric(String name, Metric metric) {
            this.name = name;
            this.metric = metric;
        }
    }

    private final String cluster;
    private final List<OwnMetric> ownMetrics;
    private final Map<String, ProcessResource> resources = new LinkedHashMap<>();
    private final Map<LabelSet, LabelSet> labelSets = new HashMap<>();
    private final int maxSeries;

    /**
     * The series held, per priority, as a list linked through the series in the order they were
     * registered (two references per series): here the newest of each priority.
     */
    private final Series[] newest = new Series[SeriesTranslator.LOWEST_PRIORITY + 1];

    /**
     * Series whose metric Flink removed since the last snapshot: each is in one more snapshot, so
     * that what changed just before a job ended (its last restarts, its final counts) is sent.
     */
    private final List<Series> departing = new ArrayList<>();

    private int size;
    private long leftOut;

    SeriesRegistry(String cluster, List<OwnMetric> ownMetrics, int maxSeries) {
        this.cluster = cluster;
        this.ownMetrics = ownMetrics;
        this.maxSeries = maxSeries;
    }

    Added add(SeriesTranslator.SeriesId id, Metric metric, long nowNanos) {
        Series.Kind kind = Series.kindOf(metric);
        if (kind == null) {
            return Added.UNSUPPORTED_TYPE;
        }
        ProcessResource resource = resources.get(id.resourceKey);
        MetricFamily existing = resource == null ? null : resource.families.get(id.name);
        if (existing != null && existing.kind != kind) {
            return Added.KIND_CONFLICT;
        }
        if (existing != null && existing.byLabels.containsKey(id.labelSet)) {
            Series held = existing.byLabels.get(id.labelSet);
            if (!held.departing) {
                return Added.DUPLICATE;
            }
            // The metric is back (a restarted task registers it again): it goes on from here.
            removeSeries(held);
        }
        if (size >= maxSeries && !departing.isEmpty()) {
            // A metric Flink still has comes before the last value of one it removed.
            removeSeries(departing.get(departing.size() - 1));
        }
        if (size >= maxSeries && !makeRoomFor(id.priority)) {
            leftOut++;
            return Added.LEFT_OUT;
        }
        resource = resources.get(id.resourceKey); // making room may have removed it
        if (resource == null) {
            resource = new ProcessResource(id.role, id.node, id.processLabels, cluster);
            boolean first = resources.isEmpty();
            resources.put(id.resourceKey, resource);
            if (first) {
                LabelSet none = LabelSet.of(Collections.emptySortedMap());
                for (OwnMetric own : ownMetrics) {
                    addTo(
                            resource,
                            own.name,
                            Series.kindOf(own.metric),
                            none,
                            own.metric,
                            SeriesTranslator.HIGHEST_PRIORITY,
                            nowNanos);
                }
            }
        }
        return addTo(resource, id.name, kind, id.labelSet, metric, id.priority, nowNanos);
    }

    /** Evicts the series registered last among those less important than {@code priority}. */
    private boolean makeRoomFor(int priority) {
        for (int p = SeriesTranslator.LOWEST_PRIORITY; p > priority; p--) {
            if (newest[p] != null) {
                removeSeries(newest[p]);
                leftOut++;
                return true;
            }
        }
        return false;
    }

    private Added addTo(
            ProcessResource resource,
            String name,
            Series.Kind kind,
            LabelSet labels,
            Metric metric,
            int priority,
            long nowNanos) {
        MetricFamily family = resource.families.get(name);
        if (family == null) {
            family = new MetricFamily(resource, name, kind);
            resource.families.put(name, family);
        }
        LabelSet labelSet = intern(labels);
        if (family.byLabels.containsKey(labelSet)) {
            release(labelSet);
            return Added.DUPLICATE;
        }
        Series series = new Series(metric, family, labelSet, nowNanos, priority);
        family.add(series);
        series.older = newest[priority];
        if (series.older != null) {
            series.older.newer = series;
        }
        newest[priority] = series;
        size++;
        return Added.ADDED;
    }

    /**
     * Removes the series of this metric after the next snapshot, which sends its last value. A
     * metric that was skipped as a duplicate is not found, and the series that won stays; one that
     * was left out over the cap is no longer counted.
     */
    void remove(SeriesTranslator.SeriesId id, Metric metric) {
        ProcessResource resource = resources.get(id.resourceKey);
        MetricFamily family = resource == null ? null : resource.families.get(id.name);
        Series series = family == null ? null : family.byLabels.get(id.labelSet);
        if (series != null && series.metric == metric) {
            if (!series.departing) {
                series.departing = true;
                departing.add(series);
            }
            return;
        }
        Series.Kind kind = Series.kindOf(metric);
        boolean wasLeftOut =
                series == null && kind != null && (family == null || family.kind == kind);
        if (wasLeftOut && leftOut > 0) {
            leftOut--;
        }
    }

    private void removeSeries(Series series) {
        if (series.departing) {
            series.departing = false;
            departing.remove(departing.lastIndexOf(series));
        }
        MetricFamily family = series.family;
        family.remove(series);
        unlink(series);
        release(series.labels);
        size--;
        if (family.series.isEmpty()) {
            ProcessResource resource = family.resource;
            resource.families.remove(family.name);
            if (resource.families.isEmpty()) {
                resources.values().remove(resource);
            }
        }
    }

    private void unlink(Series series) {
        if (series.older != null) {
            series.older.newer = series.newer;
        }
        if (series.newer == null) {
            newest[series.priority] = series.older;
        } else {
            series.newer.older = series.older;
        }
        series.older = null;
        series.newer = null;
    }

    /** Series registered now but not held, because of the cap. */
    long leftOut() {
        return leftOut;
    }

    /** Series held, those of removed metrics waiting for their last snapshot included. */
    int size() {
        return size;
    }

    /** Series of metrics registered now. */
    int registered() {
        return size - departing.size();
    }

    /**
     * Copies every series into {@code target}, in encoding order, then lets go of those whose
     * metric Flink removed: this was their last snapshot. Only references: the values are read by
     * {@link #read}, outside the reporter's lock.
     *
     * @return the array used (grown when needed); the count is {@link #size()} before the call
     */
    Series[] snapshot(Series[] target) {
        Series[] out = target.length >= size ? target : Arrays.copyOf(target, size + size / 4);
        int i = 0;
        for (ProcessResource resource : resources.values()) {
            for (MetricFamily family : resource.families.values()) {
                ArrayList<Series> list = family.series;
                for (int k = 0, n = list.size(); k < n; k++) {
                    out[i++] = list.get(k);
                }
            }
        }
        // Stale references past the end would keep removed metrics reachable.
        Arrays.fill(out, i, out.length, null);
        for (int k = 0, n = departing.size(); k < n; k++) {
            Series gone = departing.get(k);
            gone.departing = false;
            removeSeries(gone);
        }
        departing.clear();
        return out;
    }

    /**
     * Reads the value of the first {@code count} series of a snapshot.
     *
     * @param problems receives the series whose value could not be read
     * @param nowMillis the wall clock, for values derived from it
     */
    static void read(Series[] snapshot, int count, ReadProblems problems, long nowMillis) {
        for (int i = 0; i < count; i++) {
            Series s = snapshot[i];
            String problem = s.read(nowMillis);
            if (problem != null) {
                problems.add(s, problem);
            }
        }
    }

    private LabelSet intern(LabelSet labelSet) {
        LabelSet existing = labelSets.get(labelSet);
        if (existing == null) {
            labelSets.put(labelSet, labelSet);
            existing = labelSet;
        }
        existing.references++;
        return existing;
    }

    private void release(LabelSet labelSet) {
        if (--labelSet.references == 0) {
            labelSets.remove(labelSet);
        }
    }

    /** Distinct label sets held, for tests of memory use. */
    int labelSetCount() {
        return labelSets.size();
    }

    /** Resources held, for tests of memory use. */
    int resourceCount() {
        return resources.size();
    }

    /** What went wrong reading values in one snapshot. */
    static final class ReadProblems {
        /** Series with a problem not logged before, and the problem, for one log line each. */
        final List<Series> toLog = new ArrayList<>();

        final List<String> messages = new ArrayList<>();

        /** Reads that threw, logged before or not. */
        int failures;

        void add(Series series, String problem) {
            if (series.problemIsBug) {
                failures++;
            }
            if (!series.problemLogged) {
                series.problemLogged = true;
                toLog.add(series);
                messages.add(problem);
            }
        }

        void clear() {
            toLog.clear();
            messages.clear();
            failures = 0;
        }
    }
}
