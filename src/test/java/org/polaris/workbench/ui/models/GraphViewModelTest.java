package org.polaris.workbench.ui.models;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.graph.CompressionOverlay;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The graph tab's logic without a window: jobs run inline, on real models and real runs. */
class GraphViewModelTest {

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private ModelsViewModel models;
    private GraphViewModel vm;

    @BeforeEach
    void setUp() {
        models = new ModelsViewModel(new ModelInspector(), new InlineTaskRunner(), dialogs,
                new SettingsStore(tmp.resolve("settings.json")), new SampleCatalog(TestData.SAMPLES), workspace);
        vm = models.graph();
    }

    private static String edge(ModelGraph g, String from, String to) {
        return g.edges().stream().filter(e -> e.from().equals(from) && e.to().equals(to)).findFirst().orElseThrow().shape();
    }

    @Test
    void openingAModelLaysOutItsGraphWithShapesFromARun() {
        models.open(TestData.FASHION_CNN);
        ModelGraph g = vm.levelProperty().get();
        assertThat(g.nodes()).hasSize(12);
        assertThat(vm.layoutProperty().get().boxes()).hasSize(12);
        assertThat(vm.breadcrumb()).containsExactly("fashion_cnn.onnx");
        assertThat(edge(g, "/conv1/Conv", "/Relu")).isEqualTo("1x16x28x28");
        assertThat(edge(g, "/fc2/Gemm", "output:logits")).isEqualTo("1x10");
        assertThat(vm.statusProperty().get()).matches("10 operators, 11 edges · layout \\d+ ms");
    }

    @Test
    void searchSelectsAndCyclesThroughMatches() {
        models.open(TestData.FASHION_CNN);
        int before = vm.centerRequestsProperty().get();
        vm.searchProperty().set("relu");
        assertThat(vm.matches()).extracting(GraphNode::id).containsExactly("/Relu", "/Relu_1", "/Relu_2");
        assertThat(vm.selectedProperty().get().id()).isEqualTo("/Relu");
        vm.findNext();
        vm.findNext();
        vm.findNext();
        assertThat(vm.selectedProperty().get().id()).isEqualTo("/Relu");
        assertThat(vm.centerRequestsProperty().get()).isEqualTo(before + 4);
        vm.searchProperty().set("fc1.weight");
        assertThat(vm.matches()).extracting(GraphNode::id).containsExactly("/fc1/Gemm");
    }

    @Test
    void detailsListAttributesTensorsAndWeightStatistics() {
        models.open(TestData.FASHION_CNN);
        vm.selectedProperty().set(vm.levelProperty().get().node("/conv2/Conv").orElseThrow());
        NodeDetails d = vm.detailsProperty().get();
        assertThat(d.rows()).anyMatch(r -> r[0].equals("kernel_shape") && r[1].equals("[3, 3]"));
        assertThat(d.rows()).anyMatch(r -> r[0].equals("in: /MaxPool_output_0") && r[1].equals("1x16x14x14"));
        assertThat(d.rows()).anyMatch(r -> r[0].equals("out: /conv2/Conv_output_0") && r[1].equals("1x32x14x14"));
        assertThat(d.weights()).extracting(w -> w.name()).containsExactly("onnx::Conv_35", "onnx::Conv_36");
        assertThat(d.weights().get(0).count()).isEqualTo(32 * 16 * 9);
    }

    @Test
    void weightsAndNodesLeadToEachOther() {
        models.open(TestData.FASHION_CNN);
        assertThat(vm.revealWeight("fc1.weight")).isTrue();
        assertThat(vm.selectedProperty().get().id()).isEqualTo("/fc1/Gemm");
        assertThat(vm.tabProperty().get()).isEqualTo("graph");
        vm.showInWeights(vm.detailsProperty().get().weights().get(0));
        assertThat(models.selectedWeightProperty().get().name()).isEqualTo("fc1.weight");
        assertThat(vm.tabProperty().get()).isEqualTo("weights");
        assertThat(vm.revealWeight("no such weight")).isFalse();
    }

