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
package dev.flinkmetrics.skywalking.events;

/**
 * Field numbers of SkyWalking's {@code skywalking.v3.Event} and {@code Source} (event/Event.proto
 * of the data collect protocol). A test checks them against classes generated from that contract.
 */
final class EventFields {

    static final int EVENT_UUID = 1;
    static final int EVENT_SOURCE = 2;
    static final int EVENT_NAME = 3;
    static final int EVENT_TYPE = 4;
    static final int EVENT_MESSAGE = 5;
    static final int EVENT_PARAMETERS = 6;
    static final int EVENT_START_TIME = 7;
    static final int EVENT_END_TIME = 8;
    static final int EVENT_LAYER = 9;

    static final int SOURCE_SERVICE = 1;
    static final int SOURCE_SERVICE_INSTANCE = 2;
    static final int SOURCE_ENDPOINT = 3;

    /** A map entry is a message of key (1) and value (2). */
    static final int MAP_KEY = 1;

    static final int MAP_VALUE = 2;

    /** Enum {@code Type}: Normal is 0, the default, and is not written. */
    static final int TYPE_ERROR = 1;

    private EventFields() {}
}
