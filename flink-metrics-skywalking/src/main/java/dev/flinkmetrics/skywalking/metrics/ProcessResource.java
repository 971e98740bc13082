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
package dev.flinkmetrics.skywalking.metrics;

import dev.flinkmetrics.skywalking.proto.OtlpFields;
import dev.flinkmetrics.skywalking.proto.ProtoWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One OTLP resource: a JobManager or one TaskManager. Its attributes are what SkyWalking builds
 * entities from: {@code service.name} (OAP's {@code job_name}, which picks the rule file), {@code
 * cluster} (the service) and {@code jobManager_node} or {@code taskManager_node} (the instance).
 * The scope variables every series of the process shares ({@code host}, {@code tm_id}) are
 * attributes here rather than on each point. One JVM can host several processes (a MiniCluster),
 * and each gets its own resource.
 */
final class ProcessResource {

    final SeriesTranslator.Role role;
    final String node;

    /** {@code ResourceMetrics.resource}, encoded with its tag. */
    final byte[] resourceField;

    final Map<String, MetricFamily> families = new LinkedHashMap<>();

    ProcessResource(
            SeriesTranslator.Role role,
            String node,
            Map<String, String> processLabels,
            String cluster) {
        this.role = role;
        this.node = node;
        Map<String, String> attributes = new TreeMap<>(processLabels);
        attributes.put("service.name", role.serviceName);
        attributes.put("cluster", cluster);
        attributes.put(role.nodeLabel, node);
        byte[] attributeFields =
                LabelSet.encodeAttributes(OtlpFields.Resource.ATTRIBUTES, attributes);
        ProtoWriter w = new ProtoWriter(attributeFields.length + 8);
        w.lenHeader(OtlpFields.ResourceMetrics.RESOURCE, attributeFields.length);
        w.bytes(attributeFields);
        this.resourceField = w.toByteArray();
    }

    @Override
    public String toString() {
        return role.serviceName + "{" + role.nodeLabel + "=" + node + "}";
    }
}
