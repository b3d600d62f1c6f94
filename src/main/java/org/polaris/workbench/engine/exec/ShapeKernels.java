package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Ops that move or relabel data without arithmetic. */
final class ShapeKernels {

    private ShapeKernels() {
    }

    static void register(Map<String, Kernel> k) {
        k.put("Flatten", (n, in, o) -> {
            long a = Attrs.i(n, "axis", 1);
            // Flatten's axis ranges over [-r, r]: r itself means "everything in the outer dimension".
            int axis = (int) (a < 0 ? a + in[0].rank() : a);
            int outer = 1;
            for (int d = 0; d < axis; d++) outer *= in[0].shape[d];
            return new Value[] {in[0].reshaped(new int[] {outer, in[0].size() / Math.max(outer, 1)})};
        });
        k.put("Reshape", (n, in, o) -> new Value[] {in[0].reshaped(reshape(in[0].shape, in[1].asLongs(),
                Attrs.i(n, "allowzero", 0) == 1))});
        k.put("Squeeze", (n, in, o) -> new Value[] {in[0].reshaped(squeeze(in[0].shape, axes(n, in, o)))});
        k.put("Unsqueeze", (n, in, o) -> new Value[] {in[0].reshaped(unsqueeze(in[0].shape, axes(n, in, o)))});
        k.put("Shape", (n, in, o) -> {
            int r = in[0].rank();
            int start = clampAxis(Attrs.i(n, "start", 0), r);
            int end = clampAxis(Attrs.i(n, "end", r), r);
            long[] dims = Arrays.stream(in[0].shape).asLongStream().toArray();
            long[] slice = Arrays.copyOfRange(dims, start, Math.max(start, end));
            return new Value[] {Value.longs(new int[] {slice.length}, slice)};
        });
        k.put("Transpose", (n, in, o) -> new Value[] {transpose(in[0], Attrs.ints(n, "perm", null))});
        k.put("Concat", ShapeKernels::concat);
        k.put("Gather", ShapeKernels::gather);
    }

    private static int clampAxis(long a, int rank) {
        long v = a < 0 ? a + rank : a;
        return (int) Math.max(0, Math.min(rank, v));
    }

    private static long[] axes(Node n, Value[] in, int opset) {
        if (opset >= 13) {
            return in.length > 1 && in[1] != null ? in[1].asLongs() : null;
        }
        return n.attribute("axes").map(a -> a.asLongs()).orElse(null);
    }

