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

import dev.flinkmetrics.skywalking.config.PluginVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends items (spans, events) in batches from a bounded queue, on a thread of its own. {@link
 * #offer} never blocks and never touches the network: when the queue is full, because the OAP is
 * down or slow, the item is dropped and counted, and the first drop of an outage is logged.
 *
 * <p>The thread waits for the first item, gathers what else is queued up to a batch, encodes the
 * batch into requests below the size limit and sends them through {@link Delivery}, which retries
 * while the receiver is unavailable and the timeout allows. A batch that still fails is dropped and
 * counted; the next one is tried afresh.
 *
 * @param <T> an item, immutable and already copied out of Flink's objects
 */
@Internal
public final class BatchExporter<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchExporter.class);

    /** Most items gathered into one batch. */
    static final int MAX_BATCH = 512;

    /** How long the thread waits with nothing to send before it gives back its resources. */
    static final long IDLE_MILLIS = 5_000;

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
    private final ArrayBlockingQueue<T> queue;
    private final Delivery delivery;
    private final Encoder<T> encoder;
    private final BatchCounters counters;
    private final long timeoutMillis;
    private final int maxRequestBytes;
    private final long idleNanos;
    private final String threadName;

    /** The export thread while one runs; started by {@link #offer}, ended when idle or closed. */
    private Thread thread;

    private final Object threadLock = new Object();
    private final AtomicBoolean overflowLogged = new AtomicBoolean();
    private volatile boolean closed;

    /** Set on close: the flush of what is queued ends by then, the export in flight included. */
    private volatile long closeDeadlineNanos;

    /**
     * @param unit what an item is, plural, for log lines: "spans"
     * @param capacity most items held; more are dropped
     */
    public BatchExporter(
            String unit,
            int capacity,
            int maxRequestBytes,
            long timeoutMillis,
            Delivery delivery,
            Encoder<T> encoder,
            BatchCounters counters) {
        this(
                unit,
                capacity,
                maxRequestBytes,
                timeoutMillis,
                delivery,
                encoder,
                counters,
                IDLE_MILLIS);
    }

    BatchExporter(
            String unit,
            int capacity,
            int maxRequestBytes,
            long timeoutMillis,
            Delivery delivery,
            Encoder<T> encoder,
            BatchCounters counters,
            long idleMillis) {
        this.unit = unit;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxRequestBytes = maxRequestBytes;
        this.timeoutMillis = timeoutMillis;
        this.delivery = delivery;
        this.encoder = encoder;
        this.counters = counters;
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.threadName = PluginVersion.NAME + "-" + unit + "-exporter";
    }

    /** Starts the export thread unless one runs. Cheap when it does: Flink's thread calls it. */
    private void ensureRunning() {
        synchronized (threadLock) {
            if (thread == null && !closed) {
                thread = new Thread(this::run, threadName);
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /** Whether an export thread runs now, for tests. */
    boolean running() {
        synchronized (threadLock) {
            return thread != null;
        }
    }

    /** Where requests go, for log lines. */
    public String target() {
        return delivery.target();
    }

    /**
     * Queues an item for export. Never blocks.
     *
     * @return false when the item was dropped: the queue is full or the exporter closed
     */
    public boolean offer(T item) {
        if (!closed && queue.offer(item)) {
            ensureRunning();
            return true;
        }
        counters.dropped.incrementAndGet();
        if (!closed && overflowLogged.compareAndSet(false, true)) {
            LOG.warn(
                    "The queue of {} for {} is full ({} held): new {} are dropped until it drains;"
                            + " counted in the reporter's own metrics.",
                    unit,
                    target(),
                    queue.size(),
                    unit);
        }
        return false;
    }

    /** Items waiting, for tests and the debug log. */
    public int queued() {
        return queue.size();
    }

    private void run() {
        List<T> batch = new ArrayList<>();
        long idleSince = System.nanoTime();
        while (!closed || (!queue.isEmpty() && System.nanoTime() < closeDeadlineNanos)) {
            T first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (first == null) {
                if (!closed && System.nanoTime() - idleSince >= idleNanos && stopWhenIdle()) {
                    return;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            export(batch, closed ? Math.min(deadline, closeDeadlineNanos) : deadline);
            batch.clear();
            idleSince = System.nanoTime();
        }
        synchronized (threadLock) {
            thread = null;
        }
    }

    /**
     * Gives back the connections, then ends this thread unless an item came in meanwhile. Only this
     * thread uses the delivery, so releasing it here cannot cut a send short.
     *
     * @return true when the thread is to end
     */
    private boolean stopWhenIdle() {
        delivery.release();
        synchronized (threadLock) {
            if (!queue.isEmpty() || closed) {
                return false;
            }
            thread = null;
            return true;
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
            } catch (RuntimeException e) {
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
     * Sends what is still queued, at most for the timeout, then stops the thread and closes the
     * transport. What is left then is dropped and counted.
     */
    @Override
    public void close() {
        Thread running;
        synchronized (threadLock) {
            closeDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            closed = true;
            running = thread;
        }
        delivery.beginClose();
        if (running == null && !queue.isEmpty()) {
            // Idle-stopped with items offered just before close: flush them here.
            running = new Thread(this::run, threadName);
            running.setDaemon(true);
            running.start();
        }
        if (running != null) {
            join(running, timeoutMillis + 1000);
            if (running.isAlive()) {
                running.interrupt();
                join(running, 2000);
            }
        }
        int left = queue.size();
        queue.clear();
        if (left > 0) {
            counters.dropped.addAndGet(left);
            LOG.warn("{} {} were not sent to {} before closing.", left, unit, target());
        }
        delivery.close();
    }

    private static void join(Thread thread, long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
