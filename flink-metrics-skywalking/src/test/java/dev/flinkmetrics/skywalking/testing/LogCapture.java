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
package dev.flinkmetrics.skywalking.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/** Records what the reporter logs (every level), for assertions on exact log lines. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    /** One log line: level, message, and the text of an attached exception. */
    public static final class Line {
        public final Level level;
        public final String message;

        Line(Level level, String message) {
            this.level = level;
            this.message = message;
        }

        @Override
        public String toString() {
            return level + " " + message;
        }
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final LoggerConfig logger;
    private final Level previousLevel;

    private LogCapture(LoggerConfig logger) {
        super("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
        this.logger = logger;
        this.previousLevel = logger.getLevel();
    }

    public static LogCapture capture() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        LoggerConfig logger = config.getLoggerConfig("dev.flinkmetrics.skywalking");
        LogCapture capture = new LogCapture(logger);
        capture.start();
        logger.addAppender(capture, Level.ALL, null);
        logger.setLevel(Level.ALL);
        context.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        String text = event.getMessage().getFormattedMessage();
        if (event.getThrown() != null) {
            text += " | " + event.getThrown();
        }
        lines.add(new Line(event.getLevel(), text));
    }

    public List<Line> lines() {
        return lines;
    }

    /** Waits until a line at {@code level} contains {@code text}, at most 10 s. */
    public boolean await(Level level, String text) throws InterruptedException {
        return Conditions.awaitUntil(() -> at(level).stream().anyMatch(m -> m.contains(text)));
    }

    public List<String> at(Level level) {
        return lines.stream()
                .filter(l -> l.level == level)
                .map(l -> l.message)
                .collect(Collectors.toList());
    }

    public String all() {
        return lines.stream().map(Line::toString).collect(Collectors.joining("\n"));
    }

    public void clear() {
        lines.clear();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        logger.removeAppender(getName());
        logger.setLevel(previousLevel);
        context.updateLoggers();
        stop();
    }
}
