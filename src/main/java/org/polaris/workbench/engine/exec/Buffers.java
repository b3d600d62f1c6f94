package org.polaris.workbench.engine.exec;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Float buffers recycled across runs of one session: after the first run, kernels get their output arrays from
 * arrays freed by earlier nodes instead of allocating (and later collecting) new ones. The arena is bound to the
 * running thread by {@link EngineSession#run}; outside a run, {@link #floats} simply allocates.
 */
final class Buffers {

    private static final ThreadLocal<Buffers> CURRENT = new ThreadLocal<>();

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long reused;
    private long allocated;

    /** A zeroed array of {@code n} floats. */
    static float[] floats(int n) {
        Buffers b = CURRENT.get();
        if (b != null) {
            ArrayDeque<float[]> q = b.free.get(n);
            float[] a = q == null ? null : q.poll();
            if (a != null) {
                b.reused++;
                Arrays.fill(a, 0f);
                return a;
            }
            b.allocated++;
        }
        return new float[n];
    }

    /** Hands an array back for reuse; callers guarantee nothing else references it. */
    static void release(float[] a) {
        Buffers b = CURRENT.get();
        if (b != null && a != null) {
            b.free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
        }
    }

    void bind() {
        CURRENT.set(this);
    }

    static void unbind() {
        CURRENT.remove();
    }

    long reused() {
        return reused;
    }

    long allocated() {
        return allocated;
    }
}
