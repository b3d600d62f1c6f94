package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Shape and indexing ops that select, repeat or scatter elements: each computes, for every output element, the flat
 * index it comes from ({@link Value#pick}), so every element type goes through the same code. The ONNX operator
 * spec is the reference; the ONNX backend node tests check each.
 */
final class IndexKernels {

    private IndexKernels() {
    }

    static void register(Map<String, Kernel> k) {
        k.put("Slice", (n, in, o) -> one(slice(n, in, o)));
        k.put("Constant", (n, in, o) -> {
            for (org.polaris.workbench.engine.model.Attribute a : n.attributes()) {
                switch (a.name()) {
                    case "value" -> {
                        return one(Value.of(a.asTensor()));
                    }
                    case "value_float" -> {
                        return one(Value.floats(new int[0], new float[] {a.asFloat()}));
                    }
                    case "value_floats" -> {
                        float[] v = (float[]) a.value();
                        return one(Value.floats(new int[] {v.length}, v.clone()));
                    }
                    case "value_int" -> {
                        return one(Value.longs(new int[0], new long[] {a.asLong()}));
                    }
                    case "value_ints" -> {
                        long[] v = a.asLongs();
                        return one(Value.longs(new int[] {v.length}, v));
                    }
                    default -> {
                    }
                }
            }
            throw new IllegalArgumentException("Constant without a numeric value");
        });
        k.put("Size", (n, in, o) -> one(Value.longs(new int[0], new long[] {in[0].size()})));
        k.put("ConstantOfShape", (n, in, o) -> {
            int[] shape = toInts(in[0].asLongs());
            Tensor v = n.attribute("value").map(a -> a.asTensor()).orElse(null);
            double fill = v == null ? 0 : v.toDoubles()[0];
            double[] d = new double[Value.size(shape)];
            Arrays.fill(d, fill);
            return one(Value.ofDoubles(v == null ? DataType.FLOAT : v.dataType(), shape, d));
        });
        k.put("Range", (n, in, o) -> {
            double start = in[0].get(0);
            double limit = in[1].get(0);
            double delta = in[2].get(0);
            int count = (int) Math.max(0, Math.ceil((limit - start) / delta));
            double[] d = new double[count];
            for (int i = 0; i < count; i++) d[i] = start + i * delta;
            return one(Value.ofDoubles(in[0].type, new int[] {count}, d));
        });
        k.put("Expand", (n, in, o) -> {
            int[] shape = ElementwiseKernels.broadcastShape(in[0].shape, toInts(in[1].asLongs()));
            return one(broadcastTo(in[0], shape));
        });
        k.put("Tile", (n, in, o) -> one(tile(in[0], in[1].asLongs())));
        k.put("Split", IndexKernels::split);
        k.put("Pad", (n, in, o) -> one(pad(n, in, o)));
        k.put("GatherElements", (n, in, o) -> one(gatherElements(in[0], in[1], Attrs.i(n, "axis", 0))));
        k.put("GatherND", (n, in, o) -> one(gatherNd(in[0], in[1], (int) Attrs.i(n, "batch_dims", 0))));
        k.put("ScatterElements", (n, in, o) -> one(scatterElements(in[0], in[1], in[2], Attrs.i(n, "axis", 0),
                Attrs.s(n, "reduction", "none"))));
        k.put("Scatter", (n, in, o) -> one(scatterElements(in[0], in[1], in[2], Attrs.i(n, "axis", 0), "none")));
        k.put("ScatterND", (n, in, o) -> one(scatterNd(in[0], in[1], in[2], Attrs.s(n, "reduction", "none"))));
        k.put("CumSum", (n, in, o) -> one(cumSum(in[0], (int) in[1].get(0), Attrs.i(n, "exclusive", 0) != 0,
                Attrs.i(n, "reverse", 0) != 0)));
        k.put("Trilu", (n, in, o) -> one(trilu(in[0], in.length > 1 && in[1] != null ? (long) in[1].get(0) : 0,
                Attrs.i(n, "upper", 1) != 0)));
        k.put("OneHot", (n, in, o) -> one(oneHot(in[0], (long) in[1].get(0), in[2], Attrs.i(n, "axis", -1))));
        k.put("TopK", IndexKernels::topK);
        k.put("ArgMax", (n, in, o) -> one(argExtreme(n, in[0], true)));
        k.put("ArgMin", (n, in, o) -> one(argExtreme(n, in[0], false)));
        k.put("DepthToSpace", (n, in, o) -> one(depthToSpace(in[0], (int) Attrs.i(n, "blocksize", 1),
                Attrs.s(n, "mode", "DCR"))));
        k.put("SpaceToDepth", (n, in, o) -> one(spaceToDepth(in[0], (int) Attrs.i(n, "blocksize", 1))));
        k.put("EyeLike", (n, in, o) -> {
            int rows = in[0].shape[0];
            int cols = in[0].shape[1];
            long diag = Attrs.i(n, "k", 0);
            double[] d = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                long c = r + diag;
                if (c >= 0 && c < cols) d[r * cols + (int) c] = 1;
            }
            DataType t = n.attribute("dtype").map(a -> DataType.fromCode((int) a.asLong())).orElse(in[0].type);
            return one(Value.ofDoubles(t, in[0].shape, d));
        });
        k.put("NonMaxSuppression", (n, in, o) -> one(nonMaxSuppression(n, in)));
        k.put("Compress", (n, in, o) -> one(compress(n, in[0], in[1])));
        k.put("NonZero", (n, in, o) -> one(nonZero(in[0])));
    }

    /** The indices of the nonzero elements, [rank, count] in row-major order (NaN counts as nonzero). */
    static Value nonZero(Value x) {
        int r = x.rank();
        int size = x.size();
        int[] hits = new int[size];
        int count = 0;
        if (x.f != null) {
            for (int i = 0; i < size; i++) if (x.f[i] != 0) hits[count++] = i;
        } else if (x.b != null) {
            for (int i = 0; i < size; i++) if (x.b[i] != 0) hits[count++] = i;
        } else if (x.l != null) {
            for (int i = 0; i < size; i++) if (x.l[i] != 0) hits[count++] = i;
        } else if (x.i != null) {
            for (int i = 0; i < size; i++) if (x.i[i] != 0) hits[count++] = i;
        } else {
            for (int i = 0; i < size; i++) if (x.get(i) != 0) hits[count++] = i;
        }
        long[] out = new long[Math.max(r, 1) * count];
        if (r <= 1) {
            for (int h = 0; h < count; h++) out[h] = r == 0 ? 0 : hits[h];
        } else {
            int[] st = Value.strides(x.shape);
            for (int h = 0; h < count; h++) {
                int rem = hits[h];
                for (int d = 0; d < r; d++) {
                    out[d * count + h] = rem / st[d];
                    rem %= st[d];
                }
            }
        }
        return Value.longs(new int[] {r == 0 ? 1 : r, count}, out);
    }

    private static Value[] one(Value v) {
        return new Value[] {v};
    }

    static int[] toInts(long[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Math.toIntExact(v[i]);
        return o;
    }

    /** Flat index iteration: calls {@code f} with each multi-index of {@code shape} in row-major order. */
    private interface IndexVisitor {
        void visit(int flat, int[] idx);
    }

    private static void forEach(int[] shape, IndexVisitor f) {
        int n = Value.size(shape);
        int[] idx = new int[shape.length];
        for (int k = 0; k < n; k++) {
            f.visit(k, idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
    }

    private static int flat(int[] idx, int[] strides) {
        int s = 0;
        for (int d = 0; d < idx.length; d++) s += idx[d] * strides[d];
        return s;
    }

    static Value broadcastTo(Value x, int[] shape) {
        return x.strided(shape, 0, expandStrides(x.shape, shape));
    }

    /**
     * Where each index of {@code shape} reads {@code xShape} broadcast to it: x's row-major strides aligned to the
     * right, 0 along the axes x repeats (size 1, or missing in front). Expand on the CPU (a strided view) and on
     * OpenCL (the strided copy) both read it.
     */
    static int[] expandStrides(int[] xShape, int[] shape) {
        int[] sx = Value.strides(xShape);
        int[] st = new int[shape.length];
        int lead = shape.length - xShape.length;
        for (int d = 0; d < shape.length; d++) {
            int xd = d - lead;
            st[d] = xd < 0 || xShape[xd] == 1 ? 0 : sx[xd];
        }
        return st;
    }

    private static Value slice(Node n, Value[] in, int opset) {
        Strided p = slicePlan(n, in, opset);
        return in[0].strided(p.shape(), p.offset(), p.strides());
    }

    /** A region of a row-major tensor: its shape, and where each index lands in the source (offset + strides). */
    record Strided(int[] shape, int offset, int[] strides) {
    }

    /** Where a Slice node reads its output from in its input (the CPU view and the OpenCL copy share it). */
    static Strided slicePlan(Node n, Value[] in, int opset) {
        Value x = in[0];
        int r = x.rank();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (opset < 10) {
            starts = n.attribute("starts").orElseThrow().asLongs();
            ends = n.attribute("ends").orElseThrow().asLongs();
            axes = n.attribute("axes").map(a -> a.asLongs()).orElse(null);
        } else {
            starts = in[1].asLongs();
            ends = in[2].asLongs();
            axes = in.length > 3 && in[3] != null ? in[3].asLongs() : null;
            steps = in.length > 4 && in[4] != null ? in[4].asLongs() : null;
        }
        int[] begin = new int[r];
        int[] step = new int[r];
        int[] shape = x.shape.clone();
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int a = Attrs.axis(axes == null ? i : axes[i], r);
            long dim = x.shape[a];
            long st = steps == null ? 1 : steps[i];
            if (st == 0) throw new IllegalArgumentException("Slice step 0");
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (st > 0) {
                s = Math.max(0, Math.min(dim, s));
                e = Math.max(0, Math.min(dim, e));
                shape[a] = (int) Math.max(0, (e - s + st - 1) / st);
            } else {
                s = Math.max(-1, Math.min(dim - 1, s));
                e = Math.max(-1, Math.min(dim - 1, e));
                shape[a] = (int) Math.max(0, (s - e + (-st) - 1) / (-st));
            }
            begin[a] = (int) s;
            step[a] = (int) st;
        }
        int[] sx = Value.strides(x.shape);
        int offset = 0;
        int[] strides = new int[r];
        for (int d = 0; d < r; d++) {
            offset += begin[d] * sx[d];
            strides[d] = step[d] * sx[d];
        }
        return new Strided(shape, offset, strides);
    }

    private static Value tile(Value x, long[] repeats) {
        int r = x.rank();
        int[] shape = new int[r];
        for (int d = 0; d < r; d++) shape[d] = Math.toIntExact(x.shape[d] * repeats[d]);
        int[] sx = Value.strides(x.shape);
        int[] src = new int[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            int f = 0;
            for (int d = 0; d < r; d++) f += (idx[d] % x.shape[d]) * sx[d];
            src[k] = f;
        });
        return x.pick(shape, src);
    }

    private static Value[] split(Node n, Value[] in, int opset) {
        Value x = in[0];
        int axis = Attrs.axis(Attrs.i(n, "axis", 0), x.rank());
        int outputs = n.outputs().size();
        long[] sizes;
        if (opset >= 13 && in.length > 1 && in[1] != null) {
            sizes = in[1].asLongs();
        } else if (n.attribute("split").isPresent()) {
            sizes = n.attribute("split").get().asLongs();
        } else {
            int parts = (int) Attrs.i(n, "num_outputs", outputs);
            int each = (x.shape[axis] + parts - 1) / parts;
            sizes = new long[parts];
            for (int i = 0; i < parts; i++) sizes[i] = Math.max(0, Math.min(each, x.shape[axis] - (long) i * each));
        }
        Value[] out = new Value[sizes.length];
        int offset = 0;
        int[] sx = Value.strides(x.shape);
        for (int p = 0; p < sizes.length; p++) {
            int[] shape = x.shape.clone();
            shape[axis] = (int) sizes[p];
            out[p] = x.strided(shape, offset * sx[axis], sx);
            offset += (int) sizes[p];
        }
        return out;
    }

    /** A Pad node's output shape, cells added before each axis (negative: cropped), mode and constant. */
    record PadPlan(int[] shape, long[] before, String mode, double constant) {
    }

    private static Value pad(Node n, Value[] in, int opset) {
        Value x = in[0];
        int r = x.rank();
        PadPlan p = padPlan(n, in, opset);
        int[] shape = p.shape();
        long[] before = p.before();
        String mode = p.mode();
        double constant = p.constant();
        if (mode.equals("constant") && x.f != null && r > 0 && java.util.Arrays.stream(before).allMatch(v -> v >= 0)
                && java.util.stream.IntStream.range(0, r).allMatch(d -> shape[d] >= x.shape[d] + before[d])) {
            return padConstantRows(x, shape, before, (float) constant);
        }
        int[] sx = Value.strides(x.shape);
        double[] out = new double[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            int f = 0;
            for (int d = 0; d < r; d++) {
                long i = idx[d] - before[d];
                int dim = x.shape[d];
                if (i < 0 || i >= dim) {
                    switch (mode) {
                        case "edge" -> i = i < 0 ? 0 : dim - 1;
                        case "reflect" -> {
                            long period = 2L * (dim - 1);
                            i = period == 0 ? 0 : Math.floorMod(i, period);
                            if (i >= dim) i = period - i;
                        }
                        case "wrap" -> i = Math.floorMod(i, dim);
                        default -> {
                            f = -1;
                        }
                    }
                    if (f < 0) break;
                }
                f += (int) i * sx[d];
            }
            out[k] = f < 0 ? constant : x.get(f);
        });
        return Value.ofDoubles(x.type, shape, out);
    }

    /**
     * Constant padding of a float tensor that only grows (no negative pads): the output filled with the constant,
     * then each row of the input's last axis copied to its place in one piece.
     */
    private static Value padConstantRows(Value x, int[] shape, long[] before, float constant) {
        int r = shape.length;
        float[] out = new float[Value.size(shape)];
        if (constant != 0) {
            java.util.Arrays.fill(out, constant);
        }
        int len = x.shape[r - 1];
        int rows = len == 0 ? 0 : x.size() / len;
        int[] so = Value.strides(shape);
        int[] idx = new int[r];
        for (int row = 0; row < rows; row++) {
            int dst = (int) before[r - 1];
            for (int d = 0; d < r - 1; d++) dst += (int) (idx[d] + before[d]) * so[d];
            System.arraycopy(x.f, row * len, out, dst, len);
            for (int d = r - 2; d >= 0; d--) { // next row index of x
                if (++idx[d] < x.shape[d]) break;
                idx[d] = 0;
            }
        }
        return Value.floats(shape, out);
    }

    static PadPlan padPlan(Node n, Value[] in, int opset) {
        Value x = in[0];
        int r = x.rank();
        long[] pads;
        double constant;
        String mode = Attrs.s(n, "mode", "constant");
        long[] axes = null;
        if (opset < 11) {
            pads = n.attribute("pads").orElseThrow().asLongs();
            constant = Attrs.f(n, "value", 0f);
        } else {
            pads = in[1].asLongs();
            constant = in.length > 2 && in[2] != null && in[2].size() > 0 ? in[2].get(0) : 0;
            axes = in.length > 3 && in[3] != null ? in[3].asLongs() : null;
        }
        long[] before = new long[r];
        long[] after = new long[r];
        int na = axes == null ? r : axes.length;
        for (int i = 0; i < na; i++) {
            int a = axes == null ? i : Attrs.axis(axes[i], r);
            before[a] = pads[i];
            after[a] = pads[i + na];
        }
        int[] shape = new int[r];
        for (int d = 0; d < r; d++) shape[d] = Math.toIntExact(x.shape[d] + before[d] + after[d]);
        return new PadPlan(shape, before, mode, constant);
    }

    private static Value gatherElements(Value x, Value indices, long axisAttr) {
        int axis = Attrs.axis(axisAttr, x.rank());
        int[] shape = indices.shape.clone();
        int[] sx = Value.strides(x.shape);
        int[] src = new int[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            long i = (long) indices.get(k);
            if (i < 0) i += x.shape[axis];
            int f = 0;
            for (int d = 0; d < idx.length; d++) f += (d == axis ? (int) i : idx[d]) * sx[d];
            src[k] = f;
        });
        return x.pick(shape, src);
    }

    private static Value gatherNd(Value x, Value indices, int batchDims) {
        int q = indices.rank();
        int last = indices.shape[q - 1];
        List<Integer> outShape = new ArrayList<>();
        for (int d = 0; d < q - 1; d++) outShape.add(indices.shape[d]);
        for (int d = batchDims + last; d < x.rank(); d++) outShape.add(x.shape[d]);
        int[] shape = outShape.stream().mapToInt(Integer::intValue).toArray();
        int[] sx = Value.strides(x.shape);
        int slice = 1;
        for (int d = batchDims + last; d < x.rank(); d++) slice *= x.shape[d];
        int tuples = indices.size() / last;
        int batch = 1;
        for (int d = 0; d < batchDims; d++) batch *= x.shape[d];
        int perBatch = tuples / Math.max(1, batch);
        // each tuple names a run of `slice` consecutive elements of x
        int[] starts = new int[tuples];
        long[] il = indices.l;
        if (batchDims == 0 && last == 1 && il != null) {
            // one index into the first axis (a detector's NonZero rows): the tuple's run starts at index * stride
            for (int t = 0; t < tuples; t++) {
                long i = il[t];
                starts[t] = (int) (i < 0 ? i + x.shape[0] : i) * sx[0];
            }
            return x.runs(shape, starts, slice);
        }
        for (int t = 0; t < tuples; t++) {
            int base = 0;
            if (batchDims > 0) {
                // batch dims of x: unravel the tuple's batch over x.shape[0..batchDims)
                int rem = perBatch == 0 ? 0 : t / perBatch;
                for (int d = batchDims - 1; d >= 0; d--) {
                    base += (rem % x.shape[d]) * sx[d];
                    rem /= x.shape[d];
                }
            }
            for (int j = 0; j < last; j++) {
                long i = il != null ? il[t * last + j] : (long) indices.get(t * last + j);
                int dim = x.shape[batchDims + j];
                base += (int) (i < 0 ? i + dim : i) * sx[batchDims + j];
            }
            starts[t] = base;
        }
        return x.runs(shape, starts, slice);
    }

    private static double reduce(String reduction, double old, double update) {
        return switch (reduction) {
            case "add" -> old + update;
            case "mul" -> old * update;
            case "max" -> Math.max(old, update);
            case "min" -> Math.min(old, update);
            default -> update;
        };
    }

    private static Value scatterElements(Value x, Value indices, Value updates, long axisAttr, String reduction) {
        int axis = Attrs.axis(axisAttr, x.rank());
        if (x.f != null && updates.f != null && x.type == DataType.FLOAT && reduction.equals("none")) {
            return scatterFloats(x, indices, updates, axis);
        }
        double[] out = x.toDoubles();
        int[] sx = Value.strides(x.shape);
        forEach(indices.shape, (k, idx) -> {
            long i = (long) indices.get(k);
            if (i < 0) i += x.shape[axis];
            int f = 0;
            for (int d = 0; d < idx.length; d++) f += (d == axis ? (int) i : idx[d]) * sx[d];
            out[f] = reduce(reduction, out[f], updates.get(k));
        });
        return Value.ofDoubles(x.type, x.shape, out);
    }

    /**
     * ScatterElements without a reduction on float data: a copy of {@code x}, then each update written where its
     * index points ({@link #scatterTargets}), later updates over earlier ones.
     */
    private static Value scatterFloats(Value x, Value indices, Value updates, int axis) {
        float[] out = Buffers.uninitialized(x.size());
        System.arraycopy(x.f, 0, out, 0, x.size());
        int[] target = scatterTargets(x.shape, indices, axis);
        for (int k = 0; k < target.length; k++) out[target[k]] = updates.f[k];
        return Value.floats(x.shape.clone(), out);
    }

    /**
     * Where each element of ScatterElements' {@code indices} sends its update: the flat offset in data of shape
     * {@code shape} of the element's own position with the axis coordinate replaced by the index value. The position
     * is stepped like an odometer, not recomputed per element. The CPU kernel and the OpenCL one share it.
     */
    static int[] scatterTargets(int[] shape, Value indices, int axis) {
        int r = indices.rank();
        int[] sx = Value.strides(shape);
        int[] idx = new int[r];
        int base = 0; // the offset of idx in x, the axis coordinate left out
        int n = indices.size();
        int len = shape[axis];
        int[] target = new int[n];
        for (int k = 0; k < n; k++) {
            long i = (long) indices.get(k);
            if (i < -len || i >= len) {
                throw new IllegalArgumentException("ScatterElements index " + i + " out of range for axis of size " + len);
            }
            target[k] = base + (int) (i < 0 ? i + len : i) * sx[axis];
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < indices.shape[d]) {
                    if (d != axis) base += sx[d];
                    break;
                }
                if (d != axis) base -= (idx[d] - 1) * sx[d];
                idx[d] = 0;
            }
        }
        return target;
    }

    private static Value scatterNd(Value x, Value indices, Value updates, String reduction) {
        double[] out = x.toDoubles();
        int q = indices.rank();
        int last = indices.shape[q - 1];
        int[] sx = Value.strides(x.shape);
        int slice = 1;
        for (int d = last; d < x.rank(); d++) slice *= x.shape[d];
        int tuples = indices.size() / last;
        for (int t = 0; t < tuples; t++) {
            int base = 0;
            for (int j = 0; j < last; j++) {
                long i = indices.l != null ? indices.l[t * last + j] : (long) indices.get(t * last + j);
                base += (int) (i < 0 ? i + x.shape[j] : i) * sx[j];
            }
            for (int e = 0; e < slice; e++) out[base + e] = reduce(reduction, out[base + e], updates.get(t * slice + e));
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    private static Value cumSum(Value x, int axisArg, boolean exclusive, boolean reverse) {
        int axis = Attrs.axis(axisArg, x.rank());
        int[] st = Value.strides(x.shape);
        double[] out = new double[x.size()];
        int len = x.shape[axis];
        int stride = st[axis];
        for (int k = 0; k < out.length; k++) {
            if ((k / stride) % len != 0) continue; // start of a line along the axis
            double acc = 0;
            for (int j = 0; j < len; j++) {
                int pos = reverse ? len - 1 - j : j;
                int f = k + pos * stride;
                if (exclusive) {
                    out[f] = acc;
                    acc += x.get(f);
                } else {
                    acc += x.get(f);
                    out[f] = acc;
                }
            }
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    private static Value trilu(Value x, long diag, boolean upper) {
        int r = x.rank();
        int rows = x.shape[r - 2];
        int cols = x.shape[r - 1];
        double[] out = x.toDoubles();
        for (int k = 0; k < out.length; k++) {
            int c = k % cols;
            int row = (k / cols) % rows;
            boolean keep = upper ? c - row >= diag : c - row <= diag;
            if (!keep) out[k] = 0;
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    private static Value oneHot(Value indices, long depth, Value values, long axisAttr) {
        int r = indices.rank() + 1;
        int axis = (int) (axisAttr < 0 ? axisAttr + r : axisAttr);
        int[] shape = new int[r];
        for (int d = 0, s = 0; d < r; d++) shape[d] = d == axis ? (int) depth : indices.shape[s++];
        double off = values.get(0);
        double on = values.get(1);
        int[] si = Value.strides(indices.shape);
        double[] out = new double[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            int f = 0;
            for (int d = 0, s = 0; d < r; d++) if (d != axis) f += idx[d] * si[s++];
            long i = (long) indices.get(f);
            if (i < 0) i += depth;
            out[k] = i == idx[axis] ? on : off;
        });
        return Value.ofDoubles(values.type, shape, out);
    }

    private static Value[] topK(Node n, Value[] in, int opset) {
        Value x = in[0];
        int axis = Attrs.axis(Attrs.i(n, "axis", -1), x.rank());
        int kk = (int) (opset >= 10 ? in[1].get(0) : Attrs.i(n, "k", 1));
        boolean largest = Attrs.i(n, "largest", 1) != 0;
        int[] shape = x.shape.clone();
        shape[axis] = kk;
        int[] st = Value.strides(x.shape);
        int len = x.shape[axis];
        if (kk < 0 || kk > len) {
            throw new IllegalArgumentException("TopK k = " + kk + " is outside 0.." + len + ", the length of axis " + axis);
        }
        if (x.f != null) {
            return topKFloats(x, axis, kk, largest, shape);
        }
        int stride = st[axis];
        int[] src = new int[Value.size(shape)];
        long[] indices = new long[src.length];
        int[] so = Value.strides(shape);
        forEach(shape, (k, idx) -> {
            if (idx[axis] != 0) return;
            int base = 0;
            for (int d = 0; d < idx.length; d++) base += idx[d] * st[d];
            Integer[] order = new Integer[len];
            for (int j = 0; j < len; j++) order[j] = j;
            int b = base;
            Arrays.sort(order, (p, q) -> {
                int c = Double.compare(x.get(b + p * stride), x.get(b + q * stride));
                return c != 0 ? (largest ? -c : c) : Integer.compare(p, q);
            });
            for (int j = 0; j < kk; j++) {
                src[k + j * so[axis]] = base + order[j] * stride;
                indices[k + j * so[axis]] = order[j];
            }
        });
        return new Value[] {x.pick(shape, src), Value.longs(shape, indices)};
    }

    /**
     * TopK of floats: per row along the axis, one primitive sort of ({@link #orderBits}, index) pairs (the bits
     * inverted for the largest), so ties keep the lower index first.
     */
    private static Value[] topKFloats(Value x, int axis, int kk, boolean largest, int[] shape) {
        int len = x.shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < x.rank(); d++) inner *= x.shape[d];
        int outer = len == 0 ? 0 : x.size() / (len * inner);
        float[] values = new float[Value.size(shape)];
        long[] indices = new long[values.length];
        long[] keys = new long[len];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                for (int j = 0; j < len; j++) {
                    int bits = orderBits(x.f[base + j * inner]);
                    keys[j] = ((long) (largest ? ~bits : bits) << 32) | j;
                }
                Arrays.sort(keys);
                int outBase = o * kk * inner + in;
                for (int j = 0; j < kk; j++) {
                    int at = (int) keys[j];
                    values[outBase + j * inner] = x.f[base + at * inner];
                    indices[outBase + j * inner] = at;
                }
            }
        }
        return new Value[] {Value.floats(shape, values), Value.longs(shape, indices)};
    }

    /**
     * An int that orders as the float does under Double.compare (NaN, made one NaN, above infinity; -0 below 0): the
     * IEEE bits with the magnitude flipped for negatives. Sort keys for TopK and NonMaxSuppression.
     */
    static int orderBits(float v) {
        int bits = Float.floatToIntBits(v);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    private static Value argExtreme(Node n, Value x, boolean max) {
        int axis = Attrs.axis(Attrs.i(n, "axis", 0), x.rank());
        boolean keep = Attrs.i(n, "keepdims", 1) != 0;
        boolean lastIndex = Attrs.i(n, "select_last_index", 0) != 0;
        int[] st = Value.strides(x.shape);
        int len = x.shape[axis];
        int[] reduced = x.shape.clone();
        reduced[axis] = 1;
        long[] out = new long[Value.size(reduced)];
        forEach(reduced, (k, idx) -> {
            int base = flat(idx, st);
            int best = 0;
            double bv = x.get(base);
            for (int j = 1; j < len; j++) {
                double v = x.get(base + j * st[axis]);
                if (max ? (v > bv || (lastIndex && v == bv)) : (v < bv || (lastIndex && v == bv))) {
                    best = j;
                    bv = v;
                }
            }
            out[k] = best;
        });
        int[] shape = keep ? reduced : remove(x.shape, axis);
        return Value.longs(shape, out);
    }

    static int[] remove(int[] shape, int axis) {
        int[] o = new int[shape.length - 1];
        for (int d = 0, j = 0; d < shape.length; d++) if (d != axis) o[j++] = shape[d];
        return o;
    }

    private static Value depthToSpace(Value x, int bs, String mode) {
        int b = x.shape[0];
        int c = x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        int oc = c / (bs * bs);
        int[] shape = {b, oc, h * bs, w * bs};
        int[] src = new int[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            int y = idx[2] / bs;
            int by = idx[2] % bs;
            int xx = idx[3] / bs;
            int bx = idx[3] % bs;
            int ch = mode.equals("CRD") ? idx[1] * bs * bs + by * bs + bx : (by * bs + bx) * oc + idx[1];
            src[k] = ((idx[0] * c + ch) * h + y) * w + xx;
        });
        return x.pick(shape, src);
    }

    private static Value spaceToDepth(Value x, int bs) {
        int b = x.shape[0];
        int c = x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        int[] shape = {b, c * bs * bs, h / bs, w / bs};
        int[] src = new int[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            int block = idx[1] / c;
            int ch = idx[1] % c;
            int y = idx[2] * bs + block / bs;
            int xx = idx[3] * bs + block % bs;
            src[k] = ((idx[0] * c + ch) * h + y) * w + xx;
        });
        return x.pick(shape, src);
    }

    private static Value compress(Node n, Value x, Value cond) {
        if (n.attribute("axis").isEmpty()) {
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < Math.min(cond.size(), x.size()); i++) if (cond.get(i) != 0) keep.add(i);
            return x.pick(new int[] {keep.size()}, keep.stream().mapToInt(Integer::intValue).toArray());
        }
        int axis = Attrs.axis(Attrs.i(n, "axis", 0), x.rank());
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < Math.min(cond.size(), x.shape[axis]); i++) if (cond.get(i) != 0) keep.add(i);
        int[] shape = x.shape.clone();
        shape[axis] = keep.size();
        int[] sx = Value.strides(x.shape);
        int[] src = new int[Value.size(shape)];
        forEach(shape, (k, idx) -> {
            int f = 0;
            for (int d = 0; d < idx.length; d++) f += (d == axis ? keep.get(idx[d]) : idx[d]) * sx[d];
            src[k] = f;
        });
        return x.pick(shape, src);
    }

    /**
     * Greedy non-maximum suppression per batch and class: boxes above the score threshold in descending score (ties:
     * lower index first), each kept unless its IoU with a kept box exceeds the threshold, at most
     * {@code max_output_boxes_per_class} per class. Output rows (batch, class, box).
     */
    /**
     * The inner loop of NonMaxSuppression over whole vectors ({@code VectorNms}): for box a against kept boxes
     * [0, kept), -1 when one of them overlaps a by more than the threshold, else the index up to which none does
     * (the scalar loop checks the rest).
     */
    interface Overlap {
        int clearUpTo(float ay1, float ax1, float ay2, float ax2, float aa, float[] ky1, float[] kx1, float[] ky2, float[] kx2,
                      float[] karea, int kept, float threshold);
    }

    static final Overlap OVERLAP = selectOverlap();

    private static Overlap selectOverlap() {
        Overlap scalar = (ay1, ax1, ay2, ax2, aa, ky1, kx1, ky2, kx2, karea, kept, threshold) -> 0;
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return scalar;
        }
        try {
            return (Overlap) Class.forName("org.polaris.workbench.engine.exec.VectorNms").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return scalar;
        }
    }

    /**
     * The kept boxes of one class bucketed on a uniform grid over the candidates' extent, for a threshold that is not
     * negative: then only a kept box whose interior meets the candidate's can have an IoU above it, and two boxes
     * whose intervals overlap on both axes share a cell (the cell of a common interior point lies within both cell
     * ranges, since the cell of a coordinate only grows with it). Each kept box a candidate's cells list is checked
     * once with {@link #overlaps}, the same float arithmetic as the linear scan, so both decide alike. Boxes spread
     * over more than {@link #MAX_CELLS} cells, and those with a coordinate that is not finite, are checked against
     * every kept box (kept ones go on a list every lookup reads; candidates take the linear scan).
     */
    static final class KeptGrid {
        static final int MIN_CANDIDATES = 256;
        static final int MAX_CELLS = 16;
        private final int g;
        private final float minY;
        private final float minX;
        private final float invY;
        private final float invX;
        private final int[] head;
        private int[] next = new int[256];
        private int[] box = new int[256];
        private int entries;
        private int[] wide = new int[16];
        private int wideCount;
        private int[] seen = new int[256];
        private int stamp;

        private KeptGrid(int g, float minY, float minX, float maxY, float maxX) {
            this.g = g;
            this.minY = minY;
            this.minX = minX;
            this.invY = maxY > minY ? g / (maxY - minY) : 0f;
            this.invX = maxX > minX ? g / (maxX - minX) : 0f;
            this.head = new int[g * g];
            java.util.Arrays.fill(head, -1);
        }

        /** A grid of about one cell per candidate (at most 512 x 512) over the finite candidates' extent. */
        static KeptGrid over(long[] order, int candidates, float[] y1, float[] x1, float[] y2, float[] x2) {
            float minY = Float.POSITIVE_INFINITY, minX = Float.POSITIVE_INFINITY;
            float maxY = Float.NEGATIVE_INFINITY, maxX = Float.NEGATIVE_INFINITY;
            for (int q = 0; q < candidates; q++) {
                int i = (int) order[q];
                if (finite(y1[i], x1[i], y2[i], x2[i])) {
                    minY = Math.min(minY, y1[i]);
                    minX = Math.min(minX, x1[i]);
                    maxY = Math.max(maxY, y2[i]);
                    maxX = Math.max(maxX, x2[i]);
                }
            }
            if (!(minY <= maxY) || !(minX <= maxX) || !Float.isFinite(maxY - minY) || !Float.isFinite(maxX - minX)) {
                return null; // no finite box, or an extent a float cannot hold: the linear scan
            }
            int g = Math.max(1, Math.min(512, (int) Math.sqrt(candidates)));
            return new KeptGrid(g, minY, minX, maxY, maxX);
        }

        private static boolean finite(float y1, float x1, float y2, float x2) {
            return Float.isFinite(y1) && Float.isFinite(x1) && Float.isFinite(y2) && Float.isFinite(x2);
        }

        private int cellY(float v) {
            int c = (int) ((v - minY) * invY);
            return c < 0 ? 0 : Math.min(g - 1, c);
        }

        private int cellX(float v) {
            int c = (int) ((v - minX) * invX);
            return c < 0 ? 0 : Math.min(g - 1, c);
        }

        /** Whether a candidate with these corners can be looked up on the grid (finite, over few cells). */
        boolean indexable(float y1, float x1, float y2, float x2) {
            return finite(y1, x1, y2, x2)
                    && (long) (cellY(y2) - cellY(y1) + 1) * (cellX(x2) - cellX(x1) + 1) <= MAX_CELLS;
        }

        void add(int k, float y1, float x1, float y2, float x2) {
            if (k >= seen.length) {
                seen = java.util.Arrays.copyOf(seen, 2 * seen.length);
            }
            if (!indexable(y1, x1, y2, x2)) {
                if (wideCount == wide.length) {
                    wide = java.util.Arrays.copyOf(wide, 2 * wide.length);
                }
                wide[wideCount++] = k;
                return;
            }
            for (int cy = cellY(y1), cy1 = cellY(y2); cy <= cy1; cy++) {
                for (int cx = cellX(x1), cx1 = cellX(x2); cx <= cx1; cx++) {
                    if (entries == box.length) {
                        box = java.util.Arrays.copyOf(box, 2 * box.length);
                        next = java.util.Arrays.copyOf(next, 2 * next.length);
                    }
                    int cell = cy * g + cx;
                    box[entries] = k;
                    next[entries] = head[cell];
                    head[cell] = entries++;
                }
            }
        }

        /** Whether a kept box overlaps candidate a (indexable) by an IoU above the threshold. */
        boolean suppresses(float ay1, float ax1, float ay2, float ax2, float aa, float[] ky1, float[] kx1, float[] ky2,
                           float[] kx2, float[] karea, double threshold) {
            stamp++;
            for (int cy = cellY(ay1), cy1 = cellY(ay2); cy <= cy1; cy++) {
                for (int cx = cellX(ax1), cx1 = cellX(ax2); cx <= cx1; cx++) {
                    for (int e = head[cy * g + cx]; e >= 0; e = next[e]) {
                        int k = box[e];
                        if (seen[k] != stamp) {
                            seen[k] = stamp;
                            if (overlaps(ay1, ax1, ay2, ax2, aa, ky1, kx1, ky2, kx2, karea, k, k + 1, threshold)) {
                                return true;
                            }
                        }
                    }
                }
            }
            for (int w = 0; w < wideCount; w++) {
                int k = wide[w];
                if (overlaps(ay1, ax1, ay2, ax2, aa, ky1, kx1, ky2, kx2, karea, k, k + 1, threshold)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Whether box a (corners and area) overlaps one of the kept boxes [from, kept) by an IoU above the threshold,
     * in float as ONNX Runtime computes it: IoU is 0 for disjoint or empty boxes (no division then, the common case).
     */
    static boolean overlaps(float ay1, float ax1, float ay2, float ax2, float aa, float[] ky1, float[] kx1, float[] ky2,
                            float[] kx2, float[] karea, int from, int kept, double threshold) {
        for (int j = from; j < kept; j++) {
            float ih = Math.min(ay2, ky2[j]) - Math.max(ay1, ky1[j]);
            float iw = Math.min(ax2, kx2[j]) - Math.max(ax1, kx1[j]);
            float inter = ih > 0 && iw > 0 ? ih * iw : 0;
            boolean empty = aa <= 0 || karea[j] <= 0;
            float iou = empty || inter == 0 ? 0 : inter / (aa + karea[j] - inter);
            if (iou > threshold) {
                return true;
            }
        }
        return false;
    }

    private static Value nonMaxSuppression(Node n, Value[] in) {
        Value boxes = in[0];
        Value scores = in[1];
        long maxOut = in.length > 2 && in[2] != null && in[2].size() > 0 ? (long) in[2].get(0) : 0;
        double iouThreshold = in.length > 3 && in[3] != null && in[3].size() > 0 ? in[3].get(0) : 0;
        boolean hasScoreThreshold = in.length > 4 && in[4] != null && in[4].size() > 0;
        double scoreThreshold = hasScoreThreshold ? in[4].get(0) : 0;
        boolean center = Attrs.i(n, "center_point_box", 0) != 0;
        int batches = scores.shape[0];
        int classes = scores.shape[1];
        int spatial = scores.shape[2];
        List<long[]> selected = new ArrayList<>();
        // corners (y1, x1, y2, x2 as ONNX orders them, min/max sorted) and areas of the batch's boxes, flat, in float
        // as ONNX Runtime computes them
        float[] y1 = new float[spatial], x1 = new float[spatial], y2 = new float[spatial], x2 = new float[spatial];
        float[] area = new float[spatial];
        // the kept boxes of one class, in keep order, copied so the inner loop reads memory in sequence
        float[] ky1 = new float[spatial], kx1 = new float[spatial], ky2 = new float[spatial], kx2 = new float[spatial];
        float[] karea = new float[spatial];
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < spatial; i++) {
                int o = (b * spatial + i) * 4;
                float a0 = (float) boxes.get(o), a1 = (float) boxes.get(o + 1), a2 = (float) boxes.get(o + 2);
                float a3 = (float) boxes.get(o + 3);
                if (center) {
                    y1[i] = a1 - a3 / 2;
                    x1[i] = a0 - a2 / 2;
                    y2[i] = a1 + a3 / 2;
                    x2[i] = a0 + a2 / 2;
                } else {
                    y1[i] = Math.min(a0, a2);
                    x1[i] = Math.min(a1, a3);
                    y2[i] = Math.max(a0, a2);
                    x2[i] = Math.max(a1, a3);
                }
                area[i] = (y2[i] - y1[i]) * (x2[i] - x1[i]);
            }
            for (int c = 0; c < classes; c++) {
                int base = (b * classes + c) * spatial;
                // candidates by descending score, ties by index: one primitive sort of (sortable -score, index) keys
                long[] order = new long[spatial];
                int candidates = 0;
                for (int i = 0; i < spatial; i++) {
                    float sc = (float) scores.get(base + i);
                    if (!hasScoreThreshold || sc > scoreThreshold) {
                        order[candidates++] = ((long) orderBits(-sc) << 32) | i;
                    }
                }
                java.util.Arrays.sort(order, 0, candidates);
                // only a box that intersects a candidate can suppress it when the threshold is not negative: many
                // candidates (a batched NMS whose classes are shifted apart) look up the kept boxes near them on a grid
                KeptGrid grid = iouThreshold >= 0 && candidates >= KeptGrid.MIN_CANDIDATES
                        ? KeptGrid.over(order, candidates, y1, x1, y2, x2) : null;
                int kept = 0;
                for (int q = 0; q < candidates && kept < maxOut; q++) {
                    int i = (int) order[q];
                    float ay1 = y1[i], ax1 = x1[i], ay2 = y2[i], ax2 = x2[i], aa = area[i];
                    boolean keep;
                    if (grid != null && grid.indexable(ay1, ax1, ay2, ax2)) {
                        keep = !grid.suppresses(ay1, ax1, ay2, ax2, aa, ky1, kx1, ky2, kx2, karea, iouThreshold);
                    } else {
                        int from = OVERLAP.clearUpTo(ay1, ax1, ay2, ax2, aa, ky1, kx1, ky2, kx2, karea, kept, (float) iouThreshold);
                        keep = from >= 0 && !overlaps(ay1, ax1, ay2, ax2, aa, ky1, kx1, ky2, kx2, karea, from, kept,
                                iouThreshold);
                    }
                    if (keep) {
                        ky1[kept] = ay1;
                        kx1[kept] = ax1;
                        ky2[kept] = ay2;
                        kx2[kept] = ax2;
                        karea[kept] = aa;
                        if (grid != null) {
                            grid.add(kept, ay1, ax1, ay2, ax2);
                        }
                        kept++;
                        selected.add(new long[] {b, c, i});
                    }
                }
            }
        }
        long[] out = new long[selected.size() * 3];
        for (int i = 0; i < selected.size(); i++) System.arraycopy(selected.get(i), 0, out, 3 * i, 3);
        return Value.longs(new int[] {selected.size(), 3}, out);
    }
}
