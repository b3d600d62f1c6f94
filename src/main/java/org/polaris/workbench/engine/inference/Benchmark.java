package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;

import java.util.Arrays;
import java.util.Map;

/** Warm-up, then N timed runs of one configuration; percentiles over the timed runs. */
public final class Benchmark {

    private Benchmark() {
    }

    public static BenchResult run(ModelRuntime rt, Map<String, Tensor> inputs, int batch, int threads, int warmup,
                                  int runs, ProgressSink progress, CancellationToken cancel) {
        for (int i = 0; i < warmup; i++) {
            rt.run(inputs);
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            if (i % 10 == 0) {
                cancel.throwIfCancelled();
                progress.progress((double) i / runs, rt.name() + " batch " + batch + ": run " + i + "/" + runs);
            }
            long t0 = System.nanoTime();
            rt.run(inputs);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(ms).average().orElse(Double.NaN);
        return new BenchResult(rt.name(), batch, threads, runs, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), mean,
                batch * 1000.0 / mean, ms);
    }

    static double pct(double[] sorted, double p) {
        int idx = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }
}
