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
 * Job status events that last: RESTARTING, FAILING and CANCELLING last until the job's next status,
 * and are sent once, then, with both times. Every other status is an event that starts and ends at
 * once. Thread-safe.
 *
 * <p>Not sent twice (at the start without an end, then with the same uuid and the end), though
 * SkyWalking's event protocol allows it: OAP 10.3 and later keep events as records whose id is the
 * start time and the uuid, so the second report collides with the first (on PostgreSQL and MySQL a
 * duplicate key, logged as an ERROR by the OAP, and the end is lost) instead of completing it as
 * OAP 10.1 and 10.2 did.
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
     * The job changed to {@code status}: sends its lasting event, if any, ended now, and sends
     * {@code event} started and ended at once, unless the status lasts: then it waits for its end.
     */
    synchronized void changed(
            String job, String status, SkyWalkingEvent event, Consumer<SkyWalkingEvent> send) {
        end(job, event.startTime, send);
        if (LASTING.contains(status)) {
            open.put(job, event);
        } else {
            send.accept(event.endedAt(event.startTime));
        }
    }

    /** The job is gone: sends its lasting event, if any, ended at {@code time}. */
    synchronized void end(String job, long time, Consumer<SkyWalkingEvent> send) {
        SkyWalkingEvent lasting = open.remove(job);
        if (lasting != null) {
            send.accept(lasting.endedAt(time));
        }
    }
}
