package org.polaris.workbench.ui.diff;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.graph.DiffReport;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The Compare pane's logic without a window: jobs run inline on the Fashion CNN and its static INT8 version. */
class DiffViewModelTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    static Path shared;

    private static Path int8;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private DiffViewModel vm;

    @BeforeAll
    static void quantize() {
        int8 = shared.resolve("cnn-int8.onnx");
        CliRun q = CliRun.of("quantize", TestData.FASHION_CNN.toString(), "-o", int8.toString(), "--calib-data",
                IMAGES.toString(), "--calib-samples", "64", "--eval-samples", "32", "--no-speed-check");
        assertThat(q.code()).as(q.err()).isZero();
    }

    @BeforeEach
    void setUp() {
        vm = new DiffViewModel(new InlineTaskRunner(), dialogs, workspace);
    }

    @Test
    void resultCardComparisonRunsBothModelsOnTheEvaluationSample() {
        int shown = vm.showRequestsProperty().get();
        workspace.compare(TestData.FASHION_CNN, int8, IMAGES);

        assertThat(vm.showRequestsProperty().get()).isEqualTo(shown + 1);
        assertThat(vm.errorProperty().get()).isEmpty();
        DiffReport r = vm.resultProperty().get().report();
        assertThat(r.matchedByName()).isEqualTo(10);
        assertThat(r.removed()).isZero();
        // every added node is a QuantizeLinear/DequantizeLinear, and every one of those is reported as added
        Set<String> qdq = vm.resultProperty().get().graphB().nodes().stream()
                .filter(n -> n.opType().equals("QuantizeLinear") || n.opType().equals("DequantizeLinear")).map(GraphNode::id).collect(Collectors.toSet());
        assertThat(vm.rows().stream().filter(x -> x.match() == DiffReport.Match.ADDED).map(DiffReport.Row::nodeB)
                .collect(Collectors.toSet())).isEqualTo(qdq).isNotEmpty();
        assertThat(vm.provenanceProperty().get()).startsWith("fashion_cnn.onnx · compared with cnn-int8.onnx")
                .contains("t10k-2000-images-idx3-ubyte.gz").contains("sample 0");
        // both overlays mark the added nodes on B's side only
        Overlay b = vm.resultProperty().get().overlayB();
        assertThat(qdq).allMatch(id -> b.marks().containsKey(id));
        assertThat(vm.resultProperty().get().overlayA().marks().keySet()).doesNotContainAnyElementsOf(qdq);
    }

    @Test
    void chosenSampleFeedsBothModelsAndClearingFallsBackToTheInputsTable() {
        vm.modelAProperty().set(TestData.FASHION_CNN);
        vm.modelBProperty().set(int8);
        dialogs.dataAnswers.add(IMAGES);
        vm.chooseData(false);
        vm.sampleProperty().set(7);
        vm.compare();
        assertThat(vm.provenanceProperty().get()).contains("sample 7");
        double cosineOnSample7 = vm.rows().stream().filter(x -> "/fc2/Gemm".equals(x.nodeA())).findFirst()
                .map(DiffReport.Row::cosine).filter(Objects::nonNull).orElseThrow();

        vm.clearData();
        vm.compare();
        assertThat(vm.provenanceProperty().get()).contains("random").doesNotContain("t10k");
        double cosineOnRandom = vm.rows().stream().filter(x -> "/fc2/Gemm".equals(x.nodeA())).findFirst()
                .map(DiffReport.Row::cosine).filter(Objects::nonNull).orElseThrow();
        // calibrated on Fashion-MNIST, the INT8 model follows the original more closely on a real image than on noise
        assertThat(cosineOnSample7).isGreaterThan(cosineOnRandom);
    }

    @Test
    void oneFilePickedIsComparedWithTheCurrentModel() {
        workspace.add(TestData.FASHION_CNN);
        dialogs.modelFiles.add(int8);
        vm.chooseAndCompare();
        assertThat(vm.modelAProperty().get()).isEqualTo(TestData.FASHION_CNN);
        assertThat(vm.modelBProperty().get()).isEqualTo(int8);
        assertThat(vm.rows()).isNotEmpty();
        assertThat(vm.errorProperty().get()).isEmpty();
    }

    @Test
    void anUnreadableModelIsAnErrorNamingTheFile() throws Exception {
        Path broken = java.nio.file.Files.writeString(shared.resolve("broken.onnx"), "not a model");
        workspace.compare(TestData.FASHION_CNN, broken, null);
        assertThat(vm.errorProperty().get()).contains("broken.onnx");
        assertThat(vm.resultProperty().get()).isNull();
        assertThat(vm.rows()).isEmpty();
    }
}
