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

import org.apache.flink.annotation.Internal;

/**
 * A reporter that Flink never closes (traces, events): a JobManager or TaskManager that stops just
 * exits, and what the reporter still holds would be lost with the JVM. While one is open, the
 * process's exit ({@link ProcessExit}) closes it.
 */
@Internal
public interface ClosedAtExit {

    /** Sends what waits until the deadline, then stops; returns by the deadline plus grace. */
    void closeAtExit(long deadlineNanos);

    /** How long one export may take: the exit gives the reporter that long to send. */
    long timeoutMillis();
}
