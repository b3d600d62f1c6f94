package org.polaris.workbench.ui.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.polaris.workbench.engine.inference.BenchResult;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Inference pane's logic with both real runtimes, without a window. */
class InferenceViewModelTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private InferenceViewModel vm;

    @BeforeEach
    void setUp() {
        workspace.add(TestData.FASHION_CNN);
        vm = new InferenceViewModel(new InferenceService(), new InlineTaskRunner(), dialogs, workspace);
    }

    @Test
    void runsADatasetSampleOnBothRuntimesWithTheSameAnswer() {
        dialogs.dataAnswers.add(IDX);
        vm.chooseDataset(false);
        vm.indexProperty().set(3);
        vm.run();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.runSummaryProperty().get()).contains("label 1 (Trouser)");
        int ortTop = vm.predictions().get(0).index();
        float ortScore = vm.predictions().get(0).score();
        vm.runtimeProperty().set(Runtimes.Kind.ENGINE);
        vm.run();
        assertThat(vm.predictions().get(0).index()).isEqualTo(ortTop).isEqualTo(1);
        assertThat((double) vm.predictions().get(0).score()).isCloseTo(ortScore, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(vm.predictions()).hasSize(5);
    }

    @Test
    void benchmarkComparesRuntimesAcrossBatchesAndExports() throws Exception {
        vm.batchesProperty().set("1, 4");
        vm.runsProperty().set(5);
        vm.benchmark();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.benchResults()).hasSize(4);
        assertThat(vm.benchResults()).extracting(r -> r.runtime()).containsExactly("ort", "ort", "engine", "engine");
        assertThat(vm.benchResults()).allMatch(r -> r.p50Ms() > 0 && r.p50Ms() <= r.p99Ms() && r.samplesMs().length == 5);
        // the engine against ORT per batch size, from the blocks timed together, as the CLI prints it
        assertThat(vm.benchRatiosProperty().get().split("\n"))
                .hasSize(2)
                .satisfiesExactly(
                        l -> assertThat(l).matches("engine / ort, batch 1, 1 thread\\(s\\): \\d+\\.\\d\\dx \\(block ratios .*\\)"),
                        l -> assertThat(l).matches("engine / ort, batch 4, 1 thread\\(s\\): \\d+\\.\\d\\dx \\(block ratios .*\\)"));
        long[] h = vm.latencyHistogram(vm.benchResults().get(0), 10);
        assertThat(Arrays.stream(h).sum()).isEqualTo(5);
        Path csv = tmp.resolve("bench.csv");
        dialogs.saveAnswers.add(csv);
        vm.exportBenchmark(true);
        assertThat(Files.readAllLines(csv)).hasSize(5).first().asString().startsWith("runtime,batch");
        Path json = tmp.resolve("bench.json");
        dialogs.saveAnswers.add(json);
        vm.exportBenchmark(false);
        var doc = new ObjectMapper().readTree(json.toFile());
        assertThat(doc.get("configurations")).hasSize(4);
        assertThat(doc.get("ratios")).hasSize(2);
        assertThat(doc.get("ratios").get(1).get("batch").asInt()).isEqualTo(4);
        assertThat(doc.get("ratios").get(1).get("baseline").asText()).isEqualTo("ort");
    }

    @Test
    void profileBreaksDownByOpType() {
        vm.runtimeProperty().set(Runtimes.Kind.ENGINE);
        vm.profile();
        assertThat(vm.opShares()).extracting(OpShare::opType).contains("Conv", "Gemm");
        assertThat(vm.opShares().stream().mapToDouble(OpShare::share).sum())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(vm.slowestNodes()).isNotEmpty();
    }

    @Test
    void badSettingsGiveMessagesNotExceptions() {
        vm.batchesProperty().set("1,x");
        vm.benchmark();
        assertThat(vm.errorProperty().get()).contains("batch sizes");
        vm.sourceProperty().set(InputSource.IMAGE);
        vm.run();
        assertThat(vm.errorProperty().get()).contains("choose an image");
        assertThatThrownBy(() -> InferenceViewModel.parseBatches("0")).hasMessageContaining("1 to 4096");
    }

    @Test
    void eachModelShowsItsOwnResultsWithTheModelAndSettingsThatMadeThem() {
        vm.batchesProperty().set("1");
        vm.runsProperty().set(3);
        vm.compareRuntimesProperty().set(false);
        vm.benchmark();
        vm.run();
        assertThat(vm.benchProvenanceProperty().get()).startsWith("fashion_cnn.onnx · ONNX Runtime, 1 thread, random input");
        assertThat(vm.benchRatiosProperty().get()).as("one runtime: nothing to compare").isEmpty();
        assertThat(vm.runSummaryProperty().get()).startsWith("fashion_cnn.onnx on ONNX Runtime");
        List<BenchResult> cnnBench = List.copyOf(vm.benchResults());
        // another model: nothing of the CNN's is shown under it
        workspace.add(TestData.FASHION_MLP);
        assertThat(vm.modelProperty().get()).isEqualTo(TestData.FASHION_MLP);
        assertThat(vm.benchResults()).isEmpty();
        assertThat(vm.benchProvenanceProperty().get()).isEmpty();
        assertThat(vm.runSummaryProperty().get()).isEmpty();
        assertThat(vm.predictions()).isEmpty();
        vm.batchesProperty().set("1,x");
        vm.benchmark();
        assertThat(vm.errorProperty().get()).contains("batch sizes");
        // back to the CNN: its table, and not the MLP's error
        workspace.select(TestData.FASHION_CNN);
        assertThat(vm.benchResults()).containsExactlyElementsOf(cnnBench);
        assertThat(vm.errorProperty().get()).isEmpty();
        workspace.select(TestData.FASHION_MLP);
        assertThat(vm.errorProperty().get()).contains("batch sizes");
        // an error goes once the setting it was about changes
        vm.batchesProperty().set("1");
        assertThat(vm.errorProperty().get()).isEmpty();
        // closing the CNN forgets its results
        workspace.remove(TestData.FASHION_CNN);
        workspace.add(TestData.FASHION_CNN);
        assertThat(vm.benchResults()).isEmpty();
    }
}
