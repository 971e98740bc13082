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

import dev.flinkmetrics.skywalking.config.PluginVersion;
import java.io.PrintStream;
import java.util.List;

/**
 * The project's OAP side on a running OAP 11, from the plugin jar: {@code java -jar
 * flink-metrics-skywalking-<version>.jar install --admin http://<oap>:17128}. It adds or updates
 * the MAL rules through the runtime-rule API and merges the Horizon pages into the FLINK layer's
 * template through UI Management, both on the OAP's admin server, with no restart; {@code check}
 * reads back what is installed; {@code alarm-rules} prints the alarm rules, which the admin API
 * does not take. It sends nothing but the project's own rules and its pages merged into the FLINK
 * template. Needs no Flink: nothing here loads a Flink or logging class.
 */
public final class Install {

    static final String USAGE =
            "Usage: java -jar flink-metrics-skywalking-<version>.jar <command> [options]\n"
                    + "\n"
                    + "Installs the project's OAP side on a running SkyWalking OAP 11 or later,"
                    + " through its\n"
                    + "admin server (no restart). OAP 10.x takes the files of skywalking/ instead"
                    + " (docs/skywalking.md).\n"
                    + "\n"
                    + "Commands:\n"
                    + "  install       add or update the MAL rules (runtime-rule API) and merge"
                    + " the Horizon\n"
                    + "                pages into the FLINK layer's template (UI Management)\n"
                    + "  check         read back what is installed; exit 1 if anything is missing"
                    + " or differs\n"
                    + "  alarm-rules   print the alarm rules, for the OAP's dynamic configuration"
                    + " (key\n"
                    + "                alarm.default.alarm-settings; docs/alarms.md)\n"
                    + "\n"
                    + "Options:\n"
                    + "  --admin URL              the OAP's admin server (default"
                    + " http://127.0.0.1:17128)\n"
                    + "  --dry-run                install: say what would change, send nothing\n"
                    + "  --skip-pages             rules only, no Horizon pages\n"
                    + "  --allow-storage-change   accept a rule update that changes how the OAP"
                    + " stores a metric\n"
                    + "                           (its stored history is dropped on BanyanDB)\n"
                    + "  --timeout SECONDS        how long one request may take (default 60)\n"
                    + "\n"
                    + "The admin server has no authentication of its own: reach it over a private"
                    + " interface,\n"
                    + "a port-forward or an authenticating gateway (docs/skywalking.md).\n";

    /** Exit codes: done; failed (the message says why); wrong command line. */
    static final int OK = 0;

    static final int FAILED = 1;
    static final int USAGE_ERROR = 2;

    private Install() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String command = null;
        String admin = "http://127.0.0.1:17128";
        boolean dryRun = false;
        boolean skipPages = false;
        boolean allowStorageChange = false;
        int timeoutSeconds = 60;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--admin":
                case "--timeout":
                    if (i + 1 >= args.length) {
                        err.println(arg + " needs a value\n\n" + USAGE);
                        return USAGE_ERROR;
                    }
                    String value = args[++i];
                    if (arg.equals("--admin")) {
                        admin = value;
                    } else {
                        try {
                            timeoutSeconds = Integer.parseInt(value);
                        } catch (NumberFormatException e) {
                            timeoutSeconds = 0;
                        }
                        if (timeoutSeconds <= 0) {
                            err.println("--timeout " + value + " is not a number of seconds");
                            return USAGE_ERROR;
                        }
                    }
                    break;
                case "--dry-run":
                    dryRun = true;
                    break;
                case "--skip-pages":
                    skipPages = true;
                    break;
                case "--allow-storage-change":
                    allowStorageChange = true;
                    break;
                case "-h":
                case "--help":
                case "help":
                    out.print(USAGE);
                    return OK;
                default:
                    if (arg.startsWith("-") || command != null) {
                        err.println("Unknown argument " + arg + "\n\n" + USAGE);
                        return USAGE_ERROR;
                    }
                    command = arg;
            }
        }
        if (command == null) {
            err.print(USAGE);
            return USAGE_ERROR;
        }
        try {
            switch (command) {
                case "install":
                    return install(
                            new AdminClient(admin, timeoutSeconds * 1000),
                            out,
                            dryRun,
                            skipPages,
                            allowStorageChange);
                case "check":
                    return check(new AdminClient(admin, timeoutSeconds * 1000), out, skipPages);
                case "alarm-rules":
                    out.print(ProjectFiles.read(ProjectFiles.ALARMS));
                    return OK;
                default:
                    err.println("Unknown command " + command + "\n\n" + USAGE);
                    return USAGE_ERROR;
            }
        } catch (InstallException e) {
            err.println("Failed: " + e.getMessage());
            return FAILED;
        }
    }

    private static int install(
            AdminClient admin,
            PrintStream out,
            boolean dryRun,
            boolean skipPages,
            boolean allowStorageChange) {
        out.printf(
                "%s %s: %s to the OAP admin server %s%n",
                PluginVersion.NAME,
                PluginVersion.version(),
                dryRun ? "what install would change (dry run, nothing is sent)" : "install",
                admin.base());
        List<ProjectFiles.Rule> rules = ProjectFiles.rules();
        Object pages = skipPages ? null : pages();
        RuntimeRules runtimeRules = new RuntimeRules(admin, out);
        HorizonPages horizon = new HorizonPages(admin, out);
        // Both modules first: nothing is changed on an OAP that cannot take all of it.
        runtimeRules.requireModule();
        if (!skipPages) {
            horizon.requireModule();
        }
        out.println("MAL rules, through the runtime-rule API:");
        int changes = runtimeRules.install(rules, dryRun, allowStorageChange);
        if (!skipPages) {
            out.println("Horizon pages, merged into the FLINK layer's template:");
            changes += horizon.install(pages, dryRun);
        }
        out.println("Alarm rules:");
        new AlarmRules(admin, out).report(alarmRuleNames());
        if (dryRun) {
            out.printf("Dry run: %d change(s) would be made; nothing was sent.%n", changes);
        } else if (changes == 0) {
            out.println("No change: everything was installed already.");
        } else {
            out.printf(
                    "Done: %d change(s). New rules show values about a minute after samples"
                            + " arrive.%n",
                    changes);
        }
        return OK;
    }

    private static int check(AdminClient admin, PrintStream out, boolean skipPages) {
        out.printf(
                "%s %s: what the OAP admin server %s holds of the project's%n",
                PluginVersion.NAME, PluginVersion.version(), admin.base());
        RuntimeRules runtimeRules = new RuntimeRules(admin, out);
        runtimeRules.requireModule();
        out.println("MAL rules:");
        int wrong = runtimeRules.check(ProjectFiles.rules());
        if (!skipPages) {
            HorizonPages horizon = new HorizonPages(admin, out);
            horizon.requireModule();
            out.println("Horizon pages:");
            wrong += horizon.check(pages());
        }
        out.println("Alarm rules:");
        new AlarmRules(admin, out).report(alarmRuleNames());
        if (wrong > 0) {
            out.printf(
                    "%d missing or different: run install (a dry run first shows what it"
                            + " does).%n",
                    wrong);
            return FAILED;
        }
        out.println("Everything is installed.");
        return OK;
    }

    private static Object pages() {
        try {
            return Json.parse(ProjectFiles.read(ProjectFiles.PAGES));
        } catch (IllegalArgumentException e) {
            throw new InstallException(ProjectFiles.PAGES + " in the jar is " + e.getMessage());
        }
    }

    private static List<String> alarmRuleNames() {
        return AlarmRules.names(ProjectFiles.read(ProjectFiles.ALARMS));
    }
}
