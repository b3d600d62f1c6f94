package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Training the bundled Fashion-MNIST models: forward equal to ONNX Runtime, fine-tuning, masks, seeds, round trip. */
class TrainableModelTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static IdxDataset data;

    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        data = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 2000);
    }

    private static TrainData part(TrainableModel m, int from, int count) {
        TrainData all = TrainData.load(data, m, from + count);
        int per = all.perSample();
        return new TrainData(java.util.Arrays.copyOfRange(all.x(), from * per, (from + count) * per),
                java.util.Arrays.copyOfRange(all.labels(), from, from + count), count, per, "part");
    }

    private static float[] ort(OnnxModel model, String input, float[] x, long[] shape) throws Exception {
        try (ModelRuntime rt = Runtimes.open(Runtimes.Kind.ORT, model, 1)) {
            Map<String, Tensor> out = rt.run(Map.of(input, Tensor.ofFloats(input, shape, x)));
            return out.values().iterator().next().toFloats();
        }
    }

    private static void assertClose(float[] got, float[] want, double tol) {
        assertThat(got).hasSize(want.length);
        for (int i = 0; i < want.length; i++) {
            assertThat((double) got[i]).as("element %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(want[i]))));
        }
    }

    @Test
    void forwardEqualsOnnxRuntimeOnBothSamples() throws Exception {
        try (EnginePool pool = new EnginePool(1)) {
            for (Path file : List.of(TestData.FASHION_CNN, TestData.FASHION_MLP)) {
                OnnxModel model = new OnnxModelReader().read(file);
                TrainableModel m = TrainableModel.of(model, pool, 1);
                TrainData d = part(m, 0, 16);
                long[] shape = new long[m.inputShape().length + 1];
                shape[0] = 16;
                for (int i = 0; i < m.inputShape().length; i++) shape[i + 1] = m.inputShape()[i];
                assertClose(m.forward(d.x(), 16, false), ort(model, m.inputName(), d.x(), shape), 1e-4);
            }
        }
    }

    @Test
    void fineTuningTheCnnKeepsItsAccuracyAndTheWrittenModelAgreesInAFreshSession() throws Exception {
        OnnxModel model = new OnnxModelReader().read(TestData.FASHION_CNN);
        try (EnginePool pool = new EnginePool(2)) {
            TrainableModel m = TrainableModel.of(model, pool, 1);
            TrainData train = part(m, 0, 1500);
            TrainData eval = part(m, 1500, 500);
            double before = Trainer.accuracy(m, eval, 100);
            List<Trainer.Epoch> epochs = Trainer.train(m, train, eval, new Trainer.Options(2, 32, 0.01,
                    Optimizer.Kind.SGD, 0.9, 1e-4, Trainer.Schedule.COSINE, 7), e -> { }, CancellationToken.none());
            assertThat(epochs).hasSize(2);
            assertThat(epochs.get(1).loss()).isLessThan(epochs.get(0).loss());
            assertThat(epochs.get(1).evalAccuracy()).isGreaterThan(before - 0.02);

            byte[] written = OnnxModelWriter.toBytes(m.toOnnx());
            Path file = java.nio.file.Files.write(tmp.resolve("trained.onnx"), written);
            OnnxModel back = new OnnxModelReader().read(file);
            assertThat(back.graph().feedInputs()).extracting(v -> v.name()).containsExactly("image");
            assertThat(back.graph().outputs()).extracting(v -> v.name()).containsExactly("logits");
            float[] x = java.util.Arrays.copyOfRange(eval.x(), 0, 8 * eval.perSample());
            assertClose(ort(back, "image", x, new long[] {8, 1, 28, 28}), m.forward(x, 8, false), 1e-4);
        }
    }

    private static float[][] trainTwice(Path file, int samples, int threads) throws Exception {
        OnnxModel model = new OnnxModelReader().read(file);
        try (EnginePool pool = new EnginePool(threads)) {
            TrainableModel m = TrainableModel.of(model, pool, 3);
            Trainer.train(m, part(m, 0, samples), null, new Trainer.Options(1, 25, 1e-3, Optimizer.Kind.ADAMW, 0, 0.01,
                    Trainer.Schedule.CONSTANT, 11), e -> { }, CancellationToken.none());
            return m.params().stream().map(Param::values).toArray(float[][]::new);
        }
    }

    @Test
    void theSameSeedGivesTheSameWeightsWithOneOrTwoThreads() throws Exception {
        // the CNN's im2col, col2im and transposes split samples and blocks over the pool; the GEMMs split outputs
        for (Path file : List.of(TestData.FASHION_MLP, TestData.FASHION_CNN)) {
            int samples = file.equals(TestData.FASHION_MLP) ? 300 : 100;
            float[][] a = trainTwice(file, samples, 1);
            float[][] b = trainTwice(file, samples, 2);
            assertThat(a.length).isEqualTo(b.length);
            for (int i = 0; i < a.length; i++) assertThat(b[i]).as(file + " tensor " + i).containsExactly(a[i]);
        }
    }

    @Test
    void maskedWeightsStayExactlyZeroThroughAdamWSteps() throws Exception {
        OnnxModel model = new OnnxModelReader().read(TestData.FASHION_MLP);
        try (EnginePool pool = new EnginePool(1)) {
            TrainableModel m = TrainableModel.of(model, pool, 5);
            java.util.Random r = new java.util.Random(5);
            int kept = 0;
            Param w = m.params().get(0);
            boolean[] mask = new boolean[w.size()];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = r.nextDouble() < 0.2;
                if (mask[i]) kept++;
            }
            w.setMask(mask);
            Trainer.train(m, part(m, 0, 200), null, new Trainer.Options(2, 20, 1e-3, Optimizer.Kind.ADAMW, 0, 0.01,
                    Trainer.Schedule.CONSTANT, 5), e -> { }, CancellationToken.none());
            float[] v = w.values();
            int nonzero = 0;
            for (int i = 0; i < v.length; i++) {
                if (!mask[i]) assertThat(v[i]).isZero();
                if (v[i] != 0) nonzero++;
            }
            assertThat(nonzero).isEqualTo(kept);
        }
    }

    @Test
    void aGraphThatIsNotASingleChainIsRefusedNamingTheReason() throws Exception {
        OnnxModel add = new OnnxModelReader().read(TestData.CONFORMANCE.resolve("node/test_add/model.onnx"));
        try (EnginePool pool = new EnginePool(1)) {
            TrainableModel.UnsupportedGraphException e = assertThrows(TrainableModel.UnsupportedGraphException.class,
                    () -> TrainableModel.of(add, pool, 1));
            assertThat(e.getMessage()).isEqualTo("training takes a model with one input; this one has 2");
        }
    }
}
