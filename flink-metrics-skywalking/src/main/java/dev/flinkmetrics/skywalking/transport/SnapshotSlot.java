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

import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.Internal;

/**
 * The metric reporter's pending work: the latest snapshot, one at a time. Flink's reporter thread
 * claims the slot, fills the snapshot and hands it over; while it is being exported the slot stays
 * claimed, and a report that finds it so is skipped. A snapshot's values live in the series it
 * points to, so no report may read values while an export encodes them: one claim, given back
 * exactly once, by the export thread or by {@link #abandon()}.
 *
 * @param <W> a snapshot
 */
@Internal
public final class SnapshotSlot<W> implements ExportLifecycle.Pending<W> {

    private W waiting;

    /** Claimed, waiting, or being exported. */
    private boolean busy;

    /** Claims the slot for the next snapshot; false while the previous one is still under way. */
    public synchronized boolean tryClaim() {
        if (busy) {
            return false;
        }
        busy = true;
        return true;
    }

    /** Waits until the snapshot under way is done, at most until the deadline, and claims. */
    public synchronized boolean claim(long deadlineNanos) {
        try {
            while (busy) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        busy = true;
        return true;
    }

    /** Hands the claimed slot's snapshot to the export thread. */
    public synchronized void put(W snapshot) {
        waiting = snapshot;
        notifyAll();
    }

    /** Gives a claim back without a snapshot. */
    public synchronized void abandon() {
        busy = false;
        notifyAll();
    }

    /** Waits until no snapshot is claimed or under way; for tests and benchmarks. */
    public synchronized boolean awaitIdle(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (busy) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    @Override
    public synchronized W poll(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (waiting == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        W snapshot = waiting;
        waiting = null;
        return snapshot;
    }

    @Override
    public synchronized boolean isEmpty() {
        return waiting == null;
    }

    @Override
    public synchronized void done(W snapshot) {
        abandon();
    }

    /** A snapshot the export thread never took is not sent; the claim goes back. */
    @Override
    public synchronized void discard() {
        if (waiting != null) {
            waiting = null;
            abandon();
        }
    }
}
