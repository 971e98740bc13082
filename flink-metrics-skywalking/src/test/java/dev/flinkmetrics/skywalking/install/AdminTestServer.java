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
package dev.flinkmetrics.skywalking.install;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HTTP server on 127.0.0.1 answering as an OAP 11 admin server does, as its API documents and as
 * a real one was seen to answer: runtime rules and UI templates kept in memory, each module
 * switchable off (404, as for a route nobody serves), and one rule's apply answered with a refusal
 * when told so. Records every request.
 */
final class AdminTestServer implements AutoCloseable {

    final Map<String, String> rules = new LinkedHashMap<>();
    final Map<String, String> templates = new LinkedHashMap<>();
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    final List<String> alarmRules = new ArrayList<>();
    volatile boolean runtimeRules = true;
    volatile boolean uiManagement = true;

    /** Answers every addOrUpdate with this status and JSON instead, when set. */
    volatile int refusalStatus;

    volatile String refusal;

    private final HttpServer server;

    AdminTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String address() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Requests that change something on the OAP. */
    List<String> writes() {
        List<String> writes = new ArrayList<>();
        synchronized (requests) {
            for (String r : requests) {
                if (!r.startsWith("GET")) {
                    writes.add(r);
                }
            }
        }
        return writes;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(method + " " + exchange.getRequestURI());
        if (path.startsWith("/runtime/") && !runtimeRules
                || path.startsWith("/ui-management/") && !uiManagement) {
            answer(exchange, 404, "Status: 404\nDescription: Not Found");
            return;
        }
        switch (method + " " + path) {
            case "GET /runtime/rule/list":
                answer(exchange, 200, ruleList());
                return;
            case "GET /runtime/rule":
                String held = rules.get(query.get("name"));
                if (held == null) {
                    answer(exchange, 404, status("not_found", query.get("name"), "no rule"));
                } else {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("catalog", "otel-rules");
                    row.put("name", query.get("name"));
                    row.put("status", "ACTIVE");
                    row.put("content", held);
                    answer(exchange, 200, Json.write(row));
                }
                return;
            case "POST /runtime/rule/addOrUpdate":
                if (refusal != null) {
                    answer(exchange, refusalStatus, refusal);
                } else if (body.equals(rules.get(query.get("name")))) {
                    answer(exchange, 200, status("no_change", query.get("name"), ""));
                } else {
                    rules.put(query.get("name"), body);
                    answer(exchange, 200, status("structural_applied", query.get("name"), ""));
                }
                return;
            case "GET /ui-management/templates":
                answer(exchange, 200, "[]");
                return;
            case "PUT /ui-management/templates":
                Object row = Json.parse(body);
                String id = Json.string(row, "id");
                if (!templates.containsKey(id)) {
                    answer(exchange, 409, "{\"id\":null,\"status\":false,\"message\":\"no id\"}");
                    return;
                }
                templates.put(id, Json.string(row, "configuration"));
                answer(exchange, 200, "{\"id\":\"" + id + "\",\"status\":true,\"message\":null}");
                return;
            case "GET /status/alarm/rules":
                List<Object> list = new ArrayList<>();
                for (String rule : alarmRules) {
                    list.add(Collections.singletonMap("id", rule));
                }
                answer(
                        exchange,
                        200,
                        Json.write(
                                Collections.singletonMap(
                                        "oapInstances",
                                        Collections.singletonList(
                                                Collections.singletonMap(
                                                        "status",
                                                        Collections.singletonMap(
                                                                "ruleList", list))))));
                return;
            default:
        }
        if (method.equals("GET") && path.startsWith("/ui-management/templates/")) {
            String id = path.substring("/ui-management/templates/".length());
            String configuration = templates.get(id);
            if (configuration == null) {
                answer(exchange, 404, "{\"status\":\"not_found\",\"message\":\"" + id + "\"}");
            } else {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", id);
                row.put("configuration", configuration);
                row.put("disabled", false);
                answer(exchange, 200, Json.write(row));
            }
            return;
        }
        answer(exchange, 404, "Status: 404\nDescription: Not Found");
    }

    private String ruleList() {
        List<Object> rows = new ArrayList<>();
        for (Map.Entry<String, String> rule : rules.entrySet()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("catalog", "otel-rules");
            row.put("name", rule.getKey());
            row.put("status", "ACTIVE");
            row.put("localState", "RUNNING");
            row.put("contentHash", RuntimeRules.sha256(rule.getValue()));
            row.put("lastApplyError", "");
            rows.add(row);
        }
        return Json.write(Collections.singletonMap("rules", rows));
    }

    static String status(String applyStatus, String name, String message) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("applyStatus", applyStatus);
        status.put("catalog", "otel-rules");
        status.put("name", name);
        status.put("message", message);
        return Json.write(status);
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                query.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
