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

import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job of the end-to-end tests and the demo; the standalone-cluster test submits it as a jar
 * over REST. It runs until cancelled: a FLIP-27 number source with event timestamps that reports
 * its backlog ({@link BacklogNumbers}), a map, keyBy, a map that sleeps about a millisecond per
 * record, a filter that drops everything and a print sink, at parallelism 2 with checkpoints.
 *
 * <p>It links only API that Flink 1.18 to 2.x all have ({@code fromSource}, {@code
 * NumberSequenceSource}, {@code print}), and it is the only content of the job jar, so it must not
 * use anything else from the test classes.
 */
public final class ContinuousJob {

    public static void main(String[] args) throws Exception {
        String jobName = args.length > 0 ? args[0] : "e2e-job";
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        define(env, 1000);
        env.execute(jobName);
    }

    /**
     * Adds the pipeline to {@code env}; the MiniCluster tests and the demo run the same one. The
     * slow map sits behind the keyBy, in its own task, so the source task feels back pressure and
     * the back-pressure panels have something to show.
     */
    public static void define(StreamExecutionEnvironment env, long checkpointMillis) {
        env.setParallelism(2);
        env.enableCheckpointing(checkpointMillis);
        // Under that back pressure an aligned barrier waits behind every queued record (a
        // millisecond each); unaligned ones overtake them, so checkpoints keep completing.
        env.getCheckpointConfig().enableUnalignedCheckpoints();
        env.fromSource(
                        new BacklogNumbers(0, Long.MAX_VALUE),
                        WatermarkStrategy.<Long>forMonotonousTimestamps()
                                .withTimestampAssigner(new WallClock()),
                        "numbers")
                .map(new Twice())
                .name("twice")
                .keyBy(new ModKey())
                .map(new SlowMap())
                .name("slow-map")
                .filter(new DropAll())
                .name("drop-all")
                // Flink 1.18 has no Sink V2 DiscardingSink and 2.x no SinkFunction one; print()
                // exists in both, and the filter before it lets nothing through.
                .print()
                .name("print-nothing");
    }

    /**
     * The number sequence, reporting the FLIP-33 backlog gauges {@code pendingRecords} and {@code
     * currentFetchEventTimeLag} as message-queue connectors (Kafka, Pulsar) do, through the
     * reader's metric group; NumberSequenceSource reports neither. The backlog is measured against
     * a producer that would write {@link #PRODUCED_PER_SECOND} records a second into each reader's
     * split from the moment the reader is created: a reader the slow map holds back below that rate
     * falls behind, and both gauges grow.
     */
    public static final class BacklogNumbers extends NumberSequenceSource {
        private static final long serialVersionUID = 1L;
        static final long PRODUCED_PER_SECOND = 2000;

        public BacklogNumbers(long from, long to) {
            super(from, to);
        }

        @Override
        public SourceReader<Long, NumberSequenceSplit> createReader(SourceReaderContext context) {
            return new BacklogReader(super.createReader(context), context.metricGroup());
        }
    }

    /** Counts the records its reader emits and derives the backlog from that count. */
    static final class BacklogReader extends ForwardingReader {
        // Set here, not in start(): Flink may read the gauges in between.
        private final long startedMillis = System.currentTimeMillis();
        private volatile long emitted;

        BacklogReader(
                SourceReader<Long, NumberSequenceSplit> reader, SourceReaderMetricGroup metrics) {
            super(reader);
            metrics.setPendingRecordsGauge(() -> Math.max(0, produced() - emitted));
            // Event time of the record fetched last: when the producer would have written it.
            metrics.gauge(
                    "currentFetchEventTimeLag",
                    () ->
                            Math.max(
                                    0,
                                    System.currentTimeMillis()
                                            - startedMillis
                                            - emitted * 1000 / BacklogNumbers.PRODUCED_PER_SECOND));
        }

        private long produced() {
            return (System.currentTimeMillis() - startedMillis)
                    * BacklogNumbers.PRODUCED_PER_SECOND
                    / 1000;
        }

        @Override
        public InputStatus pollNext(ReaderOutput<Long> output) throws Exception {
            // The number sequence's reader emits at most one record per call, and one whenever
            // it answers MORE_AVAILABLE.
            InputStatus status = reader.pollNext(output);
            if (status == InputStatus.MORE_AVAILABLE) {
                emitted++;
            }
            return status;
        }
    }

    /** Event time = wall clock, so that the source reports an emit event-time lag. */
    public static final class WallClock implements SerializableTimestampAssigner<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public long extractTimestamp(Long value, long previous) {
            return System.currentTimeMillis();
        }
    }

    /** Sleeps a millisecond per record, so that the job runs slowly and steadily. */
    public static final class SlowMap implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(1);
            return value;
        }
    }

    /** 64 keys. */
    public static final class ModKey implements KeySelector<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long getKey(Long value) {
            return value % 64;
        }
    }

    /** An operator chained to the source. */
    public static final class Twice implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(Long value) {
            return value * 2;
        }
    }

    /** Drops every record, so that the sink after it prints nothing. */
    public static final class DropAll implements FilterFunction<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean filter(Long value) {
            return false;
        }
    }

    private ContinuousJob() {}
}
