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

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.flink.annotation.Internal;

/**
 * A minimal protobuf writer into one reusable, growable byte array: varints, 64-bit fixed values
 * and length-delimited fields. Callers compute nested message sizes up front with the size
 * functions here, which count the tag of any field number, so nothing is written twice.
 */
@Internal
public final class ProtoWriter {

    public static final int VARINT = 0;
    public static final int FIXED64 = 1;
    public static final int LEN = 2;

    /** The most bytes a length prefix of a message below 2 GiB takes. */
    public static final int MAX_LENGTH_PREFIX = 5;

    private byte[] buf;
    private int pos;

    public ProtoWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public void reset() {
        pos = 0;
    }

    public int length() {
        return pos;
    }

    public byte[] buffer() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    public void tag(int field, int wireType) {
        varint(((long) field << 3) | wireType);
    }

    public void varint(long value) {
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buf[pos++] = (byte) value;
    }

    public void fixed64(long value) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (value >>> (8 * i));
        }
    }

    public void bytes(byte[] src) {
        bytes(src, 0, src.length);
    }

    public void bytes(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, buf, pos, len);
        pos += len;
    }

    /**
     * Writes a length-delimited header: tag and size. The caller writes {@code size} bytes next.
     */
    public void lenHeader(int field, int size) {
        tag(field, LEN);
        varint(size);
    }

    public void varintField(int field, long value) {
        tag(field, VARINT);
        varint(value);
    }

    public void fixed64Field(int field, long value) {
        tag(field, FIXED64);
        fixed64(value);
    }

    public void doubleField(int field, double value) {
        fixed64Field(field, Double.doubleToRawLongBits(value));
    }

    public void stringField(int field, String value) {
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
    public static int varintSize(long value) {
        int size = 1;
        while ((value & ~0x7FL) != 0) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    /** Bytes the tag of this field number takes: one up to field 15, two up to 2047, ... */
    public static int tagSize(int field) {
        return varintSize((long) field << 3);
    }

    /** Bytes a length-delimited field with a payload of this size takes. */
    public static int lenFieldSize(int field, int payloadSize) {
        return tagSize(field) + varintSize(payloadSize) + payloadSize;
    }

    /** Bytes a fixed64 or double field takes. */
    public static int fixed64FieldSize(int field) {
        return tagSize(field) + 8;
    }

    /** Bytes a varint field takes. */
    public static int varintFieldSize(int field, long value) {
        return tagSize(field) + varintSize(value);
    }

    /** Encodes a standalone string field, for pre-encoding at registration. */
    public static byte[] encodeString(int field, String value) {
        ProtoWriter w = new ProtoWriter(value.length() + 8);
        w.stringField(field, value);
        return w.toByteArray();
    }
}
