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
package dev.flinkmetrics.skywalking.traces;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.annotation.Internal;

/**
 * One span as Flink reported it, with its children, copied out of Flink's objects so that the
 * export thread never touches them. Immutable. It does not link Flink's trace API, so that the
 * encoder and the tests work on any Flink.
 *
 * <p>Attribute values are {@link String}, {@link Long}, {@link Double} or {@link Boolean}, the
 * types OTLP carries; keys have the brackets of Flink's scope variables removed ({@code <job_id>}
 * becomes {@code job_id}).
 */
@Internal
public final class SpanRecord {

    /**
     * Longest string attribute value kept, in characters. Flink's values are numbers, ids and
     * names; a longer one (a stack trace, a plan) is cut, so that one span cannot fill a request.
     */
    static final int MAX_STRING_CHARS = 4096;

    /** Deepest nesting copied: Flink's spans are two or three levels deep; deeper means a cycle. */
    static final int MAX_DEPTH = 16;

    public final String scope;
    public final String name;
    public final long startMillis;
    public final long endMillis;

    /** Sorted by key. */
    public final Map<String, Object> attributes;

    public final List<SpanRecord> children;

    private SpanRecord(Builder builder, List<SpanRecord> children) {
        this.scope = builder.scope;
        this.name = builder.name;
        this.startMillis = builder.startMillis;
        this.endMillis = builder.endMillis;
        this.attributes = Collections.unmodifiableMap(builder.attributes);
        this.children = children;
    }

    /** This span and every descendant. */
    public int spanCount() {
        int count = 1;
        for (SpanRecord child : children) {
            count += child.spanCount();
        }
        return count;
    }

    /** A string attribute, or null when the span has none under this key. */
    String stringAttribute(String key) {
        Object value = attributes.get(key);
        return value == null ? null : value.toString();
    }

    /** Starts a span; a null scope or name becomes empty. */
    public static Builder builder(String scope, String name, long startMillis, long endMillis) {
        return new Builder(scope, name, startMillis, endMillis, 0);
    }

    @Override
    public String toString() {
        return name + attributes + (children.isEmpty() ? "" : children.toString());
    }

    /** Collects one span's attributes and children. Not thread-safe; used while copying. */
    public static final class Builder {
        private final String scope;
        private final String name;
        private final long startMillis;
        private final long endMillis;
        private final int depth;
        private final Map<String, Object> attributes = new TreeMap<>();
        private final List<Builder> children = new ArrayList<>();

        private Builder(String scope, String name, long startMillis, long endMillis, int depth) {
            this.scope = scope == null ? "" : scope;
            this.name = name == null ? "" : name;
            this.startMillis = startMillis;
            this.endMillis = endMillis;
            this.depth = depth;
        }

        /**
         * Adds an attribute as OTLP can carry it: strings (cut at {@link #MAX_STRING_CHARS}),
         * booleans, whole numbers as {@link Long}, other numbers as {@link Double} when they are
         * {@link Float} or {@link Double}; any other value as its text. A null key or value adds
         * nothing.
         *
         * @return false when nothing was added
         */
        public boolean attribute(String key, Object value) {
            if (key == null || value == null) {
                return false;
            }
            attributes.put(stripBrackets(key), normalize(value));
            return true;
        }

        /**
         * Starts a child span.
         *
         * @throws IllegalArgumentException when the tree is deeper than {@link #MAX_DEPTH}
         */
        public Builder child(String scope, String name, long startMillis, long endMillis) {
            if (depth + 1 >= MAX_DEPTH) {
                throw new IllegalArgumentException(
                        "span '" + this.name + "' nests deeper than " + MAX_DEPTH + " levels");
            }
            Builder child = new Builder(scope, name, startMillis, endMillis, depth + 1);
            children.add(child);
            return child;
        }

        public SpanRecord build() {
            List<SpanRecord> built = new ArrayList<>(children.size());
            for (Builder child : children) {
                built.add(child.build());
            }
            return new SpanRecord(this, Collections.unmodifiableList(built));
        }
    }

    /** {@code <job_id>} becomes {@code job_id}; other keys stay as they are. */
    static String stripBrackets(String key) {
        if (key.length() > 2 && key.charAt(0) == '<' && key.charAt(key.length() - 1) == '>') {
            return key.substring(1, key.length() - 1);
        }
        return key;
    }

    private static Object normalize(Object value) {
        if (value instanceof Boolean || value instanceof Long || value instanceof Double) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float) {
            return ((Float) value).doubleValue();
        }
        String text = value.toString();
        if (text == null) {
            return "";
        }
        if (text.length() > MAX_STRING_CHARS) {
            int end = MAX_STRING_CHARS;
            if (Character.isHighSurrogate(text.charAt(end - 1))) {
                end--; // never leave half a character behind
            }
            return text.substring(0, end);
        }
        return text;
    }
}
