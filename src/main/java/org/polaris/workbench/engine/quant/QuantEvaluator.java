package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.onnx.OrtModelSession.Optimization;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares an original and a quantized model in one run: accuracy or agreement on the same inputs, batch-1
 * latency with the same session settings (interleaved runs, median and p90), and what ONNX Runtime's optimizer
 * made of the graph (fused integer kernels, leftover Q/DQ nodes).
 */
public final class QuantEvaluator {

    /**
     * @param samples evaluation samples
     * @param latencyRuns timed runs per model after {@code warmup} untimed ones
     * @param latencyBatch samples per timed run (1 = interactive latency; larger shows throughput-bound behaviour)
     */
    public record Settings(int samples, int latencyRuns, int warmup, int threads, int latencyBatch) {
        public static Settings defaults() {
            return new Settings(2000, 100, 20, 1, 1);
        }
    }

    public record Result(Evaluation.Side original, Evaluation.Side quantized, Evaluation.Agreement agreement) {
    }

    /**
     * @param inputs the model's feed inputs (both models take the same)
     * @param batch samples per evaluation run (1 for models with a fixed batch of 1)
     */
    public Result compare(byte[] original, byte[] quantized, List<ValueInfo> inputs, InputData data, int batch,
                          Settings s, ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure, IOException {
        int n = Math.min(s.samples(), data.size());
        int step = Math.max(1, Math.min(batch, data.maxBatch()));
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        OutputComparison cmp = new OutputComparison();
        try (OrtModelSession a = OrtModelSession.open(original, new OrtModelSession.Config(threads, Optimization.ALL, null));
             OrtModelSession b = OrtModelSession.open(quantized, new OrtModelSession.Config(threads, Optimization.ALL, null))) {
            for (int start = 0; start < n; start += step) {
                cancel.throwIfCancelled();
                int count = Math.min(step, n - start);
                Map<String, Tensor> x = data.feeds(start, count, inputs);
                int[] labels = new int[count];
                for (int i = 0; i < count; i++) {
                    labels[i] = data.isSynthetic() ? -1 : data.label(start + i);
                }
                cmp.add(a.run(x), b.run(x), count, labels);
                progress.progress(0.6 * (start + count) / n, "evaluating: " + (start + count) + "/" + n + " samples");
            }
        }
        Evaluation.Latency[] lat = s.latencyRuns() == 0 ? new Evaluation.Latency[] {untimed(s), untimed(s)}
                : latency(original, quantized, latencyInput(data, inputs, step, s), s, progress, cancel);
        Evaluation.Side o = side(original, cmp.accuracy(true), lat[0]);
        Evaluation.Side q = side(quantized, cmp.accuracy(false), lat[1]);
        progress.progress(1, "evaluation done");
        return new Result(o, q, cmp.agreement());
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) best = i;
        }
        return best;
    }

    /** No latency measured ({@code latencyRuns} 0): a search times its candidates later, where the search runs. */
    private static Evaluation.Latency untimed(Settings s) {
        return new Evaluation.Latency(Double.NaN, Double.NaN, 0, s.threads(), s.latencyBatch());
    }

    /**
     * The feeds every latency comparison times: the first {@code latencyBatch} samples, or one sample for a model
     * whose batch is fixed at 1 or whose inputs cannot stack samples.
     */
    static TimedFeed latencyInput(InputData data, List<ValueInfo> inputs, int modelBatch, Settings s) {
        int lb = modelBatch == 1 ? 1 : Math.max(1, Math.min(s.latencyBatch(), Math.min(data.size(), data.maxBatch())));
        return new TimedFeed(data.feeds(0, lb, inputs), lb);
    }

    /**
     * What one timed run feeds, and how many samples that is (not the first dimension: an input like a detector's
     * {@code [3,H,W]} image has no batch dimension).
     */
    record TimedFeed(Map<String, Tensor> feeds, int samples) {
    }

    /** Times both models under the same settings in one run, alternating blocks of runs. */
    Evaluation.Latency[] latency(byte[] original, byte[] quantized, TimedFeed timed, Settings s,
                                         ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        OrtModelSession.Config cfg = new OrtModelSession.Config(s.threads(), Optimization.ALL, null);
        double[] ta = new double[s.latencyRuns()];
        double[] tb = new double[s.latencyRuns()];
        try (OrtModelSession a = OrtModelSession.open(original, cfg);
             OrtModelSession b = OrtModelSession.open(quantized, cfg)) {
            for (int i = 0; i < s.warmup(); i++) {
                a.timeRun(timed.feeds());
                b.timeRun(timed.feeds());
            }
            // Alternate blocks of runs rather than single runs: each model keeps warm caches within a block (as
            // it would deployed alone), while machine noise still spreads over both.
            int block = 10;
            for (int i = 0; i < s.latencyRuns(); i += block) {
                cancel.throwIfCancelled();
                progress.progress(0.6 + 0.3 * i / s.latencyRuns(), "timing: run " + i + "/" + s.latencyRuns());
                int end = Math.min(s.latencyRuns(), i + block);
                for (int k = i; k < end; k++) {
                    ta[k] = a.timeRun(timed.feeds()) / 1e6;
                }
                for (int k = i; k < end; k++) {
                    tb[k] = b.timeRun(timed.feeds()) / 1e6;
                }
            }
        }
        return new Evaluation.Latency[] {stats(ta, s.threads(), timed.samples()), stats(tb, s.threads(), timed.samples())};
    }

    private static Evaluation.Latency stats(double[] ms, int threads, int batch) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new Evaluation.Latency(sorted[sorted.length / 2], sorted[(int) Math.min(sorted.length - 1,
                Math.ceil(sorted.length * 0.9) - 1)], ms.length, threads, batch);
    }

    /** Size on disk plus what ONNX Runtime's EXTENDED optimizer turns the graph into. */
    private Evaluation.Side side(byte[] model, Double accuracy, Evaluation.Latency latency)
            throws OrtModelSession.RuntimeFailure, IOException {
        Path dump = org.polaris.workbench.engine.io.TempFiles.createFile("polaris-optimized", ".onnx");
        try {
            try (OrtModelSession ignored = OrtModelSession.open(model,
                    new OrtModelSession.Config(1, Optimization.EXTENDED, dump))) {
                // creating the session writes the optimized graph
            }
            // only the op types matter: scanned on the wire, the optimized copy's weights are never loaded
            Map<String, Integer> all = new TreeMap<>();
            Map<String, Integer> quantOps = new TreeMap<>();
            int leftover = 0;
            for (String op : org.polaris.workbench.engine.model.WireScan.topLevelOpTypes(dump)) {
                all.merge(op, 1, Integer::sum);
                if (isIntegerKernel(op)) {
                    quantOps.merge(op, 1, Integer::sum);
                }
                if (op.equals("QuantizeLinear") || op.equals("DequantizeLinear")) {
                    leftover++;
                }
            }
            return new Evaluation.Side(model.length, accuracy, latency, quantOps, leftover, all);
        } catch (org.polaris.workbench.engine.model.ModelLoadException e) {
            throw new IOException("cannot read ONNX Runtime's optimized graph (" + e.getMessage() + ")", e);
        } finally {
            org.polaris.workbench.engine.io.TempFiles.delete(dump);
        }
    }

    static boolean isIntegerKernel(String op) {
        return op.startsWith("QLinear") || op.equals("QGemm") || op.equals("MatMulNBits") || op.equals("MatMulInteger")
                || op.equals("ConvInteger") || op.equals("DynamicQuantizeMatMul") || op.equals("QAttention")
                || op.equals("MatMulIntegerToFloat");
    }
}
