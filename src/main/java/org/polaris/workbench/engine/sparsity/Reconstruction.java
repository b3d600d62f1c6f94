package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.Calibrator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Post-training correction of pruned fully connected layers, without gradient training: layer by layer in graph
 * order, the weights each pruning mask keeps (and the layer's bias) are re-fitted by least squares, so that the
 * layer fed with the pruned model's own activations reproduces the original layer's outputs on calibration
 * samples (a convolution: its input patches against its outputs, position by position). The mask never changes: removed weights stay exactly zero, so file size and sparse formats are those of
 * plain pruning; later layers are fitted on the activations of the already corrected earlier ones.
 *
 * <p>Per layer the work is one streaming pass of ONNX Runtime over the samples for each model (memory holds the
 * {@code (in+1)^2} Gram matrix, never the samples), then one small Cholesky solve per output row over that row's
 * kept inputs. Gemm ({@code transA = 0}, {@code alpha = 1}), MatMul with a 2-D constant weight and 2-D Conv with
 * group 1 are re-fitted; other layers, and layers too wide to fit here, are left as pruned with a reason.
 */
public final class Reconstruction {

    /** Widest layer input that is re-fitted (the Gram matrix of 2,049 doubles a side is 34 MB). */
    static final int MAX_INPUTS = 2048;
    /** Largest estimated number of floating-point operations spent on one layer's solves. */
    static final double MAX_SOLVE_FLOPS = 3e10;
    /** Most doubles a layer's Gram matrix and input-output products may take together (128 MB). */
    static final long MAX_STATISTICS = 16L << 20;
    /** Ridge term, relative to the mean diagonal of the Gram matrix: keeps inputs that never fire harmless. */
    static final double DAMPING = 1e-3;

    /**
     * What happened to one pruned weight: {@code errorBefore}/{@code errorAfter} are the layer's relative squared
     * output error on the calibration samples ({@code |Y - X W'|^2 / |Y|^2}, X the pruned model's inputs to the
     * layer, Y the original layer's outputs) with the plainly pruned and with the re-fitted weights.
     */
    public record Layer(String weight, String node, boolean refit, String note, double errorBefore, double errorAfter) {
    }

    /** The corrected model, and the re-fitted weights by name (pruned layout, zeros where the mask removed). */
    public record Result(OnnxModel model, Map<String, float[]> weights, List<Layer> layers, int samples) {
    }

    private Reconstruction() {
    }

    /**
     * @param original the unpruned model
     * @param pruned   the same graph with pruned weights
     * @param weights  pruned weights by initializer name (those present are candidates)
     */
    public static Result run(OnnxModel original, OnnxModel pruned, Map<String, float[]> weights, InputData calibration,
                             int samples, ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        Graph g = original.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, float[]> current = new LinkedHashMap<>(weights);
        List<Layer> out = new ArrayList<>();
        List<Node> nodes = g.nodes();
        int n = Math.min(samples, calibration.size());
        OnnxModel model = pruned;
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            if (node.inputs().size() >= 2 && current.containsKey(node.inputs().get(1))) {
                candidates.add(i);
            }
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int c = 0; c < candidates.size(); c++) {
            cancel.throwIfCancelled();
            Node node = nodes.get(candidates.get(c));
            String label = node.name().isEmpty() ? node.opType() + "#" + candidates.get(c) : node.name();
            String wName = node.inputs().get(1);
            Tensor w = inits.get(wName);
            if (!seen.add(wName)) {
                out.add(new Layer(wName, label, false, "weight shared with an earlier layer: kept as pruned", Double.NaN,
                        Double.NaN));
                continue;
            }
            String why = unsupported(node, w, inits, n);
            if (why != null) {
                out.add(new Layer(wName, label, false, why, Double.NaN, Double.NaN));
                continue;
            }
            boolean conv = node.opType().equals("Conv");
            boolean transB = node.opType().equals("Gemm")
                    && node.attribute("transB").map(Attribute::asLong).orElse(0L) == 1;
            int axis = conv || transB ? 0 : 1;
            int rows = (int) w.dims()[axis];
            int in = (int) (w.elementCount() / rows);
            boolean hasBias = !node.opType().equals("MatMul") && node.inputs().size() >= 3 && !node.inputs().get(2).isEmpty();
            Tensor biasT = hasBias ? inits.get(node.inputs().get(2)) : null;
            if (hasBias && (biasT == null || biasT.dataType() != DataType.FLOAT || biasT.elementCount() != rows
                    || node.attribute("beta").map(Attribute::asFloat).orElse(1f) != 1f)) {
                out.add(new Layer(wName, label, false, "bias is not a constant per-output vector: kept as pruned",
                        Double.NaN, Double.NaN));
                continue;
            }
            if ((long) (in + 1) * (in + 1) + (long) (in + 1) * rows > MAX_STATISTICS) {
                out.add(new Layer(wName, label, false, String.format(Locale.ROOT,
                        "%d outputs x %d inputs: statistics too large to hold here; kept as pruned", rows, in),
                        Double.NaN, Double.NaN));
                continue;
            }
            float[] wRows = Pruner.toRows(current.get(wName), w.dims(), axis);
            double flops = 0;
            for (int r = 0; r < rows; r++) {
                int k = 1;
                for (int j = 0; j < in; j++) if (wRows[r * in + j] != 0f) k++;
                flops += Math.pow(k, 3) / 3;
            }
            if (flops > MAX_SOLVE_FLOPS) {
                out.add(new Layer(wName, label, false, String.format(Locale.ROOT,
                        "too many kept weights per output to re-fit here (%.1e flops): kept as pruned", flops),
                        Double.NaN, Double.NaN));
                continue;
            }
            progress.progress((double) c / candidates.size(), "re-fitting " + label + " on " + n + " samples");
            boolean bias = biasT != null;
            Gram gram = gram(original, model, node, w.dims(), in, rows, bias, calibration, n, cancel);
            float[] b = bias ? biasT.toFloats() : new float[rows];
            float[] newRows = wRows.clone();
            float[] newBias = b.clone();
            double before = 0;
            double after = 0;
            double energy = 0;
            double lambda = DAMPING * gram.meanDiagonal();
            for (int r = 0; r < rows; r++) {
                List<Integer> kept = new ArrayList<>();
                for (int j = 0; j < in; j++) if (wRows[r * in + j] != 0f) kept.add(j);
                if (bias) kept.add(in);
                double[] old = new double[kept.size()];
                for (int k = 0; k < kept.size(); k++) {
                    int j = kept.get(k);
                    old[k] = j == in ? b[r] : wRows[r * in + j];
                }
                double e0 = gram.error(kept, old, r);
                double[] sol = gram.solve(kept, r, lambda);
                double e1 = sol == null ? Double.POSITIVE_INFINITY : gram.error(kept, sol, r);
                energy += gram.yy[r];
                before += e0;
                if (sol != null && e1 < e0) {
                    after += e1;
                    for (int k = 0; k < kept.size(); k++) {
                        int j = kept.get(k);
                        float v = (float) sol[k];
                        if (j == in) {
                            newBias[r] = v;
                        } else {
                            // a re-fitted weight that lands on exactly zero would read as pruned: keep the smallest
                            // float of its sign instead, so the mask (and the zero count) stays what pruning decided
                            newRows[r * in + j] = v != 0f ? v : Math.copySign(Float.MIN_NORMAL, (float) old[k]);
                        }
                    }
                } else {
                    after += e0;
                }
            }
            float[] newW = Pruner.fromRows(newRows, w.dims(), axis);
            current.put(wName, newW);
            Map<String, Tensor> replace = new LinkedHashMap<>();
            replace.put(wName, Tensor.ofFloats(wName, w.dims(), newW));
            if (bias) {
                replace.put(biasT.name(), Tensor.ofFloats(biasT.name(), biasT.dims(), newBias));
            }
            model = replaceInitializers(model, replace);
            double eb = energy == 0 ? 0 : Math.max(0, before) / energy;
            double ea = energy == 0 ? 0 : Math.max(0, after) / energy;
            out.add(new Layer(wName, label, true, String.format(Locale.ROOT,
                    "re-fitted on %d samples: relative output error %.4f -> %.4f", n, eb, ea), eb, ea));
        }
        progress.progress(1, "re-fitting done");
        return new Result(model, current, out, n);
    }

    /** Why a layer is left as pruned, or null when it can be re-fitted. */
    private static String unsupported(Node node, Tensor w, Map<String, Tensor> inits, int samples) {
        if (node.opType().equals("Conv")) {
            if (w == null || w.dataType() != DataType.FLOAT || w.rank() != 4) {
                return "convolution without a 2-D float32 kernel: kept as pruned";
            }
            if (node.attribute("group").map(Attribute::asLong).orElse(1L) != 1) {
                return "grouped convolution: kept as pruned";
            }
            String pad = node.attribute("auto_pad").map(Attribute::asString).orElse("NOTSET");
            if (!pad.equals("NOTSET") && !pad.equals("VALID")) {
                return "convolution with auto_pad " + pad + ": kept as pruned";
            }
            long in = w.elementCount() / w.dims()[0];
            if (in > MAX_INPUTS) {
                return "kernel of " + in + " weights per output > " + MAX_INPUTS + ": kept as pruned";
            }
            return samples < 1 ? "no calibration samples: kept as pruned" : null;
        }
        if (w == null || w.dataType() != DataType.FLOAT || w.rank() != 2) {
            return "weight is not a 2-D float32 constant: kept as pruned";
        }
        switch (node.opType()) {
            case "Gemm" -> {
                if (node.attribute("transA").map(Attribute::asLong).orElse(0L) != 0
                        || node.attribute("alpha").map(Attribute::asFloat).orElse(1f) != 1f) {
                    return "Gemm with transA or alpha != 1: kept as pruned";
                }
            }
            case "MatMul" -> {
                // the activation is the first input and the weight the second
            }
            default -> {
                return node.opType() + ": kept as pruned (Gemm, MatMul and Conv are re-fitted)";
            }
        }
        if (inits.containsKey(node.inputs().get(0))) {
            return "both operands are constants: kept as pruned";
        }
        long in = node.opType().equals("Gemm") && node.attribute("transB").map(Attribute::asLong).orElse(0L) == 1
                ? w.dims()[1] : w.dims()[0];
        if (in > MAX_INPUTS) {
            return "input width " + in + " > " + MAX_INPUTS + ": kept as pruned";
        }
        if (samples < 1) {
            return "no calibration samples: kept as pruned";
        }
        return null;
    }

    /** Sufficient statistics of one layer's least-squares problem, accumulated over the calibration samples. */
    static final class Gram {
        final int n;
        /** (in+1)^2 when a bias column is present, upper triangle filled, then mirrored. */
        final double[] h;
        /** [in+1][rows]: inputs against target outputs. */
        final double[] g;
        /** Sum of squared target outputs per output row. */
        final double[] yy;
        final int rows;

        Gram(int n, int rows) {
            this.n = n;
            this.rows = rows;
            h = new double[n * n];
            g = new double[n * rows];
            yy = new double[rows];
        }

        /** Adds one sample: {@code x} (length n, bias 1 included when present) and its target {@code y} (rows). */
        void add(double[] x, float[] y, int yOff) {
            for (int i = 0; i < n; i++) {
                double xi = x[i];
                if (xi == 0) {
                    continue; // ReLU activations and image borders are mostly zeros
                }
                int base = i * n;
                for (int k = i; k < n; k++) {
                    h[base + k] += xi * x[k];
                }
                int gb = i * rows;
                for (int r = 0; r < rows; r++) {
                    g[gb + r] += xi * y[yOff + r];
                }
            }
            for (int r = 0; r < rows; r++) {
                yy[r] += (double) y[yOff + r] * y[yOff + r];
            }
        }

        void mirror() {
            for (int i = 0; i < n; i++) {
                for (int k = i + 1; k < n; k++) {
                    h[k * n + i] = h[i * n + k];
                }
            }
        }

        double meanDiagonal() {
            double s = 0;
            for (int i = 0; i < n; i++) s += h[i * n + i];
            return n == 0 ? 0 : s / n;
        }

        /** {@code |y_r - X_S w|^2} from the statistics: w'Hw - 2 w'g + y'y. */
        double error(List<Integer> idx, double[] w, int r) {
            double quad = 0;
            double lin = 0;
            for (int a = 0; a < idx.size(); a++) {
                int i = idx.get(a);
                double row = 0;
                for (int b = 0; b < idx.size(); b++) {
                    row += h[i * n + idx.get(b)] * w[b];
                }
                quad += w[a] * row;
                lin += w[a] * g[i * rows + r];
            }
            return quad - 2 * lin + yy[r];
        }

        /** Solves (H_SS + lambda I) w = g_S for output row r by Cholesky; null when not positive definite. */
        double[] solve(List<Integer> idx, int r, double lambda) {
            int k = idx.size();
            double[] a = new double[k * k];
            double[] rhs = new double[k];
            for (int p = 0; p < k; p++) {
                int i = idx.get(p);
                for (int q = 0; q < k; q++) {
                    a[p * k + q] = h[i * n + idx.get(q)];
                }
                a[p * k + p] += lambda;
                rhs[p] = g[i * rows + r];
            }
            return cholesky(a, rhs, k);
        }
    }

    /** Solves the symmetric positive definite system {@code a x = b} in place; null if a pivot is not positive. */
    static double[] cholesky(double[] a, double[] b, int k) {
        for (int j = 0; j < k; j++) {
            double d = a[j * k + j];
            for (int p = 0; p < j; p++) d -= a[j * k + p] * a[j * k + p];
            if (!(d > 0)) {
                return null;
            }
            d = Math.sqrt(d);
            a[j * k + j] = d;
            for (int i = j + 1; i < k; i++) {
                double s = a[i * k + j];
                for (int p = 0; p < j; p++) s -= a[i * k + p] * a[j * k + p];
                a[i * k + j] = s / d;
            }
        }
        double[] y = new double[k];
        for (int i = 0; i < k; i++) {
            double s = b[i];
            for (int p = 0; p < i; p++) s -= a[i * k + p] * y[p];
            y[i] = s / a[i * k + i];
        }
        double[] x = new double[k];
        for (int i = k - 1; i >= 0; i--) {
            double s = y[i];
            for (int p = i + 1; p < k; p++) s -= a[p * k + i] * x[p];
            x[i] = s / a[i * k + i];
        }
        return x;
    }

    /** Most patch rows a convolution's statistics take (positions are spread evenly over the samples beyond it). */
    static final long MAX_CONV_ROWS = 200_000;

    /**
     * Streams the calibration samples through both models: the layer's input as the pruned (and already corrected)
     * model computes it, and its output as the original model computes it. A convolution contributes one row per
     * output position: the input patch (channels x kernel, zero padding) against the output channels there.
     */
    private static Gram gram(OnnxModel original, OnnxModel current, Node node, long[] wDims, int in, int rows,
                             boolean bias, InputData data, int samples, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        String inputTensor = node.inputs().get(0);
        String outputTensor = node.outputs().get(0);
        Gram gram = new Gram(in + (bias ? 1 : 0), rows);
        int batch = Math.min(Calibrator.batchSize(original.graph()), data.maxBatch());
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        OrtModelSession.Config cfg = new OrtModelSession.Config(threads, OrtModelSession.Optimization.BASIC, null);
        boolean conv = node.opType().equals("Conv");
        try (OrtModelSession a = OrtModelSession.open(exposing(current, inputTensor), cfg);
             OrtModelSession o = OrtModelSession.open(exposing(original, outputTensor), cfg)) {
            double[] x = new double[gram.n];
            float[] target = new float[rows];
            long seenRows = 0;
            for (int start = 0; start < samples; start += batch) {
                cancel.throwIfCancelled();
                int count = Math.min(batch, samples - start);
                Map<String, Tensor> in0 = data.feeds(start, count, original.graph().feedInputs());
                Tensor xs = in0.containsKey(inputTensor) ? in0.get(inputTensor) : a.run(in0).get(inputTensor);
                Tensor ys = o.run(in0).get(outputTensor);
                float[] xv = xs.toFloats();
                float[] yv = ys.toFloats();
                if (conv) {
                    seenRows = convRows(node, wDims, xs.dims(), xv, ys.dims(), yv, gram, x, target, bias, samples,
                            seenRows);
                    continue;
                }
                int m = xv.length / in;
                if ((long) m * in != xv.length || (long) m * rows != yv.length) {
                    throw new OrtModelSession.RuntimeFailure("layer input " + inputTensor + " (" + xv.length
                            + " values) and output " + outputTensor + " (" + yv.length + ") do not form " + in
                            + "-wide and " + rows + "-wide rows", null);
                }
                for (int s = 0; s < m; s++) {
                    for (int j = 0; j < in; j++) x[j] = xv[s * in + j];
                    if (bias) x[in] = 1;
                    gram.add(x, yv, s * rows);
                }
            }
        }
        gram.mirror();
        return gram;
    }

    /** Adds one batch of a 2-D convolution's patch rows; returns the running count of positions seen. */
    private static long convRows(Node node, long[] wDims, long[] xDims, float[] xv, long[] yDims, float[] yv, Gram gram,
                                 double[] x, float[] target, boolean bias, int samples, long seen)
            throws OrtModelSession.RuntimeFailure {
        if (xDims.length != 4 || yDims.length != 4 || xDims[1] != wDims[1] || yDims[1] != wDims[0]
                || xDims[0] != yDims[0]) {
            throw new OrtModelSession.RuntimeFailure("convolution " + node.name() + ": input " + java.util.Arrays.toString(xDims)
                    + " and output " + java.util.Arrays.toString(yDims) + " do not match its kernel "
                    + java.util.Arrays.toString(wDims), null);
        }
        int c = (int) xDims[1];
        int h = (int) xDims[2];
        int wd = (int) xDims[3];
        int m = (int) yDims[1];
        int oh = (int) yDims[2];
        int ow = (int) yDims[3];
        int kh = (int) wDims[2];
        int kw = (int) wDims[3];
        long[] st = node.attribute("strides").map(Attribute::asLongs).orElse(new long[] {1, 1});
        long[] dl = node.attribute("dilations").map(Attribute::asLongs).orElse(new long[] {1, 1});
        long[] pd = node.attribute("pads").map(Attribute::asLongs).orElse(new long[] {0, 0, 0, 0});
        // keep about MAX_CONV_ROWS positions over all samples: every k-th position
        long total = (long) samples * oh * ow;
        long every = Math.max(1, (total + MAX_CONV_ROWS - 1) / MAX_CONV_ROWS);
        int in = c * kh * kw;
        for (int s = 0; s < xDims[0]; s++) {
            for (int py = 0; py < oh; py++) {
                for (int px = 0; px < ow; px++, seen++) {
                    if (seen % every != 0) {
                        continue;
                    }
                    int k = 0;
                    for (int ci = 0; ci < c; ci++) {
                        for (int i = 0; i < kh; i++) {
                            long iy = py * st[0] - pd[0] + i * dl[0];
                            for (int j = 0; j < kw; j++, k++) {
                                long ix = px * st[1] - pd[1] + j * dl[1];
                                x[k] = iy < 0 || iy >= h || ix < 0 || ix >= wd ? 0
                                        : xv[(int) ((((long) s * c + ci) * h + iy) * wd + ix)];
                            }
                        }
                    }
                    if (bias) x[in] = 1;
                    for (int mo = 0; mo < m; mo++) {
                        target[mo] = yv[((s * m + mo) * oh + py) * ow + px];
                    }
                    gram.add(x, target, 0);
                }
            }
        }
        return seen;
    }

    /** The model with {@code tensor} added to its outputs (unless it already is one or is the feed). */
    private static byte[] exposing(OnnxModel m, String tensor) {
        Graph g = m.graph();
        List<ValueInfo> outputs = new ArrayList<>(g.outputs());
        boolean present = outputs.stream().anyMatch(v -> v.name().equals(tensor))
                || g.feedInputs().stream().anyMatch(v -> v.name().equals(tensor));
        if (!present) {
            outputs.add(new ValueInfo(tensor, ValueType.tensor(DataType.FLOAT, null), ""));
        }
        return OnnxModelWriter.toBytes(m.withGraph(new Graph(g.name(), g.nodes(), g.inputs(), outputs, g.valueInfos(),
                g.initializers(), g.docString(), g.encodedExtras())));
    }

    private static OnnxModel replaceInitializers(OnnxModel m, Map<String, Tensor> replace) {
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : m.graph().initializers()) {
            inits.add(replace.getOrDefault(t.name(), t));
        }
        return m.withGraph(m.graph().withInitializers(inits, m.graph().sparseInitializers()));
    }
}
