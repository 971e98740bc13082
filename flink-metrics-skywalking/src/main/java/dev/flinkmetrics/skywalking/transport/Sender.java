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
 * Sends encoded requests of one kind to the OAP. One instance per reporter and signal; {@link
 * SenderFactory} makes them.
 */
@Internal
public interface Sender extends AutoCloseable {

    /**
     * Sends one request and waits for the answer, at most until the deadline ({@link
     * System#nanoTime()} based). One attempt; {@link Delivery} retries.
     *
     * @throws ExportException when the receiver did not accept the request
     */
    void send(byte[] request, int length, long deadlineNanos) throws ExportException;

    /** Where requests go, for log lines; never carries credentials. */
    String target();

    /**
     * Called when the receiver refused the credentials: reads the token file again.
     *
     * @return true when the token changed, so that trying again may succeed
     */
    default boolean reloadCredentials() {
        return false;
    }

    /** Called after a failed export, before the next attempt, to reconnect without delay. */
    default void resetBackoff() {}

    /**
     * Gives back connections and cuts off a request still under way, waiting at most until the
     * deadline ({@link System#nanoTime()} based). Connections shared with other reporters stay open
     * for them. Sends after this fail.
     */
    void close(long deadlineNanos);

    /** Closes at once. */
    @Override
    default void close() {
        close(System.nanoTime());
    }
}
