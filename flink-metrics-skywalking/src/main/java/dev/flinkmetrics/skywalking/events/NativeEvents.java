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

import dev.flinkmetrics.skywalking.transport.PluginProcess;
import org.apache.flink.annotation.Internal;

/**
 * Whether the running Flink reports job events itself. Flink 2.1 has the event reporter API but
 * sends none of these (they come with 2.2, which lists them in {@code
 * org.apache.flink.events.Events}); there the metric reporter goes on deriving them. While an event
 * reporter of this plugin is open on a Flink that does ({@link
 * PluginProcess#nativeEventsActive()}), the metric reporter derives only the TaskManager events.
 */
@Internal
public final class NativeEvents {

    private NativeEvents() {}

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
}
