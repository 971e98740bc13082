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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Cuts OTLP/HTTP exchanges off at their deadline. {@code HttpURLConnection} bounds connecting and
 * reading, but not writing the body: an OAP that stops reading would hold the export thread
 * forever. One thread per process, alive only while an exchange is under way (and a second after).
 */
final class HttpDeadlines {

    private final ScheduledThreadPoolExecutor timer;

    HttpDeadlines() {
        timer =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, PluginVersion.NAME + "-http-deadline");
                            t.setDaemon(true);
                            return t;
                        });
        timer.setKeepAliveTime(1, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    /** Runs {@code cut} at the deadline unless the returned handle is cancelled first. */
    ScheduledFuture<?> at(long deadlineNanos, Runnable cut) {
        return timer.schedule(
                cut, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
