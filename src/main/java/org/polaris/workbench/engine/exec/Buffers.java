package org.polaris.workbench.engine.exec;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Float buffers, and the 8-bit code buffers of quantized models, recycled across runs of one session: after the first
 * run, kernels get their output arrays from arrays freed by earlier nodes instead of allocating (and later
 * collecting) new ones. The arena is bound to the running thread by {@link EngineSession#run}; outside a run,
 * {@link #floats} and {@link #bytes} simply allocate.
 */
final class Buffers {

    private static final ThreadLocal<Buffers> CURRENT = new ThreadLocal<>();

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final Map<Integer, ArrayDeque<byte[]>> freeBytes = new HashMap<>();
    private long reused;
    private long allocated;

    /**
     * An array of {@code n} floats with arbitrary contents, for kernels that write every element (element-wise ops,
     * copies and transposes): zeroing it first would cost a pass over memory for nothing.
     */
    static float[] uninitialized(int n) {
        Buffers b = CURRENT.get();
        return b == null ? new float[n] : b.take(b.free, n, float[]::new);
    }

    /**
     * An array of {@code n} bytes with arbitrary contents, for the int8/uint8 outputs of quantized kernels, which write
     * every element (a 96 x 112 x 112 layer's codes are 1.2 MB: allocated afresh on every run, each such array cost a
     * trip through the collector and page faults).
     */
    static byte[] bytes(int n) {
        Buffers b = CURRENT.get();
        return b == null ? new byte[n] : b.take(b.freeBytes, n, byte[]::new);
    }

    /** An array of length n from {@code pool}, or a new one, counted either way. */
    private <A> A take(Map<Integer, ArrayDeque<A>> pool, int n, java.util.function.IntFunction<A> make) {
        ArrayDeque<A> q = pool.get(n);
        A a = q == null ? null : q.poll();
        if (a != null) {
            reused++;
            return a;
        }
        allocated++;
        return make.apply(n);
    }

    /** Puts {@code a} (of {@code length}) in {@code pool}, up to {@link #MAX_PER_SIZE} arrays per size. */
    private static <A> void give(Map<Integer, ArrayDeque<A>> pool, A a, int length) {
        ArrayDeque<A> q = pool.computeIfAbsent(length, k -> new ArrayDeque<>());
        if (q.size() < MAX_PER_SIZE) {
            q.push(a);
        }
    }

    /** Hands a byte array back for reuse; callers guarantee nothing else references it. */
    static void release(byte[] a) {
        Buffers b = CURRENT.get();
        if (b != null && a != null) {
            give(b.freeBytes, a, a.length);
        }
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
            give(b.free, a, a.length);
        }
    }

    /** The session's constant arrays (weights), which kernels may derive cached forms from. */
    private final java.util.Set<Object> constants =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final Map<float[], Map<String, float[]>> derived = new java.util.IdentityHashMap<>();

    void constants(java.util.Set<Object> arrays) {
        constants.clear();
        constants.addAll(arrays);
    }

    /**
     * Counts {@code a}, a form a kernel made once from a session constant and keeps (an int8 layer's weights as
     * floats), as a constant of the running session, so the forms {@link #derived} makes of it are kept too: an int8
     * layer's tap-major or live-tap weights were otherwise made afresh on every run.
     */
    static void adoptConstant(float[] a) {
        Buffers b = CURRENT.get();
        if (b != null) {
            b.constants.add(a);
        }
    }

    /** Whether {@code a} (a float or byte array) is one of the running session's constant arrays (a weight). */
    static boolean isConstant(Object a) {
        Buffers b = CURRENT.get();
        return b != null && b.constants.contains(a);
    }

    /**
     * Whether a form derived from {@code a} may be cached by the array's identity: it is a constant, or no arena is
     * bound (nothing is recycled outside a session's run). A computed array may come back refilled on the next run.
     */
    static boolean stable(Object a) {
        Buffers b = CURRENT.get();
        return b == null || b.constants.contains(a);
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
        return free.values().stream().mapToLong(ArrayDeque::size).sum()
                + freeBytes.values().stream().mapToLong(ArrayDeque::size).sum();
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
