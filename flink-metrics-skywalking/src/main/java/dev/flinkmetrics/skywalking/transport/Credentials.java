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
import dev.flinkmetrics.skywalking.config.Headers;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The headers every request carries. With a token file, the token is read again when the OAP
 * refuses it, so that a rotated Kubernetes Secret is picked up without a restart. The token never
 * reaches a log line.
 */
final class Credentials {

    private static final Logger LOG = LoggerFactory.getLogger(Credentials.class);

    private final ConnectionSettings connection;
    private volatile Map<String, String> headers;

    /** A failure to read the file was logged; the next one stays at DEBUG. */
    private boolean readFailureLogged;

    Credentials(ConnectionSettings connection) {
        this.connection = connection;
        this.headers = connection.headers;
    }

    /** The headers to send now; the same instance until the token changes. */
    Map<String, String> headers() {
        return headers;
    }

    /**
     * Reads the token file again.
     *
     * @return true when it holds another token than the one sent, which is used from now on
     */
    synchronized boolean reload() {
        if (connection.tokenFile == null) {
            return false;
        }
        String token;
        try {
            token = Headers.readToken(connection.tokenFile, connection.signal);
        } catch (IOException | IllegalArgumentException e) {
            String message = "Cannot read the token from {} ({}); the token read before stays.";
            if (readFailureLogged) {
                LOG.debug(message, connection.tokenFile, e.getClass().getSimpleName());
            } else {
                readFailureLogged = true;
                LOG.warn(message, connection.tokenFile, e.getClass().getSimpleName());
            }
            return false;
        }
        readFailureLogged = false;
        if (token.equals(headers.get(Headers.AUTHENTICATION))) {
            return false;
        }
        Map<String, String> updated = new LinkedHashMap<>(headers);
        updated.put(Headers.AUTHENTICATION, token);
        headers = Collections.unmodifiableMap(updated);
        LOG.info(
                "The OAP refused the token; {} holds a new one, which is sent from now on.",
                connection.tokenFile);
        return true;
    }
}
