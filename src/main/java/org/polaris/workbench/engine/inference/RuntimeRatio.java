package org.polaris.workbench.engine.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One runtime's latency against another's at the same batch size and thread count, from blocks timed together in
 * one {@link Benchmark#run}: the median of the per-block ratios of medians, with their quartiles ({@link
 * Benchmark#pairedRatio}). The CLI's {@code bench} prints {@link #line()} and writes the record in its JSON; the
 * Inference pane shows the same lines under its table.
 */
public record RuntimeRatio(String runtime, String baseline, int batch, int threads, double median, double low,
                           double high) {

    /** Every result against the first result of its batch size and thread count (the first runtime asked for). */
    public static List<RuntimeRatio> of(List<BenchResult> results) {
        List<RuntimeRatio> out = new ArrayList<>();
        for (BenchResult r : results) {
            results.stream()
                    .filter(b -> b.batch() == r.batch() && b.threads() == r.threads())
                    .findFirst()
                    .filter(b -> b != r)
                    .ifPresent(b -> {
                        Benchmark.PairedRatio p = Benchmark.pairedRatio(r, b);
                        out.add(new RuntimeRatio(r.runtime(), b.runtime(), r.batch(), r.threads(), p.median(), p.low(),
                                p.high()));
                    });
        }
        return out;
    }

    /** "engine / ort, batch 1, 2 thread(s): 1.23x (block ratios 1.20-1.31)". */
    public String line() {
        return String.format(Locale.ROOT, "%s / %s, batch %d, %d thread(s): %.2fx (block ratios %.2f-%.2f)", runtime,
                baseline, batch, threads, median, low, high);
    }
}
