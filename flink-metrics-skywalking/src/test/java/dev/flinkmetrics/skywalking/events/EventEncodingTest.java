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

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.util.JsonFormat;
import dev.flinkmetrics.skywalking.testing.swevent.Event;
import dev.flinkmetrics.skywalking.testing.swevent.Source;
import dev.flinkmetrics.skywalking.testing.swevent.Type;
import dev.flinkmetrics.skywalking.transport.BatchExporter;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventEncodingTest {

    @Test
    void fieldNumbersAreTheContractsOwn() {
        Descriptor event = Event.getDescriptor();
        assertThat(number(event, "uuid")).isEqualTo(EventFields.EVENT_UUID);
        assertThat(number(event, "source")).isEqualTo(EventFields.EVENT_SOURCE);
        assertThat(number(event, "name")).isEqualTo(EventFields.EVENT_NAME);
        assertThat(number(event, "type")).isEqualTo(EventFields.EVENT_TYPE);
        assertThat(number(event, "message")).isEqualTo(EventFields.EVENT_MESSAGE);
        assertThat(number(event, "parameters")).isEqualTo(EventFields.EVENT_PARAMETERS);
        assertThat(number(event, "startTime")).isEqualTo(EventFields.EVENT_START_TIME);
        assertThat(number(event, "endTime")).isEqualTo(EventFields.EVENT_END_TIME);
        assertThat(number(event, "layer")).isEqualTo(EventFields.EVENT_LAYER);
        Descriptor source = Source.getDescriptor();
        assertThat(number(source, "service")).isEqualTo(EventFields.SOURCE_SERVICE);
        assertThat(number(source, "serviceInstance"))
                .isEqualTo(EventFields.SOURCE_SERVICE_INSTANCE);
        assertThat(number(source, "endpoint")).isEqualTo(EventFields.SOURCE_ENDPOINT);
        Descriptor entry = event.findFieldByName("parameters").getMessageType();
        assertThat(number(entry, "key")).isEqualTo(EventFields.MAP_KEY);
        assertThat(number(entry, "value")).isEqualTo(EventFields.MAP_VALUE);
        assertThat(Type.Error.getNumber()).isEqualTo(EventFields.TYPE_ERROR);
    }

    @Test
    void protobufRunDecodesAsTheOapReadsEachStreamMessage() throws Exception {
        List<SkyWalkingEvent> batch =
                Arrays.asList(event("a", true, 0), event("b", false, 1_700_000_000_500L));
        BatchExporter.Request request = new EventProtoEncoder().encode(batch, 0, 1 << 20);

        List<Event> decoded = decodeDelimited(request);
        assertThat(decoded).hasSize(2);
        Event first = decoded.get(0);
        assertThat(first.getUuid()).isEqualTo("uuid-a");
        assertThat(first.getSource().getService()).isEqualTo("flink::prod");
        assertThat(first.getSource().getServiceInstance()).isEqualTo("tm-1");
        assertThat(first.getSource().getEndpoint()).isEqualTo("job ä");
        assertThat(first.getName()).isEqualTo("a");
        assertThat(first.getType()).isEqualTo(Type.Error);
        assertThat(first.getMessage()).isEqualTo("line \"quoted\"");
        assertThat(first.getParametersMap()).containsEntry("job_id", "j1").containsEntry("k", "");
        assertThat(first.getStartTime()).isEqualTo(1_700_000_000_000L);
        assertThat(first.getEndTime()).isZero();
        assertThat(first.getLayer()).isEqualTo("GENERAL");
        assertThat(decoded.get(1).getType()).isEqualTo(Type.Normal);
        assertThat(decoded.get(1).getEndTime()).isEqualTo(1_700_000_000_500L);
    }

    @Test
    void jsonParsesAsTheOapsRestReceiverReadsIt() throws Exception {
        List<SkyWalkingEvent> batch =
                Arrays.asList(event("a", true, 0), event("b", false, 1_700_000_000_500L));
        BatchExporter.Request request = new EventJsonEncoder().encode(batch, 0, 1 << 20);
        String json = new String(request.bytes, 0, request.length, StandardCharsets.UTF_8);

        assertThat(json).startsWith("[{").endsWith("}]");
        // Each array element is one Event in protobuf's JSON mapping.
        List<Event> decoded = new ArrayList<>();
        for (String element : json.substring(1, json.length() - 1).split("(?<=}),(?=\\{\"uuid)")) {
            Event.Builder builder = Event.newBuilder();
            JsonFormat.parser().merge(element, builder);
            decoded.add(builder.build());
        }
        assertThat(decoded).hasSize(2);
        assertThat(decoded.get(0))
                .isEqualTo(
                        decodeDelimited(new EventProtoEncoder().encode(batch, 0, 1 << 20)).get(0));
        assertThat(decoded.get(1).getEndTime()).isEqualTo(1_700_000_000_500L);
    }

    @Test
    void requestsStayBelowTheLimitAndAnEventTooLargeAloneIsSkipped() throws Exception {
        List<SkyWalkingEvent> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(event("e" + i, false, 0));
        }
        char[] huge = new char[5000];
        Arrays.fill(huge, 'x');
        batch.add(3, event(new String(huge), false, 0));
        for (BatchExporter.Encoder<SkyWalkingEvent> encoder :
                Arrays.<BatchExporter.Encoder<SkyWalkingEvent>>asList(
                        new EventProtoEncoder(), new EventJsonEncoder())) {
            int from = 0;
            int sent = 0;
            int requests = 0;
            while (from < batch.size()) {
                BatchExporter.Request request = encoder.encode(batch, from, 1024);
                assertThat(request.length).isLessThanOrEqualTo(1024);
                assertThat(request.items).isPositive();
                from += request.items;
                sent += request.sent;
                requests++;
            }
            assertThat(sent).as(encoder.getClass().getSimpleName()).isEqualTo(10);
            assertThat(requests).isGreaterThanOrEqualTo(2);
            assertThat(from).isEqualTo(batch.size());
        }
    }

    private static List<Event> decodeDelimited(BatchExporter.Request request) throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(request.bytes, 0, request.length);
        List<Event> events = new ArrayList<>();
        Event e;
        while ((e = Event.parseDelimitedFrom(in)) != null) {
            events.add(e);
        }
        return events;
    }

    private static int number(Descriptor message, String field) {
        return message.findFieldByName(field).getNumber();
    }

    private static SkyWalkingEvent event(String name, boolean error, long end) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("job_id", "j1");
        parameters.put("k", "");
        return new SkyWalkingEvent(
                "uuid-" + name,
                "flink::prod",
                "tm-1",
                "job ä",
                name,
                error,
                "line \"quoted\"",
                Collections.unmodifiableMap(parameters),
                1_700_000_000_000L,
                end,
                "GENERAL");
    }
}
