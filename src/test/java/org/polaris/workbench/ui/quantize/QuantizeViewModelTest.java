package org.polaris.workbench.ui.quantize;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Quantize pane's logic with the real engine, without any window or FX toolkit. */
class QuantizeViewModelTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private final List<Path> opened = new ArrayList<>();
    private Path model;
    private QuantizeViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        model = Files.copy(TestData.FASHION_CNN, tmp.resolve("fashion_cnn.onnx"));
        workspace.setOpener(opened::add);
        workspace.add(model);
        SettingsStore store = new SettingsStore(tmp.resolve("settings.json"));
        store.get().outputDirectory = tmp.toString();
        vm = new QuantizeViewModel(new QuantizeService(), new InlineTaskRunner(), dialogs, store, workspace);
        vm.calibSamplesProperty().set(64);
        vm.evalSamplesProperty().set(300);
    }

    @Test
    void picksTheOpenModelAndSuggestsAnOutputThatOverwritesNothing() throws Exception {
        assertThat(vm.modelProperty().get()).isEqualTo(model);
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_cnn-int8.onnx"));
        Files.writeString(tmp.resolve("fashion_cnn-int4.onnx"), "someone else's");
        vm.bitsProperty().set(4);
        assertThat(vm.modeProperty().get()).isEqualTo(QuantOptions.Mode.WEIGHT_ONLY);
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_cnn-int4-2.onnx"));
        assertThat(vm.canQuantizeProperty().get()).isTrue();
    }

    @Test
    void outputsGoToTheOutputFolderNeverBesideTheModelAndSaveAsIsKept() throws Exception {
        Path samples = Files.createDirectories(tmp.resolve("samples"));
        Path sample = Files.copy(TestData.FASHION_CNN, samples.resolve("sample.onnx"));
        SettingsStore fresh = new SettingsStore(tmp.resolve("fresh-settings.json"));
        QuantizeViewModel v = new QuantizeViewModel(new QuantizeService(), new InlineTaskRunner(), dialogs, fresh,
                workspace);
        workspace.add(sample);
        // no folder chosen yet: the standard output folder, not the model's (for samples, the app's own) folder
        assertThat(v.outputProperty().get().getParent())
                .isEqualTo(org.polaris.workbench.ui.common.OutputFolder.standard());
        Path chosen = Files.createDirectories(tmp.resolve("mine")).resolve("my-choice.onnx");
        dialogs.saveAnswers.add(chosen);
        v.chooseOutput();
        assertThat(fresh.get().outputDirectory).isEqualTo(chosen.getParent().toString());
        // changing the mode does not silently replace a file chosen with "Save as…"
        v.bitsProperty().set(4);
        assertThat(v.outputProperty().get()).isEqualTo(chosen);
        // another model gets a suggestion again, in the remembered folder
        workspace.select(model);
        assertThat(v.outputProperty().get()).isEqualTo(chosen.getParent().resolve("fashion_cnn-int4.onnx"));
    }

    @Test
    void quantizeFillsResultLayersAndHistogramAndOpensTheResult() {
        dialogs.dataAnswers.add(IDX);
        vm.chooseCalibrationData(false);
        vm.speedCheckProperty().set(false);
        vm.quantize();
        assertThat(vm.resultProperty().get().request().speedCheck()).isFalse();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(tmp.resolve("fashion_cnn-int8.onnx")).exists();
        assertThat(vm.resultCard()).anyMatch(kv -> kv[0].equals("Accuracy"));
        assertThat(vm.layers()).hasSize(4);
        assertThat(vm.layers()).extracting(LayerRow::rank).containsExactlyInAnyOrder(1, 2, 3, 4);
        vm.selectedLayerProperty().set(vm.layers().get(1));
        HistogramData h = vm.histogramProperty().get();
        assertThat(h.counts()).hasSize(128);
        assertThat(h.clipMax()).isGreaterThan(h.clipMin()).isLessThanOrEqualTo(h.max() + 1e-9);
        // the next suggestion moves on instead of replacing the file just written
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_cnn-int8-2.onnx"));
        vm.openResult();
        assertThat(opened).containsExactly(tmp.resolve("fashion_cnn-int8.onnx"));
    }

    @Test
    void theSpeedCheckIsOnByDefaultAndItsVerdictShowsOnTheStemRow() {
        dialogs.dataAnswers.add(IDX);
        vm.chooseCalibrationData(false);
        assertThat(vm.speedCheckProperty().get()).isTrue();
        vm.quantize();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.resultProperty().get().request().speedCheck()).isTrue();
        LayerRow conv1 = vm.layers().stream().filter(r -> r.name().equals("/conv1/Conv")).findFirst().orElseThrow();
        assertThat(conv1.report().note()).contains("with this layer in int8", "with it in float");
        // a stem the check kept in float is not ranked and is not a user exclusion
        if (conv1.report().bits() == 32) {
            assertThat(conv1.rank()).isZero();
            assertThat(conv1.report().note()).startsWith("kept in float");
        } else {
            assertThat(conv1.rank()).isPositive();
        }
        assertThat(vm.resultProperty().get().request().options().exclude()).isEmpty();
    }

    @Test
    void keepFloatTicksBecomeExclusionsOnTheNextRun() {
        dialogs.dataAnswers.add(IDX);
        vm.chooseCalibrationData(false);
        vm.speedCheckProperty().set(false);
        vm.quantize();
        LayerRow fc1 = vm.layers().stream().filter(r -> r.name().equals("/fc1/Gemm")).findFirst().orElseThrow();
        fc1.keepFloatProperty().set(true);
        vm.quantize();
        assertThat(vm.resultProperty().get().request().options().exclude()).containsExactly("/fc1/Gemm");
        LayerRow again = vm.layers().stream().filter(r -> r.name().equals("/fc1/Gemm")).findFirst().orElseThrow();
        assertThat(again.report().bits()).isEqualTo(32);
        assertThat(again.keepFloatProperty().get()).isTrue();
        assertThat(again.rank()).isZero();

        LayerRow conv1 = vm.layers().stream().filter(r -> r.name().equals("/conv1/Conv")).findFirst().orElseThrow();
        conv1.weightOnlyProperty().set(true);
        again.keepFloatProperty().set(false);
        vm.quantize();
        assertThat(vm.resultProperty().get().request().options().weightOnly()).containsExactly("/conv1/Conv");
        assertThat(vm.resultProperty().get().request().options().exclude()).isEmpty();
        LayerRow conv1Again = vm.layers().stream().filter(r -> r.name().equals("/conv1/Conv")).findFirst().orElseThrow();
        assertThat(conv1Again.report().note()).isEqualTo("weight-only");
        conv1Again.keepFloatProperty().set(true);
        assertThat(conv1Again.weightOnlyProperty().get()).isFalse();
    }

    @Test
    void failuresShowAsMessagesAndSettingsAreRemembered() {
        vm.calibrationProperty().set(Calibration.Method.ENTROPY);
        vm.speedCheckProperty().set(false);
        vm.scaleProperty().set("one/255");
        vm.quantize();
        assertThat(vm.errorProperty().get()).contains("scale");
        assertThat(tmp.resolve("fashion_cnn-int8.onnx")).doesNotExist();
        assertThat(new SettingsStore(tmp.resolve("settings.json")).get().quantCalibration).isEqualTo("entropy");
        assertThat(new SettingsStore(tmp.resolve("settings.json")).get().quantSpeedCheck).isFalse();
    }

    @Test
    void saveAsChoiceIsUsedAndMayReplaceAfterTheDialogAsked() throws Exception {
        Path chosen = Files.writeString(tmp.resolve("chosen.onnx"), "old");
        dialogs.saveAnswers.add(chosen);
        dialogs.dataAnswers.add(IDX);
        vm.chooseOutput();
        vm.chooseCalibrationData(false);
        vm.quantize();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(Files.size(chosen)).isGreaterThan(1000);
    }

    @Test
    void resultsAndErrorsBelongToTheirModel() throws Exception {
        dialogs.dataAnswers.add(IDX);
        vm.chooseCalibrationData(false);
        vm.speedCheckProperty().set(false);
        vm.quantize();
        assertThat(vm.provenanceProperty().get()).startsWith("fashion_cnn.onnx · static int8, per channel, "
                + "percentile 99.99 calibration on t10k-2000-images-idx3-ubyte.gz (64 samples), ONNX Runtime");
        assertThat(vm.layers()).hasSize(4);
        List<String[]> card = List.copyOf(vm.resultCard());
        Path mlp = Files.copy(TestData.FASHION_MLP, tmp.resolve("fashion_mlp.onnx"));
        workspace.add(mlp);
        assertThat(vm.resultProperty().get()).isNull();
        assertThat(vm.resultCard()).isEmpty();
        assertThat(vm.layers()).isEmpty();
        assertThat(vm.provenanceProperty().get()).isEmpty();
        assertThat(vm.outputProperty().get()).isEqualTo(tmp.resolve("fashion_mlp-int8.onnx"));
        // a failure on the MLP is shown for the MLP only
        vm.scaleProperty().set("one/255");
        vm.quantize();
        assertThat(vm.errorProperty().get()).contains("scale");
        assertThat(vm.resultCard()).isEmpty();
        workspace.select(model);
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.resultCard()).containsExactlyElementsOf(card);
        assertThat(vm.provenanceProperty().get()).startsWith("fashion_cnn.onnx");
        workspace.select(mlp);
        assertThat(vm.errorProperty().get()).contains("scale");
        vm.scaleProperty().set("1/255");
        assertThat(vm.errorProperty().get()).isEmpty();
    }
}
