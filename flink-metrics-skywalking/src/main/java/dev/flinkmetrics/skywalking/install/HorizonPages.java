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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's pages in Horizon UI, SkyWalking 11's web UI. Horizon keeps one template per layer
 * in the OAP (UI Management, {@code /ui-management/templates} on the admin server); the FLINK
 * layer's is {@code horizon.layer.FLINK}, which Horizon writes when it first starts against the
 * OAP. The project's pages are merged into the template the OAP holds, so what SkyWalking ships in
 * it and what a user changed stay: only pages whose id starts with {@value #PAGE_PREFIX} are the
 * project's, and only the keys the project's file names are set.
 */
final class HorizonPages {

    static final String TEMPLATE_ID = "horizon.layer.FLINK";
    static final String PAGE_PREFIX = "flink-project-";
    private static final String PAGES = "dashboardExtPages";
    private static final String[] SCOPES = {"service", "instance", "endpoint"};

    private final AdminClient admin;
    private final PrintStream out;

    HorizonPages(AdminClient admin, PrintStream out) {
        this.admin = admin;
        this.out = out;
    }

    /** Fails unless the UI Management module answers. */
    void requireModule() {
        AdminClient.Response list = admin.get("/ui-management/templates");
        if (list.status == 404) {
            throw new InstallException(
                    "the OAP at "
                            + admin.base()
                            + " serves no UI templates ("
                            + list.reason()
                            + "): turn its UI Management module on with SW_UI_MANAGEMENT=default,"
                            + " or leave the pages out with --skip-pages.");
        }
        if (list.status != 200) {
            throw new InstallException("listing the OAP's UI templates failed: " + list.reason());
        }
    }

    /**
     * Merges the project's pages into the OAP's FLINK template and writes it back when that changes
     * it.
     *
     * @return 1 when the template changed (or would, on a dry run), else 0
     */
    int install(Object fragment, boolean dryRun) {
        Template template = read();
        Map<String, Object> merged = merge(template.content, fragment);
        report(template.content, merged, fragment, dryRun);
        boolean same = Json.write(merged).equals(Json.write(template.content));
        if (same && !template.disabled) {
            out.printf("  %-52s unchanged%n", TEMPLATE_ID);
            return 0;
        }
        if (dryRun) {
            out.printf(
                    "  %-52s would be written%s%n",
                    TEMPLATE_ID, template.disabled ? " (and enabled: it is disabled now)" : "");
            return 1;
        }
        template.envelope.put("content", merged);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", TEMPLATE_ID);
        body.put("configuration", Json.write(template.envelope));
        AdminClient.Response put =
                admin.put("/ui-management/templates", "application/json", Json.write(body));
        if (put.status != 200 || Boolean.FALSE.equals(Json.member(put.json(), "status"))) {
            throw new InstallException(
                    "writing template " + TEMPLATE_ID + " failed: " + put.reason());
        }
        if (!Json.write(read().content).equals(Json.write(merged))) {
            throw new InstallException(
                    "template "
                            + TEMPLATE_ID
                            + " was written but the OAP gives back something else");
        }
        out.printf(
                "  %-52s written%s%n",
                TEMPLATE_ID, template.disabled ? " (and enabled again)" : "");
        return 1;
    }

    /**
     * Reads back the template: every page and key of the project's file as the file has it.
     *
     * @return how many of them differ
     */
    int check(Object fragment) {
        Template template = read();
        int wrong = 0;
        for (String scope : SCOPES) {
            Map<String, Object> held = pagesById(Json.member(template.pages(), scope));
            for (Object page : list(Json.member(Json.member(fragment, PAGES), scope))) {
                String id = Json.string(page, "id");
                Object there = held.get(id);
                String verdict =
                        there == null
                                ? "MISSING"
                                : Json.write(there).equals(Json.write(page))
                                        ? "installed"
                                        : "DIFFERS from this jar's";
                if (!verdict.equals("installed")) {
                    wrong++;
                }
                out.printf("  %-52s %s%n", scope + " page " + id, verdict);
            }
        }
        for (Map.Entry<String, Object> key : object(fragment).entrySet()) {
            if (key.getKey().equals(PAGES)) {
                continue;
            }
            Object merged = merge(template.content, single(key)).get(key.getKey());
            boolean same =
                    Json.write(merged).equals(Json.write(template.content.get(key.getKey())));
            if (!same) {
                wrong++;
            }
            out.printf("  %-52s %s%n", key.getKey(), same ? "set" : "DIFFERS from this jar's");
        }
        if (template.disabled) {
            wrong++;
            out.printf("  %-52s DISABLED%n", TEMPLATE_ID);
        }
        return wrong;
    }

    /**
     * The OAP's template with the project's pages and keys merged in: every page of the project's
     * in the order of the file, where the page of that id was, or after the others; pages of the
     * project's that the file no longer has are gone; the other keys of the file set, objects
     * merged key by key.
     */
    static Map<String, Object> merge(Map<String, Object> template, Object fragment) {
        Map<String, Object> merged = copy(template);
        for (Map.Entry<String, Object> key : object(fragment).entrySet()) {
            if (key.getKey().equals(PAGES)) {
                Map<String, Object> byScope = object(merged.get(PAGES));
                for (Map.Entry<String, Object> scope : object(key.getValue()).entrySet()) {
                    byScope.put(
                            scope.getKey(),
                            mergePages(list(byScope.get(scope.getKey())), list(scope.getValue())));
                }
                merged.put(PAGES, byScope);
            } else {
                merged.put(key.getKey(), mergeValue(merged.get(key.getKey()), key.getValue()));
            }
        }
        return merged;
    }

    private static List<Object> mergePages(List<Object> held, List<Object> ours) {
        Map<String, Object> byId = pagesById(ours);
        List<Object> pages = new ArrayList<>();
        for (Object page : held) {
            String id = Json.string(page, "id");
            if (id == null || !id.startsWith(PAGE_PREFIX)) {
                pages.add(page);
            } else if (byId.containsKey(id)) {
                pages.add(byId.remove(id));
            }
        }
        pages.addAll(byId.values());
        return pages;
    }

    private static Object mergeValue(Object held, Object ours) {
        if (!(held instanceof Map) || !(ours instanceof Map)) {
            return ours;
        }
        Map<String, Object> merged = copy(object(held));
        for (Map.Entry<String, Object> key : object(ours).entrySet()) {
            merged.put(key.getKey(), mergeValue(merged.get(key.getKey()), key.getValue()));
        }
        return merged;
    }

    /** Prints, per scope, what happens to each of the project's pages. */
    private void report(
            Map<String, Object> before, Map<String, Object> after, Object fragment, boolean dry) {
        for (String scope : SCOPES) {
            Map<String, Object> was = pagesById(Json.member(before.get(PAGES), scope));
            for (Object page : list(Json.member(Json.member(fragment, PAGES), scope))) {
                String id = Json.string(page, "id");
                Object old = was.remove(id);
                String verdict =
                        old == null
                                ? (dry ? "would be added" : "added")
                                : Json.write(old).equals(Json.write(page))
                                        ? "unchanged"
                                        : (dry ? "would be updated" : "updated");
                out.printf(
                        "  %-52s %s (%s)%n",
                        scope + " page " + id, verdict, Json.string(page, "name"));
            }
            for (String id : was.keySet()) {
                if (id.startsWith(PAGE_PREFIX)) {
                    out.printf(
                            "  %-52s %s%n",
                            scope + " page " + id,
                            dry ? "would be removed (no longer the project's)" : "removed");
                }
            }
        }
        for (String key : object(fragment).keySet()) {
            if (!key.equals(PAGES)) {
                boolean same = Json.write(before.get(key)).equals(Json.write(after.get(key)));
                out.printf(
                        "  %-52s %s%n",
                        key,
                        same
                                ? "unchanged"
                                : (dry ? "would be set" : "set")
                                        + " "
                                        + Json.write(after.get(key)));
            }
        }
    }

    /** The OAP's template, parsed: the envelope Horizon stores and the layer template in it. */
    private static final class Template {
        final Map<String, Object> envelope;
        final Map<String, Object> content;
        final boolean disabled;

        Template(Map<String, Object> envelope, Map<String, Object> content, boolean disabled) {
            this.envelope = envelope;
            this.content = content;
            this.disabled = disabled;
        }

        Object pages() {
            return content.get(PAGES);
        }
    }

    private Template read() {
        AdminClient.Response response = admin.get("/ui-management/templates/" + TEMPLATE_ID);
        if (response.status == 404) {
            throw new InstallException(
                    "the OAP holds no Horizon template for the FLINK layer ("
                            + TEMPLATE_ID
                            + "). Horizon writes its templates into the OAP when it first starts"
                            + " against it: start Horizon UI once with this OAP, then run this"
                            + " again (or leave the pages out with --skip-pages).");
        }
        if (response.status != 200) {
            throw new InstallException(
                    "reading template " + TEMPLATE_ID + " failed: " + response.reason());
        }
        Object row = response.json();
        String configuration = Json.string(row, "configuration");
        Object envelope;
        try {
            envelope = configuration == null ? null : Json.parse(configuration);
        } catch (IllegalArgumentException e) {
            envelope = null;
        }
        Object content = Json.member(envelope, "content");
        if (!(content instanceof Map)) {
            throw new InstallException(
                    "template "
                            + TEMPLATE_ID
                            + " is not in the form Horizon writes (a configuration with a"
                            + " layer template under \"content\"); it was left as it is.");
        }
        return new Template(
                object(envelope),
                object(content),
                Boolean.TRUE.equals(Json.member(row, "disabled")));
    }

    private static Map<String, Object> pagesById(Object pages) {
        Map<String, Object> byId = new LinkedHashMap<>();
        for (Object page : list(pages)) {
            String id = Json.string(page, "id");
            if (id != null) {
                byId.put(id, page);
            }
        }
        return byId;
    }

    private static Map<String, Object> single(Map.Entry<String, Object> key) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put(key.getKey(), key.getValue());
        return one;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        return value instanceof Map
                ? new LinkedHashMap<>((Map<String, Object>) value)
                : new LinkedHashMap<>();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value instanceof List ? (List<Object>) value : new ArrayList<>();
    }

    private static Map<String, Object> copy(Map<String, Object> map) {
        return new LinkedHashMap<>(map);
    }
}
