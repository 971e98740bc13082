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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's exit, for the reporters Flink never closes ({@link ClosedAtExit}): a shutdown hook,
 * registered while one of them is open and removed when the last one closed, that closes those
 * still open. Each closes in a thread of its own by its own deadline, its {@link
 * ClosedAtExit#timeoutMillis()} from the start of the exit, so a reporter whose OAP stalls takes
 * none of another's time, and one whose close fails or hangs keeps no other from sending. The exit
 * takes at most the longest of those timeouts plus {@link ExportLifecycle#GRACE_MILLIS}.
 *
 * <p>It closes nothing else. A connection belongs to the reporters that lease it ({@link
 * SharedChannels}) and closes with the last of them: the metric reporter, which Flink closes as it
 * shuts down, at the same time as this exit runs, keeps its connection until it closes it. A
 * connection still open as the JVM ends does not hold the JVM up: its threads are daemons.
 *
 * <p>An open reporter is held here until it closes, also when Flink no longer refers to it: it may
 * hold items that only the exit will send. One that is idle costs its few objects: no thread runs
 * for it and its queue holds nothing.
 */
final class ProcessExit {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessExit.class);

    private final String name;

    /** Open now, in the order they opened. */
    private final Set<ClosedAtExit> reporters = new LinkedHashSet<>();

    private Thread hook;

    /**
     * @param name the hook thread's name; the threads closing the reporters are named after it
     */
    ProcessExit(String name) {
        this.name = name;
    }

    /** Closes {@code reporter} at the JVM's exit unless {@link #remove} comes first. */
    synchronized void add(ClosedAtExit reporter) {
        if (!reporters.add(reporter) || hook != null) {
            return;
        }
        Thread thread = new Thread(this::run, name);
        try {
            Runtime.getRuntime().addShutdownHook(thread);
            hook = thread;
        } catch (IllegalStateException e) {
            // The JVM is exiting already: the hooks have started, this one would not run.
        }
    }

    /** {@code reporter} closed: the exit leaves it alone, and when none is left, goes. */
    synchronized void remove(ClosedAtExit reporter) {
        if (!reporters.remove(reporter) || !reporters.isEmpty() || hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is exiting: the hook runs anyway, and is likely the caller.
        }
        hook = null;
    }

    /** Whether the shutdown hook is registered now. */
    synchronized boolean registered() {
        return hook != null;
    }

    /** Reporters the exit would close now. */
    synchronized int open() {
        return reporters.size();
    }

    /**
     * What the shutdown hook runs: closes every reporter still open, side by side, and returns when
     * all have closed or the last deadline plus {@link ExportLifecycle#GRACE_MILLIS} passed.
     */
    void run() {
        List<ClosedAtExit> closing;
        synchronized (this) {
            closing = new ArrayList<>(reporters);
        }
        long start = System.nanoTime();
        long last = start;
        List<Thread> threads = new ArrayList<>();
        for (ClosedAtExit reporter : closing) {
            long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMillis(reporter));
            last = Math.max(last, deadline);
            Thread thread =
                    new Thread(() -> close(reporter, deadline), name + "-" + threads.size());
            thread.setDaemon(true);
            try {
                thread.start();
                threads.add(thread);
            } catch (Throwable t) {
                close(reporter, deadline); // no thread to be had: this one, in turn
            }
        }
        long end = last + TimeUnit.MILLISECONDS.toNanos(ExportLifecycle.GRACE_MILLIS);
        for (Thread thread : threads) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                TimeUnit.NANOSECONDS.timedJoin(thread, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    private static long timeoutMillis(ClosedAtExit reporter) {
        try {
            return Math.max(0, reporter.timeoutMillis());
        } catch (Throwable t) {
            return 0;
        }
    }

    private static void close(ClosedAtExit reporter, long deadlineNanos) {
        try {
            reporter.closeAtExit(deadlineNanos);
        } catch (Throwable t) {
            LOG.warn("Closing {} as the process exits failed; what it held is lost.", reporter, t);
        }
    }
}
