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
import dev.flinkmetrics.skywalking.config.Endpoints;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends to one OAP node of several and moves on when it fails. A process starts on a node chosen at
 * random, so that a cluster's TaskManagers spread over the OAP nodes, and stays on it while it
 * works. When a request to it fails as unavailable (unreachable, overloaded, timed out), the same
 * request goes to the next node within the same deadline, each node getting an equal share of what
 * is left. Host names are resolved again every 30 s: a name with several addresses (a headless
 * Kubernetes service) counts as that many nodes, so pods that come and go are followed.
 *
 * <p>Logging: one WARN when a node fails, naming it and the node taken instead; one INFO when a
 * node that had failed is used again. With one node nothing is logged here: the export loop logs
 * the outage as it always did.
 *
 * <p>Host names are first resolved by the first send, on the export thread: resolving may block,
 * and the reporter is created on Flink's thread. Used by one export thread; {@link #close(long)}
 * may come from another, after which no node's sender is made any more.
 */
final class FailoverSender implements Sender {

    private static final Logger LOG = LoggerFactory.getLogger(FailoverSender.class);

    /** How often host names are resolved again. */
    static final long RESOLVE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final ConnectionSettings connection;
    private final String defaultPath;

    /** What is sent, for the failover log lines: two reporters may fail over the same node. */
    private final String what;

    private final Credentials credentials;
    private final Function<Node, Sender> senderFactory;
    private final Function<String, InetAddress[]> resolver;
    private final long resolveEveryNanos;
    private final Random random = new Random();

    /** Senders are made on first use, under this lock; close() takes them away under it. */
    private final Map<Node, Sender> senders = new HashMap<>();

    private boolean closed;

    // Touched only by the export thread.
    private final Set<Node> failed = new HashSet<>();

    /** Null until the first send resolves them. */
    private List<Node> nodes;

    private int current;
    private long resolvedAtNanos;

    FailoverSender(
            ConnectionSettings connection,
            ExportMethod method,
            Credentials credentials,
            Function<Node, Sender> senderFactory,
            Function<String, InetAddress[]> resolver,
            long resolveEveryNanos) {
        this.connection = connection;
        this.resolveEveryNanos = resolveEveryNanos;
        this.defaultPath = method.httpPath;
        this.what = method.what;
        this.credentials = credentials;
        this.senderFactory = senderFactory;
        this.resolver = resolver;
    }

    /** Resolves with the JDK's resolver and its cache. */
    static InetAddress[] resolveHost(String host) {
        try {
            return InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return new InetAddress[0];
        }
    }

    @Override
    public String target() {
        return connection.target(defaultPath);
    }

    @Override
    public void send(byte[] request, int length, long deadlineNanos) throws ExportException {
        if (closed()) {
            throw Failures.unavailable("the reporter is closed"); // not a node's failure
        }
        refreshNodes();
        ExportException last = null;
        for (int tried = 0; tried < nodes.size(); tried++) {
            Node node = nodes.get(current);
            long now = System.nanoTime();
            long left = deadlineNanos - now;
            if (last != null && left <= 0) {
                break;
            }
            try {
                sender(node).send(request, length, now + left / (nodes.size() - tried));
                if (failed.remove(node)) {
                    LOG.info("OAP node {} is used again.", node);
                }
                return;
            } catch (ExportException e) {
                if (e.kind != ExportException.Kind.UNAVAILABLE || nodes.size() == 1) {
                    throw e;
                }
                last = e;
                current = (current + 1) % nodes.size();
                if (failed.add(node)) {
                    LOG.warn(
                            "OAP node {} failed for {}: {}; sending to {} instead.",
                            node,
                            what,
                            e.getMessage(),
                            nodes.get(current));
                }
            }
        }
        throw last;
    }

    @Override
    public boolean reloadCredentials() {
        return credentials.reload();
    }

    @Override
    public synchronized void resetBackoff() {
        for (Sender sender : senders.values()) {
            sender.resetBackoff();
        }
    }

    @Override
    public void close(long deadlineNanos) {
        List<Sender> open;
        synchronized (this) {
            closed = true;
            open = new ArrayList<>(senders.values());
            senders.clear();
        }
        for (Sender sender : open) {
            sender.close(deadlineNanos);
        }
    }

    private synchronized Sender sender(Node node) throws ExportException {
        if (closed) {
            throw Failures.unavailable("the reporter is closed");
        }
        return senders.computeIfAbsent(node, senderFactory);
    }

    private synchronized boolean closed() {
        return closed;
    }

    private synchronized Sender remove(Node node) {
        return senders.remove(node);
    }

    /**
     * Resolves the host names at the first send, then every 30 s again, and follows nodes that came
     * or went.
     */
    private void refreshNodes() {
        if (nodes == null) {
            nodes = resolve();
            current = random.nextInt(nodes.size());
            resolvedAtNanos = System.nanoTime();
            return;
        }
        if (System.nanoTime() - resolvedAtNanos < resolveEveryNanos) {
            return;
        }
        resolvedAtNanos = System.nanoTime();
        List<Node> fresh = resolve();
        if (fresh.equals(nodes)) {
            return;
        }
        Node using = nodes.get(current);
        LOG.info("OAP nodes for {} are now {} (were {}).", target(), fresh, nodes);
        for (Node gone : nodes) {
            if (!fresh.contains(gone)) {
                Sender sender = remove(gone);
                if (sender != null) {
                    sender.close(
                            System.nanoTime()
                                    + TimeUnit.MILLISECONDS.toNanos(connection.timeoutMillis));
                }
                failed.remove(gone);
            }
        }
        nodes = fresh;
        int index = fresh.indexOf(using);
        current = index >= 0 ? index : random.nextInt(fresh.size());
    }

    /**
     * The nodes, in the order of the endpoint list. A host name that resolves to several addresses
     * stands for one node per address; one that resolves to one address or none stays a name that
     * its sender resolves, exactly as with a single endpoint. With https, names are never expanded:
     * the JDK's HTTP client checks the certificate against the name it connects to.
     */
    private List<Node> resolve() {
        boolean expand = connection.protocol == ConnectionSettings.Protocol.GRPC || !connection.tls;
        List<Node> resolved = new ArrayList<>();
        for (Endpoints.Address address : connection.addresses) {
            InetAddress[] ips = expand ? resolver.apply(address.host) : new InetAddress[0];
            if (ips.length > 1) {
                for (InetAddress ip : ips) {
                    resolved.add(new Node(address, ip));
                }
            } else {
                resolved.add(new Node(address, null));
            }
        }
        return resolved;
    }
}
