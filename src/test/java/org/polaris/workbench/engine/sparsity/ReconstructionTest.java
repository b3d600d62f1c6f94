package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.testutil.TestData;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Least-squares re-fitting of pruned layers: exact algebra, unchanged masks, better outputs on unseen images. */
class ReconstructionTest {

    private static final java.nio.file.Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @Test
    void choleskySolvesAKnownSystemAndRefusesAnIndefiniteOne() {
        // A = [[4, 2], [2, 3]], x = [1, -2] -> b = [0, -4]
        double[] x = Reconstruction.cholesky(new double[] {4, 2, 2, 3}, new double[] {0, -4}, 2);
        assertThat(x[0]).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(x[1]).isCloseTo(-2, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Reconstruction.cholesky(new double[] {1, 2, 2, 1}, new double[] {1, 1}, 2)).isNull();
    }

    @Test
    void gramStatisticsGiveTheLeastSquaresFitAndItsError() {
        // y = 2 x0 - x1 + 0.5 (bias) exactly: the fit recovers it and its error is zero; without x1 it is not
        Random r = new Random(1);
        Reconstruction.Gram g = new Reconstruction.Gram(3, 1);
        for (int s = 0; s < 200; s++) {
            double x0 = r.nextGaussian();
            double x1 = r.nextGaussian();
            g.add(new double[] {x0, x1, 1}, new float[] {(float) (2 * x0 - x1 + 0.5)}, 0);
        }
        g.mirror();
        double[] w = g.solve(List.of(0, 1, 2), 0, 0);
        assertThat(w[0]).isCloseTo(2, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(w[1]).isCloseTo(-1, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(w[2]).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(g.error(List.of(0, 1, 2), w, 0) / g.yy[0]).isLessThan(1e-9);
        double[] partial = g.solve(List.of(0, 2), 0, 0);
        assertThat(g.error(List.of(0, 2), partial, 0) / g.yy[0]).isGreaterThan(0.1);
    }

    @Test
    void refitKeepsEveryMaskAndBringsThePrunedMlpBackTowardTheOriginal() throws Exception {
        OnnxModel original = new OnnxModelReader().read(TestData.FASHION_MLP);
        Map<String, float[]> pruned = new LinkedHashMap<>();
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : original.graph().initializers()) {
            if (t.rank() == 2) {
                int[] rc = Pruner.rowsCols(t.dims(), 0);
                float[] p = Pruner.prune(t.toFloats(), rc[0], rc[1], PruneMethod.parse("magnitude"), 0.8);
                pruned.put(t.name(), p);
                inits.add(Tensor.ofFloats(t.name(), t.dims(), p));
            } else {
                inits.add(t);
            }
        }
        OnnxModel plain = original.withGraph(original.graph().withInitializers(inits, java.util.Set.of()));
        // fit on images 1000..1999, judge on 0..999
        Dataset all = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 0);
        Dataset fit = new Dataset() {
            public org.polaris.workbench.engine.model.Tensor batch(int start, int count) { return all.batch(1000 + start, count); }
            public int size() { return 1000; }
            public int label(int i) { return all.label(1000 + i); }
            public String description() { return "images 1000..1999 of the sample subset"; }
        };
        Reconstruction.Result r = Reconstruction.run(original, plain, pruned, fit, 1000, ProgressSink.NONE,
                CancellationToken.none());
        assertThat(r.samples()).isEqualTo(1000);
        assertThat(r.layers()).hasSize(3).allSatisfy(l -> {
            assertThat(l.refit()).isTrue();
            assertThat(l.errorAfter()).isLessThan(l.errorBefore());
        });
        for (Map.Entry<String, float[]> e : pruned.entrySet()) {
            float[] after = r.weights().get(e.getKey());
            for (int i = 0; i < after.length; i++) {
                assertThat(after[i] == 0f).as("%s[%d]", e.getKey(), i).isEqualTo(e.getValue()[i] == 0f);
            }
        }
        double accOriginal = accuracy(original, all);
        double accPlain = accuracy(plain, all);
        double accRefit = accuracy(r.model(), all);
        // every layer at 80% (fc3 included) loses over 20 points; the re-fit wins most of them back
        assertThat(accPlain).isLessThan(accOriginal - 0.2);
        assertThat(accRefit).isGreaterThan(accPlain + 0.25).isGreaterThan(accOriginal - 0.07);
    }

