package org.polaris.workbench.engine.exec;

/**
 * A per-thread float array that grows to the largest size asked of it on that thread: kernel scratch for work that
 * runs on the engine pool's threads, where the session's arena ({@link Buffers}) is not bound, or that is too small
 * to be worth the arena. Its contents are whatever that thread left in it.
 */
final class Scratch {

    private final ThreadLocal<float[]> local = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's array, at least {@code size} long. */
    float[] get(int size) {
        float[] a = local.get();
        if (a.length < size) {
            a = new float[size];
            local.set(a);
        }
        return a;
    }
}
