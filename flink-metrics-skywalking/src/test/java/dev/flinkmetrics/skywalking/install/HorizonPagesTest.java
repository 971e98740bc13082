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

import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the project's pages go into the FLINK template the OAP holds. */
class HorizonPagesTest {

    /** A FLINK layer template as SkyWalking ships it and a user changed it. */
    private static final String HELD =
            "{\"key\":\"FLINK\",\"components\":{\"service\":true,\"traces\":false,\"logs\":false},"
                    + "\"dashboards\":{\"service\":[{\"id\":\"jobs\",\"title\":\"Running Jobs\"}]},"
                    + "\"dashboardExtPages\":{\"service\":["
                    + "{\"id\":\"users-own\",\"name\":\"Ours\",\"widgets\":[]},"
                    + "{\"id\":\"flink-project-cluster\",\"name\":\"old\",\"widgets\":[]},"
                    + "{\"id\":\"flink-project-retired\",\"name\":\"gone\",\"widgets\":[]},"
                    + "{\"id\":\"users-second\",\"name\":\"Second\",\"widgets\":[]}]}}";

    private static final String PROJECT =
            "{\"dashboardExtPages\":{"
                    + "\"service\":[{\"id\":\"flink-project-cluster\",\"name\":\"new\",\"widgets\":[1]}],"
                    + "\"endpoint\":[{\"id\":\"flink-project-job\",\"name\":\"Job\",\"widgets\":[]}]},"
                    + "\"components\":{\"traces\":true},\"traces\":{\"source\":\"zipkin\"}}";

    @Test
    void theProjectsPagesReplaceTheirOldVersionsAndEverythingElseStays() {
        Map<String, Object> merged = HorizonPages.merge(held(), Json.parse(PROJECT));
        assertThat(Json.write(merged))
                .isEqualTo(
                        Json.write(
                                Json.parse(
                                        "{\"key\":\"FLINK\",\"components\":{\"service\":true,"
                                                + "\"traces\":true,\"logs\":false},"
                                                + "\"dashboards\":{\"service\":[{\"id\":\"jobs\","
                                                + "\"title\":\"Running Jobs\"}]},"
                                                + "\"dashboardExtPages\":{\"service\":["
                                                + "{\"id\":\"users-own\",\"name\":\"Ours\",\"widgets\":[]},"
                                                + "{\"id\":\"flink-project-cluster\",\"name\":\"new\",\"widgets\":[1]},"
                                                + "{\"id\":\"users-second\",\"name\":\"Second\",\"widgets\":[]}],"
                                                + "\"endpoint\":[{\"id\":\"flink-project-job\","
                                                + "\"name\":\"Job\",\"widgets\":[]}]},"
                                                + "\"traces\":{\"source\":\"zipkin\"}}")));
    }

    @Test
    void mergingTwiceChangesNothingMore() {
        Map<String, Object> once = HorizonPages.merge(held(), Json.parse(PROJECT));
        Map<String, Object> twice = HorizonPages.merge(once, Json.parse(PROJECT));
        assertThat(Json.write(twice)).isEqualTo(Json.write(once));
    }

    @Test
    void theHeldTemplateIsNotChangedInPlace() {
        Map<String, Object> held = held();
        String before = Json.write(held);
        HorizonPages.merge(held, Json.parse(PROJECT));
        assertThat(Json.write(held)).isEqualTo(before);
    }

    @Test
    void aTemplateWithoutPagesGetsThem() {
        Map<String, Object> merged =
                HorizonPages.merge(
                        object("{\"key\":\"FLINK\",\"components\":{}}"), Json.parse(PROJECT));
        assertThat(Json.write(Json.member(merged, "dashboardExtPages")))
                .isEqualTo(Json.write(Json.member(Json.parse(PROJECT), "dashboardExtPages")));
    }

    @Test
    void theShippedFileIsTheProjectsOwnPagesOnly() {
        Object shipped = Json.parse(ProjectFiles.read(ProjectFiles.PAGES));
        Object pages = Json.member(shipped, "dashboardExtPages");
        assertThat(pages).isInstanceOf(Map.class);
        for (Object scope : ((Map<?, ?>) pages).keySet()) {
            assertThat(scope).isIn("service", "instance", "endpoint");
            for (Object page : (java.util.List<?>) ((Map<?, ?>) pages).get(scope)) {
                assertThat(Json.string(page, "id")).startsWith(HorizonPages.PAGE_PREFIX);
            }
        }
        for (Map.Entry<?, ?> key : ((Map<?, ?>) shipped).entrySet()) {
            if (!key.getKey().equals("dashboardExtPages")) {
                // Only objects beside the pages: an array would replace the user's whole list.
                assertThat(key.getValue()).as("%s", key.getKey()).isInstanceOf(Map.class);
            }
        }
    }

    private static Map<String, Object> held() {
        return object(HELD);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String json) {
        return (Map<String, Object>) Json.parse(json);
    }
}
