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
package dev.flinkmetrics.skywalking.metrics;

import dev.flinkmetrics.skywalking.proto.OtlpFields;
import dev.flinkmetrics.skywalking.proto.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;

/**
 * The labels of a series, encoded once as OTLP data-point attributes (the {@code attributes} field,
 * which has one number in {@code NumberDataPoint} and {@code SummaryDataPoint}). Label sets are
 * shared: every metric of one operator subtask has the same one, so the registry keeps one instance
 * per distinct set.
 */
final class LabelSet {

    static final int ATTRIBUTES_FIELD = OtlpFields.NumberDataPoint.ATTRIBUTES;

    final byte[] encoded;
    private final int hash;

    /** Series using this set; the registry forgets the set at zero. */
    int references;

    private LabelSet(byte[] encoded) {
        this.encoded = encoded;
        this.hash = Arrays.hashCode(encoded);
    }

    static LabelSet of(SortedMap<String, String> labels) {
        return new LabelSet(encodeAttributes(ATTRIBUTES_FIELD, labels));
    }

    /** Encodes string attributes as repeated {@code KeyValue} fields with the given number. */
    static byte[] encodeAttributes(int field, Map<String, String> attributes) {
        ProtoWriter w = new ProtoWriter(64 * attributes.size());
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = e.getValue().getBytes(StandardCharsets.UTF_8);
            int anyValueSize =
                    ProtoWriter.lenFieldSize(OtlpFields.AnyValue.STRING_VALUE, value.length);
            int keyValueSize =
                    ProtoWriter.lenFieldSize(OtlpFields.KeyValue.KEY, key.length)
                            + ProtoWriter.lenFieldSize(OtlpFields.KeyValue.VALUE, anyValueSize);
            w.lenHeader(field, keyValueSize);
            w.lenHeader(OtlpFields.KeyValue.KEY, key.length);
            w.bytes(key);
            w.lenHeader(OtlpFields.KeyValue.VALUE, anyValueSize);
            w.lenHeader(OtlpFields.AnyValue.STRING_VALUE, value.length);
            w.bytes(value);
        }
        return w.toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelSet
                && hash == ((LabelSet) o).hash
                && Arrays.equals(encoded, ((LabelSet) o).encoded);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** Decodes the labels again, for log lines only. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        int[] pos = {0};
        while (pos[0] < encoded.length) {
            readVarint(pos); // tag of the KeyValue
            int end = readVarint(pos) + pos[0];
            String key = null;
            String value = "";
            while (pos[0] < end) {
                int tag = readVarint(pos);
                int len = readVarint(pos);
                if (tag >>> 3 == OtlpFields.KeyValue.KEY) {
                    key = new String(encoded, pos[0], len, StandardCharsets.UTF_8);
                    pos[0] += len;
                } else {
                    readVarint(pos); // AnyValue.string_value tag
                    int valueLen = readVarint(pos);
                    value = new String(encoded, pos[0], valueLen, StandardCharsets.UTF_8);
                    pos[0] += valueLen;
                }
            }
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(key).append('=').append(value);
        }
        return sb.append('}').toString();
    }

    private int readVarint(int[] pos) {
        int result = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = encoded[pos[0]++];
            result |= (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
    }
}
