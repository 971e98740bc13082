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
package dev.flinkmetrics.skywalking.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends items (spans, events) in batches from a bounded queue, through an {@link ExportLifecycle}.
 * {@link #offer} never blocks and never touches the network: when the queue is full, because the
 * OAP is down or slow, the item is dropped and counted, and the first drop of an outage is logged.
 *
 * <p>The export thread gathers what is queued up to a batch, encodes the batch into requests below
 * the size limit and sends them through {@link Delivery}, which retries while the receiver is
 * unavailable and the timeout allows. A batch that still fails is dropped and counted; the next one
 * is tried afresh. Every item offered is counted once: exported, or dropped.
 *
 * @param <T> an item, immutable and already copied out of Flink's objects
 */
@Internal
public final class BatchExporter<T> implements ExportLifecycle.Pending<List<T>> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchExporter.class);

    /** Most items gathered into one batch. */
    static final int MAX_BATCH = 512;

    /** Encodes items into requests. Called on the export thread only. */
    public interface Encoder<T> {
        /**
         * Encodes items from {@code batch}, starting at {@code from}, into one request of at most
         * {@code maxBytes}; an item larger than that alone is skipped (counted by the caller from
         * the return values).
         *
         * @return the request; its {@link Request#items} says how many items it consumed, at least
         *     one
         */
        Request encode(List<T> batch, int from, int maxBytes);
    }

    /** One encoded request. */
    public static final class Request {
        public final byte[] bytes;
        public final int length;
        public final int items;
        public final int sent;

        /**
         * @param items how many batch items the request consumed
         * @param sent how many of them it carries (the others were too large and are dropped)
         */
        public Request(byte[] bytes, int length, int items, int sent) {
            this.bytes = bytes;
            this.length = length;
            this.items = items;
            this.sent = sent;
        }
    }

    private final String unit;
    private final LinkedBlockingQueue<T> queue;
    private final int capacity;
    private final Delivery delivery;
    private final Encoder<T> encoder;
    private final ExportCounters counters;
    private final int maxRequestBytes;
    private final long timeoutMillis;
    private volatile ExportLifecycle<List<T>> lifecycle;
    private final AtomicBoolean overflowLogged = new AtomicBoolean();

    /**
     * @param unit what an item is, plural, for log lines and the thread's name: "spans"
     * @param capacity most items held; more are dropped. The queue takes memory per item held, not
     *     for its capacity: an idle exporter costs next to nothing, however large its queue may
     *     grow
     */
    public BatchExporter(
            String unit,
            int capacity,
            int maxRequestBytes,
            long timeoutMillis,
            Delivery delivery,
            Encoder<T> encoder,
            ExportCounters counters) {
        this.unit = unit;
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.capacity = capacity;
        this.maxRequestBytes = maxRequestBytes;
        this.timeoutMillis = timeoutMillis;
        this.delivery = delivery;
        this.encoder = encoder;
        this.counters = counters;
        this.lifecycle = lifecycle(ExportLifecycle.IDLE_MILLIS);
    }

    /**
     * How long the export thread waits without work before it ends, instead of {@link
     * ExportLifecycle#IDLE_MILLIS}; for tests, before the first item is offered.
     */
    BatchExporter<T> idleMillis(long idleMillis) {
        lifecycle = lifecycle(idleMillis);
        return this;
    }

    private ExportLifecycle<List<T>> lifecycle(long idleMillis) {
        return new ExportLifecycle<>(
                unit + "-exporter", this, this::export, delivery, timeoutMillis, idleMillis);
    }

    /** Where requests go, for log lines. */
    public String target() {
        return delivery.target();
    }

    /** Items waiting, for tests. */
    public int queued() {
        return queue.size();
    }

    /** The lifecycle, for tests. */
    ExportLifecycle<List<T>> lifecycle() {
        return lifecycle;
    }

    /**
     * Queues an item for export. Never blocks.
     *
     * @return false when the item was dropped: the queue is full or the exporter closed
     */
    public boolean offer(T item) {
        if (lifecycle.closed()) {
            counters.dropped.incrementAndGet();
            return false;
        }
        if (!queue.offer(item)) {
            if (overflowLogged.compareAndSet(false, true)) {
                LOG.warn(
                        "The queue of {} for {} is full ({} held): new {} are dropped until it"
                                + " drains; counted in the reporter's own metrics.",
                        unit,
                        target(),
                        capacity, // what it held as the offer failed; size() may have moved on
                        unit);
            }
            // Counted last: if anything above throws, the caller counts the item instead.
            counters.dropped.incrementAndGet();
            return false;
        }
        // A close that began meanwhile may have emptied the queue already: whoever takes the
        // item out, close or this, counts it.
        if (lifecycle.closed() && queue.remove(item)) {
            counters.dropped.incrementAndGet();
            return false;
        }
        lifecycle.wake();
        return true;
    }

    @Override
    public List<T> poll(long timeoutNanos) throws InterruptedException {
        T first = queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
        if (first == null) {
            return null;
        }
        List<T> batch = new ArrayList<>();
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        return batch;
    }

    @Override
    public boolean isEmpty() {
        return queue.isEmpty();
    }

    @Override
    public void discard() {
        List<T> left = new ArrayList<>();
        queue.drainTo(left);
        if (!left.isEmpty()) {
            counters.dropped.addAndGet(left.size());
            LOG.warn("{} {} were not sent to {} before closing.", left.size(), unit, target());
        }
    }

    /** Sends one batch; what is not delivered is dropped and counted. */
    void export(List<T> batch, long deadlineNanos) {
        ExportException failure = null;
        int from = 0;
        while (from < batch.size()) {
            Request request;
            try {
                request = encoder.encode(batch, from, maxRequestBytes);
            } catch (RuntimeException | Error e) {
                LOG.warn("Encoding {} for {} failed; they are dropped.", unit, target(), e);
                counters.dropped.addAndGet(batch.size() - from);
                break;
            }
            from += request.items;
            counters.dropped.addAndGet(request.items - request.sent);
            if (request.sent == 0) {
                continue;
            }
            try {
                delivery.send(request.bytes, request.length, deadlineNanos);
                counters.exported.addAndGet(request.sent);
            } catch (ExportException e) {
                counters.failedRequests.incrementAndGet();
                counters.dropped.addAndGet(request.sent);
                if (e.kind == ExportException.Kind.REJECTED) {
                    delivery.rejected(e, request.sent, unit, request.length);
                    continue;
                }
                failure = e;
                counters.dropped.addAndGet(batch.size() - from);
                break;
            }
        }
        delivery.cycleEnded(failure);
        if (failure == null) {
            overflowLogged.set(false);
        }
    }

    /**
     * Sends what is still queued until the deadline, then stops and gives back the connections;
     * returns by the deadline plus {@link ExportLifecycle#GRACE_MILLIS}. What is left is dropped
     * and counted.
     */
    public void close(long deadlineNanos) {
        lifecycle.close(deadlineNanos);
    }
}
