package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.DataType;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The float fast paths of Transpose (merged dimensions, tiled 2-D and batched transposes) and of the Reduce ops
 * (adjacent reduced dimensions) against plain references: every permutation of ranks 1-4 over shapes with and without
 * size-1 dimensions, and every subset of axes of rank-4 shapes for each kind with a fast path.
 */
class LayoutKernelsTest {

    private static final List<int[]> SHAPES = List.of(new int[] {7}, new int[] {3, 40}, new int[] {33, 65},
            new int[] {2, 3, 4}, new int[] {1, 5, 1}, new int[] {2, 35, 3}, new int[] {1, 3, 4, 5},
            new int[] {2, 1, 6, 37}, new int[] {1, 64, 7, 9}, new int[] {3, 2, 1, 4});

    @Test
    void floatTransposeMatchesTheIndexWalkOfTheIntegerPathForEveryPermutation() {
        Random r = new Random(5);
        int checked = 0;
        for (int[] shape : SHAPES) {
            int n = Value.size(shape);
            float[] f = new float[n];
            int[] iv = new int[n];
            for (int k = 0; k < n; k++) {
                iv[k] = r.nextInt(1_000_000);
                f[k] = iv[k];
            }
            for (int[] perm : permutations(shape.length)) {
                Value got = ShapeKernels.transpose(Value.floats(shape, f), perm);
                Value want = ShapeKernels.transpose(Value.ints(shape, iv), perm); // the general index walk
                assertArrayEquals(want.shape, got.shape);
                for (int k = 0; k < n; k++) {
                    assertEquals(want.i[k], (int) got.f[k], java.util.Arrays.toString(shape) + " perm "
                            + java.util.Arrays.toString(perm) + " at " + k);
                }
                checked++;
            }
        }
        assertEquals(1 + 2 + 2 + 6 + 6 + 6 + 24 + 24 + 24 + 24, checked);
    }

    @Test
    void floatReductionsMatchADoubleReferenceForEveryAxisSubset() {
        Random r = new Random(9);
        for (int[] shape : List.of(new int[] {2, 3, 4, 5}, new int[] {1, 6, 1, 7}, new int[] {3, 1, 40, 2})) {
            int n = Value.size(shape);
            float[] f = new float[n];
            for (int k = 0; k < n; k++) f[k] = (float) r.nextGaussian();
            Value x = Value.floats(shape, f);
            for (int mask = 0; mask < 16; mask++) {
                int m = mask;
                long[] axes = java.util.stream.IntStream.range(0, 4).filter(d -> (m >> d & 1) != 0)
                        .asLongStream().toArray();
                for (ReduceKernels.Kind kind : List.of(ReduceKernels.Kind.SUM, ReduceKernels.Kind.MEAN,
                        ReduceKernels.Kind.MAX, ReduceKernels.Kind.MIN, ReduceKernels.Kind.SUM_SQUARE)) {
                    for (boolean keep : new boolean[] {true, false}) {
                        Value got = ReduceKernels.reduce(x, axes, keep, kind);
                        assertEquals(DataType.FLOAT, got.type);
                        double[] want = reference(x, axes, kind);
                        assertEquals(want.length, got.size());
                        String what = kind + " " + java.util.Arrays.toString(shape) + " axes "
                                + java.util.Arrays.toString(axes);
                        for (int k = 0; k < want.length; k++) {
                            assertEquals(want[k], got.f[k], 1e-5 * (1 + Math.abs(want[k])), what);
                        }
                    }
                }
            }
        }
    }

    /** Reduce over {@code axes} (all when empty) by visiting every input element, in double. */
    private static double[] reference(Value x, long[] axes, ReduceKernels.Kind kind) {
        int r = x.rank();
        boolean[] red = new boolean[r];
        for (int d = 0; d < r; d++) red[d] = axes.length == 0;
        for (long a : axes) red[(int) a] = true;
        int[] outShape = new int[r];
        for (int d = 0; d < r; d++) outShape[d] = red[d] ? 1 : x.shape[d];
        int[] os = Value.strides(outShape);
        double[] acc = new double[Value.size(outShape)];
        int[] count = new int[acc.length];
        java.util.Arrays.fill(acc, kind == ReduceKernels.Kind.MAX ? Double.NEGATIVE_INFINITY
                : kind == ReduceKernels.Kind.MIN ? Double.POSITIVE_INFINITY : 0);
        int[] is = Value.strides(x.shape);
        for (int k = 0; k < x.size(); k++) {
            int t = 0;
            for (int d = 0; d < r; d++) if (!red[d]) t += (k / is[d] % x.shape[d]) * os[d];
            double v = x.f[k];
            count[t]++;
            acc[t] = switch (kind) {
                case MAX -> Math.max(acc[t], v);
                case MIN -> Math.min(acc[t], v);
                case SUM_SQUARE -> acc[t] + v * v;
                default -> acc[t] + v;
            };
        }
        if (kind == ReduceKernels.Kind.MEAN) {
            for (int t = 0; t < acc.length; t++) acc[t] /= count[t];
        }
        return acc;
    }

    private static List<int[]> permutations(int r) {
        List<int[]> out = new ArrayList<>();
        permute(new int[r], new boolean[r], 0, out);
        return out;
    }

    private static void permute(int[] p, boolean[] used, int at, List<int[]> out) {
        if (at == p.length) {
            out.add(p.clone());
            return;
        }
        for (int v = 0; v < p.length; v++) {
            if (!used[v]) {
                used[v] = true;
                p[at] = v;
                permute(p, used, at + 1, out);
                used[v] = false;
            }
        }
    }
}
