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
package dev.flinkmetrics.skywalking.events;

import dev.flinkmetrics.skywalking.transport.BatchExporter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Encodes events for the OAP's REST receiver, {@code POST /v3/events}: a JSON array of events with
 * the fields of the gRPC message (protocol {@code http/protobuf}). Used by the export thread only.
 */
final class EventJsonEncoder implements BatchExporter.Encoder<SkyWalkingEvent> {

    private final StringBuilder json = new StringBuilder(1024);
    private byte[] request = new byte[4096];

    @Override
    public BatchExporter.Request encode(List<SkyWalkingEvent> batch, int from, int maxBytes) {
        int length = 1;
        request[0] = '[';
        int items = 0;
        int sent = 0;
        for (int i = from; i < batch.size(); i++) {
            byte[] event = encoded(batch.get(i));
            // A comma before the event, the closing bracket after the last.
            int size = event.length + (sent > 0 ? 1 : 0);
            if (length + size + 1 > maxBytes) {
                if (items > 0) {
                    break;
                }
                items++; // larger than a request alone: skipped, counted as dropped
                continue;
            }
            if (length + size + 1 > request.length) {
                request = Arrays.copyOf(request, Math.max(request.length * 2, length + size + 1));
            }
            if (sent > 0) {
                request[length++] = ',';
            }
            System.arraycopy(event, 0, request, length, event.length);
            length += event.length;
            items++;
            sent++;
        }
        request[length++] = ']';
        return new BatchExporter.Request(request, length, items, sent);
    }

    /** One event as a JSON object. */
    byte[] encoded(SkyWalkingEvent e) {
        json.setLength(0);
        json.append('{');
        field("uuid", e.uuid).append(',');
        json.append("\"source\":{");
        field("service", e.service).append(',');
        field("serviceInstance", e.instance).append(',');
        field("endpoint", e.endpoint).append("},");
        field("name", e.name).append(',');
        field("type", e.error ? "Error" : "Normal").append(',');
        field("message", e.message).append(',');
        json.append("\"parameters\":{");
        boolean first = true;
        for (Map.Entry<String, String> parameter : e.parameters.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            field(parameter.getKey(), parameter.getValue());
        }
        json.append("},\"startTime\":").append(e.startTime);
        json.append(",\"endTime\":").append(e.endTime).append(',');
        field("layer", e.layer).append('}');
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private StringBuilder field(String name, String value) {
        quote(name);
        json.append(':');
        quote(value == null ? "" : value);
        return json;
    }

    private void quote(String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    json.append("\\\"");
                    break;
                case '\\':
                    json.append("\\\\");
                    break;
                case '\n':
                    json.append("\\n");
                    break;
                case '\r':
                    json.append("\\r");
                    break;
                case '\t':
                    json.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
            }
        }
        json.append('"');
    }
}
