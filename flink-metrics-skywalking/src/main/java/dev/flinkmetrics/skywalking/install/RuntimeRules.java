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

import java.io.PrintStream;
import java.io.UnsupportedEncodingException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's MAL rules on a running OAP 11, through its runtime-rule API ({@code
 * /runtime/rule/...} on the admin server): added or updated without a restart, kept in the OAP's
 * storage, and spread to every node of an OAP cluster by the OAP itself.
 */
final class RuntimeRules {

    static final String CATALOG = "otel-rules";

    /** How long a storage-changing apply may take to reach the whole OAP cluster. */
    private static final long APPLY_WAIT_MILLIS = 180_000;

    private final AdminClient admin;
    private final PrintStream out;

    RuntimeRules(AdminClient admin, PrintStream out) {
        this.admin = admin;
        this.out = out;
    }

    /** Fails unless the runtime-rule module answers. */
    void requireModule() {
        AdminClient.Response list = admin.get("/runtime/rule/list?catalog=" + CATALOG);
        if (list.status == 404) {
            throw new InstallException(
                    "the OAP at "
                            + admin.base()
                            + " serves no runtime rules ("
                            + list.reason()
                            + "): turn its runtime-rule module on with"
                            + " SW_RECEIVER_RUNTIME_RULE=default.");
        }
        if (list.status != 200) {
            throw new InstallException("listing the OAP's runtime rules failed: " + list.reason());
        }
    }

    /**
     * Adds or updates each rule; prints a line per rule.
     *
     * @return how many rules changed (or would, on a dry run)
     */
    int install(List<ProjectFiles.Rule> rules, boolean dryRun, boolean allowStorageChange) {
        int changed = 0;
        for (ProjectFiles.Rule rule : rules) {
            String before = stored(rule);
            String verdict;
            if (dryRun) {
                verdict =
                        before == null
                                ? "would be added"
                                : before.equals(rule.content) ? "unchanged" : "would be updated";
            } else {
                verdict = apply(rule, before, allowStorageChange);
            }
            if (!verdict.startsWith("unchanged")) {
                changed++;
            }
            out.printf("  %-52s %s%n", CATALOG + "/" + rule.name, verdict);
        }
        return changed;
    }

    /**
     * Reads back each rule from the OAP's list: there, active, running on the node that answers,
     * with the project's content.
     *
     * @return how many are not
     */
    int check(List<ProjectFiles.Rule> rules) {
        AdminClient.Response list = admin.get("/runtime/rule/list?catalog=" + CATALOG);
        if (list.status != 200) {
            throw new InstallException("listing the OAP's runtime rules failed: " + list.reason());
        }
        Map<String, Object> rows = new HashMap<>();
        Object items = Json.member(list.json(), "rules");
        if (items instanceof List) {
            for (Object row : (List<?>) items) {
                rows.put(Json.string(row, "name"), row);
            }
        }
        int wrong = 0;
        for (ProjectFiles.Rule rule : rules) {
            Object row = rows.get(rule.name);
            String verdict;
            if (row == null) {
                verdict = "MISSING";
            } else if (!sha256(rule.content).equals(Json.string(row, "contentHash"))) {
                verdict = "DIFFERS from this jar's (another version's, or edited)";
            } else if (!"ACTIVE".equals(Json.string(row, "status"))) {
                verdict = "NOT ACTIVE (" + Json.string(row, "status") + ")";
            } else if (!"RUNNING".equals(Json.string(row, "localState"))) {
                verdict = "NOT RUNNING on this node (" + Json.string(row, "localState") + ")";
            } else {
                String error = Json.string(row, "lastApplyError");
                verdict =
                        error == null || error.isEmpty()
                                ? "installed"
                                : "installed; last apply error: " + error;
            }
            if (!verdict.startsWith("installed")) {
                wrong++;
            }
            out.printf("  %-52s %s%n", CATALOG + "/" + rule.name, verdict);
        }
        return wrong;
    }

