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
package dev.flinkmetrics.skywalking;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal protobuf writer into one reusable, growable byte array. It writes only the wire types
 * that OTLP metrics need: varints, 64-bit fixed values and length-delimited fields. Callers compute
 * nested message sizes up front (see {@link OtlpEncoder}), so nothing is written twice.
 */
final class ProtoWriter {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;

    private byte[] buf;
    private int pos;

    ProtoWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    void reset() {
        pos = 0;
    }

    int length() {
        return pos;
    }

    byte[] buffer() {
        return buf;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    void tag(int field, int wireType) {
        varint((field << 3) | wireType);
    }

    void varint(long value) {
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buf[pos++] = (byte) value;
    }

    void fixed64(long value) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (value >>> (8 * i));
        }
    }

    void bytes(byte[] src) {
        bytes(src, 0, src.length);
    }

    void bytes(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, buf, pos, len);
        pos += len;
    }

    /**
     * Writes a length-delimited header: tag and size. The caller writes {@code size} bytes next.
     */
    void lenHeader(int field, int size) {
        tag(field, LEN);
        varint(size);
    }

    void fixed64Field(int field, long value) {
        tag(field, FIXED64);
        fixed64(value);
    }

    void doubleField(int field, double value) {
        fixed64Field(field, Double.doubleToRawLongBits(value));
    }

    void stringField(int field, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        lenHeader(field, utf8.length);
        bytes(utf8);
    }

    private void ensure(int extra) {
        if (pos + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + extra));
        }
    }

    /** Bytes a varint of this value takes. */
    static int varintSize(long value) {
        int size = 1;
        while ((value & ~0x7FL) != 0) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    /** Bytes a length-delimited field of a given payload size takes, for field numbers below 16. */
    static int lenFieldSize(int payloadSize) {
        return 1 + varintSize(payloadSize) + payloadSize;
    }

    /** Encodes a standalone string field, for pre-encoding at registration. */
    static byte[] encodeString(int field, String value) {
        ProtoWriter w = new ProtoWriter(value.length() + 8);
        w.stringField(field, value);
        return w.toByteArray();
    }
}
