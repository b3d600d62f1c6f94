package org.polaris.workbench.ui.sparsity;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.sparsity.MaskMap;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.engine.sparsity.Reconstruction;
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

/** The Sparsity pane's logic with the real engine, without any window or FX toolkit. */
class SparsityViewModelTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private final List<Path> opened = new ArrayList<>();
    private Path model;
    private SparsityViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        model = Files.copy(TestData.FASHION_CNN, tmp.resolve("fashion_cnn.onnx"));
        workspace.setOpener(opened::add);
        workspace.add(model);
        SettingsStore store = new SettingsStore(tmp.resolve("settings.json"));
        store.get().outputDirectory = tmp.toString();
        vm = new SparsityViewModel(new PruneService(), new InlineTaskRunner(), dialogs,
                store, workspace);
        vm.evalSamplesProperty().set(300);
        dialogs.dataAnswers.add(IDX);
        vm.chooseEvaluationData(false);
    }

    private static double minCell(MaskMap m) {
        return Arrays.stream(m.cells()).flatMapToDouble(Arrays::stream).min().orElse(Double.NaN);
    }

    @Test
    void listsTheLayersAndShowsTheMaskOfTheOneSelected() {
        assertThat(vm.modelProperty().get()).isEqualTo(model);
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_cnn-pruned.onnx"));
        assertThat(vm.layers()).extracting(SparsityRow::node).containsExactly("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(vm.layers()).allSatisfy(r -> assertThat(r.current()).isZero());
        assertThat(vm.layers().get(2).shape()).isEqualTo("64 x 1568");
        vm.selectedLayerProperty().set(vm.layers().get(2));
        MaskMap m = vm.maskProperty().get();
        assertThat(m.rows()).isEqualTo(64);
        assertThat(m.cells().length).isEqualTo(64);
        assertThat(m.cells()[0].length).isEqualTo(LayerMasks.CELLS);
        assertThat(minCell(m)).isEqualTo(1.0);
        vm.methodProperty().set("channel");
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_cnn-channels.onnx"));
    }

    @Test
    void pruningFillsTheCardTheLayersAndTheMaskAndWarnsPastTheTolerance() throws Exception {
        vm.sparsityProperty().set(0.9);
        vm.sparseStorageProperty().set(true);
        vm.toleranceProperty().set(1.0);
        vm.selectedLayerProperty().set(vm.layers().get(2));
        vm.prune();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.resultProperty().get()).isNotNull();
        Path out = tmp.resolve("fashion_cnn-pruned.onnx");
        assertThat(out).exists();
        assertThat(vm.resultCard()).extracting(kv -> kv[0]).contains("Accuracy", "File size", "Latency");
        assertThat(vm.layers()).allSatisfy(r -> assertThat(r.after()).isGreaterThan(0));
        assertThat(vm.layers().get(2).format()).startsWith("sparse ");
        assertThat(vm.layers().get(2).storedBytes()).isLessThan(vm.layers().get(2).denseBytes());
        // the mask now shows the pruned file's weights
        assertThat(vm.maskProperty().get().title()).contains("after pruning");
        assertThat(minCell(vm.maskProperty().get())).isLessThan(0.5);
        // 90% without fine-tuning costs more than a point here
        assertThat(vm.warningProperty().get()).contains("tolerance");
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_cnn-pruned-2.onnx"));
        vm.openResult();
        assertThat(opened).containsExactly(out);
        // settings remembered for the next start
        assertThat(Files.readString(tmp.resolve("settings.json"))).contains("\"sparsityTarget\" : 0.9", "t10k-2000");
    }

    @Test
    void scansSensitivityAndMeasuresTheCrossover() {
        vm.scanSensitivity();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.sensitivityProperty().get().curves()).hasSize(4);
        assertThat(vm.sensitivityProperty().get().labelled()).isTrue();
        // pruning fc1 to 95% on its own costs accuracy; the unpruned point is the baseline
        var fc1 = vm.sensitivityProperty().get().curves().get(2);
        assertThat(fc1.points().get(0).accuracy()).isEqualTo(vm.sensitivityProperty().get().baseline());
        vm.selectedLayerProperty().set(vm.layers().get(3));
        vm.measureCrossover();
        var x = vm.crossoverProperty().get();
        assertThat(x.rows()).isEqualTo(10);
        assertThat(x.cols()).isEqualTo(64);
        assertThat(x.results()).hasSize(SparsityViewModel.CROSSOVER_SPARSITIES.length);
        assertThat(x.results()).allSatisfy(r -> assertThat(r.csrMs()).isPositive());
    }

    @Test
    void refitFromThePaneSaysWhichDataItUsedAndIsRemembered() throws Exception {
        vm.sparsityProperty().set(0.8);
        vm.refitProperty().set(true);
        vm.prune();
        assertThat(vm.errorProperty().get()).isEmpty();
        PruneService.Result r = vm.resultProperty().get();
        // the CNN's convolutions and Gemm layers are all re-fitted
        assertThat(r.refit()).filteredOn(Reconstruction.Layer::refit).extracting(Reconstruction.Layer::node)
                .containsExactly("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(r.refitOnEvaluationData()).isTrue();
        assertThat(vm.resultCard()).anyMatch(kv -> kv[0].equals("Re-fit") && kv[1].startsWith("4 of 4 layers on 300 samples")
                && kv[1].contains("optimistic"));
        assertThat(new SettingsStore(tmp.resolve("settings.json")).get().sparsityRefit).isTrue();

        dialogs.dataAnswers.add(IDX);
        vm.chooseRefitData(false);
        vm.prune();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.resultProperty().get().refitOnEvaluationData()).isFalse();
        assertThat(vm.resultCard()).anyMatch(kv -> kv[0].equals("Re-fit") && !kv[1].contains("optimistic"));
        assertThat(new SettingsStore(tmp.resolve("settings.json")).get().sparsityRefitData).endsWith("t10k-2000-images-idx3-ubyte.gz");
    }

    @Test
    void pruneAndQuantizeFromThePane() {
        vm.methodProperty().set("channel");
        vm.sparsityProperty().set(0.3);
        vm.quantizeInt8Property().set(true);
        vm.prune();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.resultCard().get(0)[1]).startsWith("channel + int8");
        assertThat(vm.layers().stream().filter(r -> r.format().startsWith("channels 32->16, int8"))).hasSize(1);
        assertThat(tmp.resolve("fashion_cnn-channels.onnx")).exists();
    }

    @Test
    void sensitivityAllocationRunsFromThePaneAndABadSettingIsReported() {
        vm.methodProperty().set("magnitude");
        vm.allocationProperty().set(Allocation.Strategy.SENSITIVITY);
        vm.sparsityProperty().set(0.5);
        vm.prune();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.sensitivityProperty().get()).isNotNull();
        vm.methodProperty().set("nm:2:4");
        vm.prune();
        assertThat(vm.errorProperty().get()).contains("allocation");
    }
}
