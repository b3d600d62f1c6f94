package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.testutil.CorpusModels;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * Training beyond the bundled samples: corpus models with residual additions, squeeze-and-excitation gates,
 * BatchNormalization, HardSwish and symbolic height and width.
 */
class TrainCorpusTest {

    @TempDir
    Path tmp;

    private static float[] ort(OnnxModel model, String input, float[] x, long[] shape) throws Exception {
        try (ModelRuntime rt = Runtimes.open(Runtimes.Kind.ORT, model, 1)) {
            return rt.run(Map.of(input, Tensor.ofFloats(input, shape, x))).values().iterator().next().toFloats();
        }
    }

    private static void assertClose(float[] got, float[] want) {
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        assertThat(got).hasSize(want.length);
        for (int i = 0; i < want.length; i++) {
            assertThat((double) got[i]).as("element %d", i).isCloseTo(want[i], offset(1e-4 * Math.max(1e-3, scale)));
        }
    }

    @Test
    void mobileNetV3SmallFollowsOnnxRuntimeLearnsABatchAndIsWrittenBack() throws Exception {
        OnnxModel model = new OnnxModelReader().read(CorpusModels.get("mobilenet_v3_small"));
        try (EnginePool pool = new EnginePool(2)) {
            // height and width are symbolic: training fixes them to the data's (64 x 64 here)
            TrainableModel m = TrainableModel.of(model, pool, 1, new int[] {3, 64, 64});
            Random r = new Random(2);
            int n = 4;
            float[] x = new float[n * 3 * 64 * 64];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            long[] shape = {n, 3, 64, 64};
            assertClose(m.outputs(x, n), ort(model, m.inputName(), x, shape));

            int[] labels = {3, 141, 592, 999};
            Optimizer opt = new Optimizer(Optimizer.Kind.ADAMW, 0, 0);
            double first = Double.NaN;
            double last = Double.NaN;
            for (int step = 0; step < 6; step++) {
                m.zeroGrad();
                last = m.lossAndGradients(x, labels, n, new int[1]);
                if (step == 0) first = last;
                opt.step(m.params(), 1e-3);
            }
            assertThat(last).isLessThan(first * 0.8);
            // BatchNormalization moved its running statistics; the written model computes what the trained one does
            OnnxModel trained = m.toOnnx();
            Path written = java.nio.file.Files.write(tmp.resolve("trained.onnx"), OnnxModelWriter.toBytes(trained));
            OnnxModel fresh = new OnnxModelReader().read(written);
            assertClose(m.outputs(x, n), ort(fresh, m.inputName(), x, shape));
            assertThat(ort(fresh, m.inputName(), x, shape)).isNotEqualTo(ort(model, m.inputName(), x, shape));
        }
    }

    @Test
    void theResidualCnnFineTunesWithRiglAtExactSparsityAndItsWrittenModelIsVerified() throws Exception {
        Path file = CorpusModels.trainedResidualCnn();
        OnnxModel model = new OnnxModelReader().read(file);
        IdxDataset data = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                Preprocessing.unitScale(), 2000);
        Path out = tmp.resolve("residual-rigl.onnx");
        TrainService.Report r = new TrainService().run(new TrainService.Request(model, file, out, false, data, data, 600,
                new Trainer.Options(1, 32, 0.001, Optimizer.Kind.SGD, 0.9, 1e-4, Trainer.Schedule.COSINE, 1),
                new SparseTraining.Options(SparseTraining.Method.RIGL, 0.5, Allocation.Strategy.ERK, 5, 0.3, 0.75), 2,
                tmp.resolve("r.json")), e -> { }, ProgressSink.NONE, CancellationToken.none());
        assertThat(r.maxAbsDifference()).isLessThan(1e-3);
        assertThat(r.maskUpdates()).isNotEmpty();
        // ERK puts the half of all weights removed where layers are large (here the stride-2 convolution)
        long zeros = 0;
        long all = 0;
        for (Tensor t : new OnnxModelReader().read(out).graph().initializers()) {
            if (t.rank() < 2) continue;
            for (float v : t.toFloats()) if (v == 0) zeros++;
            all += t.elementCount();
        }
        assertThat((double) zeros / all).isCloseTo(0.5, offset(0.005));
        // this folded-BatchNormalization model needs a small learning rate; then the sparse fine-tune gains
        assertThat(r.accuracyAfter()).isGreaterThan(r.accuracyBefore());
    }
}
