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
package dev.flinkmetrics.skywalking.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The slot holds one claim: a snapshot's values live in its series, so two exports at once would
 * read and encode the same values. The semaphore it replaced was released twice when the executor
 * refused an export after shutdown, and then let two claims through.
 */
class SnapshotSlotTest {

    @Test
    void aClaimGivenBackTwiceIsStillOneClaim() {
        SnapshotSlot<String> slot = new SnapshotSlot<>();
        assertThat(slot.tryClaim()).isTrue();
        slot.abandon(); // the hand-over was refused
        slot.abandon(); // and the caller gives the claim back as well
        assertThat(slot.tryClaim()).isTrue();
        assertThat(slot.tryClaim()).as("a second claim while the first holds").isFalse();
    }

    @Test
    void theExportThreadGivesTheClaimBackWhenDone() throws Exception {
        SnapshotSlot<String> slot = new SnapshotSlot<>();
        assertThat(slot.tryClaim()).isTrue();
        slot.put("snapshot");
        assertThat(slot.tryClaim()).as("waiting for the export thread").isFalse();
        String taken = slot.poll(0);
        assertThat(taken).isEqualTo("snapshot");
        assertThat(slot.tryClaim()).as("being exported").isFalse();
        slot.done(taken);
        assertThat(slot.awaitIdle(0)).isTrue();
        assertThat(slot.tryClaim()).isTrue();
    }

    @Test
    void aSnapshotNeverTakenIsDroppedAtCloseAndItsClaimGivenBack() {
        SnapshotSlot<String> slot = new SnapshotSlot<>();
        assertThat(slot.tryClaim()).isTrue();
        slot.put("snapshot");
        slot.discard();
        assertThat(slot.isEmpty()).isTrue();
        assertThat(slot.tryClaim()).isTrue();
    }
}
