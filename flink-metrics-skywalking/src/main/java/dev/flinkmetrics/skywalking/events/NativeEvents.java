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
package dev.flinkmetrics.skywalking.events;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;

/**
 * Whether this plugin's event reporter is open in this process on a Flink that reports job events
 * itself. While it is, Flink reports job status changes, failures and checkpoints, and the metric
 * reporter does not derive those kinds again. Flink 2.1 has the event reporter API but sends none
 * of these (they come with 2.2, which lists them in {@code org.apache.flink.events.Events}); there
 * the metric reporter goes on deriving them.
 */
@Internal
public final class NativeEvents {

    private static final AtomicInteger OPEN_REPORTERS = new AtomicInteger();

    private NativeEvents() {}

    /** True while an event reporter of this plugin is open in this process. */
    public static boolean active() {
        return OPEN_REPORTERS.get() > 0;
    }

    /** Whether the running Flink reports job status changes as events of its own. */
    static boolean flinkReportsJobEvents(ClassLoader flink) {
        try {
            Class<?> kinds = Class.forName("org.apache.flink.events.Events", false, flink);
            for (Object kind : kinds.getEnumConstants()) {
                if (String.valueOf(kind).equals("JobStatusChangeEvent")) {
                    return true;
                }
            }
            return false;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static void opened() {
        OPEN_REPORTERS.incrementAndGet();
    }

    static void closed() {
        OPEN_REPORTERS.decrementAndGet();
    }
}
