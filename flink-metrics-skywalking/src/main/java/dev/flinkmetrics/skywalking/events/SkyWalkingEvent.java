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

import java.util.Collections;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.annotation.Internal;

/**
 * One SkyWalking event, ready to send: copied out of Flink's objects, immutable. An event that
 * lasts is sent once, when it has ended ({@link JobStatusEvents} says why).
 */
@Internal
public final class SkyWalkingEvent {

    final String uuid;
    final String service;
    final String instance;
    final String endpoint;
    final String name;
    final boolean error;
    final String message;
    final Map<String, String> parameters;
    final long startTime;

    /** 0 while the event lasts. */
    final long endTime;

    final String layer;

    SkyWalkingEvent(
            String uuid,
            String service,
            String instance,
            String endpoint,
            String name,
            boolean error,
            String message,
            Map<String, String> parameters,
            long startTime,
            long endTime,
            String layer) {
        this.uuid = uuid;
        this.service = service;
        this.instance = instance;
        this.endpoint = endpoint;
        this.name = name;
        this.error = error;
        this.message = message;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.startTime = startTime;
        this.endTime = endTime;
        this.layer = layer;
    }

    static String newUuid() {
        return UUID.randomUUID().toString();
    }

    /** The same event, ended at {@code endTime}. */
    SkyWalkingEvent endedAt(long endTime) {
        return new SkyWalkingEvent(
                uuid,
                service,
                instance,
                endpoint,
                name,
                error,
                message,
                parameters,
                startTime,
                Math.max(startTime, endTime),
                layer);
    }

    @Override
    public String toString() {
        return name
                + (error ? " (Error)" : "")
                + " ["
                + service
                + (instance.isEmpty() ? "" : ", instance " + instance)
                + (endpoint.isEmpty() ? "" : ", endpoint " + endpoint)
                + "]: "
                + message;
    }
}
