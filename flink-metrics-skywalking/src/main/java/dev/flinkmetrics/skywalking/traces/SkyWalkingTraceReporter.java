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
package dev.flinkmetrics.skywalking.traces;

import dev.flinkmetrics.skywalking.transport.BatchExporter;
import dev.flinkmetrics.skywalking.transport.ClosedAtExit;
import dev.flinkmetrics.skywalking.transport.ExportLifecycle;
import dev.flinkmetrics.skywalking.transport.PluginProcess;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives Flink's spans and queues them for export. With its factory, the only classes of the
 * plugin that link Flink's trace API (Flink 1.19 and later), so the rest loads on any Flink.
 *
 * <p>{@link #notifyOfAddedSpan} runs on Flink's thread: it copies the span tree into a {@link
 * SpanRecord} and offers it to the {@link BatchExporter}, which never blocks. It never throws, not
 * even an Error (one on Flink's thread can end the JobManager): a span that cannot be read or
 * queued is skipped, counted as dropped, and each of the two failures is logged once.
 */
public final class SkyWalkingTraceReporter implements TraceReporter, ClosedAtExit {

    private static final Logger LOG = LoggerFactory.getLogger(SkyWalkingTraceReporter.class);

    /**
     * {@code Span.getChildren()} exists from Flink 2.2; 1.19 to 2.1 report flat spans. Calling it
     * directly would fail to link there (NoSuchMethodError on Flink's thread stops the JobManager),
     * so it is looked up once and called only where Flink has it.
     */
    private static final Method GET_CHILDREN = childrenAccessor();

    private final BatchExporter<SpanRecord> exporter;
    private final PluginProcess process;
    private final long timeoutMillis;
    private final AtomicBoolean unreadableLogged = new AtomicBoolean();
    private final AtomicBoolean unqueuedLogged = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param process counts a span that cannot be read as dropped, and closes the reporter when the
     *     JVM exits: Flink never closes it
     * @param timeoutMillis what {@link #close()} may take, plus {@link
     *     ExportLifecycle#GRACE_MILLIS}
     */
    public SkyWalkingTraceReporter(
            BatchExporter<SpanRecord> exporter, PluginProcess process, long timeoutMillis) {
        this.exporter = exporter;
        this.process = process;
        this.timeoutMillis = timeoutMillis;
    }

    /** Everything was configured by the factory; the JVM's exit sends what is still queued. */
    @Override
    public void open(MetricConfig config) {
        if (!closed.get()) {
            process.closeAtExit(this);
        }
    }

    @Override
    public void notifyOfAddedSpan(Span span) {
        SpanRecord record;
        try {
            record = copy(span);
        } catch (Throwable t) {
            // Never into Flink's thread: an Error there ends the JobManager.
            process.spans.dropped.incrementAndGet();
            if (unreadableLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "Skipping a span that cannot be read; further ones are skipped silently"
                                + " and counted as dropped.",
                        t);
            }
            return;
        }
        try {
            exporter.offer(record);
        } catch (Throwable t) {
            process.spans.dropped.incrementAndGet();
            if (unqueuedLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "Queuing a span for export failed and it is skipped; such spans are"
                                + " skipped from now on without a log line and counted as dropped.",
                        t);
            }
        }
    }

    /** The export queue, for tests. */
    BatchExporter<SpanRecord> exporter() {
        return exporter;
    }

    /** Sends what is queued, within the timeout, and stops. Can be called twice. */
    @Override
    public void close() {
        closeAtExit(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
    }

    /** Sends what is queued until the deadline, and stops; only the first close does anything. */
    @Override
    public void closeAtExit(long deadlineNanos) {
        if (closed.compareAndSet(false, true)) {
            process.closedBeforeExit(this);
            exporter.close(deadlineNanos);
        }
    }

    @Override
    public long timeoutMillis() {
        return timeoutMillis;
    }

    private static SpanRecord copy(Span span) {
        SpanRecord.Builder root =
                SpanRecord.builder(
                        span.getScope(),
                        span.getName(),
                        span.getStartTsMillis(),
                        span.getEndTsMillis());
        copyContent(span, root);
        return root.build();
    }

    private static Method childrenAccessor() {
        try {
            return Span.class.getMethod("getChildren");
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** The child spans, or null on a Flink whose spans have none. */
    @SuppressWarnings("unchecked")
    private static List<Span> children(Span span) {
        if (GET_CHILDREN == null) {
            return null;
        }
        try {
            return (List<Span>) GET_CHILDREN.invoke(span);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the child spans", e);
        }
    }

    private static void copyContent(Span span, SpanRecord.Builder builder) {
        Map<String, Object> attributes = span.getAttributes();
        if (attributes != null) {
            for (Map.Entry<String, Object> attribute : attributes.entrySet()) {
                builder.attribute(attribute.getKey(), attribute.getValue());
            }
        }
        List<Span> children = children(span);
        if (children != null) {
            for (Span child : children) {
                if (child != null) {
                    copyContent(
                            child,
                            builder.child(
                                    child.getScope(),
                                    child.getName(),
                                    child.getStartTsMillis(),
                                    child.getEndTsMillis()));
                }
            }
        }
    }
}
