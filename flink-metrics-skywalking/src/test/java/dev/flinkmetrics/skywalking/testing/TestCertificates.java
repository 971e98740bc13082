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

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA made for one test, with a server certificate for 127.0.0.1 and a client certificate. */
public final class TestCertificates {

    public final File caCert;
    public final File serverCert;
    public final File serverKey;
    public final File clientCert;
    public final File clientKey;

    /** A CA that signed nothing here: trusting it must fail the handshake. */
    public final File otherCaCert;

    private long serial = System.nanoTime();

    public TestCertificates(Path dir) throws Exception {
        KeyPair ca = keyPair();
        X509Certificate caCertificate = sign("CN=test-ca", ca, "CN=test-ca", ca, true, false);
        KeyPair server = keyPair();
        X509Certificate serverCertificate =
                sign("CN=127.0.0.1", server, "CN=test-ca", ca, false, true);
        KeyPair client = keyPair();
        X509Certificate clientCertificate =
                sign("CN=flink", client, "CN=test-ca", ca, false, false);
        KeyPair other = keyPair();
        X509Certificate otherCertificate =
                sign("CN=other-ca", other, "CN=other-ca", other, true, false);

        caCert = write(dir.resolve("ca.pem"), caCertificate);
        serverCert = write(dir.resolve("server.pem"), serverCertificate);
        serverKey = writeKey(dir.resolve("server.key"), server);
        clientCert = write(dir.resolve("client.pem"), clientCertificate);
        clientKey = writeKey(dir.resolve("client.key"), client);
        otherCaCert = write(dir.resolve("other-ca.pem"), otherCertificate);
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private X509Certificate sign(
            String subject,
            KeyPair subjectKeys,
            String issuer,
            KeyPair issuerKeys,
            boolean ca,
            boolean server)
            throws Exception {
        Date from = new Date(System.currentTimeMillis() - TimeUnit.HOURS.toMillis(1));
        Date to = new Date(System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1));
        X509v3CertificateBuilder builder =
                new JcaX509v3CertificateBuilder(
                        new X500Name(issuer),
                        BigInteger.valueOf(serial++),
                        from,
                        to,
                        new X500Name(subject),
                        subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (server) {
            builder.addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(
                            new GeneralName[] {
                                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                                new GeneralName(GeneralName.dNSName, "localhost")
                            }));
        }
        return new JcaX509CertificateConverter()
                .getCertificate(
                        builder.build(
                                new JcaContentSignerBuilder("SHA256withRSA")
                                        .build(issuerKeys.getPrivate())));
    }

    private static File write(Path path, Object pem) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(pem);
        }
        Files.write(path, text.toString().getBytes(StandardCharsets.US_ASCII));
        return path.toFile();
    }

    private static File writeKey(Path path, KeyPair keys) throws IOException {
        return write(path, new JcaPKCS8Generator(keys.getPrivate(), null));
    }

    /** The PEM text of a private key, to check that it never reaches a log. */
    public static String body(File pem) throws IOException {
        String text = new String(Files.readAllBytes(pem.toPath()), StandardCharsets.US_ASCII);
        String[] lines = text.split("\n");
        return lines.length > 2 ? lines[1].trim() : text;
    }
}
