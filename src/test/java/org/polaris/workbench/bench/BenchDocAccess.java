package org.polaris.workbench.bench;

import java.io.IOException;

/** Lets benchmarks in other packages write their section of docs/benchmarks.md. */
public final class BenchDocAccess {

    private BenchDocAccess() {
    }

    public static void replaceSection(String id, String content) throws IOException {
        BenchDoc.replaceSection(id, content);
    }

    /**
     * Median wall milliseconds of {@code runs} calls, after {@code warmup} calls and at least {@code warmSeconds} of
     * warm-up (the JIT compiles the kernels first).
     */
    public static double medianMs(java.util.concurrent.Callable<?> run, int warmup, int runs, double warmSeconds) throws Exception {
        long until = System.nanoTime() + (long) (warmSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) run.call();
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            run.call();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[runs / 2];
    }

    public static String machine() {
        return BenchDoc.machine();
    }
}
