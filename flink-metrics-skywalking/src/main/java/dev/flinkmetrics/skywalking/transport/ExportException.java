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
package dev.flinkmetrics.skywalking.transport;

import org.apache.flink.annotation.Internal;

/** Why an export was not accepted, classified by what the operator or the reporter should do. */
@Internal
public final class ExportException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What to do about a failure. */
    public enum Kind {
        /**
         * The receiver is down, overloaded or slow: retried within the timeout, then next cycle.
         */
        UNAVAILABLE,
        /** The receiver refuses us for its configuration or ours: not retried in a loop. */
        CONFIGURATION,
        /** The receiver rejected this request (too large, malformed): the others still go. */
        REJECTED,
        /**
         * Not an answer of the receiver: the send threw (a class that cannot be loaded, memory or
         * file descriptors used up, a fault of the plugin). Not retried; the next request is tried
         * afresh.
         */
        ERROR
    }

    public final Kind kind;

    /** What the operator can do about it; may be empty. */
    public final String hint;

    /** The receiver refused the token or other credentials. */
    final boolean credentialsRefused;

    ExportException(Kind kind, String message, String hint) {
        this(kind, message, hint, false);
    }

    ExportException(Kind kind, String message, String hint, boolean credentialsRefused) {
        this(kind, message, hint, credentialsRefused, null);
    }

    /**
     * @param cause what the send threw, logged with its stack trace; null for an answer
     */
    ExportException(
            Kind kind, String message, String hint, boolean credentialsRefused, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.hint = hint;
        this.credentialsRefused = credentialsRefused;
    }
}