    static int[] reshape(int[] in, long[] spec, boolean allowZero) {
        int[] out = new int[spec.length];
        int unknown = -1;
        long known = 1;
        for (int d = 0; d < spec.length; d++) {
            long s = spec[d];
            if (s == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("Reshape has two -1 dimensions");
                unknown = d;
                continue;
            }
            out[d] = (int) (s == 0 && !allowZero ? in[d] : s);
            known *= out[d];
        }
        int total = Value.size(in);
        if (unknown >= 0) {
            out[unknown] = known == 0 ? 0 : (int) (total / known);
        }
        if (Value.size(out) != total) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(spec));
        }
        return out;
    }

    private static int[] squeeze(int[] shape, long[] axes) {
        List<Integer> out = new ArrayList<>();
        boolean[] drop = new boolean[shape.length];
        if (axes == null) {
            for (int d = 0; d < shape.length; d++) drop[d] = shape[d] == 1;
        } else {
            for (long a : axes) drop[Attrs.axis(a, shape.length)] = true;
        }
        for (int d = 0; d < shape.length; d++) if (!drop[d]) out.add(shape[d]);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] unsqueeze(int[] shape, long[] axes) {
        int rank = shape.length + axes.length;
        boolean[] ins = new boolean[rank];
        for (long a : axes) ins[Attrs.axis(a, rank)] = true;
        int[] out = new int[rank];
        for (int d = 0, s = 0; d < rank; d++) out[d] = ins[d] ? 1 : shape[s++];
        return out;
    }

    static Value transpose(Value x, int[] perm) {
        int r = x.rank();
        if (perm == null) {
            perm = new int[r];
            for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
        }
        int[] outShape = new int[r];
        for (int d = 0; d < r; d++) outShape[d] = x.shape[perm[d]];
        if (x.type == org.polaris.workbench.engine.model.DataType.FLOAT) {
            return Value.floats(outShape, transposeFloats(x.f, x.shape, perm));
        }
        // other types: when the axes longer than 1 keep their order ([1, k] to [k, 1]: NonZero's rows) the elements
        // do too, so it is a copy under the new shape; else the output walks the input with permuted strides
        int last = -1;
        boolean inOrder = true;
        for (int d = 0; d < r && inOrder; d++) {
            if (x.shape[perm[d]] == 1) continue;
            inOrder = perm[d] > last;
            last = perm[d];
        }
        if (inOrder) {
            int[] flat = {x.size()};
            return x.strided(flat, 0, new int[] {1}).reshaped(outShape);
        }
        int[] inStrides = Value.strides(x.shape);
        int[] src = new int[r];
        for (int d = 0; d < r; d++) src[d] = inStrides[perm[d]];
        return x.strided(outShape, 0, src);
    }

    /**
     * A float transpose as the fewest dimensions it needs: size-1 dimensions dropped and runs of dimensions that stay
     * adjacent merged, so NCHW to NHWC is a batch of 2-D transposes, done in cache-sized tiles; any other permutation
     * is a strided view of the merged groups ({@link Value#strided}).
     */
    static float[] transposeFloats(float[] x, int[] shape, int[] perm) {
        int r = shape.length;
        // groups in output order: each a run of input dims (size-1 ones skipped) consecutive in both orders; a
        // group's input stride is that of its innermost input dim
        int[] inStride = Value.strides(shape);
        int[] gDim = new int[r];
        int[] gStride = new int[r];
        int groups = 0;
        int prevIn = -2;
        for (int d = 0; d < r; d++) {
            int in = perm[d];
            if (shape[in] == 1) continue;
            if (groups > 0 && nextKept(shape, prevIn) == in) {
                gDim[groups - 1] *= shape[in];
                gStride[groups - 1] = inStride[in];
            } else {
                gDim[groups] = shape[in];
                gStride[groups] = inStride[in];
                groups++;
            }
            prevIn = in;
        }
        if (groups > 2 && !(groups == 3 && gStride[0] == (long) gDim[1] * gDim[2])) {
            // the merged groups as a strided view: each inner run copied with its stride
            return Value.floats(shape, x).strided(java.util.Arrays.copyOf(gDim, groups), 0,
                    java.util.Arrays.copyOf(gStride, groups)).f;
        }
        int n = x.length;
        float[] o = Buffers.uninitialized(n); // every element is written
        if (groups <= 1) {
            System.arraycopy(x, 0, o, 0, n);
        } else {
            // [B,] rows x cols -> cols x rows, with rows = gDim[last] read at stride 1
            int batch = groups == 3 ? gDim[0] : 1;
            int rows = gDim[groups - 2];
            int cols = gDim[groups - 1];
            int plane = rows * cols;
            for (int b = 0; b < batch; b++) {
                tile(x, b * plane, o, b * plane, rows, cols, gStride[groups - 2], gStride[groups - 1]);
            }
        }
        return o;
    }

    private static int nextKept(int[] shape, int d) {
        for (int k = d + 1; k < shape.length; k++) if (shape[k] > 1) return k;
        return -1;
    }

    /** o[i][j] (rows x cols, row-major) = x[i*si + j*sj], in 32x32 tiles. */
    private static void tile(float[] x, int xo, float[] o, int oo, int rows, int cols, int si, int sj) {
        final int t = 32;
        for (int i0 = 0; i0 < rows; i0 += t) {
            int i1 = Math.min(rows, i0 + t);
            for (int j0 = 0; j0 < cols; j0 += t) {
                int j1 = Math.min(cols, j0 + t);
                for (int i = i0; i < i1; i++) {
                    int src = xo + i * si;
                    int dst = oo + i * cols;
                    for (int j = j0; j < j1; j++) o[dst + j] = x[src + j * sj];
                }
            }
        }
    }

    private static Value[] concat(Node n, Value[] in, int opset) {
        Value first = in[0];
        int axis = Attrs.axis(Attrs.i(n, "axis", 0), first.rank());
        int[] shape = first.shape.clone();
        shape[axis] = 0;
        for (Value v : in) shape[axis] += v.shape[axis];
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        int total = Value.size(shape);
        if (first.type == DataType.FLOAT) {
            // Block copies: for each outer index, each input contributes one contiguous run.
            float[] o = Buffers.uninitialized(total); // every element is written
            int pos = 0;
            for (int out = 0; out < outer; out++) {
                for (Value v : in) {
                    int block = v.size() / Math.max(outer, 1);
                    System.arraycopy(v.f, out * block, o, pos, block);
                    pos += block;
                }
            }
            return new Value[] {Value.floats(shape, o)};
        }
        if (first.type == DataType.INT64) {
            long[] o = new long[total];
            int pos = 0;
            for (int out = 0; out < outer; out++) {
                for (Value v : in) {
                    int block = v.size() / Math.max(outer, 1);
                    System.arraycopy(v.asLongs(), out * block, o, pos, block);
                    pos += block;
                }
            }
            return new Value[] {Value.longs(shape, o)};
        }
        // other types (int32, 8-bit, bool) keep their type
        double[] o = new double[total];
        int pos = 0;
        for (int out = 0; out < outer; out++) {
            for (Value v : in) {
                int block = v.size() / Math.max(outer, 1);
                for (int k = 0; k < block; k++) o[pos++] = v.get(out * block + k);
            }
        }
        return new Value[] {Value.ofDoubles(first.type, shape, o)};
    }

    private static Value[] gather(Node n, Value[] in, int opset) {
        GatherPlan p = gatherPlan(n, in[0].shape, in[1]);
        // each gathered slice is a run of `inner` consecutive elements
        int[] starts = new int[p.outer() * p.index().length];
        int pos = 0;
        for (int o = 0; o < p.outer(); o++) {
            for (int gi : p.index()) starts[pos++] = (o * p.dim() + gi) * p.inner();
        }
        return new Value[] {in[0].runs(p.shape(), starts, p.inner())};
    }

    /**
     * Gather along one axis as [outer][dim][inner] -> [outer][index.length][inner]: the indices wrapped into [0, dim),
     * the output shape. The CPU kernel and the OpenCL one share it.
     */
    record GatherPlan(int outer, int dim, int inner, int[] index, int[] shape) {
    }

    static GatherPlan gatherPlan(Node n, int[] dataShape, Value indices) {
        long[] idx = indices.asLongs();
        int rank = dataShape.length;
        int axis = Attrs.axis(Attrs.i(n, "axis", 0), rank);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= dataShape[d];
        int inner = 1;
        for (int d = axis + 1; d < rank; d++) inner *= dataShape[d];
        int dim = dataShape[axis];
        int[] shape = new int[rank - 1 + indices.rank()];
        int s = 0;
        for (int d = 0; d < axis; d++) shape[s++] = dataShape[d];
        for (int d : indices.shape) shape[s++] = d;
        for (int d = axis + 1; d < rank; d++) shape[s++] = dataShape[d];
        int[] wrapped = new int[idx.length];
        for (int j = 0; j < idx.length; j++) {
            long g = idx[j];
            int gi = (int) (g < 0 ? g + dim : g);
            if (g < -dim || g >= dim) throw new IllegalArgumentException("Gather index " + g + " out of range " + dim);
            wrapped[j] = gi;
        }
        return new GatherPlan(outer, dim, inner, wrapped, shape);
    }
}
