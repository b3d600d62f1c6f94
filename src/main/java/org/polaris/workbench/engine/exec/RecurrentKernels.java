package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * RNN, GRU and LSTM as the ONNX spec defines them: forward, reverse and bidirectional, both layouts, biases,
 * initial states, {@code sequence_lens}, peepholes, {@code clip}, {@code input_forget}, {@code linear_before_reset}
 * and every activation function the spec lists (with their alpha/beta). Gate weights are in the spec's order
 * (LSTM i,o,f,c; GRU z,r,h); accumulation in double.
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

    static void register(Map<String, Kernel> k) {
        k.put("RNN", (n, in, o) -> run(n, in, Cell.RNN));
        k.put("GRU", (n, in, o) -> run(n, in, Cell.GRU));
        k.put("LSTM", (n, in, o) -> run(n, in, Cell.LSTM));
    }

    /** One activation function with its parameters, resolved once per node (not per element). */
    private record Act(java.util.function.DoubleUnaryOperator f) {
        double apply(double x) {
            return f.applyAsDouble(x);
        }

        static Act of(String name, double alpha, double beta) {
            return new Act(switch (name) {
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

    private static Value[] run(Node n, Value[] in, Cell cell) {
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
        // flat copies once: the recurrence reads every weight each step
        double[] xs = x.toDoubles();
        double[] ws = w.toDoubles();
        double[] rs = r.toDoubles();
        double[] bs = b == null ? null : b.toDoubles();
        int perDir = acts.size() / dirs;

        double[] y = new double[seq * dirs * batch * hidden];
        double[] yh = new double[dirs * batch * hidden];
        double[] yc = new double[dirs * batch * hidden];
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            List<Act> a = acts.subList(d * perDir, (d + 1) * perDir);
            int wOff = d * g * hidden * input;
            int rOff = d * g * hidden * hidden;
            for (int bt = 0; bt < batch; bt++) {
                int len = lens == null ? seq : (int) lens.get(bt);
                double[] h = new double[hidden];
                double[] c = new double[hidden];
                for (int j = 0; j < hidden; j++) {
                    if (h0 != null) h[j] = h0.get(layout == 0 ? (d * batch + bt) * hidden + j : (bt * dirs + d) * hidden + j);
                    if (c0 != null) c[j] = c0.get(layout == 0 ? (d * batch + bt) * hidden + j : (bt * dirs + d) * hidden + j);
                }
                double[] gx = new double[g * hidden];
                double[] gh = new double[g * hidden];
                for (int step = 0; step < len; step++) {
                    int t = reverse ? len - 1 - step : step;
                    int xBase = layout == 0 ? (t * batch + bt) * input : (bt * seq + t) * input;
                    for (int q = 0; q < g * hidden; q++) {
                        double sx = bs == null ? 0 : bs[d * 2 * g * hidden + q];
                        for (int i = 0; i < input; i++) sx += xs[xBase + i] * ws[wOff + q * input + i];
                        gx[q] = sx;
                        double sh = bs == null ? 0 : bs[d * 2 * g * hidden + g * hidden + q];
                        if (cell != Cell.GRU || q < 2 * hidden || linearBeforeReset) {
                            for (int i = 0; i < hidden; i++) sh += h[i] * rs[rOff + q * hidden + i];
                        }
                        gh[q] = sh;
                    }
                    double[] next = new double[hidden];
                    switch (cell) {
                        case RNN -> {
                            for (int j = 0; j < hidden; j++) next[j] = a.get(0).apply(clip(gx[j] + gh[j], clip));
                        }
                        case GRU -> {
                            double[] rt = new double[hidden];
                            double[] zt = new double[hidden];
                            for (int j = 0; j < hidden; j++) {
                                zt[j] = a.get(0).apply(clip(gx[j] + gh[j], clip));
                                rt[j] = a.get(0).apply(clip(gx[hidden + j] + gh[hidden + j], clip));
                            }
                            for (int j = 0; j < hidden; j++) {
                                double pre;
                                if (linearBeforeReset) {
                                    pre = gx[2 * hidden + j] + rt[j] * gh[2 * hidden + j];
                                } else {
                                    double s = bs == null ? 0 : bs[d * 2 * g * hidden + g * hidden + 2 * hidden + j];
                                    for (int i = 0; i < hidden; i++) s += rt[i] * h[i] * rs[rOff + (2 * hidden + j) * hidden + i];
                                    pre = gx[2 * hidden + j] + s;
                                }
                                double ht = a.get(1).apply(clip(pre, clip));
                                next[j] = (1 - zt[j]) * ht + zt[j] * h[j];
                            }
                        }
                        case LSTM -> {
                            double[] cn = new double[hidden];
                            for (int j = 0; j < hidden; j++) {
                                double pi = p == null ? 0 : p.get(d * 3 * hidden + j);
                                double po = p == null ? 0 : p.get(d * 3 * hidden + hidden + j);
                                double pf = p == null ? 0 : p.get(d * 3 * hidden + 2 * hidden + j);
                                double it = a.get(0).apply(clip(gx[j] + gh[j] + pi * c[j], clip));
                                double ft = inputForget ? 1 - it
                                        : a.get(0).apply(clip(gx[2 * hidden + j] + gh[2 * hidden + j] + pf * c[j], clip));
                                double ct = a.get(1).apply(clip(gx[3 * hidden + j] + gh[3 * hidden + j], clip));
                                cn[j] = ft * c[j] + it * ct;
                                double ot = a.get(0).apply(clip(gx[hidden + j] + gh[hidden + j] + po * cn[j], clip));
                                next[j] = ot * a.get(2).apply(cn[j]);
                            }
                            c = cn;
                        }
                    }
                    h = next;
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
        Value vy = Value.ofDoubles(x.type, yShape, y);
        Value vh = Value.ofDoubles(x.type, hShape, yh);
        return cell == Cell.LSTM ? new Value[] {vy, vh, Value.ofDoubles(x.type, hShape, yc)} : new Value[] {vy, vh};
    }

    private static double clip(double v, double clip) {
        return Double.isNaN(clip) ? v : Math.max(-clip, Math.min(clip, v));
    }
}
