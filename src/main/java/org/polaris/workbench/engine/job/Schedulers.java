package org.polaris.workbench.engine.job;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

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

    /** A fixed pool of {@code threads} daemon threads named {@code name-1}, {@code name-2}, ... (the server's handlers). */
    public static ExecutorService pool(String name, int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts {@code body} on a new daemon thread named {@code name} (a model's batch loop). */
    public static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs {@code body} once when the JVM shuts down (normal exit, Ctrl-C, SIGTERM). */
    public static void onShutdown(String name, Runnable body) {
        Runtime.getRuntime().addShutdownHook(new Thread(body, name));
    }
}
