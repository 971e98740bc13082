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

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a compiled class declares and what it links, read from its class file: the constant pool's
 * class and member references, the types its descriptors name, and its own super types and members.
 * Enough to tell whether a class links anything a given release of Flink lacks.
 */
final class ClassFile {

    private static final Pattern TYPE_IN_DESCRIPTOR = Pattern.compile("L([a-zA-Z0-9_/$]+);");

    /** A field or method a class refers to or declares. */
    static final class Member {
        final String owner;
        final String name;
        final String descriptor;

        Member(String owner, String name, String descriptor) {
            this.owner = owner;
            this.name = name;
            this.descriptor = descriptor;
        }

        @Override
        public String toString() {
            return owner + "." + name + descriptor;
        }
    }

    final String name;
    final String superName;
    final List<String> interfaces = new ArrayList<>();

    /** Classes named by the constant pool and by every descriptor in it. */
    final Set<String> referencedClasses = new HashSet<>();

    final List<Member> referencedMembers = new ArrayList<>();

    /** Declared fields and methods, as name + descriptor. */
    final Set<String> declaredMembers = new HashSet<>();

    private ClassFile(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[] classIndex = new int[count];
        int[][] refs = new int[count][];
        int[][] nameAndType = new int[count][];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1:
                    utf8[i] = in.readUTF();
                    break;
                case 3:
                case 4:
                    in.readInt();
                    break;
                case 5:
                case 6:
                    in.readLong();
                    i++;
                    break;
                case 7:
                    classIndex[i] = in.readUnsignedShort();
                    break;
                case 8:
                case 16:
                case 19:
                case 20:
                    in.readUnsignedShort();
                    break;
                case 9:
                case 10:
                case 11:
                    refs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                    break;
                case 12:
                    nameAndType[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                    break;
                case 15:
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                    break;
                case 17:
                case 18:
                    in.readInt();
                    break;
                default:
                    throw new IOException("unknown constant pool tag " + tag);
            }
        }
        for (int i = 1; i < count; i++) {
            if (classIndex[i] != 0) {
                addClass(utf8[classIndex[i]]);
            }
            if (utf8[i] != null) {
                Matcher m = TYPE_IN_DESCRIPTOR.matcher(utf8[i]);
                while (m.find()) {
                    referencedClasses.add(m.group(1));
                }
            }
        }
        for (int i = 1; i < count; i++) {
            if (refs[i] != null) {
                String owner = utf8[classIndex[refs[i][0]]];
                int[] nt = nameAndType[refs[i][1]];
                referencedMembers.add(new Member(owner, utf8[nt[0]], utf8[nt[1]]));
            }
        }
        in.readUnsignedShort();
        this.name = utf8[classIndex[in.readUnsignedShort()]];
        int superIndex = in.readUnsignedShort();
        this.superName = superIndex == 0 ? null : utf8[classIndex[superIndex]];
        int interfaceCount = in.readUnsignedShort();
        for (int i = 0; i < interfaceCount; i++) {
            interfaces.add(utf8[classIndex[in.readUnsignedShort()]]);
        }
        for (int kind = 0; kind < 2; kind++) {
            int members = in.readUnsignedShort();
            for (int i = 0; i < members; i++) {
                in.readUnsignedShort();
                String memberName = utf8[in.readUnsignedShort()];
                String descriptor = utf8[in.readUnsignedShort()];
                declaredMembers.add(memberName + descriptor);
                int attributes = in.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    in.readUnsignedShort();
                    in.skipBytes(in.readInt());
                }
            }
        }
    }

    private void addClass(String internalName) {
        // Array classes are named by their descriptor.
        if (internalName.startsWith("[")) {
            Matcher m = TYPE_IN_DESCRIPTOR.matcher(internalName);
            while (m.find()) {
                referencedClasses.add(m.group(1));
            }
        } else {
            referencedClasses.add(internalName);
        }
    }

    static ClassFile read(byte[] bytes) throws IOException {
        return new ClassFile(bytes);
    }
}
