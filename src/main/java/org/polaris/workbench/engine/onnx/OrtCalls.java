package org.polaris.workbench.engine.onnx;

import org.polaris.workbench.engine.job.Schedulers;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Lets the process exit cleanly while a thread is inside ONNX Runtime. On Ctrl-C the JVM runs its shutdown hooks
 * and exits while the main thread may still be in a native {@code Run}; the C++ runtime then destroys ONNX Runtime's
 * globals under it and the process aborted (exit 134) instead of exiting 130. Native calls hold a read lock; a
 * shutdown hook takes the write lock (waiting up to 5 s for the call in flight), after which no new call starts.
 */
public final class OrtCalls {

    private static final ReentrantReadWriteLock LOCK = new ReentrantReadWriteLock();

    static {
        Schedulers.onShutdown("polaris-ort-quiesce", OrtCalls::quiesce);
    }

    /**
     * Waits (up to 5 s) for the native call in flight and lets no new one start. ONNX Runtime's Java binding releases
     * its environment in a shutdown hook of its own, which runs beside this one in no set order, so an interrupt
     * should call this and then halt without the hooks ({@code cli.Interrupts}).
     */
    public static void quiesce() {
        try {
            LOCK.writeLock().tryLock(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private OrtCalls() {
    }

    /** The read lock as a resource, for try-with-resources around a block of native calls. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    static Held held() {
        enter();
        return OrtCalls::exit;
    }

    static void enter() {
        LOCK.readLock().lock();
    }

    static void exit() {
        LOCK.readLock().unlock();
    }
}
