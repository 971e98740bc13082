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
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/** TLS contexts from the PEM files of the connection settings, for both senders. */
final class TlsContexts {

    private TlsContexts() {}

    /** For the gRPC senders. */
    static SslContext forGrpc(ConnectionSettings connection) {
        return build(connection, GrpcSslContexts.forClient());
    }

    /** For the OTLP/HTTP senders, through the JDK's TLS. */
    static SSLSocketFactory forHttp(ConnectionSettings connection) {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
        return ((JdkSslContext) build(connection, builder)).context().getSocketFactory();
    }

    private static SslContext build(ConnectionSettings connection, SslContextBuilder builder) {
        try {
            if (connection.caCert != null) {
                builder.trustManager(connection.caCert);
            }
            if (connection.clientCert != null) {
                builder.keyManager(connection.clientCert, connection.clientKey);
            }
            return builder.build();
        } catch (SSLException | RuntimeException e) {
            // Key material must not reach the log: name the files and the kind of failure only.
            throw new IllegalArgumentException(
                    "Cannot set up TLS from "
                            + connection.key(SkyWalkingReporterOptions.TLS_CA_CERT)
                            + "="
                            + (connection.caCert == null ? "(JVM default)" : connection.caCert)
                            + ", "
                            + connection.key(SkyWalkingReporterOptions.TLS_CLIENT_CERT)
                            + "="
                            + (connection.clientCert == null ? "(none)" : connection.clientCert)
                            + ", "
                            + connection.key(SkyWalkingReporterOptions.TLS_CLIENT_KEY)
                            + "="
                            + (connection.clientKey == null ? "(none)" : connection.clientKey)
                            + ": "
                            + e.getClass().getSimpleName()
                            + " (are they PEM files, and is the key PKCS#8?)");
        }
    }
}
