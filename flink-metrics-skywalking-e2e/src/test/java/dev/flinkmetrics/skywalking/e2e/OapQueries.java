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
package dev.flinkmetrics.skywalking.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the SkyWalking UI asks the OAP, through its GraphQL API: services and their layers,
 * instances, MQE expressions, dashboard templates. Requests are built and answers read as JSON.
 */
final class OapQueries {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HHmm");

    private final OapServer oap;

    OapQueries(OapServer oap) {
        this.oap = oap;
    }

    /** A GraphQL request body: the query and its variables, given as name, value, name, ... */
    static String request(String query, Object... variables) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("query", query);
        Map<String, Object> vars = new LinkedHashMap<>();
        for (int i = 0; i < variables.length; i += 2) {
            vars.put((String) variables[i], variables[i + 1]);
        }
        body.put("variables", vars);
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    /** A value written as JSON. */
    static String write(Object value) throws IOException {
        return JSON.writeValueAsString(value);
    }

    /** A GraphQL Duration over the last {@code minutes} minutes, by minute. */
    static Map<String, String> lastMinutes(long minutes) {
        LocalDateTime now = LocalDateTime.now();
        Map<String, String> duration = new LinkedHashMap<>();
        duration.put("start", MINUTE.format(now.minusMinutes(minutes)));
        duration.put("end", MINUTE.format(now.plusMinutes(1)));
        duration.put("step", "MINUTE");
        return duration;
    }

    /** A GraphQL Entity: the service, and an instance or endpoint of it when given. */
    static Map<String, Object> entity(String service, String instance, String endpoint) {
        Map<String, Object> entity = new LinkedHashMap<>();
        entity.put("serviceName", service);
        entity.put("normal", true);
        if (instance != null) {
            entity.put("serviceInstanceName", instance);
        }
        if (endpoint != null) {
            entity.put("endpointName", endpoint);
        }
        return entity;
    }

    JsonNode query(String query, Object... variables) throws IOException, InterruptedException {
        JsonNode response = json(oap.graphql(request(query, variables)));
        if (response.has("errors") && response.get("errors").size() > 0) {
            throw new IOException("GraphQL errors: " + response.get("errors"));
        }
        return response.get("data");
    }

    /** The layers the OAP lists the service in; empty if it does not know the service. */
    List<String> layersOf(String service) throws IOException, InterruptedException {
        List<String> layers = new ArrayList<>();
        for (JsonNode layer :
                query("query($n:String!){ findService(serviceName:$n) { layers } }", "n", service)
                        .path("findService")
                        .path("layers")) {
            layers.add(layer.asText());
        }
        return layers;
    }

    /**
     * The latest minute's value of an MQE expression for an entity, the largest over its labels;
     * null while it has none.
     */
    Long latest(String expression, Map<String, Object> entity)
            throws IOException, InterruptedException {
        JsonNode result =
                query(
                                "query($e:String!,$ent:Entity!,$d:Duration!){ execExpression("
                                        + "expression:$e, entity:$ent, duration:$d){ error"
                                        + " results { values { value } } } }",
                                "e",
                                expression,
                                "ent",
                                entity,
                                "d",
                                lastMinutes(5))
                        .get("execExpression");
        if (!result.get("error").isNull()) {
            throw new IOException(expression + ": " + result.get("error").asText());
        }
        Long best = null;
        for (JsonNode series : result.get("results")) {
            Long last = null;
            for (JsonNode value : series.get("values")) {
                if (!value.get("value").isNull()) {
                    last = (long) Double.parseDouble(value.get("value").asText());
                }
            }
            if (last != null && (best == null || last > best)) {
                best = last;
            }
        }
        return best;
    }

    /** The names of the service's instances seen in the last 15 minutes. */
    List<String> instances(String service) throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        String id =
                query("query($n:String!){ findService(serviceName:$n) { id } }", "n", service)
                        .path("findService")
                        .path("id")
                        .asText("");
        if (id.isEmpty()) {
            return names;
        }
        for (JsonNode instance :
                query(
                                "query($id:ID!,$d:Duration!){ listInstances(serviceId:$id,"
                                        + " duration:$d) { name } }",
                                "id",
                                id,
                                "d",
                                lastMinutes(15))
                        .path("listInstances")) {
            names.add(instance.get("name").asText());
        }
        return names;
    }

    /** The names of the events of the service's endpoint in the last {@code minutes} minutes. */
    List<String> eventNames(String service, String endpoint, long minutes)
            throws IOException, InterruptedException {
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("service", service);
        source.put("endpoint", endpoint);
        Map<String, Object> paging = new LinkedHashMap<>();
        paging.put("pageNum", 1);
        paging.put("pageSize", 50);
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("source", source);
        condition.put("time", lastMinutes(minutes));
        condition.put("paging", paging);
        List<String> names = new ArrayList<>();
        for (JsonNode event :
                query(
                                "query($c:EventQueryCondition){ queryEvents(condition:$c) {"
                                        + " events { name } } }",
                                "c",
                                condition)
                        .path("queryEvents")
                        .path("events")) {
            names.add(event.get("name").asText());
        }
        return names;
    }

    /** The messages of the alarms the OAP raised in the last {@code minutes} minutes. */
    List<String> alarmMessages(long minutes) throws IOException, InterruptedException {
        List<String> messages = new ArrayList<>();
        for (JsonNode alarm :
                query(
                                "query($d:Duration!){ getAlarm(duration:$d,"
                                        + " paging:{pageNum:1, pageSize:100}) { msgs { message } } }",
                                "d",
                                lastMinutes(minutes))
                        .path("getAlarm")
                        .path("msgs")) {
            messages.add(alarm.get("message").asText());
        }
        return messages;
    }

    /** The dashboard templates the OAP holds: name, layer and entity of each. */
    List<String> templates() throws IOException, InterruptedException {
        List<String> templates = new ArrayList<>();
        for (JsonNode t :
                query("query { getAllTemplates { id configuration } }").get("getAllTemplates")) {
            JsonNode c = json(t.get("configuration").asText());
            templates.add(
                    c.path("name").asText()
                            + " "
                            + c.path("layer").asText()
                            + " "
                            + c.path("entity").asText());
        }
        return templates;
    }
}
