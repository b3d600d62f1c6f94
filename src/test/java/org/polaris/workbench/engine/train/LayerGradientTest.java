package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every backward pass against central finite differences of {@code L = sum(r * forward(x))} for a random r: the
 * gradient of the input and of every parameter, at every coordinate (the tensors are small).
 */
class LayerGradientTest {

    private static final EnginePool POOL = new EnginePool(2);
    private static final double EPS = 1e-2;

    @AfterAll
    static void close() {
        POOL.close();
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static Param param(String name, Random r, int... shape) {
        return new Param(name, shape, random(r, Layers.size(shape)));
    }

    private static double loss(Layer l, float[] x, int batch, float[] weights, boolean training) {
        float[] y = l.forward(x, batch, training);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * weights[i];
        return s;
    }

    /** Checks dL/dx and dL/dparam of {@code l} numerically; returns how many coordinates were compared. */
    private static int check(Layer l, int[] inShape, int batch, long seed) {
        return check(l, inShape, batch, seed, false);
    }

    /** As {@link #check(Layer, int[], int, long)}; with {@code training} the loss is taken in training mode too. */
    private static int check(Layer l, int[] inShape, int batch, long seed, boolean training) {
        Random r = new Random(seed);
        int[] out = l.outShape(inShape);
        float[] x = random(r, batch * Layers.size(inShape));
        float[] weights = random(r, batch * Layers.size(out));
        l.params().forEach(Param::zeroGrad);
        l.forward(x, batch, training);
        float[] dx = l.backward(weights, batch);
        List<float[]> grads = new ArrayList<>();
        for (Param p : l.params()) grads.add(p.grad.clone());
        int compared = 0;
        for (int i = 0; i < x.length; i++) {
            float keep = x[i];
            x[i] = (float) (keep + EPS);
            double up = loss(l, x, batch, weights, training);
            x[i] = (float) (keep - EPS);
            double down = loss(l, x, batch, weights, training);
            x[i] = keep;
            double num = (up - down) / (2 * EPS);
            assertThat(dx[i]).as("%s: d/dx[%d]", l.node(), i).isCloseTo((float) num, org.assertj.core.data.Offset.offset(
                    (float) (2e-3 * Math.max(1, Math.abs(num)))));
            compared++;
        }
        for (int pi = 0; pi < l.params().size(); pi++) {
            Param p = l.params().get(pi);
            for (int i = 0; i < p.value.length; i++) {
                float keep = p.value[i];
                p.value[i] = (float) (keep + EPS);
                double up = loss(l, x, batch, weights, training);
                p.value[i] = (float) (keep - EPS);
                double down = loss(l, x, batch, weights, training);
                p.value[i] = keep;
                double num = (up - down) / (2 * EPS);
                assertThat(grads.get(pi)[i]).as("%s: d/d%s[%d]", l.node(), p.name, i).isCloseTo((float) num,
                        org.assertj.core.data.Offset.offset((float) (2e-3 * Math.max(1, Math.abs(num)))));
                compared++;
            }
        }
        return compared;
    }

    @Test
    void gemmWithTransposedAndPlainWeights() {
        Random r = new Random(1);
        assertThat(check(new Layers.Gemm("gemmT", param("w", r, 5, 7), param("b", r, 5), true, POOL), new int[] {7}, 3, 2))
                .isEqualTo(3 * 7 + 35 + 5);
        assertThat(check(new Layers.Gemm("gemm", param("w", r, 7, 4), null, false, POOL), new int[] {7}, 2, 3))
                .isEqualTo(2 * 7 + 28);
    }

    @Test
    void biasBroadcastOverChannelsAndOverTheLastAxis() {
        Random r = new Random(4);
        assertThat(check(new Layers.BiasAdd("bias", param("b", r, 3, 1, 1)), new int[] {3, 2, 2}, 2, 5)).isEqualTo(24 + 3);
        assertThat(check(new Layers.BiasAdd("bias", param("b", r, 1, 4)), new int[] {4}, 3, 6)).isEqualTo(12 + 4);
    }

    @Test
    void reluAwayFromItsKink() {
        // Gaussian inputs: none within EPS of 0 for this seed, so the finite difference is not across the kink
        assertThat(check(new Layers.Relu("relu"), new int[] {6}, 3, 7)).isEqualTo(18);
    }

    @Test
    void convolutionsWithStridePaddingGroupsAndDilation() {
        Random r = new Random(8);
        // 4 -> 6 channels in 2 groups, 3x3, stride 2, pads 1
        Layers.Conv grouped = new Layers.Conv("conv", param("w", r, 6, 2, 3, 3), param("b", r, 6), 2, new int[] {2, 2},
                new int[] {1, 1, 1, 1}, new int[] {1, 1}, POOL);
        assertThat(check(grouped, new int[] {4, 5, 5}, 2, 9)).isEqualTo(2 * 4 * 25 + 108 + 6);
        // dilation 2, asymmetric pads, no bias
        Layers.Conv dilated = new Layers.Conv("conv", param("w", r, 2, 3, 2, 2), null, 1, new int[] {1, 1},
                new int[] {0, 1, 1, 0}, new int[] {2, 2}, POOL);
        assertThat(check(dilated, new int[] {3, 4, 5}, 1, 10)).isEqualTo(60 + 24);
    }

    @Test
    void maxAndGlobalAveragePooling() {
        assertThat(check(new Layers.MaxPool("pool", new int[] {2, 2}, new int[] {2, 2}, new int[4]), new int[] {2, 4, 4}, 2, 11))
                .isEqualTo(64);
        assertThat(check(new Layers.MaxPool("pool", new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}),
                new int[] {1, 3, 3}, 1, 12)).isEqualTo(9);
        assertThat(check(new Layers.GlobalAveragePool("gap"), new int[] {3, 2, 2}, 2, 13)).isEqualTo(24);
    }

