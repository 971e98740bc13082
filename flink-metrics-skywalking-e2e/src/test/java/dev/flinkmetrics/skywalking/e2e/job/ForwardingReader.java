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

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.core.io.InputStatus;

/**
 * A number sequence's reader that hands every call to the reader of {@link
 * org.apache.flink.api.connector.source.lib.NumberSequenceSource}; the test sources change what
 * they need of it (when records come, what they report).
 */
abstract class ForwardingReader implements SourceReader<Long, NumberSequenceSplit> {

    final SourceReader<Long, NumberSequenceSplit> reader;

    ForwardingReader(SourceReader<Long, NumberSequenceSplit> reader) {
        this.reader = reader;
    }

    @Override
    public void start() {
        reader.start();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<Long> output) throws Exception {
        return reader.pollNext(output);
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return reader.isAvailable();
    }

    @Override
    public List<NumberSequenceSplit> snapshotState(long checkpointId) {
        return reader.snapshotState(checkpointId);
    }

    @Override
    public void addSplits(List<NumberSequenceSplit> splits) {
        reader.addSplits(splits);
    }

    @Override
    public void notifyNoMoreSplits() {
        reader.notifyNoMoreSplits();
    }

    @Override
    public void close() throws Exception {
        reader.close();
    }
}
