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
package dev.flinkmetrics.skywalking.config;

import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.annotation.Internal;

/**
 * Reads option values from the {@link Properties} Flink hands a reporter factory. Values are read
 * raw: with {@code config.yaml} they may be typed (Integer, Boolean, Map), and several Flink
 * releases' {@code MetricConfig} getters silently return the default for those. Every error names
 * the full key and the value.
 */
@Internal
public final class OptionReader {

    private static final Pattern AMOUNT_AND_UNIT = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");
    private static final long KB = 1024;
    private static final long MB = 1024 * KB;
    private static final long GB = 1024 * MB;

    private final Properties properties;

    /** The reporter whose options these are: every message names its keys with its prefix. */
    public final Signal signal;

    /** The options of a metric reporter. */
    public OptionReader(Properties properties) {
        this(properties, Signal.METRICS);
    }

    public OptionReader(Properties properties, Signal signal) {
        this.properties = properties;
        this.signal = signal;
    }

    /**
     * The key as the operator writes it for this reporter: {@code traces.reporter.<name>.timeout}.
     */
    public String key(ReporterOption option) {
        return signal.key(option);
    }

    /** The raw value, typed as the configuration file gave it, or null when absent. */
    Object raw(String key) {
        return properties.get(key);
    }

    /** The value as trimmed text, or null when absent. Typed YAML values are converted. */
    String string(ReporterOption option) {
        Object value = properties.get(option.key);
        return value == null ? null : String.valueOf(value).trim();
    }

    String stringOrDefault(ReporterOption option) {
        String value = string(option);
        return value == null ? option.defaultValue : value;
    }

    /** One of the named values, matched without regard to case. */
    <E extends Enum<E>> E choice(ReporterOption option, E[] values, Function<E, String> name) {
        String value = stringOrDefault(option);
        List<String> accepted = new ArrayList<>();
        for (E e : values) {
            String n = name.apply(e);
            if (n.equalsIgnoreCase(value)) {
                return e;
            }
            accepted.add(n);
        }
        throw invalid(option, value, "expected one of " + String.join(", ", accepted));
    }

    boolean bool(ReporterOption option) {
        String value = stringOrDefault(option);
        if ("true".equalsIgnoreCase(value)) {
            return true;
        }
        if ("false".equalsIgnoreCase(value)) {
            return false;
        }
        throw invalid(option, value, "expected true or false");
    }

