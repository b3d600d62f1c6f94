package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.exec.UnsupportedOpsException;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Run, benchmark and profile a model on a runtime: what the Inference pane and the run/bench/profile commands do. */
public final class InferenceService {

    /** One class of a top-k answer. */
    public record Prediction(int index, String label, float score) {
    }

    /**
     * @param label the sample's true class, or -1
     * @param wallMs one inference, after loading
     */
    public record RunResult(String runtime, String source, int label, String labelName, String output, long[] shape,
                            List<Prediction> top, double wallMs) {
    }

    private final OnnxModelReader reader = new OnnxModelReader();

    public RunResult run(Path model, Runtimes.Kind kind, InputSpec input, int topK, int threads)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        OnnxModel m = reader.read(model);
        InputSpec.Sample s = input.sample(m, 1);
        Map<String, Tensor> out;
        double ms;
        try (ModelRuntime rt = Runtimes.open(kind, m, threads)) {
            long t0 = System.nanoTime();
            out = rt.run(Map.of(s.input().name(), s.input()));
            ms = (System.nanoTime() - t0) / 1e6;
        }
        Tensor first = out.values().iterator().next();
        float[] v = first.toFloats();
        List<String> labels = Labels.near(model, v.length);
        List<Prediction> top = new ArrayList<>();
        boolean[] used = new boolean[v.length];
        for (int k = 0; k < Math.min(topK, v.length); k++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!used[i] && (best < 0 || v[i] > v[best])) best = i;
            }
            used[best] = true;
            top.add(new Prediction(best, labels.isEmpty() ? null : labels.get(best), v[best]));
        }
        String labelName = s.label() >= 0 && s.label() < labels.size() ? labels.get(s.label()) : null;
        return new RunResult(kind.name().toLowerCase(java.util.Locale.ROOT), s.source(), s.label(), labelName,
                first.name(), first.dims(), top, ms);
    }

    public List<BenchResult> bench(Path model, List<Runtimes.Kind> kinds, List<Integer> batches, List<Integer> threads,
                                   int warmup, int runs, InputSpec input, ProgressSink progress, CancellationToken cancel)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        OnnxModel m = reader.read(model);
        List<BenchResult> results = new ArrayList<>();
        int total = kinds.size() * batches.size() * threads.size();
        for (int t : threads) {
            for (Runtimes.Kind kind : kinds) {
                try (ModelRuntime rt = Runtimes.open(kind, m, t)) {
                    for (int b : batches) {
                        cancel.throwIfCancelled();
                        Tensor x = input.sample(m, b).input();
                        int done = results.size();
                        results.add(Benchmark.run(rt, Map.of(x.name(), x), b, t, warmup, runs,
                                (f, msg) -> progress.progress((done + f) / total, msg), cancel));
                    }
                }
            }
        }
        progress.progress(1, "benchmark done");
        return results;
    }

    /** Per-node timings of one run after a warm-up run. */
    public List<NodeTiming> profile(Path model, Runtimes.Kind kind, InputSpec input, int threads)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        OnnxModel m = reader.read(model);
        Tensor x = input.sample(m, 1).input();
        try (ModelRuntime rt = Runtimes.open(kind, m, threads)) {
            rt.run(Map.of(x.name(), x));
            return rt.profile(Map.of(x.name(), x));
        }
    }
}
