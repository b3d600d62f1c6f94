package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantMath;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.quant.WeightQuantizer;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** Quantization-aware training: the quantizer's own scales, straight-through gradients, and the INT8 result. */
class QatTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static IdxDataset data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        data = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 2000);
    }

    @Test
    void fakeQuantizationSitsWhereTheQuantizerPutsItsPairsWithTheQuantizersScales() throws Exception {
        Map<Path, List<String>> expected = Map.of(
                TestData.FASHION_MLP, List.of("/Flatten_output_0", "/Relu_output_0", "/Relu_1_output_0"),
                TestData.FASHION_CNN, List.of("image", "/Relu_output_0", "/Relu_1_output_0", "/Relu_2_output_0"));
        try (EnginePool pool = new EnginePool(1)) {
            for (Path file : expected.keySet()) {
                OnnxModel model = new OnnxModelReader().read(file);
                TrainableModel m = TrainableModel.of(model, pool, 1);
                Qat qat = m.enableQat(QuantOptions.staticInt8());
                m.calibrateQat(TrainData.load(data, m, 0), Trainer.QAT_CALIBRATION_SAMPLES);
                QuantReport report = new QuantizeService().run(new QuantRequest(file, tmp.resolve(file.getFileName()), false,
                        QuantOptions.staticInt8(), data, Trainer.QAT_CALIBRATION_SAMPLES, data,
                        new QuantEvaluator.Settings(50, 2, 1, 1, 1), tmp.resolve(file.getFileName() + ".json"), 0.5),
                        ProgressSink.NONE, CancellationToken.none());
                Map<String, QuantReport.Activation> quantizer = report.activations().stream()
                        .collect(Collectors.toMap(QuantReport.Activation::tensor, a -> a));
                assertThat(qat.points()).extracting(Qat.Point::tensor).as(file.toString())
                        .containsExactlyElementsOf(expected.get(file));
                for (Qat.Point p : qat.points()) {
                    QuantReport.Activation a = quantizer.get(p.tensor());
                    assertThat((double) p.scale()).as(p.tensor()).isCloseTo(a.scale(), offset(1e-4 * a.scale()));
                    assertThat(p.zeroPoint()).as(p.tensor()).isEqualTo(a.zeroPoint());
                }
            }
        }
    }

    @Test
    void activationsRoundToTheGridAndTheGradientPassesOnlyInsideTheRange() {
        Qat.FakeQuant f = new Qat.FakeQuant("t", QuantOptions.staticInt8());
        f.set(QuantMath.asymmetric(0, 25.5, IntType.UINT8)); // scale 0.1, zero point 0: [0, 25.5]
        f.rounding = true;
        float[] y = f.forward(new float[] {-1f, 0.04f, 0.06f, 3.33f, 25.5f, 30f}, 1, true);
        assertThat(y).containsExactly(new float[] {0f, 0f, 0.1f, 3.3f, 25.5f, 25.5f}, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(f.backward(new float[] {1, 2, 3, 4, 5, 6}, 1)).containsExactly(0, 2, 3, 4, 5, 0);
    }

    @Test
    void theForwardPassSeesInt8WeightsAndTheFloatWeightsComeBackForTheUpdate() throws Exception {
        try (EnginePool pool = new EnginePool(1)) {
            OnnxModel model = new OnnxModelReader().read(TestData.FASHION_MLP);
            TrainableModel m = TrainableModel.of(model, pool, 1);
            Qat qat = m.enableQat(QuantOptions.staticInt8());
            TrainData d = TrainData.load(data, m, 64);
            m.calibrateQat(d, 64);
            Param w = m.params().get(0);
            float[] before = w.values();
            float[][] rounded = qat.roundWeights();
            float[] expected = WeightQuantizer.perChannel(before, new long[] {w.shape()[0], w.shape()[1]}, 0, IntType.INT8, true)
                    .dequantized();
            assertThat(w.values()).containsExactly(expected);
            qat.restore(rounded);
            assertThat(w.values()).containsExactly(before);

            m.zeroGrad();
            m.lossAndGradients(java.util.Arrays.copyOf(d.x(), 16 * d.perSample()), java.util.Arrays.copyOf(d.labels(), 16), 16,
                    new int[1]);
            assertThat(w.values()).containsExactly(before);
            // the written float model is checked without fake quantization; the simulated one differs from it
            float[] simulated = m.forward(java.util.Arrays.copyOf(d.x(), d.perSample()), 1, false);
            float[] exact = m.outputs(java.util.Arrays.copyOf(d.x(), d.perSample()), 1);
            assertThat(simulated).isNotEqualTo(exact);
            assertThat(qat.active()).isTrue();
        }
    }

    @Test
    void qatWritesTheInt8ModelAndReportsItAgainstPostTrainingQuantization() throws Exception {
        OnnxModel model = new OnnxModelReader().read(TestData.FASHION_MLP);
        Path out = tmp.resolve("mlp-qat.onnx");
        TrainService.Report r = new TrainService().run(new TrainService.Request(model, TestData.FASHION_MLP, out, false, data,
                data, 1000, new Trainer.Options(1, 50, 0.005, Optimizer.Kind.SGD, 0.9, 1e-4, Trainer.Schedule.COSINE, 3), null,
                QuantOptions.staticInt8(), 2, tmp.resolve("r.json"), null, false), e -> { }, ProgressSink.NONE,
                CancellationToken.none());
        OnnxModel written = new OnnxModelReader().read(out);
        assertThat(written.graph().nodes().stream().map(Node::opType).filter(op -> op.equals("QuantizeLinear")).count())
                .isEqualTo(3);
        assertThat(r.method()).isEqualTo("qat");
        TrainService.QatResult q = r.qat();
        assertThat(q.evalSamples()).isEqualTo(2000);
        assertThat(q.int8Layers()).isEqualTo(3);
        // PTQ's float side is the model as given, measured again through ONNX Runtime
        assertThat(q.ptqFloatAccuracy()).isCloseTo(r.accuracyBefore(), offset(1e-9));
        // the fine-tuned model's INT8 version against its float version, and against quantizing the given model
        assertThat(q.floatAccuracy() - q.int8Accuracy()).isLessThan(r.accuracyBefore() - q.ptqInt8Accuracy());
        assertThat(q.int8Accuracy()).isGreaterThan(q.ptqInt8Accuracy());
    }
}
