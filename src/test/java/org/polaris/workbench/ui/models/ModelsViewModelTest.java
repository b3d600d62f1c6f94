package org.polaris.workbench.ui.models;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The Models pane's logic without any window or FX toolkit. */
class ModelsViewModelTest {

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final List<Path> chooserAnswer = dialogs.modelFiles;
    private final List<Optional<Path>> chooserStarts = dialogs.chooserStarts;
    private SettingsStore settings;
    private ModelsViewModel vm;

    @BeforeEach
    void setUp() {
        settings = new SettingsStore(tmp.resolve("settings.json"));
        vm = newViewModel();
    }

    private ModelsViewModel newViewModel() {
        return new ModelsViewModel(new ModelInspector(), new InlineTaskRunner(), dialogs, settings,
                new SampleCatalog(TestData.SAMPLES));
    }

    @Test
    void openingAModelFillsTablesAndSelectsIt() {
        vm.open(TestData.MNIST8);
        assertThat(vm.documents()).hasSize(1);
        assertThat(vm.selectedProperty().get().title()).isEqualTo("mnist-8.onnx");
        assertThat(vm.ioRows()).extracting(IoRow::name).containsExactly("Input3", "Plus214_Output_0");
        assertThat(vm.ioRows()).noneMatch(IoRow::differs);
        assertThat(vm.weights()).hasSize(8);
        assertThat(vm.opRows().get(0).opType()).isEqualTo("Add");
        assertThat(vm.summaryCard()).anyMatch(kv -> kv[0].equals("Parameters") && kv[1].startsWith("5,998"));
        assertThat(vm.errorProperty().get()).isEmpty();
    }

    @Test
    void filterNarrowsTheWeightTable() {
        vm.open(TestData.MNIST8);
        vm.weightFilterProperty().set("PARAMETER8");
        assertThat(vm.weights()).extracting(w -> w.name()).containsExactlyInAnyOrder("Parameter87", "Parameter88");
        vm.weightFilterProperty().set("int64");
        assertThat(vm.weights()).hasSize(2);
        vm.weightFilterProperty().set("");
        assertThat(vm.weights()).hasSize(8);
    }

    @Test
    void severalModelsStayOpenAndReopeningSelectsTheExistingOne() {
        vm.open(TestData.MNIST8);
        vm.open(TestData.FASHION_MLP);
        assertThat(vm.documents()).hasSize(2);
        assertThat(vm.selectedProperty().get().title()).isEqualTo("fashion_mlp.onnx");
        vm.open(TestData.MNIST8);
        assertThat(vm.documents()).hasSize(2);
        assertThat(vm.selectedProperty().get().title()).isEqualTo("mnist-8.onnx");
        assertThat(vm.weights()).hasSize(8);
        vm.closeSelected();
        assertThat(vm.documents()).hasSize(1);
        assertThat(vm.selectedProperty().get().title()).isEqualTo("fashion_mlp.onnx");
        vm.closeSelected();
        assertThat(vm.canCloseProperty().get()).isFalse();
        assertThat(vm.weights()).isEmpty();
    }

    @Test
    void recentFilesArePersistedAcrossSessions() {
        vm.open(TestData.MNIST8);
        vm.open(TestData.FASHION_CNN);
        ModelsViewModel later = new ModelsViewModel(new ModelInspector(), new InlineTaskRunner(),
                null, new SettingsStore(tmp.resolve("settings.json")), new SampleCatalog(TestData.SAMPLES));
        assertThat(later.recentFiles()).extracting(p -> p.getFileName().toString())
                .containsExactly("fashion_cnn.onnx", "mnist-8.onnx");
        later.clearRecent();
        assertThat(new SettingsStore(tmp.resolve("settings.json")).get().recentFiles).isEmpty();
    }

