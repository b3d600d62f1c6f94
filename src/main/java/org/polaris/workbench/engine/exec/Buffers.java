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

    /**
     * An array of {@code n} floats with arbitrary contents, for kernels that write every element (element-wise ops,
     * copies and transposes): zeroing it first would cost a pass over memory for nothing.
     */
    static float[] uninitialized(int n) {
        Buffers b = CURRENT.get();
        if (b != null) {
            ArrayDeque<float[]> q = b.free.get(n);
            float[] a = q == null ? null : q.poll();
            if (a != null) {
                b.reused++;
                return a;
            }
            b.allocated++;
        }
        return new float[n];
    }

    /** A zeroed array of {@code n} floats. */
    static float[] floats(int n) {
        float[] a = uninitialized(n);
        Arrays.fill(a, 0f); // a fresh array is zero already; a reused one is not
        return a;
    }

    /**
     * Arrays kept per size. Arrays the arena never handed out come back too (copied feeds, kernel-made outputs);
     * without a cap, a size no kernel asks for piled up one array per run (600 KB a run for a 224x224 image).
     */
    static final int MAX_PER_SIZE = 16;

    /** Hands an array back for reuse; callers guarantee nothing else references it. */
    static void release(float[] a) {
        Buffers b = CURRENT.get();
        if (b != null && a != null) {
            ArrayDeque<float[]> q = b.free.computeIfAbsent(a.length, k -> new ArrayDeque<>());
            if (q.size() < MAX_PER_SIZE) {
                q.push(a);
            }
        }
    }

    /** The session's constant arrays (weights), which kernels may derive cached forms from. */
    private java.util.Set<float[]> constants = java.util.Set.of();
    private final Map<float[], Map<String, float[]>> derived = new java.util.IdentityHashMap<>();

    void constants(java.util.Set<float[]> arrays) {
        this.constants = arrays;
    }

    /** Whether {@code a} is one of the running session's constant arrays (a weight, not a computed value). */
    static boolean isConstant(float[] a) {
        Buffers b = CURRENT.get();
        return b != null && b.constants.contains(a);
    }

    /**
     * A form of {@code source} a kernel needs in another layout (a transposed weight matrix): made once per session
     * and kept when {@code source} is one of the session's constants, made afresh every time otherwise (a computed
     * input may sit in a recycled array whose contents change). {@code key} names the form (layout and offset).
     */
    static float[] derived(float[] source, String key, java.util.function.Supplier<float[]> make) {
        if (!isConstant(source)) {
            return make.get();
        }
        return CURRENT.get().derived.computeIfAbsent(source, k -> new HashMap<>()).computeIfAbsent(key, k -> make.get());
    }

    /** Arrays waiting for reuse, over all sizes. */
    long pooled() {
        return free.values().stream().mapToLong(ArrayDeque::size).sum();
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
