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

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * One JVM shutdown hook, registered while anything holds it and removed when the last holder lets
 * go, so a process whose reporters all closed leaves nothing behind.
 */
final class ExitHook {

    private final String name;
    private final Runnable action;
    private final Set<Object> holders = Collections.newSetFromMap(new IdentityHashMap<>());
    private Thread hook;

    ExitHook(String name, Runnable action) {
        this.name = name;
        this.action = action;
    }

    synchronized void hold(Object holder) {
        if (!holders.add(holder) || hook != null) {
            return;
        }
        Thread thread = new Thread(action, name);
        try {
            Runtime.getRuntime().addShutdownHook(thread);
            hook = thread;
        } catch (IllegalStateException e) {
            // The JVM is exiting already: the hooks have started, this one would not run.
        }
    }

    synchronized void release(Object holder) {
        if (!holders.remove(holder) || !holders.isEmpty() || hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is exiting: the hook runs anyway, and may be the caller.
        }
        hook = null;
    }

    /** Whether the hook is registered now, for tests. */
    synchronized boolean registered() {
        return hook != null;
    }
}
