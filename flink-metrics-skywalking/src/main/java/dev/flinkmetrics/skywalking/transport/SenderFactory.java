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
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.util.function.Function;
import javax.net.ssl.SSLSocketFactory;
import org.apache.flink.annotation.Internal;

/** Makes the {@link Sender} of a reporter, for the protocol its connection settings name. */
@Internal
public final class SenderFactory {

    private SenderFactory() {}

    /**
     * A sender for the connection's protocol, gRPC or OTLP/HTTP, to its OAP nodes: one at a time,
     * moving on to the next when one fails. gRPC senders lease the process's shared channels and
     * give them back when they close.
     */
    public static Sender create(
            ConnectionSettings connection, ExportMethod method, PluginProcess process) {
        Credentials credentials = new Credentials(connection);
        Function<Node, Sender> senders;
        // TLS is set up here, once for every node, so that bad key material fails at start.
        if (connection.protocol == ConnectionSettings.Protocol.GRPC) {
            SslContext ssl = connection.tls ? TlsContexts.forGrpc(connection) : null;
            senders =
                    node ->
                            new GrpcSender(
                                    connection, method, node, credentials, process.channels, ssl);
        } else {
            SSLSocketFactory ssl = connection.tls ? TlsContexts.forHttp(connection) : null;
            senders =
                    node ->
                            new HttpSender(
                                    connection,
                                    method,
                                    node,
                                    credentials,
                                    process.httpDeadlines,
                                    ssl);
        }
        return new FailoverSender(
                connection,
                method,
                credentials,
                senders,
                FailoverSender::resolveHost,
                FailoverSender.RESOLVE_EVERY_NANOS);
    }
}
