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
package dev.flinkmetrics.skywalking.e2e.job;

import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob.BacklogNumbers;
import dev.flinkmetrics.skywalking.e2e.job.ContinuousJob.ModKey;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The jobs RealOapIT provokes the project's alarm rules with, and the healthy one they must stay
 * quiet on. {@code main(kind, name)}:
 *
 * <ul>
 *   <li>{@code healthy}: 20 records a second, event time = wall clock, a checkpoint every 5 s;
 *       nothing waits, nothing fails.
 *   <li>{@code checkpoints-failing}: as healthy, but every checkpoint fails (an operator's snapshot
 *       takes longer than the checkpoint timeout); the cluster tolerates the failures, so the job
 *       runs on.
 *   <li>{@code restarting}: as healthy, but a task fails 20 s after it starts, every time: the job
 *       restarts about three times a minute.
 *   <li>{@code backlogged}: a source that falls ever further behind a producer (its backlog grows),
 *       feeding an operator that takes 20 ms a record (the source is back-pressured nearly all the
 *       time). No checkpoints.
 *   <li>{@code old-events}: as healthy, but with event times 10 minutes old: its watermark lags ten
 *       minutes behind the wall clock. (Under back pressure a source's watermark reaches the
 *       operators after it late and at a varying time, so the lag has a job of its own.)
 *   <li>{@code memory-hog}: keeps 93 % of the TaskManager's heap filled and has it collected again
 *       and again, about a fifth of the time.
 *   <li>{@code fails} (a third argument: epoch ms): as healthy until then; then its task throws an
 *       error Flink does not restart a job for: the job fails for good.
 *   <li>{@code restarts} (a third argument: epoch ms): as healthy, but for 3 s from then every
 *       attempt of its task fails at its first record: the job restarts a few times within seconds,
 *       then runs on (until the test cancels it).
 * </ul>
 *
 * <p>Like {@link ContinuousJob}, it links only API that Flink 1.18 to 2.x all have.
 */