    @Test
    void subgraphsOpenAsNestedLevelsAndWeightsInsideThemAreFound() {
        Path loop = TestData.CONFORMANCE.resolve("node/test_loop11/model.onnx");
        models.open(loop);
        GraphNode node = vm.levelProperty().get().node("Loop#0").orElseThrow();
        vm.enter(node, "body");
        assertThat(vm.levelProperty().get().path()).containsExactly("Loop#0", "body");
        assertThat(vm.breadcrumb()).containsExactly("model.onnx", "Loop#0 › body");
        assertThat(vm.layoutProperty().get().boxes()).hasSize(vm.levelProperty().get().nodes().size());
        vm.up();
        assertThat(vm.levelProperty().get().path()).isEmpty();
        // the Slice's constant lives in the body: revealing it opens the body
        assertThat(vm.revealWeight("x")).isTrue();
        assertThat(vm.breadcrumb()).containsExactly("model.onnx", "Loop#0 › body");
        assertThat(vm.selectedProperty().get().id()).isEqualTo("Slice#6");
        vm.goTo(0);
        assertThat(vm.breadcrumb()).containsExactly("model.onnx");
    }

    @Test
    void overlaysComeFromRealRunsAndCarryTheirSource() {
        models.open(TestData.FASHION_CNN);
        vm.overlayKindProperty().set(Overlay.Kind.COMPRESSION);
        Overlay c = vm.overlayProperty().get();
        assertThat(c.marks().keySet()).containsExactlyInAnyOrder("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(c.marks().values()).allMatch(m -> m.rgb() == CompressionOverlay.Precision.FLOAT32.rgb());

        vm.overlayKindProperty().set(Overlay.Kind.TIME);
        Overlay t = vm.overlayProperty().get();
        assertThat(t.source()).startsWith("engine profile of fashion_cnn.onnx");
        assertThat(t.marks()).containsKeys("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(t.highlighted()).isNotEmpty();
        vm.timeRuntimeProperty().set(Runtimes.Kind.ORT);
        assertThat(vm.overlayProperty().get().source()).startsWith("ONNX Runtime profile of fashion_cnn.onnx");

        vm.overlayKindProperty().set(Overlay.Kind.SENSITIVITY);
        assertThat(vm.overlayProperty().get().marks()).isEmpty();
        assertThat(vm.overlayProperty().get().note()).startsWith("no sensitivity scan of this model yet");
        workspace.recordSensitivity(TestData.FASHION_CNN.toAbsolutePath(), new Workspace.Sensitivity(
                Map.of("/conv2/Conv", 0.3, "/fc1/Gemm", 0.1), "1 - cosine", "test scan"));
        vm.overlayKindProperty().set(Overlay.Kind.NONE);
        vm.overlayKindProperty().set(Overlay.Kind.SENSITIVITY);
        assertThat(vm.overlayProperty().get().marks().keySet()).containsExactlyInAnyOrder("/conv2/Conv", "/fc1/Gemm");
        assertThat(vm.overlayProperty().get().source()).isEqualTo("test scan");

        // the details show the overlay's value for the node
        vm.selectedProperty().set(vm.levelProperty().get().node("/conv2/Conv").orElseThrow());
        assertThat(vm.detailsProperty().get().overlay()).isEqualTo("Sensitivity: 1 - cosine: 0.3000");
    }

    @Test
    void exportWritesTheLevelAsSvgButNeverOverTheModel() throws Exception {
        Path model = Files.copy(TestData.FASHION_CNN, tmp.resolve("cnn.onnx"));
        models.open(model);
        Path out = tmp.resolve("cnn-graph.svg");
        dialogs.saveAnswers.add(out);
        vm.exportSvg();
        assertThat(Files.readString(out)).startsWith("<svg").contains(">/conv1/Conv</title>", ">Conv</text>");
        assertThat(vm.statusProperty().get()).isEqualTo("Wrote " + out);
        long size = Files.size(model);
        dialogs.saveAnswers.add(model);
        vm.exportSvg();
        assertThat(Files.size(model)).isEqualTo(size);
        assertThat(vm.statusProperty().get()).isEqualTo("Will not write over the model " + model);
        Path png = tmp.resolve("view.png");
        dialogs.saveAnswers.add(png);
        vm.exportPng(new int[] {0xFF000000, 0xFFFFFFFF, 0xFFFF0000, 0xFF00FF00}, 2, 2);
        assertThat(javax.imageio.ImageIO.read(png.toFile()).getRGB(1, 1)).isEqualTo(0xFF00FF00);
    }
}
