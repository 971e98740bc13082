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

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The span and event exporter gives back its thread and connections when it has had nothing to send
 * for a while, and starts again with the next item: Flink does not close trace and event reporters,
 * so this is what ends their threads when a MiniCluster stops.
 */
class BatchExporterTest {

    /** Keeps what it is sent and counts how often it gave back its resources. */
    private static final class RecordingSender implements Sender {
        final List<String> sent = new CopyOnWriteArrayList<>();
        final AtomicInteger released = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public void send(byte[] request, int length, long deadlineNanos) {
            sent.add(new String(request, 0, length, StandardCharsets.UTF_8));
        }

        @Override
        public String target() {
            return "recording";
        }

        @Override
        public void release() {
            released.incrementAndGet();
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    /** One request per item: the item's text. */
    private static BatchExporter.Request encode(List<String> batch, int from, int maxBytes) {
        byte[] bytes = batch.get(from).getBytes(StandardCharsets.UTF_8);
        return new BatchExporter.Request(bytes, bytes.length, 1, 1);
    }

    @Test
    void anIdleExporterEndsItsThreadAndTheNextItemStartsOne() throws Exception {
        RecordingSender sender = new RecordingSender();
        BatchCounters counters = new BatchCounters();
        BatchExporter<String> exporter = exporter(sender, counters);
        try {
            assertThat(exporter.running()).as("no thread before the first item").isFalse();
            exporter.offer("first");
            assertThat(await(() -> sender.sent.contains("first"))).isTrue();
            assertThat(exporter.running()).isTrue();

            assertThat(await(() -> !exporter.running())).as("thread ended when idle").isTrue();
            assertThat(sender.released.get()).isEqualTo(1);
            assertThat(exporterThreads()).isZero();

            exporter.offer("second");
            assertThat(await(() -> sender.sent.contains("second"))).isTrue();
            assertThat(counters.exported.get()).isEqualTo(2);
            assertThat(counters.dropped.get()).isZero();
        } finally {
            exporter.close();
        }
        assertThat(exporter.running()).isFalse();
        assertThat(sender.closed.get()).isEqualTo(1);
        assertThat(exporter.offer("after close")).isFalse();
    }

    @Test
    void closeSendsWhatIsQueuedEvenWithNoThreadRunning() throws Exception {
        RecordingSender sender = new RecordingSender();
        BatchExporter<String> exporter = exporter(sender, new BatchCounters());
        exporter.offer("a");
        exporter.offer("b");
        exporter.close();
        assertThat(sender.sent).containsExactly("a", "b");
    }

    /** Up to 16 items, a 1 s timeout, idle after 300 ms. */
    private static BatchExporter<String> exporter(RecordingSender sender, BatchCounters counters) {
        return new BatchExporter<>(
                "items",
                16,
                1024,
                1000,
                new Delivery(sender, "Items", "itemsDropped"),
                BatchExporterTest::encode,
                counters,
                300);
    }

    private static long exporterThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().endsWith("-items-exporter"))
                .count();
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
