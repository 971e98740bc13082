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
package dev.flinkmetrics.skywalking.testing;

import dev.flinkmetrics.skywalking.transport.ExportException;
import dev.flinkmetrics.skywalking.transport.Sender;

/**
 * A real sender whose {@link #target()} throws an Error when called on the thread that armed it:
 * the exporter names the target in the log line of a full queue, on the offering thread, so the
 * Error comes out of queuing an item, as one that ran out of memory would. Other threads see the
 * real target.
 */
public final class ErrorOnTarget implements Sender {

    /** The Error thrown. */
    public static final class InjectedError extends Error {
        InjectedError() {
            super("injected: the target cannot be named");
        }
    }

    private final Sender sender;
    private volatile Thread armed;

    public ErrorOnTarget(Sender sender) {
        this.sender = sender;
    }

    /** From now on, {@link #target()} throws on the calling thread. */
    public void arm() {
        armed = Thread.currentThread();
    }

    public void disarm() {
        armed = null;
    }

    @Override
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        sender.send(request, length, deadlineNanos);
    }

    @Override
    public String target() {
        if (Thread.currentThread() == armed) {
            throw new InjectedError();
        }
        return sender.target();
    }

    @Override
    public boolean reloadCredentials() {
        return sender.reloadCredentials();
    }

    @Override
    public void resetBackoff() {
        sender.resetBackoff();
    }

    @Override
    public void close(long deadlineNanos) {
        sender.close(deadlineNanos);
    }
}
