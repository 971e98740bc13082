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
package dev.flinkmetrics.skywalking.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition instead of sleeping for a guess. */
public final class Conditions {

    private Conditions() {}

    /** Polls the condition until it holds, at most 10 s; false when it never did. */
    public static boolean awaitUntil(BooleanSupplier condition) throws InterruptedException {
        return awaitUntil(condition, Duration.ofSeconds(10));
    }

    /** Polls the condition until it holds, at most {@code timeout}; false when it never did. */
    public static boolean awaitUntil(BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
