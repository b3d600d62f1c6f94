package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.ShapeSpec;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.testutil.CorpusModels;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The layer sensitivity scan on models that are not classifiers, and on labelled and unlabelled classifier data. */
class SensitivityScanIT {

    private static InputData random(OnnxModel m, String shape, int samples) throws Exception {
        return DataSources.open(null, new InputPlan.Request(List.of(ShapeSpec.parse(shape)), List.of(),
                Preprocessing.unitScale(), 0), samples, m.graph().feedInputs());
    }

    @Test
    void aTextEncoderIsScoredByTheCosineOfItsOutputs() throws Exception {
        Path model = CorpusModels.get("transformer_encoder");
        OnnxModel m = new OnnxModelReader().read(model);
        SensitivityScan.Result r = SensitivityScan.run(m, PruneMethod.parse("magnitude"), new double[] {0.3, 0.95},
                random(m, "tokens=1x9", 6), 6, ProgressSink.NONE, CancellationToken.none());
        // per-token scores [1, 9, 8] are no class scores: top-1 of the flattened map would mean nothing
        assertThat(r.score()).isEqualTo(SensitivityScan.Score.COSINE);
        assertThat(r.samples()).isEqualTo(6);
        assertThat(r.baseline()).isCloseTo(1.0, offset(1e-6));
        assertThat(r.curves()).extracting(SensitivityScan.Curve::weight).containsExactlyElementsOf(
                PruneService.targets(m, Set.of()).stream().map(PruneService.Target::weight).toList());
        for (SensitivityScan.Curve c : r.curves()) {
            double at30 = c.points().get(1).accuracy();
            double at95 = c.points().get(2).accuracy();
            assertThat(at95).as(c.node()).isLessThan(1.0 - 1e-4).isLessThanOrEqualTo(at30 + 1e-3);
        }
    }

    @Test
    void aClassifierIsScoredByAccuracyWithLabelsAndByAgreementWithout() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_CNN);
        InputData labelled = DataSources.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                new InputPlan.Request(List.of(), List.of(), Preprocessing.unitScale(), 0), 100, m.graph().feedInputs());
        SensitivityScan.Result a = SensitivityScan.run(m, PruneMethod.parse("magnitude"), new double[] {0.9}, labelled, 100,
                ProgressSink.NONE, CancellationToken.none());
        assertThat(a.score()).isEqualTo(SensitivityScan.Score.ACCURACY);
        assertThat(a.baseline()).isGreaterThan(0.7).isLessThan(1.0);
        SensitivityScan.Result g = SensitivityScan.run(m, PruneMethod.parse("magnitude"), new double[] {0.9},
                random(m, "1x1x28x28", 50), 50, ProgressSink.NONE, CancellationToken.none());
        assertThat(g.score()).isEqualTo(SensitivityScan.Score.AGREEMENT);
        assertThat(g.baseline()).isEqualTo(1.0);
    }
}
