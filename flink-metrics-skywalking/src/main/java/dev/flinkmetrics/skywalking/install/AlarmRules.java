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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project's alarm rules on OAP 11. The admin API does not take alarm rules, and an OAP 11 reads
 * config/alarm-settings.yml at start before it loads the rules installed at run time, so a rule
 * naming one of those stops its start: they go in through the OAP's dynamic configuration (key
 * {@code alarm.default.alarm-settings}), read while it runs. What the OAP runs is read back from
 * its status API ({@code /status/alarm/rules}) and said; the command neither writes them nor fails
 * for them.
 */
final class AlarmRules {

    /** A rule's name: a key two spaces in, under {@code rules:}. */
    private static final Pattern RULE = Pattern.compile("^  ([a-z0-9_]+_rule):\\s*$");

    private final AdminClient admin;
    private final PrintStream out;

    AlarmRules(AdminClient admin, PrintStream out) {
        this.admin = admin;
        this.out = out;
    }

    /** The rule names of the project's alarm-settings-flink.yml. */
    static List<String> names(String settings) {
        List<String> names = new ArrayList<>();
        for (String line : settings.split("\n")) {
            Matcher m = RULE.matcher(line);
            if (m.matches()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** Prints which of the project's rules the OAP runs, and how to add those it does not. */
    void report(List<String> ours) {
        AdminClient.Response response = admin.get("/status/alarm/rules");
        if (response.status != 200) {
            out.printf(
                    "  not read: the OAP's status API answered %s (its status module is"
                            + " SW_STATUS)%n",
                    response.reason());
            return;
        }
        Set<String> running = new LinkedHashSet<>();
        Object instances = Json.member(response.json(), "oapInstances");
        if (instances instanceof List) {
            for (Object instance : (List<?>) instances) {
                Object rules = Json.member(Json.member(instance, "status"), "ruleList");
                if (rules instanceof List) {
                    for (Object rule : (List<?>) rules) {
                        running.add(Json.string(rule, "id"));
                    }
                }
            }
        }
        List<String> missing = new ArrayList<>(ours);
        missing.removeAll(running);
        out.printf(
                "  %d of the project's %d alarm rules run on this OAP%n",
                ours.size() - missing.size(), ours.size());
        if (!missing.isEmpty()) {
            out.printf(
                    "  not running: %s%n"
                            + "  The admin API takes no alarm rules. Give them to the OAP through"
                            + " its dynamic configuration,%n"
                            + "  key alarm.default.alarm-settings (java -jar <this jar>"
                            + " alarm-rules prints them). Not into%n"
                            + "  config/alarm-settings.yml: at its next start the OAP reads that"
                            + " file before the rules%n"
                            + "  installed here, and does not start. See docs/alarms.md.%n",
                    String.join(", ", missing));
        }
    }
}
