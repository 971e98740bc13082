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

import dev.flinkmetrics.skywalking.config.Endpoints;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One OAP node requests can go to: a configured address, or one of the addresses its host name
 * resolves to. A node without an IP address leaves resolving to its sender.
 */
final class Node {

    final Endpoints.Address address;

    /** The resolved address, or null when the sender resolves the host name itself. */
    final InetAddress ip;

    Node(Endpoints.Address address, InetAddress ip) {
        this.address = address;
        this.ip = ip;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Node)) {
            return false;
        }
        Node other = (Node) o;
        return address == other.address && Objects.equals(ip, other.ip);
    }

    @Override
    public int hashCode() {
        return 31 * System.identityHashCode(address) + Objects.hashCode(ip);
    }

    /** host:port, with the resolved address where the host name stands for several. */
    @Override
    public String toString() {
        return ip == null
                ? address.host + ":" + address.port
                : address.host + "[" + ip.getHostAddress() + "]:" + address.port;
    }
}
