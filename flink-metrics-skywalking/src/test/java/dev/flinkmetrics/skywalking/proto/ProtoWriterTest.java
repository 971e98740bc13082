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
package dev.flinkmetrics.skywalking.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The writer and its size functions against protobuf's own encoder, for tags of every size. */
class ProtoWriterTest {

    /** Field numbers at each boundary of the tag's varint: 1, 2, 3, 4 and 5 bytes. */
    private static final int[] FIELDS = {1, 15, 16, 2047, 2048, 262143, 262144, 536870911};

    @Test
    void tagSizesMatchProtobufForEveryTagLength() {
        for (int field : FIELDS) {
            assertThat(ProtoWriter.tagSize(field))
                    .as("field " + field)
                    .isEqualTo(CodedOutputStream.computeTagSize(field));
        }
    }

    @Test
    void fieldsWithLargeNumbersAreWrittenAsProtobufWritesThem() throws Exception {
        for (int field : FIELDS) {
            ProtoWriter w = new ProtoWriter(16);
            w.stringField(field, "value");
            w.fixed64Field(field, 42L);
            w.doubleField(field, 0.5);
            w.varintField(field, 300);
            byte[] payload = new byte[200];
            w.lenHeader(field, payload.length);
            w.bytes(payload);

            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(expected);
            out.writeString(field, "value");
            out.writeFixed64(field, 42L);
            out.writeDouble(field, 0.5);
            out.writeUInt64(field, 300);
            out.writeByteArray(field, payload);
            out.flush();
            assertThat(w.toByteArray()).as("field " + field).isEqualTo(expected.toByteArray());

            assertThat(w.length())
                    .isEqualTo(
                            ProtoWriter.lenFieldSize(field, 5)
                                    + 2 * ProtoWriter.fixed64FieldSize(field)
                                    + ProtoWriter.varintFieldSize(field, 300)
                                    + ProtoWriter.lenFieldSize(field, payload.length));

            CodedInputStream in = CodedInputStream.newInstance(w.toByteArray());
            int tag = in.readTag();
            assertThat(WireFormat.getTagFieldNumber(tag)).isEqualTo(field);
            assertThat(WireFormat.getTagWireType(tag)).isEqualTo(ProtoWriter.LEN);
        }
    }

    @Test
    void varintSizesMatchProtobuf() {
        long[] values = {0, 1, 127, 128, 16383, 16384, Integer.MAX_VALUE, Long.MAX_VALUE, -1};
        for (long v : values) {
            assertThat(ProtoWriter.varintSize(v))
                    .as(String.valueOf(v))
                    .isEqualTo(CodedOutputStream.computeUInt64SizeNoTag(v));
        }
    }

    @Test
    void theBufferGrowsAndResets() {
        ProtoWriter w = new ProtoWriter(1);
        byte[] big = new byte[10_000];
        w.bytes(big);
        assertThat(w.length()).isEqualTo(10_000);
        w.reset();
        assertThat(w.length()).isZero();
        assertThat(w.toByteArray()).isEmpty();
    }
}
