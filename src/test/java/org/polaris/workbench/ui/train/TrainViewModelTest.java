package org.polaris.workbench.ui.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.train.Checkpoint;
import org.polaris.workbench.engine.train.SparseTraining;
import org.polaris.workbench.engine.train.TrainService;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The Train pane's logic with the real engine, without any window or FX toolkit. */
class TrainViewModelTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private final List<Path> opened = new ArrayList<>();
    private SettingsStore store;
    private Path model;
    private TrainViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        model = Files.copy(TestData.FASHION_MLP, tmp.resolve("fashion_mlp.onnx"));
        workspace.setOpener(opened::add);
        workspace.add(model);
        store = new SettingsStore(tmp.resolve("settings.json"));
        store.get().outputDirectory = tmp.toString();
        vm = new TrainViewModel(new TrainService(), new InlineTaskRunner(), dialogs, store, workspace);
    }

    private void smallRun(String method) {
        dialogs.dataAnswers.add(IDX);
        vm.chooseTrainData(false);
        dialogs.dataAnswers.add(IDX);
        vm.chooseEvalData(false);
        vm.trainSamplesProperty().set(600);
        vm.methodProperty().set(method);
        vm.sparsityProperty().set(0.8);
        vm.allocationProperty().set(Allocation.Strategy.UNIFORM);
        vm.updateEveryProperty().set(5);
        vm.epochsProperty().set(2);
        vm.batchProperty().set(50);
    }

    @Test
    void aRiglRunFillsTheCurvesTheLayersTheChurnAndTheCard() throws Exception {
        assertThat(vm.canStartProperty().get()).isFalse(); // no training data yet
        smallRun("rigl");
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_mlp-rigl80.onnx"));
        assertThat(vm.canStartProperty().get()).isTrue();
        vm.start();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.trainingProperty().get()).isFalse();
        TrainService.Report r = vm.resultProperty().get();
        assertThat(r.output()).isEqualTo(tmp.resolve("fashion_mlp-rigl80.onnx").toString());
        assertThat(Files.exists(tmp.resolve("fashion_mlp-rigl80.onnx"))).isTrue();
        assertThat(vm.statusProperty().get()).startsWith("Done: accuracy ");
        assertThat(vm.provenanceProperty().get()).contains("fashion_mlp.onnx").contains("rigl to 80% (uniform, every 5 steps), "
                + "2 epochs, batch 50, sgd lr 0.01, seed 1, on t10k-2000-images-idx3-ubyte.gz");
        assertThat(vm.resultCard()).extracting(row -> row[0]).containsExactly("Written", "Method", "Data", "Accuracy",
                "Epochs", "Mask updates", "Verified");

        // 12 steps per epoch; updates at steps 5, 10 and 15 (before 75% of 24), each for all three layers
        TrainCurves c = vm.curvesProperty().get();
        assertThat(c.steps()).hasSize(24);
        assertThat(c.lastStep()).isEqualTo(24);
        assertThat(c.epochSteps()).containsExactly(12, 24);
        assertThat(c.evalAccuracy()[1]).isEqualTo(r.accuracyAfter());
        assertThat(vm.layers()).extracting(TrainCurves.LayerRow::layer).containsExactly("fc1.weight", "fc2.weight", "fc3.weight");
        for (TrainCurves.LayerRow row : vm.layers()) {
            assertThat(row.sparsity()).isCloseTo(0.8, offset(0.001));
            assertThat(row.target()).isCloseTo(0.8, offset(1e-9));
            assertThat(row.updates()).isEqualTo(3);
        }
        assertThat(vm.selectedLayerProperty().get()).isEqualTo("fc1.weight");
        vm.selectedLayerProperty().set("fc2.weight");
        TrainCurves.Churn churn = vm.churnProperty().get();
        List<SparseTraining.MaskUpdate> fc2 = r.maskUpdates().stream().filter(u -> u.layer().equals("fc2.weight")).toList();
        assertThat(churn.steps()).containsExactly(5, 10, 15);
        assertThat(churn.groups()).isEqualTo(64);
        for (int u = 0; u < 3; u++) {
            assertThat(Arrays.stream(churn.dropped()[u]).sum()).isEqualTo(fc2.get(u).dropped());
            assertThat(Arrays.stream(churn.regrown()[u]).sum()).isEqualTo(fc2.get(u).regrown()).isPositive();
        }

        vm.openResult();
        assertThat(opened).containsExactly(tmp.resolve("fashion_mlp-rigl80.onnx"));
        // the settings come back in a new pane
        TrainViewModel again = new TrainViewModel(new TrainService(), new InlineTaskRunner(), dialogs,
                new SettingsStore(tmp.resolve("settings.json")), workspace);
        assertThat(again.methodProperty().get()).isEqualTo("rigl");
        assertThat(again.epochsProperty().get()).isEqualTo(2);
        assertThat(again.trainDataProperty().get()).isEqualTo(IDX);
        assertThat(again.allocationProperty().get()).isEqualTo(Allocation.Strategy.UNIFORM);
    }

    @Test
    void qatShowsTheInt8AccuracyBesideQuantizingTheModelAsGiven() throws Exception {
        smallRun("qat");
        vm.epochsProperty().set(1);
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_mlp-qat-int8.onnx"));
        vm.start();
        assertThat(vm.errorProperty().get()).isEmpty();
        TrainService.Report r = vm.resultProperty().get();
        assertThat(vm.statusProperty().get()).isEqualTo("Done: INT8 accuracy " + TrainCard.pct(r.qat().int8Accuracy()));
        assertThat(vm.resultCard()).extracting(row -> row[0]).contains("INT8");
        assertThat(vm.layers()).extracting(TrainCurves.LayerRow::updates).containsExactly(0, 0, 0);
        assertThat(vm.layers()).extracting(TrainCurves.LayerRow::sparsity).containsExactly(0.0, 0.0, 0.0);
        var report = new ObjectMapper().readTree(tmp.resolve("fashion_mlp-qat-int8.onnx.report.json").toFile());
        assertThat(report.get("method").asText()).isEqualTo("qat");
    }

    @Test
    void aCheckpointFolderInUseNeedsResumeAndAFailedRunSaysWhy() throws Exception {
        smallRun("rigl");
        Path ck = tmp.resolve("ck");
        dialogs.dataAnswers.add(ck);
        vm.chooseCheckpoint();
        vm.epochsProperty().set(1);
        vm.start();
        assertThat(Checkpoint.read(ck).epochsDone()).isEqualTo(1);
        vm.start();
        assertThat(vm.errorProperty().get()).isEqualTo(ck + " holds a checkpoint: tick Resume to continue it, or choose "
                + "another folder");
        vm.resumeProperty().set(true);
        vm.lrProperty().set(0.02);
        vm.start();
        assertThat(vm.errorProperty().get()).contains("resume with the checkpoint's settings; these differ: options.lr was "
                + "0.01, now 0.02");
        assertThat(vm.statusProperty().get()).isEqualTo("Failed");
        assertThat(vm.trainingProperty().get()).isFalse();
    }
}
