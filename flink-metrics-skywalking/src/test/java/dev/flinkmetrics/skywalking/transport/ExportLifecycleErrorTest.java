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

import static dev.flinkmetrics.skywalking.testing.Conditions.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flinkmetrics.skywalking.testing.LogCapture;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * An export that throws, whatever it throws, ends neither the export thread nor the exporter: the
 * work is given back, the error logged once with its stack trace, and the next work exported.
 */
class ExportLifecycleErrorTest {

    /** Work waiting in a queue; records what the export thread said it was done with. */
    private static final class Queue implements ExportLifecycle.Pending<String> {
        final LinkedBlockingQueue<String> waiting = new LinkedBlockingQueue<>();
        final List<String> done = new CopyOnWriteArrayList<>();

        @Override
        public String poll(long timeoutNanos) throws InterruptedException {
            return waiting.poll(timeoutNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public boolean isEmpty() {
            return waiting.isEmpty();
        }

        @Override
        public void done(String work) {
            done.add(work);
        }

        @Override
        public void discard() {
            waiting.clear();
        }
    }

    private static final class NoSender implements Sender {
        @Override
        public void send(byte[] request, int length, long deadlineNanos) {}

        @Override
        public String target() {
            return "nowhere";
        }

        @Override
        public void close(long deadlineNanos) {}
    }

    @Test
    void theWorkAfterAnExportThatThrewIsExported() throws Exception {
        Queue queue = new Queue();
        List<String> exported = new CopyOnWriteArrayList<>();
        ExportLifecycle<String> lifecycle =
                new ExportLifecycle<>(
                        "test-exporter",
                        queue,
                        (work, deadline) -> {
                            if (work.startsWith("bad")) {
                                throw new StackOverflowError(work);
                            }
                            exported.add(work);
                        },
                        new Delivery(new NoSender(), "Tests", "testsDropped"),
                        1000);
        try (LogCapture log = LogCapture.capture()) {
            for (String work : new String[] {"bad 1", "good 1", "bad 2", "good 2"}) {
                queue.waiting.add(work);
                lifecycle.wake();
                assertThat(awaitUntil(() -> queue.done.contains(work))).as(work).isTrue();
            }
            assertThat(exported).containsExactly("good 1", "good 2");
            assertThat(queue.done).containsExactly("bad 1", "good 1", "bad 2", "good 2");
            assertThat(log.at(Level.WARN))
                    .singleElement()
                    .asString()
                    .contains("Exporting to nowhere failed with an unexpected error")
                    .contains(" | java.lang.StackOverflowError: bad 1");
            assertThat(log.at(Level.DEBUG))
                    .anyMatch(m -> m.contains(" | java.lang.StackOverflowError: bad 2"));
        } finally {
            lifecycle.close(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
        assertThat(lifecycle.running()).isFalse();
    }
}