    @Test
    void convolutionsAreRefittedPatchByPatchAndTheCnnRecovers() throws Exception {
        OnnxModel cnn = new OnnxModelReader().read(TestData.FASHION_CNN);
        Map<String, float[]> w = new LinkedHashMap<>();
        List<Tensor> inits = new ArrayList<>();
        Map<String, PruneService.Target> targets = new LinkedHashMap<>();
        PruneService.targets(cnn, java.util.Set.of()).forEach(t -> targets.put(t.weight(), t));
        for (Tensor x : cnn.graph().initializers()) {
            PruneService.Target t = targets.get(x.name());
            if (t == null) {
                inits.add(x);
                continue;
            }
            int[] rc = Pruner.rowsCols(x.dims(), t.axis());
            float[] p = Pruner.fromRows(Pruner.prune(Pruner.toRows(x.toFloats(), x.dims(), t.axis()), rc[0], rc[1],
                    PruneMethod.parse("magnitude"), 0.8), x.dims(), t.axis());
            w.put(x.name(), p);
            inits.add(Tensor.ofFloats(x.name(), x.dims(), p));
        }
        OnnxModel plain = cnn.withGraph(cnn.graph().withInitializers(inits, java.util.Set.of()));
        Dataset all = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 0);
        Dataset fit = new Dataset() {
            public Tensor batch(int start, int count) { return all.batch(1000 + start, count); }
            public int size() { return 1000; }
            public int label(int i) { return all.label(1000 + i); }
            public String description() { return "images 1000..1999 of the sample subset"; }
        };
        Reconstruction.Result r = Reconstruction.run(cnn, plain, w, fit, 1000, ProgressSink.NONE, CancellationToken.none());
        assertThat(r.layers()).extracting(Reconstruction.Layer::node)
                .containsExactly("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(r.layers()).allSatisfy(l -> {
            assertThat(l.refit()).as(l.note()).isTrue();
            assertThat(l.errorAfter()).isLessThanOrEqualTo(l.errorBefore());
        });
        assertThat(r.layers().get(1).errorAfter()).isLessThan(r.layers().get(1).errorBefore() / 2);
        for (Map.Entry<String, float[]> e : w.entrySet()) {
            float[] after = r.weights().get(e.getKey());
            for (int i = 0; i < after.length; i++) {
                assertThat(after[i] == 0f).isEqualTo(e.getValue()[i] == 0f);
            }
        }
        assertThat(accuracy(r.model(), all)).isGreaterThan(accuracy(plain, all));

        // unpruned weights reproduce the original outputs exactly from the gathered patches (padding, order, bias)
        Map<String, float[]> dense = new LinkedHashMap<>();
        cnn.graph().initializers().stream().filter(x -> targets.containsKey(x.name()) && x.rank() == 4)
                .forEach(x -> dense.put(x.name(), x.toFloats()));
        Reconstruction.Result exact = Reconstruction.run(cnn, cnn, dense, fit, 200, ProgressSink.NONE,
                CancellationToken.none());
        assertThat(exact.layers()).hasSize(2).allSatisfy(l -> assertThat(l.errorBefore()).as(l.node()).isLessThan(1e-9));

        CancellationToken c = new CancellationToken();
        c.cancel();
        assertThatThrownBy(() -> Reconstruction.run(cnn, plain, w, fit, 64, ProgressSink.NONE, c))
                .isInstanceOf(CancelledException.class);
    }

    @Test
    void groupedConvolutionsAreLeftAsPrunedWithTheReason() throws Exception {
        // x [N,2,5,5] -> depthwise Conv (group 2) -> y
        org.polaris.workbench.engine.model.Node conv = new org.polaris.workbench.engine.model.Node("dw", "Conv", "",
                List.of("x", "w"), List.of("y"), List.of(org.polaris.workbench.engine.model.Attribute.ofInt("group", 2)), "");
        var f = org.polaris.workbench.engine.model.ValueType.tensor(org.polaris.workbench.engine.model.DataType.FLOAT, null);
        Tensor wt = Tensor.ofFloats("w", new long[] {2, 1, 3, 3}, new float[18]);
        var g = new org.polaris.workbench.engine.model.Graph("g", List.of(conv),
                List.of(new org.polaris.workbench.engine.model.ValueInfo("x", f, "")),
                List.of(new org.polaris.workbench.engine.model.ValueInfo("y", f, "")), List.of(), List.of(wt), "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        Reconstruction.Result r = Reconstruction.run(m, m, Map.of("w", new float[18]),
                new org.polaris.workbench.engine.data.RandomDataset(new long[] {2, 5, 5}, 4, 1), 4, ProgressSink.NONE,
                CancellationToken.none());
        assertThat(r.layers()).singleElement().satisfies(l -> {
            assertThat(l.refit()).isFalse();
            assertThat(l.note()).isEqualTo("grouped convolution: kept as pruned");
        });
    }

    private static double accuracy(OnnxModel m, Dataset d) throws Exception {
        int correct = 0;
        try (OrtModelSession s = OrtModelSession.open(OnnxModelWriter.toBytes(m),
                OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            for (int start = 0; start < 1000; start += 100) {
                float[] y = s.run(Map.of("image", d.batch(start, 100).withName("image"))).get("logits").toFloats();
                for (int i = 0; i < 100; i++) {
                    int best = 0;
                    for (int k = 1; k < 10; k++) if (y[i * 10 + k] > y[i * 10 + best]) best = k;
                    if (best == d.label(start + i)) correct++;
                }
            }
        }
        return correct / 1000.0;
    }
}
