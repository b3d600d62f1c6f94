package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.Map;

/**
 * Smaller ops from the ONNX spec, each its plain definition: BitShift, InstanceNormalization,
 * MeanVarianceNormalization, GlobalMaxPool, LRN, Det, ReverseSequence, the Hann/Hamming/Blackman windows,
 * DynamicQuantizeLinear, MatMulInteger and ConvTranspose (any rank, groups, dilations, output padding and shape),
 * Einsum, Unique, MaxUnpool, DFT and STFT.
 */
final class MiscKernels {

    private MiscKernels() {
    }

    static void register(Map<String, Kernel> k, org.polaris.workbench.engine.job.EnginePool pool) {
        k.put("BitShift", (n, in, o) -> {
            boolean left = Attrs.s(n, "direction", "LEFT").equals("LEFT");
            DataType t = in[0].type;
            int bits = t == DataType.UINT8 ? 8 : t == DataType.INT64 ? 64 : 32;
            return one(MathKernels.binary(in[0], in[1], t, (x, y) -> {
                long v = (long) x;
                long s = (long) y;
                long r = left ? v << s : v >>> s;
                return bits == 64 ? r : r & ((1L << bits) - 1);
            }));
        });
        k.put("InstanceNormalization", (n, in, o) -> one(instanceNorm(in[0], in[1], in[2], Attrs.f(n, "epsilon", 1e-5f))));
        k.put("MeanVarianceNormalization", (n, in, o) -> {
            int[] axes = Attrs.ints(n, "axes", new int[] {0, 2, 3});
            return one(meanVariance(in[0], axes));
        });
        k.put("GlobalMaxPool", (n, in, o) -> {
            Value x = in[0];
            int outer = x.shape[0] * x.shape[1];
            int inner = x.size() / Math.max(outer, 1);
            double[] out = new double[outer];
            for (int i = 0; i < outer; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < inner; j++) m = Math.max(m, x.get(i * inner + j));
                out[i] = m;
            }
            int[] shape = x.shape.clone();
            for (int d = 2; d < shape.length; d++) shape[d] = 1;
            return one(Value.ofDoubles(x.type, shape, out));
        });
        k.put("LRN", (n, in, o) -> one(lrn(in[0], Attrs.f(n, "alpha", 1e-4f), Attrs.f(n, "beta", 0.75f),
                Attrs.f(n, "bias", 1f), (int) Attrs.i(n, "size", 1))));
        k.put("Det", (n, in, o) -> one(det(in[0])));
        k.put("ReverseSequence", (n, in, o) -> one(reverseSequence(in[0], in[1], (int) Attrs.i(n, "batch_axis", 1),
                (int) Attrs.i(n, "time_axis", 0))));
        window(k, "HannWindow", new double[] {0.5, 0.5, 0});
        window(k, "HammingWindow", new double[] {25.0 / 46, 21.0 / 46, 0});
        window(k, "BlackmanWindow", new double[] {0.42, 0.5, 0.08});
        k.put("DynamicQuantizeLinear", (n, in, o) -> {
            Value x = in[0];
            double lo = 0;
            double hi = 0;
            for (int i = 0; i < x.size(); i++) {
                lo = Math.min(lo, x.get(i));
                hi = Math.max(hi, x.get(i));
            }
            // float32 arithmetic, as the spec's reference computes it (a double scale rounds some codes differently)
            float scale = ((float) hi - (float) lo) / 255f;
            double zp = scale == 0 ? 0 : Math.max(0, Math.min(255, Math.rint(-(float) lo / scale)));
            double[] q = new double[x.size()];
            for (int i = 0; i < q.length; i++) {
                q[i] = scale == 0 ? zp : Math.max(0, Math.min(255, Math.rint((float) x.get(i) / scale) + zp));
            }
            return new Value[] {Value.ofDoubles(DataType.UINT8, x.shape, q),
                    Value.floats(new int[0], new float[] {scale}),
                    Value.ofDoubles(DataType.UINT8, new int[0], new double[] {zp})};
        });
        k.put("MatMulInteger", (n, in, o) -> one(matMulInteger(in)));
        k.put("Einsum", (n, in, o) -> one(einsum(Attrs.s(n, "equation", ""), in)));
        k.put("MaxUnpool", (n, in, o) -> one(maxUnpool(n, in)));
        k.put("Unique", (n, in, o) -> unique(n, in[0]));
        k.put("DFT", (n, in, o) -> one(dft(n, in)));
        k.put("STFT", (n, in, o) -> one(stft(n, in)));
        k.put("ConvTranspose", (n, in, o) -> one(convTranspose(n, in)));
        k.put("RoiAlign", (n, in, o) -> one(roiAlign(pool, n, in, o)));
    }

    private static Value[] one(Value v) {
        return new Value[] {v};
    }

    /**
     * Einsum by its definition: every label gets a size, the output labels (explicit, or the implicit ones: ellipsis
     * dims, then labels used once, alphabetically) index the result, and the others are summed over; a label repeated
     * within one operand takes its diagonal, and ellipsis dims broadcast. Letters are labels 0-51, ellipsis dims
     * 52 and up.
     */
    static Value einsum(String equation, Value[] in) {
        String eq = equation.replace(" ", "");
        String[] sides = eq.split("->", -1);
        String[] terms = sides[0].split(",", -1);
        if (terms.length != in.length) {
            throw new IllegalArgumentException("Einsum equation '" + equation + "' names " + terms.length
                    + " operands, got " + in.length);
        }
        int ell = 0;
        for (int i = 0; i < terms.length; i++) {
            if (terms[i].contains("...")) ell = Math.max(ell, in[i].rank() - (terms[i].length() - 3));
        }
        int[][] labels = new int[terms.length][];
        long[] size = new long[52 + ell];
        java.util.Arrays.fill(size, -1);
        int[] uses = new int[52 + ell];
        for (int i = 0; i < terms.length; i++) {
            labels[i] = labels(terms[i], in[i].rank(), ell);
            if (labels[i].length != in[i].rank()) {
                throw new IllegalArgumentException("Einsum term '" + terms[i] + "' does not match rank " + in[i].rank());
            }
            for (int d = 0; d < labels[i].length; d++) {
                int l = labels[i][d];
                long dim = in[i].shape[d];
                if (size[l] < 0 || size[l] == 1) size[l] = dim;
                else if (dim != 1 && dim != size[l]) {
                    throw new IllegalArgumentException("Einsum label sizes differ: " + dim + " vs " + size[l]);
                }
                uses[l]++;
            }
        }
        int[] out;
        if (sides.length > 1) {
            out = labels(sides[1], -1, ell);
        } else {
            java.util.List<Integer> implicit = new java.util.ArrayList<>();
            for (int l = 52; l < 52 + ell; l++) if (size[l] >= 0) implicit.add(l);
            for (int c = 0; c < 52; c++) {
                int l = c < 26 ? 26 + c : c - 26; // alphabetical: A-Z sort before a-z in ASCII
                if (uses[l] == 1) implicit.add(l);
            }
            out = implicit.stream().mapToInt(Integer::intValue).toArray();
        }
        boolean[] isOut = new boolean[52 + ell];
        for (int l : out) isOut[l] = true;
        java.util.List<Integer> summed = new java.util.ArrayList<>();
        for (int l = 0; l < 52 + ell; l++) if (size[l] >= 0 && !isOut[l]) summed.add(l);
        int[] all = new int[out.length + summed.size()];
        System.arraycopy(out, 0, all, 0, out.length);
        for (int j = 0; j < summed.size(); j++) all[out.length + j] = summed.get(j);
        int[] dims = new int[all.length];
        for (int j = 0; j < all.length; j++) dims[j] = (int) Math.max(size[all[j]], 0);
        // each operand's stride per label in `all` (repeated labels add up: the diagonal; broadcast dims are 0)
        int[][] stride = new int[in.length][all.length];
        for (int i = 0; i < in.length; i++) {
            int[] st = Value.strides(in[i].shape);
            for (int d = 0; d < labels[i].length; d++) {
                if (in[i].shape[d] == 1 && size[labels[i][d]] != 1) continue;
                for (int j = 0; j < all.length; j++) if (all[j] == labels[i][d]) stride[i][j] += st[d];
            }
        }
        int[] outShape = java.util.Arrays.copyOf(dims, out.length);
        int outSize = Value.size(outShape);
        int inner = 1;
        for (int j = out.length; j < all.length; j++) inner *= dims[j];
        double[] y = new double[outSize];
        int[] idx = new int[all.length];
        int[] off = new int[in.length];
        for (int q = 0; q < outSize; q++) {
            double acc = 0;
            for (int t = 0; t < inner; t++) {
                double prod = 1;
                for (int i = 0; i < in.length; i++) prod *= in[i].get(off[i]);
                acc += prod;
                // advance the summed labels, then (after the last) the output labels
                for (int j = all.length - 1; j >= 0; j--) {
                    if (j < out.length && t < inner - 1) break;
                    idx[j]++;
                    for (int i = 0; i < in.length; i++) off[i] += stride[i][j];
                    if (idx[j] < dims[j]) break;
                    for (int i = 0; i < in.length; i++) off[i] -= stride[i][j] * dims[j];
                    idx[j] = 0;
                }
            }
            y[q] = acc;
        }
        return Value.ofDoubles(in[0].type, outShape, y);
    }

    /**
     * MaxUnpool: X [N, C, d...] and the flat Indices MaxPool gave, scattered into zeros of the output shape (the
     * given {@code output_shape}, else (in - 1) * stride - pads + kernel per spatial dim).
     */
    private static Value maxUnpool(Node n, Value[] in) {
        Value x = in[0];
        long[] idx = in[1].asLongs();
        int r = x.rank() - 2;
        int[] kernel = Attrs.ints(n, "kernel_shape", null);
        int[] strides = Attrs.ints(n, "strides", null);
        int[] pads = Attrs.ints(n, "pads", new int[2 * r]);
        int[] natural = x.shape.clone(); // the shape MaxPool's indices refer to
        for (int a = 0; a < r; a++) {
            int st = strides == null ? 1 : strides[a];
            natural[2 + a] = (x.shape[2 + a] - 1) * st - pads[a] - pads[a + r] + kernel[a];
        }
        int[] shape = in.length > 2 && in[2] != null
                ? java.util.Arrays.stream(in[2].asLongs()).mapToInt(Math::toIntExact).toArray() : natural;
        int[] from = Value.strides(java.util.Arrays.copyOfRange(natural, 2, natural.length));
        int[] to = Value.strides(java.util.Arrays.copyOfRange(shape, 2, shape.length));
        int fromPlane = Value.size(java.util.Arrays.copyOfRange(natural, 2, natural.length));
        int toPlane = Value.size(java.util.Arrays.copyOfRange(shape, 2, shape.length));
        double[] y = new double[Value.size(shape)];
        for (int k = 0; k < idx.length; k++) {
            if (idx[k] < 0 || idx[k] >= (long) fromPlane * x.shape[0] * x.shape[1]) {
                throw new IllegalArgumentException("MaxUnpool index " + idx[k] + " is outside the pooled input");
            }
            // an index into the natural shape, placed at the same spatial coordinates of the requested one
            int plane = (int) (idx[k] / fromPlane);
            int rem = (int) (idx[k] % fromPlane);
            int at = plane * toPlane;
            for (int a = 0; a < r; a++) {
                int coord = rem / from[a];
                rem %= from[a];
                if (coord >= shape[2 + a]) {
                    throw new IllegalArgumentException("MaxUnpool output_shape is smaller than the pooled input");
                }
                at += coord * to[a];
            }
            y[at] = x.get(k);
        }
        return Value.ofDoubles(x.type, shape, y);
    }

    /**
     * Unique: the distinct elements (no axis: of the flattened tensor) or distinct slices along {@code axis}, sorted
     * ascending (slices lexicographically) or in order of first appearance; with the first index of each, every
     * element's index into the result, and the counts (all int64).
     */
    private static Value[] unique(Node n, Value x) {
        boolean sorted = Attrs.i(n, "sorted", 1) != 0;
        boolean hasAxis = n.attribute("axis").isPresent();
        int[] shape = hasAxis ? x.shape : new int[] {x.size()};
        int axis = hasAxis ? Attrs.axis(Attrs.i(n, "axis", 0), x.rank()) : 0;
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        int len = shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        double[][] slices = new double[len][outer * inner];
        for (int k = 0; k < len; k++) {
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) slices[k][o * inner + i] = x.get((o * len + k) * inner + i);
            }
        }
        java.util.Map<java.util.List<Double>, Integer> first = new java.util.LinkedHashMap<>();
        for (int k = 0; k < len; k++) {
            first.putIfAbsent(java.util.Arrays.stream(slices[k]).boxed().toList(), k);
        }
        java.util.List<Integer> order = new java.util.ArrayList<>(first.values());
        if (sorted) {
            order.sort((p, q) -> java.util.Arrays.compare(slices[p], slices[q]));
        }
        int count = order.size();
        java.util.Map<java.util.List<Double>, Integer> position = new java.util.HashMap<>();
        for (int u = 0; u < count; u++) position.put(java.util.Arrays.stream(slices[order.get(u)]).boxed().toList(), u);
        long[] indices = new long[count];
        long[] counts = new long[count];
        long[] inverse = new long[len];
        for (int u = 0; u < count; u++) indices[u] = order.get(u);
        for (int k = 0; k < len; k++) {
            int u = position.get(java.util.Arrays.stream(slices[k]).boxed().toList());
            inverse[k] = u;
            counts[u]++;
        }
        int[] yShape = shape.clone();
        yShape[axis] = count;
        double[] y = new double[outer * count * inner];
        for (int o = 0; o < outer; o++) {
            for (int u = 0; u < count; u++) {
                for (int i = 0; i < inner; i++) y[(o * count + u) * inner + i] = slices[order.get(u)][o * inner + i];
            }
        }
        return new Value[] {Value.ofDoubles(x.type, yShape, y), Value.longs(new int[] {count}, indices),
            Value.longs(new int[] {len}, inverse), Value.longs(new int[] {count}, counts)};
    }

    /**
     * DFT (opset 17) along {@code axis} of [batch, signal dims..., 1 (real) or 2 (complex)]: zero-padded or cut to
     * {@code dft_length}, inverse with the 1/N scale, {@code onesided} keeping the first N/2 + 1 bins; complex output
     * [..., 2]. The definition, in double.
     */
    private static Value dft(Node n, Value[] in) {
        Value x = in[0];
        int r = x.rank();
        int axis = (int) Attrs.i(n, "axis", 1);
        if (axis < 0) axis += r;
        if (axis <= 0 || axis >= r - 1) {
            throw new IllegalArgumentException("DFT axis " + axis + " is not a signal dimension of rank " + r);
        }
        boolean inverse = Attrs.i(n, "inverse", 0) != 0;
        boolean onesided = Attrs.i(n, "onesided", 0) != 0;
        int len = x.shape[axis];
        int size = in.length > 1 && in[1] != null && in[1].size() > 0 ? (int) in[1].get(0) : len;
        int bins = onesided ? size / 2 + 1 : size;
        int comps = x.shape[r - 1];
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.shape[d];
        int inner = 1;
        for (int d = axis + 1; d < r - 1; d++) inner *= x.shape[d];
        int[] shape = x.shape.clone();
        shape[axis] = bins;
        shape[r - 1] = 2;
        double[] y = new double[outer * bins * inner * 2];
        double[] re = new double[size];
        double[] im = new double[size];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                java.util.Arrays.fill(re, 0);
                java.util.Arrays.fill(im, 0);
                for (int t = 0; t < Math.min(len, size); t++) {
                    int at = ((o * len + t) * inner + i) * comps;
                    re[t] = x.get(at);
                    im[t] = comps > 1 ? x.get(at + 1) : 0;
                }
                double[][] f = transform(re, im, bins, inverse);
                for (int kk = 0; kk < bins; kk++) {
                    int at = ((o * bins + kk) * inner + i) * 2;
                    y[at] = f[0][kk];
                    y[at + 1] = f[1][kk];
                }
            }
        }
        return Value.ofDoubles(x.type, shape, y);
    }

    /** The first {@code bins} terms of the DFT (or inverse DFT, scaled by 1/N) of re + i im. */
    private static double[][] transform(double[] re, double[] im, int bins, boolean inverse) {
        int size = re.length;
        double sign = inverse ? 1 : -1;
        double[][] out = new double[2][bins];
        for (int kk = 0; kk < bins; kk++) {
            double sr = 0;
            double si = 0;
            for (int t = 0; t < size; t++) {
                double angle = sign * 2 * Math.PI * ((long) kk * t % size) / size;
                double c = Math.cos(angle);
                double sn = Math.sin(angle);
                sr += re[t] * c - im[t] * sn;
                si += re[t] * sn + im[t] * c;
            }
            out[0][kk] = inverse ? sr / size : sr;
            out[1][kk] = inverse ? si / size : si;
        }
        return out;
    }

    /**
     * STFT (opset 17): signal [batch, length, 1 or 2], frame_step, optional window and frame_length; each frame
     * (windowed) transformed, {@code onesided} (default) keeping N/2 + 1 bins: [batch, frames, bins, 2].
     */
    private static Value stft(Node n, Value[] in) {
        Value x = in[0];
        int step = (int) in[1].get(0);
        Value window = in.length > 2 ? in[2] : null;
        int frameLength = window != null && window.size() > 0 ? window.size()
                : in.length > 3 && in[3] != null ? (int) in[3].get(0) : -1;
        if (frameLength <= 0 || step <= 0) {
            throw new IllegalArgumentException("STFT needs a window or a frame_length, and a positive frame_step");
        }
        boolean onesided = Attrs.i(n, "onesided", 1) != 0;
        int batch = x.shape[0], length = x.shape[1], comps = x.rank() > 2 ? x.shape[2] : 1;
        int frames = length < frameLength ? 0 : (length - frameLength) / step + 1;
        int bins = onesided ? frameLength / 2 + 1 : frameLength;
        double[] y = new double[batch * frames * bins * 2];
        double[] re = new double[frameLength];
        double[] im = new double[frameLength];
        for (int b = 0; b < batch; b++) {
            for (int f = 0; f < frames; f++) {
                for (int t = 0; t < frameLength; t++) {
                    double w = window != null && window.size() > 0 ? window.get(t) : 1;
                    int at = (b * length + f * step + t) * comps;
                    re[t] = x.get(at) * w;
                    im[t] = comps > 1 ? x.get(at + 1) * w : 0;
                }
                double[][] spec = transform(re, im, bins, false);
                for (int kk = 0; kk < bins; kk++) {
                    int at = ((b * frames + f) * bins + kk) * 2;
                    y[at] = spec[0][kk];
                    y[at + 1] = spec[1][kk];
                }
            }
        }
        return Value.ofDoubles(x.type, new int[] {batch, frames, bins, 2}, y);
    }

    /** Labels of one term; {@code rank} (or -1 for the output) sizes its ellipsis, right-aligned within {@code ell}. */
    private static int[] labels(String term, int rank, int ell) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        int dots = term.indexOf("...");
        int letters = term.length() - (dots >= 0 ? 3 : 0);
        int span = dots < 0 ? 0 : rank < 0 ? ell : rank - letters;
        for (int c = 0; c < term.length(); c++) {
            if (c == dots) {
                for (int t = 0; t < span; t++) out.add(52 + ell - span + t);
                c += 2;
                continue;
            }
            char ch = term.charAt(c);
            if (ch >= 'a' && ch <= 'z') out.add(ch - 'a');
            else if (ch >= 'A' && ch <= 'Z') out.add(26 + ch - 'A');
            else throw new IllegalArgumentException("Einsum label '" + ch + "' is not a letter");
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void window(Map<String, Kernel> k, String op, double[] a) {
        k.put(op, (n, in, o) -> {
            int size = (int) in[0].get(0);
            boolean periodic = Attrs.i(n, "periodic", 1) != 0;
            double nn = periodic ? size : size - 1;
            double[] w = new double[size];
            for (int i = 0; i < size; i++) {
                w[i] = a[0] - a[1] * Math.cos(2 * Math.PI * i / nn) + a[2] * Math.cos(4 * Math.PI * i / nn);
            }
            DataType t = DataType.fromCode((int) Attrs.i(n, "output_datatype", 1));
            return one(Value.ofDoubles(t, new int[] {size}, w));
        });
    }

    private static Value instanceNorm(Value x, Value scale, Value bias, double eps) {
        int batch = x.shape[0];
        int channels = x.shape[1];
        int inner = x.size() / (batch * channels);
        double[] out = new double[x.size()];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                int base = (b * channels + c) * inner;
                double m = 0;
                for (int i = 0; i < inner; i++) m += x.get(base + i);
                m /= inner;
                double v = 0;
                for (int i = 0; i < inner; i++) v += (x.get(base + i) - m) * (x.get(base + i) - m);
                v /= inner;
                double s = scale.get(c) / Math.sqrt(v + eps);
                for (int i = 0; i < inner; i++) out[base + i] = (x.get(base + i) - m) * s + bias.get(c);
            }
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    private static Value meanVariance(Value x, int[] axes) {
        boolean[] red = new boolean[x.rank()];
        for (int a : axes) red[Attrs.axis(a, x.rank())] = true;
        int[] st = Value.strides(x.shape);
        int[] keyStrides = new int[x.rank()];
        int groups = 1;
        for (int d = x.rank() - 1; d >= 0; d--) {
            if (!red[d]) {
                keyStrides[d] = groups;
                groups *= x.shape[d];
            }
        }
        int[] key = new int[x.size()];
        for (int i = 0; i < x.size(); i++) {
            int rem = i;
            int kk = 0;
            for (int d = 0; d < x.rank(); d++) {
                int c = rem / st[d];
                rem %= st[d];
                if (!red[d]) kk += c * keyStrides[d];
            }
            key[i] = kk;
        }
        double[] sum = new double[groups];
        double[] sq = new double[groups];
        int[] cnt = new int[groups];
        for (int i = 0; i < x.size(); i++) {
            sum[key[i]] += x.get(i);
            sq[key[i]] += x.get(i) * x.get(i);
            cnt[key[i]]++;
        }
        double[] out = new double[x.size()];
        for (int i = 0; i < x.size(); i++) {
            double m = sum[key[i]] / cnt[key[i]];
            double var = sq[key[i]] / cnt[key[i]] - m * m;
            out[i] = (x.get(i) - m) / (Math.sqrt(Math.max(var, 0)) + 1e-9);
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    private static Value lrn(Value x, double alpha, double beta, double bias, int size) {
        int b = x.shape[0];
        int c = x.shape[1];
        int inner = x.size() / (b * c);
        double[] out = new double[x.size()];
        int lo = (size - 1) / 2;
        int hi = (size - 1) - lo;
        for (int n = 0; n < b; n++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < inner; i++) {
                    double s = 0;
                    for (int j = Math.max(0, ch - lo); j <= Math.min(c - 1, ch + hi); j++) {
                        double v = x.get((n * c + j) * inner + i);
                        s += v * v;
                    }
                    int f = (n * c + ch) * inner + i;
                    out[f] = x.get(f) / Math.pow(bias + alpha / size * s, beta);
                }
            }
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    private static Value det(Value x) {
        int r = x.rank();
        int m = x.shape[r - 1];
        int count = x.size() / (m * m);
        double[] out = new double[count];
        for (int b = 0; b < count; b++) {
            double[][] a = new double[m][m];
            for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) a[i][j] = x.get(b * m * m + i * m + j);
            double d = 1;
            for (int col = 0; col < m; col++) {
                int piv = col;
                for (int i = col + 1; i < m; i++) if (Math.abs(a[i][col]) > Math.abs(a[piv][col])) piv = i;
                if (a[piv][col] == 0) {
                    d = 0;
                    break;
                }
                if (piv != col) {
                    double[] t = a[piv];
                    a[piv] = a[col];
                    a[col] = t;
                    d = -d;
                }
                d *= a[col][col];
                for (int i = col + 1; i < m; i++) {
                    double f = a[i][col] / a[col][col];
                    for (int j = col; j < m; j++) a[i][j] -= f * a[col][j];
                }
            }
            out[b] = d;
        }
        return Value.ofDoubles(x.type, java.util.Arrays.copyOf(x.shape, r - 2), out);
    }

    private static Value reverseSequence(Value x, Value lens, int batchAxis, int timeAxis) {
        int[] st = Value.strides(x.shape);
        int[] src = new int[x.size()];
        for (int i = 0; i < src.length; i++) {
            int rem = i;
            int f = 0;
            int bIdx = (i / st[batchAxis]) % x.shape[batchAxis];
            int len = (int) lens.get(bIdx);
            for (int d = 0; d < x.rank(); d++) {
                int c = rem / st[d];
                rem %= st[d];
                if (d == timeAxis && c < len) c = len - 1 - c;
                f += c * st[d];
            }
            src[i] = f;
        }
        return x.pick(x.shape.clone(), src);
    }

    private static Value matMulInteger(Value[] in) {
        Value a = in[0];
        Value b = in[1];
        double za = in.length > 2 && in[2] != null ? in[2].get(0) : 0;
        double zb = in.length > 3 && in[3] != null ? in[3].get(0) : 0;
        int m = a.shape[a.rank() - 2];
        int kk = a.shape[a.rank() - 1];
        int nn = b.shape[b.rank() - 1];
        int batches = a.size() / (m * kk);
        double[] out = new double[batches * m * nn];
        for (int t = 0; t < batches; t++) {
            int bOff = b.rank() > 2 ? t * kk * nn : 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < nn; j++) {
                    double s = 0;
                    for (int p = 0; p < kk; p++) s += (a.get(t * m * kk + i * kk + p) - za) * (b.get(bOff + p * nn + j) - zb);
                    out[t * m * nn + i * nn + j] = s;
                }
            }
        }
        int[] shape = a.shape.clone();
        shape[shape.length - 1] = nn;
        return Value.ofDoubles(DataType.INT32, shape, out);
    }

    /**
     * ConvTranspose: each input pixel scatters {@code W[c_in, c_out/group, k...]} into the output. Output size
     * {@code stride*(in-1) + output_padding + ((k-1)*dilation+1) - pad_begin - pad_end}, or {@code output_shape} with
     * the padding derived (auto_pad SAME_UPPER/SAME_LOWER as the spec says).
     */
    /**
     * A ConvTranspose node's output spatial dims and its pads (begin pads, then end pads) for input shape {@code x}
     * and weight shape {@code w}: from output_shape, auto_pad or the explicit pads, with output_padding.
     */
    static int[][] convTransposeGeometry(Node n, int[] x, int[] w) {
        int sp = x.length - 2;
        int[] kernel = new int[sp];
        for (int d = 0; d < sp; d++) kernel[d] = w[2 + d];
        int[] strides = Attrs.ints(n, "strides", ones(sp));
        int[] dil = Attrs.ints(n, "dilations", ones(sp));
        int[] outPad = Attrs.ints(n, "output_padding", new int[sp]);
        int[] pads = Attrs.ints(n, "pads", new int[2 * sp]).clone();
        int[] outShape = Attrs.ints(n, "output_shape", null);
        String autoPad = Attrs.s(n, "auto_pad", "NOTSET");
        int[] out = new int[sp];
        for (int d = 0; d < sp; d++) {
            int full = strides[d] * (x[2 + d] - 1) + outPad[d] + (kernel[d] - 1) * dil[d] + 1;
            if (outShape != null) {
                out[d] = outShape[outShape.length - sp + d];
                int total = full - out[d];
                boolean upper = !autoPad.equals("SAME_LOWER");
                pads[d] = upper ? total / 2 : total - total / 2;
                pads[sp + d] = total - pads[d];
            } else if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
                out[d] = x[2 + d] * strides[d];
                int total = Math.max(0, full - out[d]);
                pads[d] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                pads[sp + d] = total - pads[d];
            } else {
                out[d] = full - pads[d] - pads[sp + d];
            }
        }
        return new int[][] {out, pads};
    }

    private static Value convTranspose(Node n, Value[] in) {
        Value x = in[0];
        Value w = in[1];
        Value bias = in.length > 2 ? in[2] : null;
        int sp = x.rank() - 2;
        int group = (int) Attrs.i(n, "group", 1);
        int cin = x.shape[1];
        int coutPerGroup = w.shape[1];
        int cout = coutPerGroup * group;
        int[] kernel = new int[sp];
        for (int d = 0; d < sp; d++) kernel[d] = w.shape[2 + d];
        int[] strides = Attrs.ints(n, "strides", ones(sp));
        int[] dil = Attrs.ints(n, "dilations", ones(sp));
        int[][] geometry = convTransposeGeometry(n, x.shape, w.shape);
        int[] out = geometry[0];
        int[] pads = geometry[1];
        int batch = x.shape[0];
        int inSp = 1;
        for (int d = 0; d < sp; d++) inSp *= x.shape[2 + d];
        int outSp = 1;
        for (int d = 0; d < sp; d++) outSp *= out[d];
        int kSp = 1;
        for (int d = 0; d < sp; d++) kSp *= kernel[d];
        double[] y = new double[batch * cout * outSp];
        int cinPerGroup = cin / group;
        int[] inIdx = new int[sp];
        int[] kIdx = new int[sp];
        for (int b = 0; b < batch; b++) {
            for (int ci = 0; ci < cin; ci++) {
                int g = ci / cinPerGroup;
                for (int p = 0; p < inSp; p++) {
                    int rem = p;
                    for (int d = sp - 1; d >= 0; d--) {
                        inIdx[d] = rem % x.shape[2 + d];
                        rem /= x.shape[2 + d];
                    }
                    double xv = x.get((b * cin + ci) * inSp + p);
                    if (xv == 0) continue;
                    for (int kk = 0; kk < kSp; kk++) {
                        int kr = kk;
                        for (int d = sp - 1; d >= 0; d--) {
                            kIdx[d] = kr % kernel[d];
                            kr /= kernel[d];
                        }
                        int o = 0;
                        boolean inside = true;
                        for (int d = 0; d < sp; d++) {
                            int pos = inIdx[d] * strides[d] + kIdx[d] * dil[d] - pads[d];
                            if (pos < 0 || pos >= out[d]) {
                                inside = false;
                                break;
                            }
                            o = o * out[d] + pos;
                        }
                        if (!inside) continue;
                        for (int co = 0; co < coutPerGroup; co++) {
                            double wv = w.get((ci * coutPerGroup + co) * kSp + kk);
                            y[(b * cout + g * coutPerGroup + co) * outSp + o] += xv * wv;
                        }
                    }
                }
            }
            if (bias != null) {
                for (int co = 0; co < cout; co++) {
                    for (int o = 0; o < outSp; o++) y[(b * cout + co) * outSp + o] += bias.get(co);
                }
            }
        }
        int[] shape = new int[2 + sp];
        shape[0] = batch;
        shape[1] = cout;
        System.arraycopy(out, 0, shape, 2, sp);
        return Value.ofDoubles(x.type, shape, y);
    }

    /**
     * RoiAlign (avg and max) as ONNX Runtime computes it: each output bin averages (or takes the largest weighted
     * corner of) bilinear samples on a {@code sampling_ratio} grid (adaptive when 0); samples more than one pixel
     * outside the map count as 0; {@code half_pixel} (opset 16 default) shifts by half a pixel and allows rois
     * smaller than a pixel.
     */
    private static Value roiAlign(org.polaris.workbench.engine.job.EnginePool pool, Node n, Value[] in, int opset) {
        Value x = in[0];
        Value rois = in[1];
        Value idx = in[2];
        boolean max = Attrs.s(n, "mode", "avg").equals("max");
        int oh = (int) Attrs.i(n, "output_height", 1);
        int ow = (int) Attrs.i(n, "output_width", 1);
        int ratio = (int) Attrs.i(n, "sampling_ratio", 0);
        double scale = Attrs.f(n, "spatial_scale", 1f);
        boolean halfPixel = Attrs.s(n, "coordinate_transformation_mode", opset >= 16 ? "half_pixel" : "output_half_pixel")
                .equals("half_pixel");
        int c = x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        int count = rois.shape[0];
        int bins = oh * ow;
        float[] xf = x.f;
        if (xf == null) {
            double[] d = x.toDoubles();
            xf = new float[d.length];
            for (int i = 0; i < d.length; i++) xf[i] = (float) d[i];
        }
        float[] src = xf;
        float[] out = Buffers.floats(count * c * bins);
        double offset = halfPixel ? 0.5 : 0;
        // The sample grid of a roi is the same for every channel: its taps (four offsets into a plane and four
        // weights per sample, a zero weight where a sample falls outside) are worked out once per roi.
        pool.parallelFor(count, 1, r -> {
            int b = (int) idx.get(r);
            double sw = rois.get(4 * r) * scale - offset;
            double sh = rois.get(4 * r + 1) * scale - offset;
            double rw = rois.get(4 * r + 2) * scale - offset - sw;
            double rh = rois.get(4 * r + 3) * scale - offset - sh;
            if (!halfPixel) {
                rw = Math.max(rw, 1);
                rh = Math.max(rh, 1);
            }
            double binH = rh / oh;
            double binW = rw / ow;
            int gh = ratio > 0 ? ratio : (int) Math.ceil(rh / oh);
            int gw = ratio > 0 ? ratio : (int) Math.ceil(rw / ow);
            int per = gh * gw;
            int samples = Math.max(per, 1);
            int[] at = new int[4 * bins * per];
            float[] wt = new float[4 * bins * per];
            int t = 0;
            for (int py = 0; py < oh; py++) {
                for (int px = 0; px < ow; px++) {
                    for (int iy = 0; iy < gh; iy++) {
                        double y = sh + py * binH + (iy + 0.5) * binH / gh;
                        for (int ix = 0; ix < gw; ix++, t += 4) {
                            double[] tap = bilinearTaps(y, sw + px * binW + (ix + 0.5) * binW / gw, h, w);
                            if (tap == null) continue; // weights stay 0: the sample counts as 0
                            for (int q = 0; q < 4; q++) {
                                at[t + q] = (int) tap[4 + q / 2] * w + (int) tap[6 + q % 2];
                                wt[t + q] = (float) tap[q];
                            }
                        }
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) {
                int plane = (b * c + ch) * h * w;
                int o = (r * c + ch) * bins;
                for (int bin = 0, s0 = 0; bin < bins; bin++, s0 += 4 * per) {
                    if (max) {
                        double best = Double.NEGATIVE_INFINITY;
                        for (int s = s0; s < s0 + 4 * per; s += 4) {
                            for (int q = 0; q < 4; q++) best = Math.max(best, (double) wt[s + q] * src[plane + at[s + q]]);
                        }
                        out[o + bin] = per == 0 ? 0f : (float) best;
                    } else {
                        double acc = 0;
                        for (int s = s0; s < s0 + 4 * per; s++) acc += (double) wt[s] * src[plane + at[s]];
                        out[o + bin] = (float) (acc / samples);
                    }
                }
            }
        });
        int[] shape = {count, c, oh, ow};
        if (x.type == DataType.FLOAT) {
            return Value.floats(shape, out);
        }
        double[] d = new double[out.length];
        for (int i = 0; i < d.length; i++) d[i] = out[i];
        return Value.ofDoubles(x.type, shape, d);
    }

    /** Weights w1..w4 and rows/cols (y_low, y_high, x_low, x_high) of a bilinear sample, or null outside the map. */
    private static double[] bilinearTaps(double y, double x, int h, int w) {
        if (y < -1.0 || y > h || x < -1.0 || x > w) {
            return null;
        }
        y = Math.max(y, 0);
        x = Math.max(x, 0);
        int yl = (int) y;
        int xl = (int) x;
        int yh;
        int xh;
        if (yl >= h - 1) {
            yh = yl = h - 1;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= w - 1) {
            xh = xl = w - 1;
            x = xl;
        } else {
            xh = xl + 1;
        }
        double ly = y - yl;
        double lx = x - xl;
        double hy = 1 - ly;
        double hx = 1 - lx;
        return new double[] {hy * hx, hy * lx, ly * hx, ly * lx, yl, yh, xl, xh};
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }
}
