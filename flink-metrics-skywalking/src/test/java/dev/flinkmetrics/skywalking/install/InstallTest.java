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

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The install command against an HTTP server on 127.0.0.1 that answers as an OAP 11 admin server:
 * what it sends, what it prints, and how it fails. RealOapIT runs it against a real OAP 11.
 */
class InstallTest {

    /** The FLINK template as Horizon stores it: an envelope around the layer template. */
    private static final String HORIZON_TEMPLATE =
            "{\"content\":{\"components\":{\"service\":true,\"traces\":false},"
                    + "\"dashboardExtPages\":{\"service\":[{\"id\":\"users-own\",\"name\":\"Mine\","
                    + "\"widgets\":[]}]},\"key\":\"FLINK\"},\"kind\":\"layer\","
                    + "\"name\":\"horizon.layer.FLINK\",\"version\":1}";

    private AdminTestServer oap;
    private String out;
    private String err;

    @BeforeEach
    void start() throws Exception {
        oap = new AdminTestServer();
        oap.templates.put(HorizonPages.TEMPLATE_ID, HORIZON_TEMPLATE);
    }

    @AfterEach
    void stop() {
        oap.close();
    }

    private int run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code =
                Install.run(
                        args,
                        new PrintStream(o, true, StandardCharsets.UTF_8),
                        new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void installsRulesAndPagesThenASecondRunChangesNothingAndCheckPasses() {
        List<ProjectFiles.Rule> shipped = ProjectFiles.rules();
        assertThat(run("install", "--admin", oap.address())).as(err).isZero();
        assertThat(oap.rules.keySet())
                .containsExactlyElementsOf(
                        shipped.stream().map(r -> r.name).collect(Collectors.toList()));
        assertThat(oap.rules.keySet()).allMatch(name -> name.startsWith("flink-project/"));
        assertThat(out).contains("otel-rules/flink-project/flink-project-job").contains("added");
        Object content =
                Json.member(Json.parse(oap.templates.get(HorizonPages.TEMPLATE_ID)), "content");
        // The user's page stays, the project's come beside it, traces are on.
        assertThat(Json.write(Json.member(content, "dashboardExtPages")))
                .contains("\"users-own\"")
                .contains("\"flink-project-");
        assertThat(Json.write(Json.member(content, "components")))
                .isEqualTo("{\"service\":true,\"traces\":true}");
        // The envelope keeps what Horizon wrote around the content, keys sorted as Horizon does.
        assertThat(oap.templates.get(HorizonPages.TEMPLATE_ID))
                .startsWith("{\"content\":{")
                .endsWith(",\"kind\":\"layer\",\"name\":\"horizon.layer.FLINK\",\"version\":1}");
        assertThat(out).contains("Done: " + (shipped.size() + 1) + " change(s)");

        oap.requests.clear();
        assertThat(run("install", "--admin", oap.address())).as(err).isZero();
        assertThat(out).contains("No change: everything was installed already.");
        assertThat(out).doesNotContain("added", "updated", "written");
        // Rules are posted again (the OAP answers no_change); the template is not written.
        assertThat(oap.writes()).noneMatch(w -> w.startsWith("PUT"));

        assertThat(run("check", "--admin", oap.address())).as(out).isZero();
        assertThat(out).contains("Everything is installed.").doesNotContain("MISSING");
    }

    @Test
    void aDryRunSendsNothingAndSaysWhatWouldChange() {
        assertThat(run("install", "--dry-run", "--admin", oap.address())).as(err).isZero();
        assertThat(oap.writes()).isEmpty();
        assertThat(oap.rules).isEmpty();
        assertThat(out)
                .contains("would be added")
                .contains(HorizonPages.TEMPLATE_ID + " ")
                .contains("would be written")
                .contains(
                        "Dry run: "
                                + (ProjectFiles.rules().size() + 1)
                                + " change(s) would be made");
    }

    @Test
    void checkFailsOnWhatIsMissingOrDifferent() {
        assertThat(run("check", "--admin", oap.address())).isEqualTo(Install.FAILED);
        assertThat(out).contains("MISSING");
        run("install", "--admin", oap.address());
        String name = oap.rules.keySet().iterator().next();
        oap.rules.put(name, oap.rules.get(name) + "\n# edited on the OAP\n");
        assertThat(run("check", "--admin", oap.address())).isEqualTo(Install.FAILED);
        assertThat(out)
                .contains("otel-rules/" + name)
                .contains("DIFFERS")
                .contains("1 missing or different");
    }

    @Test
    void aClosedAdminPortIsAClearFailureNamingTheSetting() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        assertThat(run("install", "--admin", "http://127.0.0.1:" + closed))
                .isEqualTo(Install.FAILED);
        assertThat(err)
                .startsWith("Failed: nothing listens at http://127.0.0.1:" + closed)
                .contains("SW_ADMIN_SERVER")
                .contains("SW_ADMIN_SERVER_PORT");
    }