    @Test
    void softmaxCrossEntropyGradient() {
        Random r = new Random(14);
        int batch = 3;
        int classes = 5;
        float[] logits = random(r, batch * classes);
        int[] labels = {0, 4, 2};
        float[] grad = new float[logits.length];
        Losses.softmaxCrossEntropy(logits, labels, batch, classes, grad, null);
        for (int i = 0; i < logits.length; i++) {
            float keep = logits[i];
            logits[i] = (float) (keep + EPS);
            double up = Losses.softmaxCrossEntropy(logits, labels, batch, classes, new float[logits.length], null);
            logits[i] = (float) (keep - EPS);
            double down = Losses.softmaxCrossEntropy(logits, labels, batch, classes, new float[logits.length], null);
            logits[i] = keep;
            assertThat(grad[i]).isCloseTo((float) ((up - down) / (2 * EPS)), org.assertj.core.data.Offset.offset(2e-4f));
        }
    }

    @Test
    void dropoutIsTheIdentityWhenEvaluatingAndScalesWhatItKeepsWhenTraining() {
        Layers.Dropout d = new Layers.Dropout("drop", 0.25, 15);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        assertThat(d.forward(x, 1, false)).isSameAs(x);
        float[] y = d.forward(x, 1, true);
        float[] g = d.backward(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 1);
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).isIn(0f, x[i] * (float) (1 / 0.75));
            assertThat(g[i]).isEqualTo(y[i] == 0 ? 0f : (float) (1 / 0.75));
        }
    }

    @Test
    void elementwiseActivations() {
        // Gaussian inputs: for these seeds none lies within EPS of a kink (Clip's bounds, LeakyRelu's 0)
        assertThat(check(new Ops.Unary("clip", Ops.Fn.CLIP, -0.7f, 0.9f), new int[] {7}, 3, 21)).isEqualTo(21);
        assertThat(check(new Ops.Unary("leaky", Ops.Fn.LEAKY_RELU, 0.1f, 0), new int[] {7}, 3, 22)).isEqualTo(21);
        assertThat(check(new Ops.Unary("sigmoid", Ops.Fn.SIGMOID, 0, 0), new int[] {7}, 3, 23)).isEqualTo(21);
        assertThat(check(new Ops.Unary("tanh", Ops.Fn.TANH, 0, 0), new int[] {7}, 3, 24)).isEqualTo(21);
        assertThat(check(new Ops.Unary("erf", Ops.Fn.ERF, 0, 0), new int[] {7}, 3, 25)).isEqualTo(21);
        assertThat(check(new Ops.Unary("gelu", Ops.Fn.GELU, 0, 0), new int[] {7}, 3, 26)).isEqualTo(21);
        assertThat(check(new Ops.Unary("gelu", Ops.Fn.GELU_TANH, 0, 0), new int[] {7}, 3, 27)).isEqualTo(21);
        assertThat(check(new Ops.Unary("hsig", Ops.Fn.HARD_SIGMOID, 0.2f, 0.5f), new int[] {7}, 3, 28)).isEqualTo(21);
        assertThat(check(new Ops.Unary("hswish", Ops.Fn.HARD_SWISH, 0, 0), new int[] {7}, 3, 29)).isEqualTo(21);
    }

    @Test
    void erfMatchesItsSeries() {
        for (double x = -3; x <= 3; x += 0.25) {
            // Maclaurin series, to 60 terms: exact enough on [-3, 3]
            double sum = 0;
            double term = x;
            for (int n = 0; n < 60; n++) {
                sum += term / (2 * n + 1);
                term *= -x * x / (n + 1);
            }
            assertThat(Ops.erf(x)).as("erf(%s)", x).isCloseTo(2 / Math.sqrt(Math.PI) * sum, org.assertj.core.data.Offset.offset(2e-7));
        }
    }

    @Test
    void arithmeticWithAConstantEitherSide() {
        Random r = new Random(30);
        float[] c = new float[3];
        for (int i = 0; i < 3; i++) c[i] = 1.5f + r.nextFloat(); // away from 0 for the divisions
        for (Ops.WithConstant.Kind k : Ops.WithConstant.Kind.values()) {
            Ops.WithConstant op = new Ops.WithConstant("const " + k, k, c, new int[] {3, 1, 1});
            if (k == Ops.WithConstant.Kind.DIV_INTO) {
                // c / x: inputs kept away from 0
                Layer shifted = new Layer() {
                    public String node() { return op.node(); }
                    public int[] outShape(int[] in) { return op.outShape(in); }
                    public float[] forward(float[] x, int b, boolean t) {
                        float[] s = new float[x.length];
                        for (int i = 0; i < x.length; i++) s[i] = x[i] + (x[i] >= 0 ? 2 : -2);
                        return op.forward(s, b, t);
                    }
                    public float[] backward(float[] dy, int b) { return op.backward(dy, b); }
                };
                assertThat(check(shifted, new int[] {3, 2, 2}, 2, 31)).isEqualTo(24);
            } else {
                assertThat(check(op, new int[] {3, 2, 2}, 2, 31)).isEqualTo(24);
            }
        }
    }

    @Test
    void batchNormalizationInEvaluationAndInTraining() {
        Random r = new Random(40);
        Param mean = param("mean", r, 3);
        Param var = new Param("var", new int[] {3}, new float[] {0.5f, 1.5f, 2f});
        Ops.BatchNorm eval = new Ops.BatchNorm("bn", param("scale", r, 3), param("bias", r, 3), mean, var, 1e-5f, 0.9f);
        assertThat(check(eval, new int[] {3, 2, 2}, 2, 41)).isEqualTo(24 + 6);
        Ops.BatchNorm train = new Ops.BatchNorm("bn", param("scale", r, 3), param("bias", r, 3), param("m", r, 3),
                new Param("v", new int[] {3}, new float[] {1, 1, 1}), 1e-5f, 0.9f);
        assertThat(check(train, new int[] {3, 2, 2}, 3, 42, true)).isEqualTo(36 + 6);
    }

    @Test
    void batchNormalizationMovesItsRunningStatisticsAsOnnxSays() {
        Param mean = new Param("mean", new int[] {1}, new float[] {1});
        Param var = new Param("var", new int[] {1}, new float[] {2});
        Ops.BatchNorm bn = new Ops.BatchNorm("bn", new Param("s", new int[] {1}, new float[] {1}),
                new Param("b", new int[] {1}, new float[] {0}), mean, var, 0, 0.9f);
        bn.outShape(new int[] {1, 1, 2});
        float[] y = bn.forward(new float[] {1, 3, 5, 7}, 2, true); // batch mean 4, variance 5 (unbiased 20/3)
        assertThat(y[0]).isCloseTo((float) (-3 / Math.sqrt(5)), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(mean.value[0]).isCloseTo(0.9f * 1 + 0.1f * 4, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(var.value[0]).isCloseTo(0.9f * 2 + 0.1f * 20f / 3, org.assertj.core.data.Offset.offset(1e-6f));
        float[] e = bn.forward(new float[] {1, 3, 5, 7}, 2, false);
        assertThat(e[0]).isCloseTo((float) ((1 - mean.value[0]) / Math.sqrt(var.value[0])), org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void averagePoolingWithAndWithoutPaddingCountedAndTranspose() {
        assertThat(check(new Ops.AveragePool("avg", new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1, 1, 1}, false),
                new int[] {2, 5, 5}, 2, 50)).isEqualTo(100);
        assertThat(check(new Ops.AveragePool("avg", new int[] {2, 3}, new int[] {1, 2}, new int[] {0, 1, 1, 0}, true),
                new int[] {1, 4, 5}, 1, 51)).isEqualTo(20);
        assertThat(check(new Ops.Transpose("t", new int[] {2, 0, 1}), new int[] {2, 3, 4}, 2, 52)).isEqualTo(48);
        assertThat(check(new Ops.ReduceMean("mean", new int[] {1, 2}, true), new int[] {3, 2, 4}, 2, 53)).isEqualTo(48);
        assertThat(check(new Ops.ReduceMean("mean", new int[] {0}, false), new int[] {3, 2, 4}, 2, 54)).isEqualTo(48);
        // ceil_mode: a last, cut-off window on a 5x5 input with 2x2 stride 2
        Layers.MaxPool ceil = new Layers.MaxPool("pool", new int[] {2, 2}, new int[] {2, 2}, new int[4], true);
        assertThat(ceil.outShape(new int[] {1, 5, 5})).containsExactly(1, 3, 3);
        assertThat(check(ceil, new int[] {1, 5, 5}, 2, 55)).isEqualTo(50);
    }

    /** dL/dx and dL/dparams of a whole graph by finite differences (the joins, and sums where a value fans out). */
    private static int checkGraph(TrainGraph g, List<Param> params, int[] inShape, int outSize, int batch, long seed) {
        Random r = new Random(seed);
        float[] x = random(r, batch * Layers.size(inShape));
        float[] weights = random(r, batch * outSize);
        params.forEach(Param::zeroGrad);
        g.forward(x, batch, true);
        g.backward(weights, batch);
        List<float[]> grads = new ArrayList<>();
        for (Param p : params) grads.add(p.grad.clone());
        java.util.function.Supplier<Double> loss = () -> {
            float[] y = g.forward(x, batch, false);
            double s = 0;
            for (int i = 0; i < y.length; i++) s += (double) y[i] * weights[i];
            return s;
        };
        int compared = 0;
        for (int pi = 0; pi < params.size(); pi++) {
            Param p = params.get(pi);
            for (int i = 0; i < p.value.length; i++) {
                float keep = p.value[i];
                p.value[i] = (float) (keep + EPS);
                double up = loss.get();
                p.value[i] = (float) (keep - EPS);
                double down = loss.get();
                p.value[i] = keep;
                double num = (up - down) / (2 * EPS);
                assertThat(grads.get(pi)[i]).as("d/d%s[%d]", p.name, i).isCloseTo((float) num,
                        org.assertj.core.data.Offset.offset((float) (2e-3 * Math.max(1, Math.abs(num)))));
                compared++;
            }
        }
        return compared;
    }

    @Test
    void joinsAndAValueReadTwiceSumTheirGradients() {
        Random r = new Random(60);
        // x -> gemm a -> relu -> (gemm b) + (itself) -> mul with gemm c(x) -> concat with relu -> gemm d
        Layers.Gemm a = new Layers.Gemm("a", param("wa", r, 6, 5), param("ba", r, 6), true, POOL);
        Layers.Relu relu = new Layers.Relu("relu");
        Layers.Gemm b = new Layers.Gemm("b", param("wb", r, 6, 6), null, true, POOL);
        Layers.Gemm c = new Layers.Gemm("c", param("wc", r, 6, 5), null, true, POOL);
        Layers.Gemm d = new Layers.Gemm("d", param("wd", r, 3, 12), param("bd", r, 3), true, POOL);
        Ops.Binary add = new Ops.Binary("add", Ops.Binary.Kind.ADD);
        Ops.Binary mul = new Ops.Binary("mul", Ops.Binary.Kind.MUL);
        Ops.Binary sub = new Ops.Binary("sub", Ops.Binary.Kind.SUB);
        Ops.Binary gate = new Ops.Binary("gate", Ops.Binary.Kind.MUL);
        Ops.ReduceMean squeeze = new Ops.ReduceMean("se", new int[] {1}, true);
        Ops.Concat cat = new Ops.Concat("cat", 1);
        a.outShape(new int[] {5});
        b.outShape(new int[] {6});
        c.outShape(new int[] {5});
        d.outShape(new int[] {12});
        cat.outShape(new int[][] {{6}, {6}});
        for (Ops.Binary op : List.of(add, mul, sub)) op.outShape(new int[][] {{6}, {6}});
        List<TrainGraph.Step> steps = List.of(
                new TrainGraph.Step(a, null, new int[] {0}, 1),
                new TrainGraph.Step(relu, null, new int[] {1}, 2),
                new TrainGraph.Step(b, null, new int[] {2}, 3),
                new TrainGraph.Step(null, add, new int[] {3, 2}, 4),
                new TrainGraph.Step(c, null, new int[] {0}, 5),
                new TrainGraph.Step(null, mul, new int[] {4, 5}, 6),
                new TrainGraph.Step(null, sub, new int[] {6, 2}, 7),
                new TrainGraph.Step(null, cat, new int[] {7, 2}, 8),
                new TrainGraph.Step(d, null, new int[] {8}, 9));
        TrainGraph g = new TrainGraph(steps, 10, 9);
        List<Param> params = List.of(a.w, a.b, b.w, c.w, d.w, d.b);
        assertThat(checkGraph(g, params, new int[] {5}, 3, 2, 61)).isEqualTo(30 + 6 + 36 + 30 + 36 + 3);

        // a squeeze-and-excitation gate: x [2, 6] times its mean over the last axis [2, 1], broadcast
        Layers.Gemm e = new Layers.Gemm("e", param("we", r, 12, 5), null, true, POOL);
        Layers.Reshape split = new Layers.Reshape("split", new int[] {2, 6});
        Layers.Reshape flat = new Layers.Reshape("flat", null);
        Layers.Gemm f = new Layers.Gemm("f", param("wf", r, 3, 12), null, true, POOL);
        e.outShape(new int[] {5});
        split.outShape(new int[] {12});
        squeeze.outShape(new int[] {2, 6});
        assertThat(gate.outShape(new int[][] {{2, 6}, {2, 1}})).containsExactly(2, 6);
        flat.outShape(new int[] {2, 6});
        f.outShape(new int[] {12});
        TrainGraph se = new TrainGraph(List.of(
                new TrainGraph.Step(e, null, new int[] {0}, 1),
                new TrainGraph.Step(split, null, new int[] {1}, 2),
                new TrainGraph.Step(squeeze, null, new int[] {2}, 3),
                new TrainGraph.Step(null, gate, new int[] {2, 3}, 4),
                new TrainGraph.Step(flat, null, new int[] {4}, 5),
                new TrainGraph.Step(f, null, new int[] {5}, 6)), 7, 6);
        assertThat(checkGraph(se, List.of(e.w, f.w), new int[] {5}, 3, 2, 62)).isEqualTo(60 + 36);
    }
}