    @Test
    void badFileShowsReadableErrorAndOpensNothing() throws Exception {
        Path bad = Files.write(tmp.resolve("broken.onnx"), new byte[] {8, 7, 0x12, (byte) 0xff});
        vm.open(bad);
        assertThat(vm.documents()).isEmpty();
        assertThat(vm.errorProperty().get()).contains("broken.onnx").doesNotContain("Exception");
        vm.dismissError();
        assertThat(vm.errorProperty().get()).isEmpty();
    }

    @Test
    void chooserStartsInSamplesThenInTheLastFolder() {
        chooserAnswer.add(TestData.MNIST8);
        vm.openWithChooser();
        assertThat(chooserStarts.get(0)).contains(TestData.SAMPLES);
        assertThat(vm.documents()).hasSize(1);
        vm.openWithChooser();
        assertThat(chooserStarts.get(1)).contains(TestData.MNIST8.toAbsolutePath().normalize().getParent());
    }

    @Test
    void samplesAreListed() {
        assertThat(vm.sampleModels()).extracting(p -> p.getFileName().toString())
                .contains("fashion_mlp.onnx", "fashion_cnn.onnx", "mnist-8.onnx");
    }

    @Test
    void theRecentListIsOneLiveListAndMissingFilesLeaveIt() throws Exception {
        javafx.collections.ObservableList<Path> recent = vm.recentFiles();
        assertThat(vm.recentFiles()).isSameAs(recent);
        List<Path> seen = new java.util.ArrayList<>();
        recent.addListener((javafx.collections.ListChangeListener<Path>) c -> seen.add(null));
        Path gone = Files.copy(TestData.MNIST8, tmp.resolve("gone.onnx"));
        vm.open(gone);
        vm.open(TestData.FASHION_MLP);
        assertThat(seen).isNotEmpty();
        assertThat(recent).containsExactly(TestData.FASHION_MLP.toAbsolutePath().normalize(), gone);
        vm.closeSelected();
        vm.closeSelected();
        Files.delete(gone);
        // opening a file that is gone says so and takes it off the list
        vm.open(gone);
        assertThat(vm.errorProperty().get()).isEqualTo(gone + " no longer exists; it was removed from the recent files");
        assertThat(recent).containsExactly(TestData.FASHION_MLP.toAbsolutePath().normalize());
        assertThat(new SettingsStore(tmp.resolve("settings.json")).get().recentFiles)
                .containsExactly(TestData.FASHION_MLP.toAbsolutePath().normalize().toString());
        // a restart reads the same list
        assertThat(newViewModel().recentFiles()).containsExactly(TestData.FASHION_MLP.toAbsolutePath().normalize());
    }

    @Test
    void theModelsPaneFollowsAndDrivesTheWorkspaceSelection() {
        org.polaris.workbench.ui.common.Workspace ws = new org.polaris.workbench.ui.common.Workspace();
        ModelsViewModel m = new ModelsViewModel(new ModelInspector(), new InlineTaskRunner(), dialogs, settings,
                new SampleCatalog(TestData.SAMPLES), ws);
        m.open(TestData.MNIST8);
        m.open(TestData.FASHION_MLP);
        Path mnist = TestData.MNIST8.toAbsolutePath().normalize();
        assertThat(ws.openModels()).containsExactly(mnist, TestData.FASHION_MLP.toAbsolutePath().normalize());
        ws.select(mnist); // chosen in another pane
        assertThat(m.selectedProperty().get().path()).isEqualTo(mnist);
        assertThat(m.ioRows()).extracting(IoRow::name).containsExactly("Input3", "Plus214_Output_0");
        m.closeSelected();
        assertThat(ws.openModels()).containsExactly(TestData.FASHION_MLP.toAbsolutePath().normalize());
        assertThat(ws.current()).isEqualTo(TestData.FASHION_MLP.toAbsolutePath().normalize());
        assertThat(m.selectedProperty().get().path()).isEqualTo(ws.current());
        assertThat(m.documents()).hasSize(1);
    }
}
