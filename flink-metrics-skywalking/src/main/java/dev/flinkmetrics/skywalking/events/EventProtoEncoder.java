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

import static dev.flinkmetrics.skywalking.events.EventFields.*;

import dev.flinkmetrics.skywalking.proto.ProtoWriter;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import java.util.List;
import java.util.Map;

/**
 * Encodes events for gRPC {@code EventService/collect}: a run of length-delimited {@code Event}
 * messages, each sent as one message of the client stream. Used by the export thread only.
 */
final class EventProtoEncoder implements BatchExporter.Encoder<SkyWalkingEvent> {

    private final ProtoWriter request = new ProtoWriter(4096);
    private final ProtoWriter event = new ProtoWriter(1024);
    private final ProtoWriter part = new ProtoWriter(256);

    @Override
    public BatchExporter.Request encode(List<SkyWalkingEvent> batch, int from, int maxBytes) {
        request.reset();
        int items = 0;
        int sent = 0;
        for (int i = from; i < batch.size(); i++) {
            encode(batch.get(i));
            int size = ProtoWriter.varintSize(event.length()) + event.length();
            if (request.length() + size > maxBytes) {
                if (items > 0) {
                    break;
                }
                items++; // larger than a request alone: skipped, counted as dropped
                continue;
            }
            request.varint(event.length());
            request.bytes(event.buffer(), 0, event.length());
            items++;
            sent++;
        }
        return new BatchExporter.Request(request.buffer(), request.length(), items, sent);
    }

    /** Encodes one event into {@link #event}. */
    void encode(SkyWalkingEvent e) {
        event.reset();
        string(event, EVENT_UUID, e.uuid);
        part.reset();
        string(part, SOURCE_SERVICE, e.service);
        string(part, SOURCE_SERVICE_INSTANCE, e.instance);
        string(part, SOURCE_ENDPOINT, e.endpoint);
        event.lenHeader(EVENT_SOURCE, part.length());
        event.bytes(part.buffer(), 0, part.length());
        string(event, EVENT_NAME, e.name);
        if (e.error) {
            event.varintField(EVENT_TYPE, TYPE_ERROR);
        }
        string(event, EVENT_MESSAGE, e.message);
        for (Map.Entry<String, String> parameter : e.parameters.entrySet()) {
            part.reset();
            string(part, MAP_KEY, parameter.getKey());
            string(part, MAP_VALUE, parameter.getValue());
            event.lenHeader(EVENT_PARAMETERS, part.length());
            event.bytes(part.buffer(), 0, part.length());
        }
        if (e.startTime != 0) {
            event.varintField(EVENT_START_TIME, e.startTime);
        }
        if (e.endTime != 0) {
            event.varintField(EVENT_END_TIME, e.endTime);
        }
        string(event, EVENT_LAYER, e.layer);
    }

    /** The encoded event, for tests. */
    byte[] encoded(SkyWalkingEvent e) {
        encode(e);
        return event.toByteArray();
    }

    private static void string(ProtoWriter w, int field, String value) {
        if (value != null && !value.isEmpty()) {
            w.stringField(field, value);
        }
    }
}