public final class AlarmJobs {

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        switch (kind) {
            case "healthy":
                env.enableCheckpointing(5000);
                paced(env).map(new Identity()).name("identity").print().name("print");
                break;
            case "checkpoints-failing":
                env.enableCheckpointing(2000);
                // A snapshot that throws fails its task, and the job restarts; one that takes
                // longer than the timeout fails the checkpoint only, which the cluster tolerates.
                env.getCheckpointConfig().setCheckpointTimeout(100);
                paced(env).map(new SlowSnapshot(500)).name("slow-snapshot").print();
                break;
            case "restarting":
                env.enableCheckpointing(5000);
                paced(env).map(new FailAfter(20_000)).name("fail-after-20s").print();
                break;
            case "old-events":
                env.enableCheckpointing(5000);
                env.fromSource(
                                new PacedNumbers(20),
                                WatermarkStrategy.<Long>forMonotonousTimestamps()
                                        .withTimestampAssigner(new TenMinutesAgo()),
                                "paced-old")
                        .keyBy(new ModKey())
                        .map(new Identity())
                        .name("identity")
                        .print();
                break;
            case "backlogged":
                env.fromSource(
                                new BacklogNumbers(0, Long.MAX_VALUE),
                                WatermarkStrategy.<Long>forMonotonousTimestamps()
                                        .withTimestampAssigner(new Now()),
                                "backlog")
                        .keyBy(new ModKey())
                        .map(new Slow(20))
                        .name("slow-20ms")
                        .print();
                break;
            case "memory-hog":
                paced(env).map(new MemoryHog()).name("memory-hog").print();
                break;
            case "fails":
                paced(env)
                        .map(new FailFrom(Long.parseLong(args[2]), Long.MAX_VALUE, true))
                        .name("fails")
                        .print();
                break;
            case "restarts":
                long from = Long.parseLong(args[2]);
                paced(env).map(new FailFrom(from, from + 3000, false)).name("restarts").print();
                break;
            default:
                throw new IllegalArgumentException("no such job: " + kind);
        }
        env.execute(args[1]);
    }

    /** 20 records a second, event time = wall clock. */
    private static DataStream<Long> paced(StreamExecutionEnvironment env) {
        return env.fromSource(
                new PacedNumbers(20),
                WatermarkStrategy.<Long>forMonotonousTimestamps().withTimestampAssigner(new Now()),
                "paced");
    }

    /** A number sequence emitted at a fixed rate per reader, waiting without a busy loop. */
    public static final class PacedNumbers extends NumberSequenceSource {
        private static final long serialVersionUID = 1L;
        private final int perSecond;

        public PacedNumbers(int perSecond) {
            super(0, Long.MAX_VALUE);
            this.perSecond = perSecond;
        }

        @Override
        public SourceReader<Long, NumberSequenceSplit> createReader(SourceReaderContext context) {
            return new PacedReader(super.createReader(context), perSecond);
        }
    }

    static final class PacedReader extends ForwardingReader {
        private final long nanosPerRecord;
        private long next = System.nanoTime();

        PacedReader(SourceReader<Long, NumberSequenceSplit> reader, int perSecond) {
            super(reader);
            this.nanosPerRecord = TimeUnit.SECONDS.toNanos(1) / perSecond;
        }

        @Override
        public InputStatus pollNext(ReaderOutput<Long> output) throws Exception {
            if (System.nanoTime() < next) {
                return InputStatus.NOTHING_AVAILABLE;
            }
            InputStatus status = reader.pollNext(output);
            if (status == InputStatus.MORE_AVAILABLE) {
                next = Math.max(next + nanosPerRecord, System.nanoTime() - nanosPerRecord);
            }
            return status;
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            long wait = next - System.nanoTime();
            if (wait <= 0) {
                return reader.isAvailable();
            }
            return CompletableFuture.runAsync(
                    () -> {}, CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS));
        }
    }

    public static final class Now implements SerializableTimestampAssigner<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public long extractTimestamp(Long value, long previous) {
            return System.currentTimeMillis();
        }
    }

    /** Event times ten minutes old: the watermark is ten minutes behind the wall clock. */
    public static final class TenMinutesAgo implements SerializableTimestampAssigner<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public long extractTimestamp(Long value, long previous) {
            return System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(10);
        }
    }

    public static final class Identity implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(Long value) {
            return value;
        }
    }

    /** Takes {@code millis} per record. */
    public static final class Slow implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final long millis;

        public Slow(long millis) {
            this.millis = millis;
        }

        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(millis);
            return value;
        }
    }

    /** Its snapshot takes {@code millis}: longer than the checkpoint timeout, every time. */
    public static final class SlowSnapshot
            implements MapFunction<Long, Long>, CheckpointedFunction {
        private static final long serialVersionUID = 1L;
        private final long millis;

        public SlowSnapshot(long millis) {
            this.millis = millis;
        }

        @Override
        public Long map(Long value) {
            return value;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            Thread.sleep(millis);
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}
    }

    /** Fails the task {@code millis} after its first record, every time the job starts again. */
    public static final class FailAfter implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final long millis;
        private transient long started;

        public FailAfter(long millis) {
            this.millis = millis;
        }

        @Override
        public Long map(Long value) {
            long now = System.currentTimeMillis();
            if (started == 0) {
                started = now;
            } else if (now - started > millis) {
                throw new IllegalStateException("this task fails on purpose, to restart the job");
            }
            return value;
        }
    }

    /**
     * Fails its task at every record from {@code from} to {@code until} (epoch ms): with an error
     * that Flink does not restart the job for when {@code forGood}, else with one it does.
     */
    public static final class FailFrom implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private final long from;
        private final long until;
        private final boolean forGood;

        public FailFrom(long from, long until, boolean forGood) {
            this.from = from;
            this.until = until;
            this.forGood = forGood;
        }

        @Override
        public Long map(Long value) {
            long now = System.currentTimeMillis();
            if (now >= from && now < until) {
                IllegalStateException failure =
                        new IllegalStateException("this task fails on purpose");
                throw forGood ? new SuppressRestartsException(failure) : failure;
            }
            return value;
        }
    }

    /**
     * Keeps the heap 93 % full with data it holds, and has it collected again and again: after each
     * full collection it waits four times as long as that took, so the TaskManager spends about a
     * fifth of its time collecting garbage without taking both cores. It fills the heap 1 % at a
     * time, measured after a collection, in chunks of 64 KB: larger steps, or chunks near half a G1
     * region, ran the heap out before it was that full.
     */
    public static final class MemoryHog implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private static final int CHUNK = 1 << 16;
        private transient List<byte[]> held;
        private transient long nextCollection;

        @Override
        public Long map(Long value) {
            if (held == null) {
                held = new ArrayList<>();
            }
            if (System.nanoTime() < nextCollection) {
                return value;
            }
            long started = System.nanoTime();
            System.gc();
            long took = Math.max(System.nanoTime() - started, TimeUnit.MILLISECONDS.toNanos(5));
            nextCollection = System.nanoTime() + 4 * took;
            MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            long target = heap.getMax() * 93 / 100;
            if (heap.getUsed() < target) {
                long add = Math.min(heap.getMax() / 100, target - heap.getUsed());
                for (long added = 0; added < add; added += CHUNK) {
                    held.add(new byte[CHUNK]);
                }
            } else {
                for (long extra = heap.getUsed() - target;
                        extra > 0 && !held.isEmpty();
                        extra -= CHUNK) {
                    held.remove(held.size() - 1);
                }
            }
            return value;
        }
    }

    private AlarmJobs() {}
}
