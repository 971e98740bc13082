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

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Job status events that last: RESTARTING, FAILING and CANCELLING start an event that ends, with
 * the same uuid, at the job's next status. Every other status is an event that starts and ends at
 * once. Thread-safe.
 */
final class JobStatusEvents {

    /** Statuses a job passes through, whose duration is worth seeing. */
    static final Set<String> LASTING =
            Collections.unmodifiableSet(
                    new HashSet<>(Arrays.asList("RESTARTING", "FAILING", "CANCELLING")));

    /** Statuses that are failures. */
    static final Set<String> FAILED =
            Collections.unmodifiableSet(new HashSet<>(Arrays.asList("FAILING", "FAILED")));

    private final Map<String, SkyWalkingEvent> open = new HashMap<>();

    /**
     * The job changed to {@code status}: ends its lasting event, if any, and sends {@code event}
     * (started, when the status lasts; started and ended, otherwise).
     */
    synchronized void changed(
            String job, String status, SkyWalkingEvent event, Consumer<SkyWalkingEvent> send) {
        end(job, event.startTime, send);
        if (LASTING.contains(status)) {
            open.put(job, event);
            send.accept(event);
        } else {
            send.accept(event.endedAt(event.startTime));
        }
    }

    /** The job is gone: ends its lasting event, if any. */
    synchronized void end(String job, long time, Consumer<SkyWalkingEvent> send) {
        SkyWalkingEvent lasting = open.remove(job);
        if (lasting != null) {
            send.accept(lasting.endedAt(time));
        }
    }
}
