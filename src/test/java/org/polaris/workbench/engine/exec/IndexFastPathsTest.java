package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The direct loops detectors spend their index work in, each against the general path it bypasses: float
 * comparisons (same shapes, a single value on either side) against the broadcasting double path; constant Pad of a
 * float tensor, and GatherND with one index per tuple into float rows, against the same op on int64 data (which takes
 * the general per-element path); NonZero on every storage type against its definition.
 */
class IndexFastPathsTest {

    private static final Map<String, Kernel> KERNELS = new HashMap<>();

    static {
        MathKernels.register(KERNELS, org.polaris.workbench.engine.job.EnginePool.shared());
        IndexKernels.register(KERNELS);
    }

    private static final Node NODE = new Node("n", "X", "", List.of(), List.of(), List.of(), "");

    @Test
    void floatComparisonsMatchTheBroadcastingPath() {
        Random r = new Random(3);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1f};
        int[][][] shapes = {{{2, 3}, {2, 3}}, {{2, 3}, {1}}, {{}, {4, 5}}, {{2, 3}, {1, 1}}, {{1}, {2, 2}},
                {{4}, {1, 1, 1}}, {{3, 1}, {1, 4}}};
        String[] ops = {"Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"};
        java.util.function.DoubleBinaryOperator[] defs = {(x, y) -> x == y ? 1 : 0, (x, y) -> x > y ? 1 : 0,
                (x, y) -> x < y ? 1 : 0, (x, y) -> x >= y ? 1 : 0, (x, y) -> x <= y ? 1 : 0};
        for (int[][] s : shapes) {
            Value a = floats(r, s[0], special);
            Value b = floats(r, s[1], special);
            for (int o = 0; o < ops.length; o++) {
                Value got = KERNELS.get(ops[o]).run(NODE, new Value[] {a, b}, 13)[0];
                Value want = MathKernels.binary(a, b, DataType.BOOL, defs[o]);
                assertThat(got.shape).as("%s %s %s", ops[o], java.util.Arrays.toString(s[0]), java.util.Arrays.toString(s[1]))
                        .containsExactly(want.shape);
                assertThat(got.b).as("%s %s %s", ops[o], java.util.Arrays.toString(s[0]), java.util.Arrays.toString(s[1]))
                        .containsExactly(want.b);
            }
        }
    }

    @Test
    void constantPadOfFloatsMatchesTheGeneralPath() {
        Random r = new Random(4);
        int[][] xShapes = {{5}, {2, 3}, {1, 3, 4, 5}, {2, 1, 3}};
        for (int[] xs : xShapes) {
            int rank = xs.length;
            for (int trial = 0; trial < 6; trial++) {
                long[] pads = new long[2 * rank];
                // mostly growing; one trial crops an axis (negative pad: the general path for both)
                for (int i = 0; i < pads.length; i++) pads[i] = r.nextInt(3);
                if (trial == 5) pads[rank - 1] = -1;
                float constant = trial % 2 == 0 ? 0f : 2.5f;
                Value xf = floats(r, xs, new float[0]);
                long[] ints = new long[xf.f.length];
                for (int i = 0; i < ints.length; i++) {
                    xf.f[i] = (float) Math.rint(xf.f[i] * 100);
                    ints[i] = (long) xf.f[i];
                }
                Value xl = Value.longs(xs, ints);
                Value[] padsIn = {null, Value.longs(new int[] {pads.length}, pads),
                        Value.floats(new int[] {}, new float[] {constant})};
                padsIn[0] = xf;
                Value got = KERNELS.get("Pad").run(NODE, padsIn.clone(), 13)[0];
                padsIn[0] = xl;
                padsIn[2] = Value.longs(new int[] {}, new long[] {(long) constant});
                Value want = KERNELS.get("Pad").run(NODE, padsIn, 13)[0];
                assertThat(got.shape).containsExactly(want.shape);
                if (constant != 0) {
                    continue; // the int64 twin pads with 2, not 2.5: shapes only
                }
                float[] wantF = new float[want.l.length];
                for (int i = 0; i < wantF.length; i++) wantF[i] = want.l[i];
                assertThat(got.f).as("pad %s by %s", java.util.Arrays.toString(xs), java.util.Arrays.toString(pads))
                        .containsExactly(wantF);
            }
        }
    }

    @Test
    void gatherNdRowsOfFloatsMatchTheGeneralPath() {
        Random r = new Random(5);
        int[][] xShapes = {{7}, {7, 4}, {6, 2, 3}};
        for (int[] xs : xShapes) {
            Value xf = floats(r, xs, new float[0]);
            long[] ints = new long[xf.f.length];
            for (int i = 0; i < ints.length; i++) {
                xf.f[i] = (float) Math.rint(xf.f[i] * 100);
                ints[i] = (long) xf.f[i];
            }
            long[] idx = new long[9];
            for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(2 * xs[0]) - xs[0]; // negative ones count back
            Value indices = Value.longs(new int[] {9, 1}, idx);
            Value got = KERNELS.get("GatherND").run(NODE, new Value[] {xf, indices}, 13)[0];
            Value want = KERNELS.get("GatherND").run(NODE, new Value[] {Value.longs(xs, ints), indices}, 13)[0];
            assertThat(got.shape).containsExactly(want.shape);
            for (int i = 0; i < want.l.length; i++) {
                assertThat(got.f[i]).as("%s at %d", java.util.Arrays.toString(xs), i).isEqualTo((float) want.l[i]);
            }
        }
    }

    @Test
    void nonZeroOnEveryStorageTypeMatchesItsDefinition() {
        Random r = new Random(6);
        for (int[] shape : new int[][] {{}, {9}, {2, 3, 4}}) {
            int n = Value.size(shape);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = r.nextInt(3) == 0 ? 0 : r.nextInt(5) - 2;
            for (DataType t : new DataType[] {DataType.FLOAT, DataType.INT64, DataType.INT32, DataType.UINT8, DataType.BOOL}) {
                Value x = Value.ofDoubles(t, shape, v);
                Value got = KERNELS.get("NonZero").run(NODE, new Value[] {x}, 13)[0];
                List<Integer> hits = new ArrayList<>();
                for (int i = 0; i < n; i++) if (x.get(i) != 0) hits.add(i);
                int rank = shape.length;
                assertThat(got.shape).containsExactly(Math.max(rank, 1), hits.size());
                int[] st = Value.strides(shape);
                for (int h = 0; h < hits.size(); h++) {
                    int rem = hits.get(h);
                    for (int d = 0; d < rank; d++) {
                        assertThat(got.l[d * hits.size() + h]).as("%s %s hit %d axis %d", t, java.util.Arrays.toString(shape), h, d)
                                .isEqualTo(rem / st[d]);
                        rem %= st[d];
                    }
                }
            }
        }
        Value nan = Value.floats(new int[] {3}, new float[] {0f, Float.NaN, -0f});
        assertThat(KERNELS.get("NonZero").run(NODE, new Value[] {nan}, 13)[0].l).containsExactly(1L);
    }

    @Test
    void topKOfFloatsOrdersAsDoubleCompareWithLowerIndicesFirst() {
        Random r = new Random(7);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f};
        for (int[] shape : new int[][] {{9}, {3, 8}, {2, 7, 3}}) {
            for (int axis = 0; axis < shape.length; axis++) {
                for (boolean largest : new boolean[] {true, false}) {
                    Value x = floats(r, shape, special);
                    int len = shape[axis];
                    int kk = 1 + r.nextInt(len);
                    Node n = new Node("t", "TopK", "", List.of(), List.of(), List.of(
                            org.polaris.workbench.engine.model.Attribute.ofInt("axis", axis),
                            org.polaris.workbench.engine.model.Attribute.ofInt("largest", largest ? 1 : 0)), "");
                    Value[] got = KERNELS.get("TopK").run(n, new Value[] {x, Value.longs(new int[] {1}, new long[] {kk})}, 11);
                    int inner = 1;
                    for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
                    int outer = x.size() / (len * inner);
                    for (int o = 0; o < outer; o++) {
                        for (int in = 0; in < inner; in++) {
                            int base = o * len * inner + in;
                            final int step = inner;
                            List<Integer> order = new ArrayList<>();
                            for (int j = 0; j < len; j++) order.add(j);
                            order.sort((p, q) -> {
                                int c = Double.compare(x.f[base + p * step], x.f[base + q * step]);
                                return c != 0 ? (largest ? -c : c) : Integer.compare(p, q);
                            });
                            for (int j = 0; j < kk; j++) {
                                int at = o * kk * inner + in + j * inner;
                                assertThat(got[1].l[at]).as("%s axis %d largest %s row %d/%d rank %d",
                                        java.util.Arrays.toString(shape), axis, largest, o, in, j).isEqualTo((long) order.get(j));
                                assertThat(Float.floatToIntBits(got[0].f[at]))
                                        .isEqualTo(Float.floatToIntBits(x.f[base + order.get(j) * inner]));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void int64TransposesKeepElementOrderWhenOnlySizeOneAxesMove() {
        long[] v = {3, 1, 4, 1, 5, 9};
        // [1, 6] -> [6, 1] and [2, 1, 3] -> [2, 3, 1]: the same elements in the same order under the new shape
        Value a = ShapeKernels.transpose(Value.longs(new int[] {1, 6}, v), new int[] {1, 0});
        assertThat(a.shape).containsExactly(6, 1);
        assertThat(a.l).containsExactly(v);
        Value b = ShapeKernels.transpose(Value.longs(new int[] {2, 1, 3}, v), new int[] {0, 2, 1});
        assertThat(b.shape).containsExactly(2, 3, 1);
        assertThat(b.l).containsExactly(v);
        // a real permutation: [2, 3] -> [3, 2]
        Value c = ShapeKernels.transpose(Value.longs(new int[] {2, 3}, v), new int[] {1, 0});
        assertThat(c.shape).containsExactly(3, 2);
        assertThat(c.l).containsExactly(3, 1, 1, 5, 4, 9);
        // bytes (bool) take the general strided path
        Value d = ShapeKernels.transpose(Value.bytes(DataType.BOOL, new int[] {2, 3}, new byte[] {1, 0, 0, 0, 1, 1}),
                new int[] {1, 0});
        assertThat(d.b).containsExactly(1, 0, 0, 1, 0, 1);
    }

    /** Random floats in [-1, 1) on a coarse grid (ties), with the special values sprinkled in. */
    private static Value floats(Random r, int[] shape, float[] special) {
        int n = Value.size(shape);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = special.length > 0 && r.nextInt(4) == 0 ? special[r.nextInt(special.length)] : r.nextInt(8) / 4f - 1f;
        }
        return Value.floats(shape, f);
    }
}
