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
import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How each reporter, metrics, spans or events, exports: the work waiting ({@link Pending}: a
 * bounded queue of spans or events, or the latest metric snapshot), the export thread that takes
 * it, the {@link Delivery} to the OAP nodes, and one close deadline that bounds everything {@link
 * #close(long)} does, down to {@link Sender#close(long)}.
 *
 * <p>The thread starts when work arrives and ends after {@value #IDLE_MILLIS} ms without any, so a
 * reporter that Flink never closes (traces, events) holds no thread while quiet. The connections
 * stay: they are the process's ({@link SharedChannels}).
 *
 * <p>Whatever an export throws, the thread goes on: the work is given up ({@link Pending#done} is
 * called all the same), the error logged, and the next work exported. An export counts what it did
 * not send itself; {@link Delivery} turns what a sender throws into a counted failure.
 *
 * @param <W> one piece of work: a batch of items, a snapshot
 */
@Internal
public final class ExportLifecycle<W> {

    private static final Logger LOG = LoggerFactory.getLogger(ExportLifecycle.class);

    /** How long the thread waits without work before it ends. */
    static final long IDLE_MILLIS = 5_000;

    /**
     * What {@link #close(long)} may take past its deadline: to interrupt the export thread, cut off
     * the request under way, and let the thread and the connections end.
     */
    public static final long GRACE_MILLIS = 250;

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Work waiting for the export thread. Offered from any thread, taken by the export thread. */
    public interface Pending<W> {
        /** The next work, waiting at most {@code timeoutNanos}; null when none came. */
        W poll(long timeoutNanos) throws InterruptedException;

        boolean isEmpty();

        /** The export thread is done with {@code work}, exported or not. */
        default void done(W work) {}

        /** At close, after the export thread ended: drops what still waits, counting it. */
        void discard();
    }

    /** Exports one piece of work within the deadline; counts what went and what did not. */
    public interface Export<W> {
        void export(W work, long deadlineNanos);
    }

    private final String threadName;
    private final Pending<W> pending;
    private final Export<W> export;
    private final Delivery delivery;
    private final long timeoutNanos;
    private final long idleNanos;

    private final Object lock = new Object();

    /** The export thread while one runs. */
    private Thread thread;

    private volatile boolean closed;

    /** An unexpected error of an export was logged at WARN. */
    private volatile boolean errorLogged;

    /** {@link #close(long)} ran. */
    private boolean finished;

    /** Set on close: the exports of what is still waiting end by then. */
    private volatile long closeDeadlineNanos;

    /**
     * @param what the thread's name after the plugin's: "spans-exporter"
     * @param timeoutMillis how long one export may take
     */
    public ExportLifecycle(
            String what,
            Pending<W> pending,
            Export<W> export,
            Delivery delivery,
            long timeoutMillis) {
        this(what, pending, export, delivery, timeoutMillis, IDLE_MILLIS);
    }

    ExportLifecycle(
            String what,
            Pending<W> pending,
            Export<W> export,
            Delivery delivery,
            long timeoutMillis,
            long idleMillis) {
        this.threadName = PluginVersion.NAME + "-" + what;
        this.pending = pending;
        this.export = export;
        this.delivery = delivery;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
    }

    /** Where requests go, for log lines. */
    public String target() {
        return delivery.target();
    }

    /** True once {@link #close(long)} began: work offered now is refused. */
    public boolean closed() {
        return closed;
    }

    /** Starts the export thread unless one runs; call after adding work. Cheap: Flink's thread. */
    public void wake() {
        synchronized (lock) {
            if (thread == null && !closed) {
                start();
            }
        }
    }

    /** Whether an export thread runs now, for tests. */
    boolean running() {
        synchronized (lock) {
            return thread != null;
        }
    }

    private void start() {
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            exportUntilIdle();
        } finally {
            synchronized (lock) {
                if (thread == Thread.currentThread()) {
                    thread = null; // whatever ended the thread, the next work starts another
                }
            }
        }
    }

    private void exportUntilIdle() {
        long idleSince = System.nanoTime();
        while (true) {
            W work;
            try {
                work = pending.poll(POLL_NANOS);
            } catch (InterruptedException e) {
                break;
            }
            if (work == null) {
                if (closed
                        ? closeFinished()
                        : System.nanoTime() - idleSince >= idleNanos && stopWhenIdle()) {
                    break;
                }
                continue;
            }
            long deadline = System.nanoTime() + timeoutNanos;
            try {
                export.export(work, closed ? Math.min(deadline, closeDeadlineNanos) : deadline);
            } catch (Throwable e) {
                failed(e);
            } finally {
                pending.done(work);
            }
            idleSince = System.nanoTime();
        }
    }

    /**
     * An export threw instead of counting what it did not send: the work is given up, the thread
     * goes on with the next. Logged at WARN once, then at DEBUG.
     */
    private void failed(Throwable e) {
        try {
            if (!errorLogged) {
                errorLogged = true;
                LOG.warn(
                        "Exporting to {} failed with an unexpected error; that work is dropped and"
                                + " the next is exported. Further ones are logged at DEBUG.",
                        target(),
                        e);
            } else {
                LOG.debug("Exporting to {} failed with an unexpected error.", target(), e);
            }
        } catch (Throwable ignored) {
            // Logging failed as well (out of memory): the thread still goes on.
        }
    }

    /**
     * True when nothing came in meanwhile: the thread is given up at once, under the lock that
     * {@link #wake()} takes, so work offered from now on starts a new one.
     */
    /**
     * True once {@link #close(long)} was called and nothing waits: no work comes after that. Until
     * then a closing reporter may still hand over its final work (the metric reporter's last
     * snapshot comes after {@link #beginClose}), which this thread must not leave behind.
     */
    private boolean closeFinished() {
        synchronized (lock) {
            return finished && pending.isEmpty();
        }
    }

    private boolean stopWhenIdle() {
        synchronized (lock) {
            if (!pending.isEmpty() || closed) {
                return false;
            }
            thread = null;
            return true;
        }
    }

    /**
     * Refuses new work from now on and makes each request still to go a single attempt that ends by
     * the deadline. What waits is still exported by {@link #close(long)}.
     */
    public void beginClose(long deadlineNanos) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closeDeadlineNanos = deadlineNanos;
            closed = true;
        }
        delivery.beginClose();
    }

    /**
     * Exports what waits until the deadline, each request tried once, then ends the thread, closes
     * the sender and drops (and counts) what is left. Returns by the deadline plus {@link
     * #GRACE_MILLIS}. Only the first call does anything.
     */
    public void close(long deadlineNanos) {
        beginClose(deadlineNanos);
        Thread running;
        synchronized (lock) {
            if (finished) {
                return;
            }
            finished = true;
            if (thread == null && !pending.isEmpty()) {
                start(); // work came as the thread ended, or with beginClose: sent all the same
            }
            running = thread;
        }
        long deadline = closeDeadlineNanos;
        long hardDeadline = deadline + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        if (running != null) {
            join(running, deadline);
            if (running.isAlive()) {
                running.interrupt();
                delivery.close(hardDeadline); // cuts off a request that ignores the interrupt
                join(running, hardDeadline);
            }
        }
        delivery.close(hardDeadline);
        pending.discard();
    }

    private static void join(Thread thread, long deadlineNanos) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.timedJoin(thread, left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
