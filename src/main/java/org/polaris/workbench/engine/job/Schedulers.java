package org.polaris.workbench.engine.job;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Single daemon threads for periodic engine work (telemetry sampling), named so they show up in thread dumps. */
public final class Schedulers {

    private Schedulers() {
    }

    public static ScheduledExecutorService single(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code body} once when the JVM shuts down (normal exit, Ctrl-C, SIGTERM). */
    public static void onShutdown(String name, Runnable body) {
        Runtime.getRuntime().addShutdownHook(new Thread(body, name));
    }
}
