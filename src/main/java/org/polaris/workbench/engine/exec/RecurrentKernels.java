package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * RNN, GRU and LSTM as the ONNX spec defines them: forward, reverse and bidirectional, both layouts, biases,
 * initial states, {@code sequence_lens}, peepholes, {@code clip}, {@code input_forget}, {@code linear_before_reset}
 * and every activation function the spec lists (with their alpha/beta). Gate weights are in the spec's order
 * (LSTM i,o,f,c; GRU z,r,h). The input projections of all steps are one GEMM; each step is one row times the
 * transposed recurrent weights (the GEMM's one-row path), in float as ONNX Runtime computes them.
 */
final class RecurrentKernels {

    private RecurrentKernels() {
    }

    private enum Cell {
        RNN(1, new String[] {"Tanh"}), GRU(3, new String[] {"Sigmoid", "Tanh"}),
        LSTM(4, new String[] {"Sigmoid", "Tanh", "Tanh"});

        final int gates;
        final String[] defaults;

        Cell(int gates, String[] defaults) {
            this.gates = gates;
            this.defaults = defaults;
        }
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        k.put("RNN", (n, in, o) -> run(pool, n, in, Cell.RNN));
        k.put("GRU", (n, in, o) -> run(pool, n, in, Cell.GRU));
        k.put("LSTM", (n, in, o) -> run(pool, n, in, Cell.LSTM));
    }

    /** One activation function with its parameters, resolved once per node (not per element). */
    private record Act(String name, java.util.function.DoubleUnaryOperator f) {
        double apply(double x) {
            return f.applyAsDouble(x);
        }

        /** {@code v[0..n) = f(v[0..n))}: Sigmoid and Tanh through {@link FloatMath}'s SIMD lanes. */
        void applyAll(float[] v, int n) {
            switch (name) {
                case "Sigmoid" -> FloatMath.LANES.apply(FloatMath.Unary.SIGMOID, v, v, 0, n);
                case "Tanh" -> FloatMath.LANES.apply(FloatMath.Unary.TANH, v, v, 0, n);
                default -> {
                    for (int i = 0; i < n; i++) v[i] = (float) f.applyAsDouble(v[i]);
                }
            }
        }

        static Act of(String name, double alpha, double beta) {
            return new Act(name, switch (name) {
                case "Relu" -> x -> Math.max(0, x);
                case "Tanh" -> Math::tanh;
                case "Sigmoid" -> x -> 1 / (1 + Math.exp(-x));
                case "Affine" -> x -> alpha * x + beta;
                case "LeakyRelu" -> x -> x >= 0 ? x : alpha * x;
                case "ThresholdedRelu" -> x -> x > alpha ? x : 0;
                case "ScaledTanh" -> x -> alpha * Math.tanh(beta * x);
                case "HardSigmoid" -> x -> Math.max(0, Math.min(1, alpha * x + beta));
                case "Elu" -> x -> x >= 0 ? x : alpha * (Math.exp(x) - 1);
                case "Softsign" -> x -> x / (1 + Math.abs(x));
                case "Softplus" -> x -> Math.log1p(Math.exp(x));
                default -> throw new IllegalArgumentException("recurrent activation " + name + " is not supported");
            });
        }
    }

    /** Whether the node uses its cell's default activation functions, all the OpenCL kernels compute. */
    static boolean defaultActivations(Node n) {
        Cell cell = Cell.valueOf(n.opType());
        int dirs = Attrs.s(n, "direction", "forward").equals("bidirectional") ? 2 : 1;
        List<Act> acts;
        try {
            acts = activations(n, cell, dirs);
        } catch (RuntimeException e) {
            return false;
        }
        if (acts.size() != cell.defaults.length * dirs) {
            return false;
        }
        for (int i = 0; i < acts.size(); i++) {
            if (!acts.get(i).name().equals(cell.defaults[i % cell.defaults.length])) return false;
        }
        return true;
    }

    private static List<Act> activations(Node n, Cell cell, int dirs) {
        List<String> names = new ArrayList<>();
        n.attribute("activations").ifPresent(a -> {
            @SuppressWarnings("unchecked")
            List<byte[]> raw = (List<byte[]>) a.value();
            raw.forEach(b -> names.add(new String(b, java.nio.charset.StandardCharsets.UTF_8)));
        });
        if (names.isEmpty()) {
            for (int d = 0; d < dirs; d++) names.addAll(List.of(cell.defaults));
        }
        float[] alphas = n.attribute("activation_alpha").map(a -> (float[]) a.value()).orElse(new float[0]);
        float[] betas = n.attribute("activation_beta").map(a -> (float[]) a.value()).orElse(new float[0]);
        List<Act> out = new ArrayList<>();
        int ai = 0;
        int bi = 0;
        for (String s : names) {
            String name = canonical(s);
            double[] dflt = switch (name) {
                case "LeakyRelu" -> new double[] {0.01, 0};
                case "ThresholdedRelu", "Elu", "Affine", "ScaledTanh" -> new double[] {1, name.equals("ScaledTanh") ? 1 : 0};
                case "HardSigmoid" -> new double[] {0.2, 0.5};
                default -> new double[] {0, 0};
            };
            boolean takesAlpha = List.of("Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu")
                    .contains(name);
            boolean takesBeta = List.of("Affine", "ScaledTanh", "HardSigmoid").contains(name);
            double alpha = takesAlpha && ai < alphas.length ? alphas[ai++] : dflt[0];
            double beta = takesBeta && bi < betas.length ? betas[bi++] : dflt[1];
            out.add(Act.of(name, alpha, beta));
        }
        return out;
    }

    private static String canonical(String s) {
        for (String c : List.of("Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh",
                "HardSigmoid", "Elu", "Softsign", "Softplus")) {
            if (c.equalsIgnoreCase(s)) return c;
        }
        return s;
    }

    private static Value[] run(EnginePool pool, Node n, Value[] in, Cell cell) {
        Value x = in[0];
        Value w = in[1];
        Value r = in[2];
        Value b = in.length > 3 ? in[3] : null;
        Value lens = in.length > 4 ? in[4] : null;
        Value h0 = in.length > 5 ? in[5] : null;
        Value c0 = cell == Cell.LSTM && in.length > 6 ? in[6] : null;
        Value p = cell == Cell.LSTM && in.length > 7 ? in[7] : null;
        String direction = Attrs.s(n, "direction", "forward");
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        int hidden = (int) Attrs.i(n, "hidden_size", r.shape[2]);
        int layout = (int) Attrs.i(n, "layout", 0);
        double clip = n.attribute("clip").map(Attribute::asFloat).map(Float::doubleValue).orElse(Double.NaN);
        boolean inputForget = Attrs.i(n, "input_forget", 0) != 0;
        boolean linearBeforeReset = Attrs.i(n, "linear_before_reset", 0) != 0;
        int seq = layout == 0 ? x.shape[0] : x.shape[1];
        int batch = layout == 0 ? x.shape[1] : x.shape[0];
        int input = x.shape[2];
        int g = cell.gates;
        List<Act> acts = activations(n, cell, dirs);
        float[] xs = floats(x);
        float[] ws = floats(w);
        float[] rs = floats(r);
        float[] bs = b == null ? null : floats(b);
        float[] ps = p == null ? null : floats(p);
        int perDir = acts.size() / dirs;
        int gh = g * hidden;
        // GRU without linear_before_reset multiplies the reset gate into h before the h gate's recurrent product
        boolean resetFirst = cell == Cell.GRU && !linearBeforeReset;
        int rCols = (resetFirst ? 2 : g) * hidden;

        float[] y = new float[seq * dirs * batch * hidden];
        float[] yh = new float[dirs * batch * hidden];
        float[] yc = new float[dirs * batch * hidden];
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            List<Act> a = acts.subList(d * perDir, (d + 1) * perDir);
            Act f = a.get(0);
            Act gAct = a.size() > 1 ? a.get(1) : null;
            Act hAct = a.size() > 2 ? a.get(2) : null;
            // the input projections of every step in one GEMM: xw[row, q] = x[row, :] . W[q, :] + Wb[q]
            float[] xw = new float[seq * batch * gh];
            if (bs != null) {
                for (int row = 0; row < seq * batch; row++) System.arraycopy(bs, d * 2 * gh, xw, row * gh, gh);
            }
            int wo = d * gh * input;
            float[] wt = Buffers.derived(ws, "T" + wo, () -> Gemm.transpose(ws, wo, gh, input));
            Gemm.multiply(pool, seq * batch, gh, input, xs, 0, wt, 0, xw, 0);
            // the recurrent weights as [hidden, gates * hidden], so each step is one row times a matrix
            int ro = d * gh * hidden;
            float[] rt = Buffers.derived(rs, "T" + ro + "x" + rCols, () -> Gemm.transpose(rs, ro, rCols, hidden));
            int rho = ro + 2 * hidden * hidden;
            float[] rth = resetFirst ? Buffers.derived(rs, "T" + rho, () -> Gemm.transpose(rs, rho, hidden, hidden)) : null;
            int rb = d * 2 * gh + gh; // recurrence biases of this direction
            for (int bt = 0; bt < batch; bt++) {
                int len = lens == null ? seq : (int) lens.get(bt);
                float[] h = new float[hidden];
                float[] c = new float[hidden];
                for (int j = 0; j < hidden; j++) {
                    int at = layout == 0 ? (d * batch + bt) * hidden + j : (bt * dirs + d) * hidden + j;
                    if (h0 != null) h[j] = (float) h0.get(at);
                    if (c0 != null) c[j] = (float) c0.get(at);
                }
                float[] ghv = new float[rCols];
                float[] rh = resetFirst ? new float[hidden] : null;
                float[] ghh = resetFirst ? new float[hidden] : null;
                float[] next = new float[hidden];
                float[] cn = new float[hidden];
                float[] gates = new float[3 * hidden];
                for (int step = 0; step < len; step++) {
                    int t = reverse ? len - 1 - step : step;
                    int xo = (layout == 0 ? t * batch + bt : bt * seq + t) * gh;
                    if (bs != null) {
                        System.arraycopy(bs, rb, ghv, 0, rCols);
                    } else {
                        java.util.Arrays.fill(ghv, 0f);
                    }
                    Gemm.multiply(pool, 1, rCols, hidden, h, 0, rt, 0, ghv, 0);
                    switch (cell) {
                        case RNN -> {
                            for (int j = 0; j < hidden; j++) next[j] = clip(xw[xo + j] + ghv[j], clip);
                            f.applyAll(next, hidden);
                        }
                        case GRU -> {
                            // z then r in gates[0, 2 * hidden)
                            for (int j = 0; j < 2 * hidden; j++) gates[j] = clip(xw[xo + j] + ghv[j], clip);
                            f.applyAll(gates, 2 * hidden);
                            if (resetFirst) {
                                for (int i = 0; i < hidden; i++) rh[i] = gates[hidden + i] * h[i];
                                if (bs != null) {
                                    System.arraycopy(bs, rb + 2 * hidden, ghh, 0, hidden);
                                } else {
                                    java.util.Arrays.fill(ghh, 0f);
                                }
                                Gemm.multiply(pool, 1, hidden, hidden, rh, 0, rth, 0, ghh, 0);
                                for (int j = 0; j < hidden; j++) cn[j] = clip(xw[xo + 2 * hidden + j] + ghh[j], clip);
                            } else {
                                for (int j = 0; j < hidden; j++) {
                                    cn[j] = clip(xw[xo + 2 * hidden + j] + gates[hidden + j] * ghv[2 * hidden + j], clip);
                                }
                            }
                            gAct.applyAll(cn, hidden);
                            for (int j = 0; j < hidden; j++) next[j] = (1 - gates[j]) * cn[j] + gates[j] * h[j];
                        }
                        case LSTM -> {
                            // gates: i, f, candidate c; then o once the new cell state is known
                            int po = d * 3 * hidden;
                            for (int j = 0; j < hidden; j++) {
                                float pi = ps == null ? 0 : ps[po + j];
                                float pf = ps == null ? 0 : ps[po + 2 * hidden + j];
                                gates[j] = clip(xw[xo + j] + ghv[j] + pi * c[j], clip);
                                gates[hidden + j] = clip(xw[xo + 2 * hidden + j] + ghv[2 * hidden + j] + pf * c[j], clip);
                                gates[2 * hidden + j] = clip(xw[xo + 3 * hidden + j] + ghv[3 * hidden + j], clip);
                            }
                            f.applyAll(gates, inputForget ? hidden : 2 * hidden);
                            if (inputForget) {
                                for (int j = 0; j < hidden; j++) gates[hidden + j] = 1 - gates[j];
                            }
                            System.arraycopy(gates, 2 * hidden, cn, 0, hidden);
                            gAct.applyAll(cn, hidden);
                            for (int j = 0; j < hidden; j++) cn[j] = gates[hidden + j] * c[j] + gates[j] * cn[j];
                            for (int j = 0; j < hidden; j++) {
                                float pOut = ps == null ? 0 : ps[po + hidden + j];
                                gates[j] = clip(xw[xo + hidden + j] + ghv[hidden + j] + pOut * cn[j], clip);
                            }
                            f.applyAll(gates, hidden);
                            System.arraycopy(cn, 0, next, 0, hidden);
                            hAct.applyAll(next, hidden);
                            for (int j = 0; j < hidden; j++) next[j] *= gates[j];
                            float[] swap = c;
                            c = cn;
                            cn = swap;
                        }
                    }
                    float[] swap = h;
                    h = next;
                    next = swap;
                    for (int j = 0; j < hidden; j++) {
                        int yi = layout == 0 ? ((t * dirs + d) * batch + bt) * hidden + j
                                : ((bt * seq + t) * dirs + d) * hidden + j;
                        y[yi] = h[j];
                    }
                }
                for (int j = 0; j < hidden; j++) {
                    int hi = layout == 0 ? (d * batch + bt) * hidden + j : (bt * dirs + d) * hidden + j;
                    yh[hi] = h[j];
                    yc[hi] = c[j];
                }
            }
        }
        int[] yShape = layout == 0 ? new int[] {seq, dirs, batch, hidden} : new int[] {batch, seq, dirs, hidden};
        int[] hShape = layout == 0 ? new int[] {dirs, batch, hidden} : new int[] {batch, dirs, hidden};
        Value vy = Value.floats(yShape, y);
        Value vh = Value.floats(hShape, yh);
        return cell == Cell.LSTM ? new Value[] {vy, vh, Value.floats(hShape, yc)} : new Value[] {vy, vh};
    }

    /** The tensor's elements as floats (the tensor's own array when it is float32). */
    private static float[] floats(Value v) {
        if (v.f != null) {
            return v.f;
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) v.get(i);
        return out;
    }

    private static float clip(float v, double clip) {
        return Double.isNaN(clip) ? v : (float) Math.max(-clip, Math.min(clip, v));
    }
}
