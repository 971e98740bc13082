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

import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.annotation.Internal;

/**
 * What a {@link BatchExporter} did with its items, since the process started. One instance per
 * signal for the whole process, so the metric reporter can send the trace and event reporters'
 * counts as its own series, whichever of them Flink created.
 */
@Internal
public final class BatchCounters {

    /** Spans of the trace reporter. */
    public static final BatchCounters SPANS = new BatchCounters();

    /** Events of the event reporter and of the events derived from metrics. */
    public static final BatchCounters EVENTS = new BatchCounters();

    /** Items the receiver accepted. */
    public final AtomicLong exported = new AtomicLong();

    /** Items not sent: the queue was full, the receiver failed or refused, or closing ran out. */
    public final AtomicLong dropped = new AtomicLong();

    /** Requests that failed. */
    public final AtomicLong failedRequests = new AtomicLong();

    BatchCounters() {}
}
