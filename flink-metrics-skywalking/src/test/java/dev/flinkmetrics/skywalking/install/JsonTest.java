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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsAndWritesBackWithKeysSortedAndNumbersAsWritten() {
        Object value =
                Json.parse(
                        " {\"b\": [1, 2.50, -3e2, true, null], \"a\": {\"z\": \"x\", \"y\": false}} ");
        assertThat(new java.util.ArrayList<Object>(((Map<?, ?>) value).keySet()))
                .containsExactly("b", "a");
        assertThat(Json.write(value))
                .isEqualTo("{\"a\":{\"y\":false,\"z\":\"x\"},\"b\":[1,2.50,-3e2,true,null]}");
        assertThat(Json.parse(Json.write(value))).isEqualTo(value);
    }

    @Test
    void stringsKeepEveryCharacterAndAreEscapedAsJavaScriptDoes() {
        String text = "quote \" backslash \\ slash / newline \n tab \t bell \u0007 é 中 ∑";
        Object parsed =
                Json.parse(
                        "\"quote \\\" backslash \\\\ slash \\/ newline \\n tab \\t"
                                + " bell \\u0007 \\u00e9 中 \\u2211\"");
        assertThat(parsed).isEqualTo(text);
        assertThat(Json.write(text))
                .isEqualTo(
                        "\"quote \\\" backslash \\\\ slash / newline \\n tab \\t bell \\u0007 é"
                                + " 中 ∑\"");
        assertThat(Json.parse(Json.write(text))).isEqualTo(text);
    }

    @Test
    void emptyContainersAndNesting() {
        Object value = Json.parse("[[],{},[{\"a\":[]}]]");
        assertThat(value).isInstanceOf(List.class);
        assertThat(Json.write(value)).isEqualTo("[[],{},[{\"a\":[]}]]");
    }

    @Test
    void whatIsNotJsonIsRefusedWithWhereItWentWrong() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1,}"))
                .hasMessage("not JSON: expected a member name at character 8");
        assertThatThrownBy(() -> Json.parse("[1 2]"))
                .hasMessage("not JSON: expected ',' or ']' at character 3");
        assertThatThrownBy(() -> Json.parse("{} x")).hasMessageContaining("text after the value");
        assertThatThrownBy(() -> Json.parse("\"open")).hasMessageContaining("end of a string");
        assertThatThrownBy(() -> Json.parse("nul")).hasMessageContaining("a value");
        assertThatThrownBy(() -> Json.parse("-")).hasMessageContaining("a number");
    }
}