    /** The rule's content as the OAP holds it, or null when it holds none. */
    private String stored(ProjectFiles.Rule rule) {
        AdminClient.Response response = admin.get("/runtime/rule?" + query(rule));
        if (response.status == 404) {
            return null;
        }
        if (response.status != 200) {
            throw new InstallException(
                    "reading rule " + CATALOG + "/" + rule.name + " failed: " + response.reason());
        }
        Object json = response.json();
        if (json != null && !"ACTIVE".equals(Json.string(json, "status"))) {
            // An inactivated rule is applied again by addOrUpdate: not "unchanged".
            return "";
        }
        String content = Json.string(json, "content");
        return content != null ? content : response.body;
    }

    private String apply(ProjectFiles.Rule rule, String before, boolean allowStorageChange) {
        String path =
                "/runtime/rule/addOrUpdate?"
                        + query(rule)
                        + (allowStorageChange ? "&allowStorageChange=true" : "");
        AdminClient.Response response =
                admin.post(path, "application/x-yaml; charset=utf-8", rule.content);
        String status = Json.string(response.json(), "applyStatus");
        String name = CATALOG + "/" + rule.name;
        if (response.status == 200) {
            if ("no_change".equals(status)) {
                return "unchanged";
            }
            String applyId = Json.string(response.json(), "applyId");
            if (applyId != null && !applyId.isEmpty()) {
                awaitApplied(name, applyId);
            }
            return (before == null ? "added" : "updated") + " (" + status + ")";
        }
        if ("compile_failed".equals(status) || "apply_failed".equals(status)) {
            throw new InstallException(
                    "the OAP could not apply rule "
                            + name
                            + " ("
                            + response.reason()
                            + "). Is this OAP 11 or later? Earlier lines take the rules as files:"
                            + " docs/skywalking.md.");
        }
        if ("storage_change_requires_explicit_approval".equals(status)) {
            throw new InstallException(
                    "rule "
                            + name
                            + " changes how the OAP stores a metric the installed version"
                            + " defines, which the OAP refuses by default ("
                            + response.reason()
                            + "). Run again with --allow-storage-change to accept it: the"
                            + " metric's stored history is dropped on BanyanDB and left behind on"
                            + " JDBC and Elasticsearch.");
        }
        if (response.status == 404) {
            throw new InstallException(
                    "the OAP serves no runtime rules ("
                            + response.reason()
                            + "): turn its runtime-rule module on with"
                            + " SW_RECEIVER_RUNTIME_RULE=default.");
        }
        throw new InstallException("installing rule " + name + " failed: " + response.reason());
    }

    /** Waits until a storage-changing apply reached every OAP node, or fails. */
    private void awaitApplied(String name, String applyId) {
        long deadline = System.currentTimeMillis() + APPLY_WAIT_MILLIS;
        String phase = "";
        while (System.currentTimeMillis() < deadline) {
            AdminClient.Response status =
                    admin.get("/runtime/rule/status?applyId=" + encode(applyId));
            phase = String.valueOf(Json.string(status.json(), "phase"));
            if (phase.equals("APPLIED")) {
                return;
            }
            if (phase.equals("FAILED") || phase.equals("DEGRADED")) {
                throw new InstallException(
                        "the OAP could not apply rule "
                                + name
                                + " everywhere (phase "
                                + phase
                                + ": "
                                + Json.string(status.json(), "failureReason")
                                + ")");
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new InstallException(
                "rule "
                        + name
                        + " was accepted but not applied within "
                        + APPLY_WAIT_MILLIS / 1000
                        + " s (last phase "
                        + phase
                        + "); GET /runtime/rule/status?applyId="
                        + applyId
                        + " tells how it goes on.");
    }

    private static String query(ProjectFiles.Rule rule) {
        return "catalog=" + CATALOG + "&name=" + encode(rule.name);
    }

    private static String encode(String value) {
        try {
            return URLEncoder.encode(value, "UTF-8");
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of the UTF-8 text, lower-case hex: the OAP's contentHash. */
    static String sha256(String text) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : digest) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
