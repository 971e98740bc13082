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

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the requests of one signal through a {@link Sender}: retries what failed as unavailable
 * within the deadline, and logs an outage once when it starts and once when it ends, a rejected
 * request once per reason. Used by one export thread; {@link #beginClose()} and {@link
 * #close(long)} from any thread.
 */
@Internal
public final class Delivery {

    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 1000;
    private static final int MAX_REMEMBERED_REJECTIONS = 100;

    private final Sender sender;
    private final String signal;
    private final String failureCounter;

    /** Set on close: from then on each request is tried once, without retries. */
    private volatile boolean closing;

    // Touched only by the export thread.
    private ExportException.Kind outage;
    private int failedCycles;
    private long outageStartMillis;
    private final Set<String> loggedRejections = new HashSet<>();

    /**
     * @param signal what is sent, capitalized, for log lines: "Metrics"
     * @param failureCounter the self-metric that counts failed exports, named in the outage WARN
     */
    public Delivery(Sender sender, String signal, String failureCounter) {
        this.sender = sender;
        this.signal = signal;
        this.failureCounter = failureCounter;
    }

    /** Where requests go, for log lines. */
    public String target() {
        return sender.target();
    }

    /** From now on, requests are tried once: shutdown must not wait on retries. */
    public void beginClose() {
        closing = true;
    }

    /**
     * Sends one request, retrying while the receiver is unavailable and the deadline allows. What
     * the sender throws instead of answering (an Error, an unexpected exception) ends the request
     * as a failure of kind {@link ExportException.Kind#ERROR}: it is counted and logged like any
     * other, and the export thread goes on.
     *
     * @throws ExportException the last failure when the request was not delivered
     */
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        try {
            sendAndRetry(request, length, deadlineNanos);
        } catch (RuntimeException | Error e) {
            throw Failures.error(e);
        }
    }

    private void sendAndRetry(byte[] request, int length, long deadlineNanos)
            throws ExportException {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (true) {
            if (outage != null) {
                sender.resetBackoff();
            }
            try {
                sender.send(request, length, deadlineNanos);
                return;
            } catch (ExportException e) {
                if (e.credentialsRefused && sender.reloadCredentials()) {
                    continue; // a rotated token: try it at once
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                if (e.kind != ExportException.Kind.UNAVAILABLE
                        || left <= backoff
                        || closing
                        || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                sender.resetBackoff();
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }

    /** Logs a request the receiver rejected, once per reason: the others still go. */
    public void rejected(ExportException e, int items, String unit, int bytes) {
        if (loggedRejections.size() < MAX_REMEMBERED_REJECTIONS
                && loggedRejections.add(e.getMessage())) {
            LOG.warn(
                    "{} rejected a request of {} {} ({} bytes): {}. {}",
                    target(),
                    items,
                    unit,
                    bytes,
                    e.getMessage(),
                    e.hint);
        }
    }

    /**
     * Ends an export cycle. A failure that starts an outage, or changes its kind, is logged at
     * WARN, repeats at DEBUG; the first success after an outage is logged at INFO.
     *
     * @param failure what stopped the cycle, or null when it went through
     */
    public void cycleEnded(ExportException failure) {
        if (failure == null) {
            if (outage != null) {
                LOG.info(
                        "Export to {} works again after {} failed export cycle(s) over {} s.",
                        target(),
                        failedCycles,
                        (System.currentTimeMillis() - outageStartMillis) / 1000);
                outage = null;
                failedCycles = 0;
            }
            return;
        }
        failedCycles++;
        if (outage == failure.kind) {
            LOG.debug(
                    "Export to {} failed again: {}",
                    target(),
                    failure.getMessage(),
                    failure.getCause());
            return;
        }
        if (outage == null) {
            outageStartMillis = System.currentTimeMillis();
        }
        outage = failure.kind;
        // With what the sender threw, if anything, for its stack trace.
        LOG.warn(
                "Export to {} failed: {}. {} {} are dropped until exports succeed again; further"
                        + " failures are logged at DEBUG and counted in {}.",
                target(),
                failure.getMessage(),
                failure.hint,
                signal,
                failureCounter,
                failure.getCause());
    }

    /** Closes the sender, waiting at most until the deadline. */
    void close(long deadlineNanos) {
        sender.close(deadlineNanos);
    }
}
