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
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;

/**
 * Jobs that failed for good on this JobManager, by job id, from whichever reporter learnt it: the
 * event reporter from Flink's own job status events (Flink 2.2 and later), or the events derived
 * from the metrics. The metric reporter takes them at its next report and sends a sample for each,
 * which an alarm rule can watch (an event cannot raise a SkyWalking alarm). At most {@value
 * #MAX_PENDING} wait; more between two reports are dropped.
 */
@Internal
public final class FailedJobs {

    static final int MAX_PENDING = 1000;

    private final Queue<String> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();

    /** A job failed for good. Never blocks. */
    public void failed(String jobId) {
        if (jobId == null || jobId.isEmpty()) {
            return;
        }
        if (size.incrementAndGet() > MAX_PENDING) {
            size.decrementAndGet();
            return;
        }
        pending.add(jobId);
    }

    /** The jobs that failed since the last call. */
    public List<String> take() {
        List<String> jobs = new ArrayList<>();
        String job;
        while ((job = pending.poll()) != null) {
            size.decrementAndGet();
            jobs.add(job);
        }
        return jobs;
    }
}
