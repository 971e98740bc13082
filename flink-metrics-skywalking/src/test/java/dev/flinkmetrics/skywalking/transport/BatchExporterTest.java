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

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The span and event exporter gives back its thread and connections when it has had nothing to send
 * for a while, and starts again with the next item: Flink does not close trace and event reporters,
 * so this is what ends their threads when a MiniCluster stops.
 */
class BatchExporterTest {

    /** Keeps what it is sent and counts how often it was closed. */
    private static final class RecordingSender implements Sender {
        final List<String> sent = new CopyOnWriteArrayList<>();
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
        public void close(long deadlineNanos) {
            closed.incrementAndGet();
        }
    }

    /** One request per item: the item's text. */
    private static BatchExporter.Request encode(List<String> batch, int from, int maxBytes) {
        byte[] bytes = batch.get(from).getBytes(StandardCharsets.UTF_8);
        return new BatchExporter.Request(bytes, bytes.length, 1, 1);
    }

    @Test
    void anIdleExporterEndsItsThreadButKeepsItsConnection() throws Exception {
        RecordingSender sender = new RecordingSender();
        ExportCounters counters = new ExportCounters();
        BatchExporter<String> exporter = exporter(sender, counters);
        try {
            assertThat(running(exporter)).as("no thread before the first item").isFalse();
            exporter.offer("first");
            assertThat(awaitUntil(() -> sender.sent.contains("first"))).isTrue();
            assertThat(running(exporter)).isTrue();

            assertThat(awaitUntil(() -> !running(exporter))).as("thread ended when idle").isTrue();
            assertThat(sender.closed.get()).as("the connection stays").isZero();
            assertThat(exporterThreads()).isZero();

            exporter.offer("second");
            assertThat(awaitUntil(() -> sender.sent.contains("second"))).isTrue();
            assertThat(counters.exported.get()).isEqualTo(2);
            assertThat(counters.dropped.get()).isZero();
        } finally {
            exporter.close(deadline());
        }
        assertThat(running(exporter)).isFalse();
        assertThat(sender.closed.get()).isEqualTo(1);
        assertThat(exporter.offer("after close")).isFalse();
    }

    @Test
    void closeSendsWhatIsQueuedEvenWithNoThreadRunning() throws Exception {
        RecordingSender sender = new RecordingSender();
        BatchExporter<String> exporter = exporter(sender, new ExportCounters());
        exporter.offer("a");
        exporter.offer("b");
        exporter.close(deadline());
        assertThat(sender.sent).containsExactly("a", "b");
    }

    @Test
    void anItemOfferedWhileClosingIsCountedOnce() throws Exception {
        // Offers race close on two threads; every item must end up exported or dropped, once.
        for (int round = 0; round < 200; round++) {
            RecordingSender sender = new RecordingSender();
            ExportCounters counters = new ExportCounters();
            BatchExporter<String> exporter = exporter(sender, counters);
            AtomicInteger offered = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(1);
            Thread offering =
                    new Thread(
                            () -> {
                                started.countDown();
                                for (int i = 0; i < 200; i++) {
                                    exporter.offer("item " + i);
                                    offered.incrementAndGet();
                                }
                            });
            offering.start();
            started.await();
            exporter.close(deadline());
            offering.join();
            assertThat(exporter.isEmpty()).as("round %d: nothing left queued", round).isTrue();
            assertThat(counters.exported.get() + counters.dropped.get())
                    .as("round %d", round)
                    .isEqualTo(offered.get());
        }
    }

    @Test
    void anExporterTakesNoMemoryForItsCapacityUntilItemsCome() throws Exception {
        // A trace or event reporter of a process lives as long as the process, and a JVM that
        // starts many MiniClusters holds many: an idle one must cost next to nothing.
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        RecordingSender sender = new RecordingSender();
        Delivery delivery = new Delivery(sender, "Items", "itemsDropped");
        ExportCounters counters = new ExportCounters();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        BatchExporter<String> exporter =
                new BatchExporter<>(
                        "items",
                        1_000_000,
                        1024,
                        1000,
                        delivery,
                        BatchExporterTest::encode,
                        counters);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        // A slot per item of the capacity would be 4 MB or more.
        assertThat(allocated)
                .as("bytes allocated for an exporter of 1,000,000 items")
                .isLessThan(256 * 1024);
        exporter.offer("one");
        exporter.close(deadline());
        assertThat(sender.sent).containsExactly("one");
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    }

    private static boolean running(BatchExporter<?> exporter) {
        return exporter.lifecycle().running();
    }

    /** Up to 16 items, a 1 s timeout, idle after 300 ms. */
    private static BatchExporter<String> exporter(RecordingSender sender, ExportCounters counters) {
        return new BatchExporter<>(
                        "items",
                        16,
                        1024,
                        1000,
                        new Delivery(sender, "Items", "itemsDropped"),
                        BatchExporterTest::encode,
                        counters)
                .idleMillis(300);
    }

    private static long exporterThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().endsWith("-items-exporter"))
                .count();
    }
}
