package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.exec.EngineSession;
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
     * @param output the output top-k was read from (the first class-like one), else the first output
     * @param top top-k classes of {@code output}, empty when no output is class-like
     * @param outputs every output, in the model's order
     * @param tensors every output's values (for saving and heat maps)
     * @param wallMs one inference, after loading
     */
    public record RunResult(String runtime, String source, int label, String labelName, String output, long[] shape,
                            List<Prediction> top, List<OutputSummary> outputs, Map<String, Tensor> tensors,
                            boolean synthetic, double wallMs) {
    }

    private final OnnxModelReader reader = new OnnxModelReader();
    private final EngineSession.Device device;

    /** Runs the engine runtime on the CPU. */
    public InferenceService() {
        this(EngineSession.Device.CPU);
    }

    /** @param device where the engine runtime places nodes (other runtimes ignore it) */
    public InferenceService(EngineSession.Device device) {
        this.device = device;
    }

    /**
     * The ONNX description of a model's input: the file itself, or for TorchScript (which declares no input shapes)
     * its ONNX twin beside it ({@code NAME.onnx}), else an input of unknown shape that image and IDX data can fill.
     */
    private OnnxModel describe(Path model) throws ModelLoadException {
        if (!Runtimes.isTorchScript(model)) {
            return reader.read(model);
        }
        Path twin = model.resolveSibling(model.getFileName().toString().replaceFirst("(?i)\\.pt$", ".onnx"));
        if (java.nio.file.Files.isRegularFile(twin)) {
            return reader.read(twin);
        }
        var in = new org.polaris.workbench.engine.model.ValueInfo("input",
                org.polaris.workbench.engine.model.ValueType.tensor(org.polaris.workbench.engine.model.DataType.FLOAT, null), "");
        var g = new org.polaris.workbench.engine.model.Graph("torchscript", List.of(), List.of(in), List.of(), List.of(),
                List.of(), "", null);
        return new OnnxModel(7, Map.of("", 13L), "torchscript", "", "", 0, "", Map.of(), g, null, model, 0);
    }

    public RunResult run(Path model, Runtimes.Kind kind, InputSpec input, int topK, int threads)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        OnnxModel m = describe(model);
        InputSpec.Sample s = input.sample(m);
        Map<String, Tensor> out;
        double ms;
        try (ModelRuntime rt = Runtimes.open(kind, model, m, threads, device)) {
            long t0 = System.nanoTime();
            out = rt.run(s.feeds());
            ms = (System.nanoTime() - t0) / 1e6;
        }
        List<OutputSummary> summaries = new ArrayList<>();
        out.values().forEach(t -> summaries.add(OutputSummary.of(t)));
        OutputSummary primary = summaries.stream().filter(OutputSummary::classLike).findFirst().orElse(null);
        List<Prediction> top = new ArrayList<>();
        List<String> labels = List.of();
        if (primary != null) {
            float[] v = out.get(primary.name()).toFloats();
            labels = Labels.near(model, v.length);
            boolean[] used = new boolean[v.length];
            for (int k = 0; k < Math.min(topK, v.length); k++) {
                int best = -1;
                for (int i = 0; i < v.length; i++) {
                    if (!used[i] && (best < 0 || v[i] > v[best])) best = i;
                }
                used[best] = true;
                top.add(new Prediction(best, labels.isEmpty() ? null : labels.get(best), v[best]));
            }
        }
        OutputSummary shown = primary != null ? primary : summaries.get(0);
        String labelName = s.label() >= 0 && s.label() < labels.size() ? labels.get(s.label()) : null;
        return new RunResult(kind.name().toLowerCase(java.util.Locale.ROOT), s.source(), s.label(), labelName,
                shown.name(), shown.shape(), top, summaries, out, s.synthetic(), ms);
    }

    public List<BenchResult> bench(Path model, List<Runtimes.Kind> kinds, List<Integer> batches, List<Integer> threads,
                                   int warmup, int runs, InputSpec input, ProgressSink progress, CancellationToken cancel)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        return bench(model, kinds, batches, threads, Benchmark.Warmup.of(warmup), runs, input, progress, cancel);
    }

    /**
     * Every runtime and batch size of one thread count open at once and measured by {@link Benchmark} (time-based
     * warm-up, interleaved blocks); thread counts one after another, so runtimes never compete for cores.
     */
    public List<BenchResult> bench(Path model, List<Runtimes.Kind> kinds, List<Integer> batches, List<Integer> threads,
                                   Benchmark.Warmup warmup, int runs, InputSpec input, ProgressSink progress,
                                   CancellationToken cancel)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        OnnxModel m = describe(model);
        List<BenchResult> results = new ArrayList<>();
        for (int ti = 0; ti < threads.size(); ti++) {
            int t = threads.get(ti);
            List<ModelRuntime> open = new ArrayList<>();
            try {
                List<Benchmark.Config> configs = new ArrayList<>();
                for (Runtimes.Kind kind : kinds) {
                    ModelRuntime rt = Runtimes.open(kind, model, m, t, device);
                    open.add(rt);
                    for (int b : batches) {
                        configs.add(new Benchmark.Config(rt, input.sample(m, b).feeds(), b, t));
                    }
                }
                int done = ti;
                results.addAll(Benchmark.run(configs, warmup, runs,
                        (f, msg) -> progress.progress((done + f) / threads.size(), msg), cancel));
            } finally {
                open.forEach(ModelRuntime::close);
            }
        }
        progress.progress(1, "benchmark done");
        return results;
    }

    /** Profiled runs whose per-node median is reported. */
    public static final int PROFILE_RUNS = 5;
    /** Warm-up before profiling: at least this many runs, then by the bench method's rule. */
    static final int PROFILE_MIN_WARMUP = 3;

    /** Per-node timings without progress or cancel (CLI). */
    public List<NodeTiming> profile(Path model, Runtimes.Kind kind, InputSpec input, int threads)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        return profile(model, kind, input, threads, ProgressSink.NONE, CancellationToken.none());
    }

    /**
     * Per-node timings: warmed up as {@code bench} warms up (at least a second and {@link #PROFILE_MIN_WARMUP} runs,
     * then until the median settles while the JIT compiles nothing, at most ten seconds: a fixed run count left the
     * engine's Vector API kernels uncompiled on small models, so a 0.1 ms product showed as 15 ms), then each node's
     * median over {@link #PROFILE_RUNS} runs.
     */
    public List<NodeTiming> profile(Path model, Runtimes.Kind kind, InputSpec input, int threads,
                                    ProgressSink progress, CancellationToken cancel)
            throws ModelLoadException, UnsupportedOpsException, DataException {
        OnnxModel m = describe(model);
        Map<String, Tensor> feeds = input.sample(m).feeds();
        try (ModelRuntime rt = Runtimes.open(kind, model, m, threads, device)) {
            progress.progress(0, "warming up");
            Benchmark.warmUp(new Benchmark.Config(rt, feeds, 1, threads), Benchmark.Warmup.of(PROFILE_MIN_WARMUP), cancel);
            cancel.throwIfCancelled();
            progress.progress(0.8, "profiling " + PROFILE_RUNS + " runs");
            List<NodeTiming> nodes = rt.profile(feeds, PROFILE_RUNS);
            progress.progress(1, "profile done");
            return nodes;
        }
    }
}