    /** A whole number from {@code min} to {@code max}. */
    int integer(ReporterOption option, int min, int max) {
        String value = stringOrDefault(option);
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw invalid(option, value, "expected a whole number");
        }
        if (number < min || number > max) {
            throw invalid(option, value, "must be between " + min + " and " + max);
        }
        return (int) number;
    }

    /** A duration in milliseconds, above zero and at most {@code maxMillis}. */
    long duration(ReporterOption option, long maxMillis) {
        String value = stringOrDefault(option);
        Matcher m = AMOUNT_AND_UNIT.matcher(value);
        if (!m.matches()) {
            throw invalid(option, value, "expected a duration such as 500 ms, 10 s or 1 min");
        }
        TimeUnit unit;
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "":
            case "ms":
            case "milli":
            case "millis":
            case "millisecond":
            case "milliseconds":
                unit = TimeUnit.MILLISECONDS;
                break;
            case "s":
            case "sec":
            case "secs":
            case "second":
            case "seconds":
                unit = TimeUnit.SECONDS;
                break;
            case "min":
            case "mins":
            case "minute":
            case "minutes":
                unit = TimeUnit.MINUTES;
                break;
            default:
                throw invalid(option, value, "unknown unit '" + m.group(2) + "'; use ms, s or min");
        }
        long millis = unit.toMillis(parseAmount(option, value, m.group(1)));
        if (millis <= 0) {
            throw invalid(option, value, "must be greater than zero");
        }
        if (millis > maxMillis) {
            throw invalid(option, value, "must be at most " + formatDuration(maxMillis));
        }
        return millis;
    }

    /** A size in bytes, from {@code minBytes} to {@code maxBytes}. */
    int size(ReporterOption option, int minBytes, int maxBytes) {
        String value = stringOrDefault(option);
        Matcher m = AMOUNT_AND_UNIT.matcher(value);
        if (!m.matches()) {
            throw invalid(option, value, "expected a size such as 512 kb or 4 mb");
        }
        long multiplier;
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "":
            case "b":
            case "bytes":
                multiplier = 1;
                break;
            case "k":
            case "kb":
            case "kib":
                multiplier = KB;
                break;
            case "m":
            case "mb":
            case "mib":
                multiplier = MB;
                break;
            case "g":
            case "gb":
            case "gib":
                multiplier = GB;
                break;
            default:
                throw invalid(option, value, "unknown unit '" + m.group(2) + "'; use b, kb or mb");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(parseAmount(option, value, m.group(1)), multiplier);
        } catch (ArithmeticException e) {
            throw invalid(option, value, "the number is too large");
        }
        if (bytes < minBytes || bytes > maxBytes) {
            throw invalid(
                    option,
                    value,
                    "must be between " + formatSize(minBytes) + " and " + formatSize(maxBytes));
        }
        return (int) bytes;
    }

    /** A file that must exist and be readable, or null when the option is absent or empty. */
    File readableFile(ReporterOption option) {
        String value = string(option);
        if (value == null || value.isEmpty()) {
            return null;
        }
        File file = new File(value);
        if (!file.isFile() || !file.canRead()) {
            throw invalid(option, value, "no readable file at this path");
        }
        return file;
    }

    /** A Flink scope variable name, with or without its angle brackets. */
    String variableName(ReporterOption option) {
        String value = stringOrDefault(option);
        if (value.startsWith("<") && value.endsWith(">") && value.length() > 2) {
            value = value.substring(1, value.length() - 1);
        }
        if (!value.matches("[A-Za-z0-9_]+")) {
            throw invalid(
                    option, value, "expected a Flink scope variable name such as tm_id or host");
        }
        return value;
    }

    /**
     * Keys that are neither among {@code known}, nor Flink's own reporter keys, nor a {@code
     * headers.<name>} key; most likely typos, kept for one warning at startup.
     */
    public List<String> unknownKeys(Collection<ReporterOption> known) {
        Set<String> names = new HashSet<>(SkyWalkingReporterOptions.FLINK_KEYS);
        for (ReporterOption option : known) {
            names.add(option.key);
        }
        String headerPrefix = SkyWalkingReporterOptions.HEADERS.key + ".";
        List<String> unknown = new ArrayList<>();
        for (String key : keys()) {
            if (!names.contains(key) && !key.startsWith(headerPrefix)) {
                unknown.add(signal.keyPrefix() + key);
            }
        }
        return unknown;
    }

    /** Every key, sorted. {@code stringPropertyNames()} would skip keys with typed YAML values. */
    Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        for (Object key : properties.keySet()) {
            if (key instanceof String) {
                keys.add((String) key);
            }
        }
        return keys;
    }

    IllegalArgumentException invalid(ReporterOption option, String value, String reason) {
        return new IllegalArgumentException(
                "Invalid value '" + value + "' for " + key(option) + ": " + reason + ".");
    }

    private long parseAmount(ReporterOption option, String value, String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw invalid(option, value, "the number is too large");
        }
    }

    private static String formatDuration(long millis) {
        if (millis % TimeUnit.MINUTES.toMillis(1) == 0) {
            return TimeUnit.MILLISECONDS.toMinutes(millis) + " min";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + " s";
        }
        return millis + " ms";
    }

    private static String formatSize(long bytes) {
        if (bytes % MB == 0) {
            return bytes / MB + " mb";
        }
        if (bytes % KB == 0) {
            return bytes / KB + " kb";
        }
        return bytes + " bytes";
    }
}
