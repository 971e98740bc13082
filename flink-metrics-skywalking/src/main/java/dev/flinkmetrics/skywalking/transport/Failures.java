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

import dev.flinkmetrics.skywalking.config.ConnectionSettings;
import dev.flinkmetrics.skywalking.config.SkyWalkingReporterOptions;
import dev.flinkmetrics.skywalking.transport.ExportException.Kind;
import java.net.ConnectException;
import java.util.Locale;

/**
 * The failures both senders classify answers into, each with the kind that decides what the export
 * loop does and the hint the operator reads. gRPC statuses and HTTP codes map onto these.
 */
final class Failures {

    private Failures() {}

    /** Whether {@code thrown}, or what caused it, is a connection the node's host refused. */
    static boolean connectionRefused(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    && String.valueOf(t.getMessage())
                            .toLowerCase(Locale.ROOT)
                            .contains("refused")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    static ExportException unreachable(String message) {
        return new ExportException(
                Kind.UNAVAILABLE, message, "Is the OAP running and reachable at this address?");
    }

    /** The connection was refused: the node's host is up, but no process listens on the port. */
    static ExportException nothingListens(String message, Node node) {
        return new ExportException(
                Kind.UNAVAILABLE,
                message,
                "Nothing listens at "
                        + node
                        + " (the connection was refused). Is the OAP running and reachable at"
                        + " this address?");
    }

    /**
     * The deadline passed before a connection was made: the connection attempt, or the handshake on
     * a connection the OAP took, was not answered in time.
     */
    static ExportException noConnection(String message, Node node, long timeoutMillis) {
        return new ExportException(
                Kind.UNAVAILABLE,
                message,
                "No connection to "
                        + node
                        + " within "
                        + timeoutMillis
                        + " ms: the host may be down or drop packets, a firewall may drop them, or"
                        + " the OAP may be too busy to accept connections.");
    }

    /** Something the send threw instead of an answer; logged with its stack trace. */
    static ExportException error(Throwable thrown) {
        return new ExportException(
                Kind.ERROR,
                "unexpected " + thrown,
                "This is an error in the plugin or the JVM it runs in, not an answer of the OAP;"
                        + " the request is dropped and the next one is tried.",
                false,
                thrown);
    }

    /** An open connection and no answer in time. */
    static ExportException noAnswer(String message, long timeoutMillis) {
        return new ExportException(
                Kind.UNAVAILABLE,
                message,
                "The OAP did not answer within "
                        + timeoutMillis
                        + " ms; it may be overloaded, or the address may drop packets.");
    }

    static ExportException overloaded(String message) {
        return new ExportException(
                Kind.UNAVAILABLE, message, "The OAP is overloaded or restarting.");
    }

    /** Cut short or lost for no fault of the request, with nothing to advise: tried again. */
    static ExportException unavailable(String message) {
        return new ExportException(Kind.UNAVAILABLE, message, "");
    }

    static ExportException tlsHandshake(String message) {
        return new ExportException(
                Kind.CONFIGURATION,
                message,
                "The TLS handshake failed: does the OAP serve TLS on this port, is its certificate"
                        + " signed by the configured CA, and does it require a client"
                        + " certificate?");
    }

    static ExportException credentialsRefused(String message, ConnectionSettings connection) {
        return new ExportException(
                Kind.CONFIGURATION,
                message,
                "The OAP refused the credentials: set "
                        + connection.key(SkyWalkingReporterOptions.TOKEN)
                        + " (or the file of "
                        + connection.key(SkyWalkingReporterOptions.TOKEN_FILE)
                        + ") to the OAP's SW_AUTHENTICATION value, and check "
                        + connection.key(SkyWalkingReporterOptions.HEADERS)
                        + ".",
                true);
    }

    static ExportException notServedOverGrpc(String message, ExportMethod method) {
        return new ExportException(
                Kind.CONFIGURATION,
                message,
                "The receiver does not serve "
                        + method.what
                        + " over gRPC: is this the OAP's gRPC port (11800), and is "
                        + method.oapSetting
                        + "?");
    }

    static ExportException notServedOverHttp(String message, ExportMethod method) {
        return new ExportException(
                Kind.CONFIGURATION,
                message,
                "Nothing serves "
                        + method.what
                        + " at this path. OAP serves "
                        + method.httpPath
                        + " on its REST port (12800) only from version 11; older OAPs need"
                        + " protocol grpc.");
    }

    static ExportException tooLarge(String message, ConnectionSettings connection) {
        return new ExportException(
                Kind.REJECTED,
                message,
                "The request is larger than the receiver accepts: lower "
                        + connection.key(SkyWalkingReporterOptions.MAX_REQUEST_SIZE)
                        + ".");
    }

    static ExportException notProcessed(String message) {
        return new ExportException(
                Kind.REJECTED,
                message,
                "The OAP could not process this request; its log says why.");
    }

    /** Refused as invalid: the method's own hint when it has one. */
    static ExportException invalid(String message, ExportMethod method) {
        return method.invalidHint == null
                ? notProcessed(message)
                : new ExportException(Kind.REJECTED, message, method.invalidHint);
    }
}
