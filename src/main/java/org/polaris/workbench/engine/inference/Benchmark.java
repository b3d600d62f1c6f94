package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The one benchmark method (CLI {@code bench}, the Inference pane, the documented benchmark commands): every
 * configuration is warmed up by time (at least {@link Warmup#minNanos}, at least {@link Warmup#minRuns} runs, and
 * until the median of the last block of runs (at least 5 runs and 100 ms) is within 5% of the block before while the
 * JIT compiled nothing, at most {@link Warmup#maxNanos}),
 * then the timed runs of all configurations are interleaved in blocks of {@link #BLOCK}, so machine noise (another
 * process, frequency changes) spreads over every configuration instead of landing on one, each block after a
 * {@link #QUIET_GAP_NANOS} pause so the previous configuration's threads have stopped spinning.
 */
public final class Benchmark {

    /** Timed runs per configuration before moving to the next one. */
    static final int BLOCK = 10;

    /**
     * The pause before each block when configurations alternate. ONNX Runtime's intra-op threads spin after a run:
     * its 2-thread session's spinning worker still held a core when the engine's block began, and the engine's
     * MobileNetV3-small measured 4.7-5.2 ms on 2 threads interleaved against 2.5-2.8 ms alone; with 30 ms between
     * blocks it measured 3.3-3.6 ms at the same ORT latency (disabling ORT's spinning instead slowed ORT by 40%).
     */
    static final long QUIET_GAP_NANOS = 30_000_000L;

    private Benchmark() {
    }

    /** How long to warm up. */
    public record Warmup(int minRuns, long minNanos, long maxNanos) {

        /** At least {@code minRuns} runs and one second, settling for up to ten seconds. */
        public static Warmup of(int minRuns) {
            return new Warmup(Math.max(0, minRuns), 1_000_000_000L, 10_000_000_000L);
        }

        /**
         * The documented benchmarks' steady state: at least 5 s (the engine's vector kernels reach their compiled
         * form seconds in, long after a small model's median first looks settled), settling for up to 20 s.
         */
        public static Warmup steady(int minRuns) {
            return new Warmup(Math.max(0, minRuns), 5_000_000_000L, 20_000_000_000L);
        }

        /** Only {@code runs} runs, no time: for tests that must stay short. */
        public static Warmup runs(int runs) {
            return new Warmup(Math.max(0, runs), 0, 0);
        }
    }

    /** One configuration: a runtime fed a batch. */
    public record Config(ModelRuntime runtime, Map<String, Tensor> inputs, int batch, int threads) {
    }

    /** Warms up each configuration, then times {@code runs} runs of each, interleaved in blocks. */
    public static List<BenchResult> run(List<Config> configs, Warmup warmup, int runs, ProgressSink progress,
                                        CancellationToken cancel) {
        int[] warmed = new int[configs.size()];
        for (int c = 0; c < configs.size(); c++) {
            cancel.throwIfCancelled();
            Config cfg = configs.get(c);
            progress.progress(0.2 * c / configs.size(), cfg.runtime().name() + " batch " + cfg.batch() + ": warming up");
            warmed[c] = warmUp(cfg, warmup, cancel);
        }
        double[][] ms = new double[configs.size()][runs];
        int total = configs.size() * runs;
        int done = 0;
        for (int start = 0; start < runs; start += BLOCK) {
            for (int c = 0; c < configs.size(); c++) {
                cancel.throwIfCancelled();
                Config cfg = configs.get(c);
                progress.progress(0.2 + 0.8 * done / total, cfg.runtime().name() + " batch " + cfg.batch() + ": run "
                        + start + "/" + runs);
                if (configs.size() > 1) {
                    quietGap();
                }
                for (int i = start; i < Math.min(runs, start + BLOCK); i++) {
                    long t0 = System.nanoTime();
                    cfg.runtime().run(cfg.inputs());
                    ms[c][i] = (System.nanoTime() - t0) / 1e6;
                    done++;
                }
            }
        }
        List<BenchResult> out = new ArrayList<>();
        for (int c = 0; c < configs.size(); c++) {
            Config cfg = configs.get(c);
            double[] sorted = ms[c].clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(ms[c]).average().orElse(Double.NaN);
            out.add(new BenchResult(cfg.runtime().name(), cfg.batch(), cfg.threads(), runs, pct(sorted, 50),
                    pct(sorted, 90), pct(sorted, 99), mean, cfg.batch() * 1000.0 / mean, ms[c], pct(sorted, 10),
                    warmed[c]));
        }
        return out;
    }

    /**
     * The ratio of two configurations' latencies from one {@link #run}, as the median over blocks of the ratio of
     * their block medians, with the quartiles of those block ratios as the spread: the two blocks of a pair ran within
     * about a second of each other, so a slow spell of the machine that spans them cancels out instead of landing on
     * whichever configuration it happened to hit.
     */
    public record PairedRatio(double median, double low, double high) {
    }

    public static PairedRatio pairedRatio(BenchResult a, BenchResult b) {
        int runs = Math.min(a.samplesMs().length, b.samplesMs().length);
        int blocks = (runs + BLOCK - 1) / BLOCK;
        if (blocks == 0) {
            return new PairedRatio(Double.NaN, Double.NaN, Double.NaN);
        }
        double[] r = new double[blocks];
        for (int i = 0; i < blocks; i++) {
            int from = i * BLOCK, to = Math.min(runs, from + BLOCK);
            r[i] = median(Arrays.copyOfRange(a.samplesMs(), from, to)) / median(Arrays.copyOfRange(b.samplesMs(), from, to));
        }
        Arrays.sort(r);
        return new PairedRatio(pct(r, 50), pct(r, 25), pct(r, 75));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return pct(s, 50);
    }

    /** Sleeps {@link #QUIET_GAP_NANOS}, so the threads of the configuration timed before have gone idle. */
    private static void quietGap() {
        long until = System.nanoTime() + QUIET_GAP_NANOS;
        for (long left = QUIET_GAP_NANOS; left > 0; left = until - System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    /** Runs until the warm-up rule is met; returns how many runs it took. */
    static int warmUp(Config cfg, Warmup w, CancellationToken cancel) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long t0 = System.nanoTime();
        int n = 0;
        double previous = Double.NaN;
        while (true) {
            // a block: at least 5 runs and 100 ms, so the JIT's quiet spell below means something for tiny models
            long jitBefore = watchJit ? jit.getTotalCompilationTime() : 0;
            long blockStart = System.nanoTime();
            double[] t = new double[16];
            int count = 0;
            while (count < 5 || System.nanoTime() - blockStart < 100_000_000L) {
                long s = System.nanoTime();
                cfg.runtime().run(cfg.inputs());
                if (count == t.length) {
                    t = Arrays.copyOf(t, 2 * t.length);
                }
                t[count++] = System.nanoTime() - s;
                n++;
            }
            cancel.throwIfCancelled();
            Arrays.sort(t, 0, count);
            double median = t[count / 2];
            long elapsed = System.nanoTime() - t0;
            // settled: the median moved by at most 5% and the JIT compiled nothing during the block (the engine's
            // vector kernels reach their compiled form seconds in, after a stretch of slower, steady blocks)
            boolean quiet = !watchJit || jit.getTotalCompilationTime() == jitBefore;
            boolean settled = quiet && !Double.isNaN(previous) && Math.abs(median - previous) <= 0.05 * previous;
            if (n >= w.minRuns() && elapsed >= w.minNanos() && (settled || elapsed >= w.maxNanos())) {
                return n;
            }
            previous = median;
        }
    }

    static double pct(double[] sorted, double p) {
        int idx = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }
}