    @Test
    void aModuleThatIsOffIsNamedAndNothingIsChanged() {
        oap.uiManagement = false;
        assertThat(run("install", "--admin", oap.address())).isEqualTo(Install.FAILED);
        assertThat(err).contains("SW_UI_MANAGEMENT=default").contains("--skip-pages");
        assertThat(oap.writes()).isEmpty();
        // Without the pages, the rules go in.
        assertThat(run("install", "--skip-pages", "--admin", oap.address())).isZero();
        assertThat(oap.rules).isNotEmpty();

        oap.runtimeRules = false;
        assertThat(run("install", "--skip-pages", "--admin", oap.address()))
                .isEqualTo(Install.FAILED);
        assertThat(err).contains("SW_RECEIVER_RUNTIME_RULE=default");
    }

    @Test
    void aRuleTheOapCannotApplyFailsWithTheOapsReason() {
        oap.refusalStatus = 500;
        oap.refusal =
                AdminTestServer.status(
                        "apply_failed",
                        "flink-project/flink-project-cluster",
                        "MAL compile failed for otel-rules/flink-project/flink-project-cluster");
        assertThat(run("install", "--admin", oap.address())).isEqualTo(Install.FAILED);
        assertThat(err)
                .contains("could not apply rule otel-rules/flink-project/flink-project-cluster")
                .contains("HTTP 500, applyStatus apply_failed, message MAL compile failed");
        assertThat(oap.writes()).noneMatch(w -> w.startsWith("PUT"));
    }

    @Test
    void aStorageChangingUpdateIsRefusedUnlessAllowed() {
        oap.refusalStatus = 409;
        oap.refusal =
                AdminTestServer.status(
                        "storage_change_requires_explicit_approval",
                        "flink-project/flink-project-cluster",
                        "update would trigger a storage-level change");
        assertThat(run("install", "--admin", oap.address())).isEqualTo(Install.FAILED);
        assertThat(err).contains("--allow-storage-change").contains("storage-level change");

        oap.refusal = null;
        oap.requests.clear();
        assertThat(run("install", "--allow-storage-change", "--admin", oap.address())).isZero();
        assertThat(oap.writes())
                .filteredOn(w -> w.contains("addOrUpdate"))
                .allMatch(w -> w.endsWith("&allowStorageChange=true"));
    }

    @Test
    void withoutHorizonsTemplateThePagesWaitForHorizon() {
        oap.templates.clear();
        assertThat(run("install", "--admin", oap.address())).isEqualTo(Install.FAILED);
        assertThat(err).contains("start Horizon UI once with this OAP");
        assertThat(oap.writes()).noneMatch(w -> w.startsWith("PUT"));
    }

    @Test
    void alarmRulesAreReportedNotWritten() {
        oap.alarmRules.add("flink_job_restarted_rule");
        assertThat(run("install", "--admin", oap.address())).isZero();
        int all = AlarmRules.names(ProjectFiles.read(ProjectFiles.ALARMS)).size();
        assertThat(out)
                .contains("1 of the project's " + all + " alarm rules run on this OAP")
                .contains("dynamic configuration")
                .contains("alarm.default.alarm-settings");
        assertThat(run("alarm-rules")).isZero();
        assertThat(out).isEqualTo(ProjectFiles.read(ProjectFiles.ALARMS));
    }

    @Test
    void aWrongCommandLineIsAUsageError() {
        assertThat(run()).isEqualTo(Install.USAGE_ERROR);
        assertThat(err).contains("Usage:");
        assertThat(run("instal")).isEqualTo(Install.USAGE_ERROR);
        assertThat(err).contains("Unknown command instal");
        assertThat(run("install", "--admin")).isEqualTo(Install.USAGE_ERROR);
        assertThat(run("install", "--timeout", "soon")).isEqualTo(Install.USAGE_ERROR);
        assertThat(err).contains("--timeout soon is not a number of seconds");
        assertThat(run("install", "--admin", "ftp://oap:17128")).isEqualTo(Install.FAILED);
        assertThat(err).contains("not an http:// or https:// address");
        assertThat(run("--help")).isZero();
        assertThat(out).contains("Commands:");
    }
}
