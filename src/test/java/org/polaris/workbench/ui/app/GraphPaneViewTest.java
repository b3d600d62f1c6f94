package org.polaris.workbench.ui.app;

import javafx.geometry.Point2D;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.GraphCanvas;
import org.polaris.workbench.ui.common.Workspace;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The graph tab and the Compare pane in the real window: draw, click, pan, zoom, search, overlays, subgraphs, diff. */
@ExtendWith(ApplicationExtension.class)
class GraphPaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private TestWindow w;
    private Stage stage;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        w = new TestWindow(Files.createTempDirectory(tmp, "graph"), null, dialogs, workspace);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private void idle() throws Exception {
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> !w.tasks.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void shot(String name) {
        WaitForAsyncUtils.waitForFxEvents();
        javafx.application.Platform.runLater(() -> {
            try {
                Screenshots.save(stage.getScene(), name);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        WaitForAsyncUtils.waitForFxEvents();
    }

    private Point2D onScreen(GraphCanvas c, String id) {
        Point2D p = c.pointOf(id).orElseThrow();
        return c.localToScreen(p);
    }

    @Test
    void drawClickPanZoomSearchAndOverlays(FxRobot robot) throws Exception {
        robot.interact(() -> w.models.open(TestData.FASHION_CNN));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        idle();
        robot.clickOn("#graphTab");
        idle();
        GraphCanvas canvas = robot.lookup("#graphCanvas").query();
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> canvas.drawnNodes() > 0);
        assertThat(WaitForAsyncUtils.asyncFx(() -> Screenshots.ink(canvas.canvas(), 0.5, 3)).get()).isGreaterThan(0.001);

        // click a node: its details
        robot.clickOn(onScreen(canvas, "/conv2/Conv"), MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#nodeTitle").queryLabeled().getText()).isEqualTo("Conv  /conv2/Conv");
        assertThat(w.models.graph().selectedProperty().get().id()).isEqualTo("/conv2/Conv");

        // keyboard and wheel zoom and pan; every redraw is timed
        int frames = canvas.frames();
        double scale = canvas.scale();
        robot.clickOn(canvas).type(KeyCode.EQUALS).type(KeyCode.EQUALS);
        assertThat(canvas.scale()).isCloseTo(scale * 1.5625, org.assertj.core.data.Offset.offset(1e-9));
        Point2D before = canvas.pointOf("/conv2/Conv").orElseThrow();
        robot.type(KeyCode.LEFT);
        assertThat(canvas.pointOf("/conv2/Conv").orElseThrow().getX()).isEqualTo(before.getX() + 60);
        robot.moveTo(canvas).scroll(2);
        robot.drag(canvas).moveBy(40, 30).release(MouseButton.PRIMARY);
        robot.type(KeyCode.DIGIT0);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(canvas.frames()).isGreaterThan(frames + 5);
        assertThat(java.util.Arrays.stream(canvas.frameMillis(5)).boxed().toList()).hasSize(5).allMatch(ms -> ms >= 0);

        // search
        robot.clickOn("#graphSearch").write("relu");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#graphMatches").queryLabeled().getText()).isEqualTo("3 found");
        assertThat(w.models.graph().selectedProperty().get().id()).isEqualTo("/Relu");
        robot.type(KeyCode.ENTER);
        assertThat(w.models.graph().selectedProperty().get().id()).isEqualTo("/Relu_1");

        // overlays: the legend is always shown with one
        ComboBox<Overlay.Kind> overlay = robot.lookup("#graphOverlay").queryComboBox();
        robot.interact(() -> overlay.setValue(Overlay.Kind.COMPRESSION));
        idle();
        VBox legend = robot.lookup("#graphLegend").query();
        assertThat(legend.isVisible()).isTrue();
        assertThat(legend.getChildren()).anyMatch(n -> n instanceof javafx.scene.layout.HBox h
                && ((Label) h.getChildren().get(1)).getText().equals("float32 (4)"));
        shot("graph-compression.png");
        robot.interact(() -> overlay.setValue(Overlay.Kind.TIME));
        idle();
        assertThat(w.models.graph().overlayProperty().get().marks()).containsKeys("/conv1/Conv", "/fc1/Gemm");
        assertThat(((Label) legend.getChildren().get(0)).getText()).isEqualTo("▾ Time");
        robot.clickOn(legend.getChildren().get(0));
        assertThat(legend.getChildren()).hasSize(1);
        assertThat(((Label) legend.getChildren().get(0)).getText()).isEqualTo("▸ Time");
        shot("graph-time.png");
        robot.interact(() -> overlay.setValue(Overlay.Kind.NONE));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(legend.isVisible()).isFalse();

        // Weights tab and back
        robot.clickOn("#graphSearch").eraseText(4).write("fc1.weight");
        robot.clickOn(robot.lookup("Show in Weights tab").queryButton());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(w.models.selectedWeightProperty().get().name()).isEqualTo("fc1.weight");
        robot.clickOn("#weightInGraph");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(w.models.graph().tabProperty().get()).isEqualTo("graph");
        assertThat(w.models.graph().selectedProperty().get().id()).isEqualTo("/fc1/Gemm");
    }

    @Test
    void subgraphsOpenOnDoubleClickAndTheBreadcrumbGoesBack(FxRobot robot) throws Exception {
        robot.interact(() -> w.models.open(TestData.CONFORMANCE.resolve("node/test_loop11/model.onnx")));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        idle();
        robot.clickOn("#graphTab");
        idle();
        GraphCanvas canvas = robot.lookup("#graphCanvas").query();
        robot.doubleClickOn(onScreen(canvas, "Loop#0"), MouseButton.PRIMARY);
        idle();
        assertThat(w.models.graph().breadcrumb()).containsExactly("model.onnx", "Loop#0 › body");
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> canvas.nodeById("Slice#6").isPresent());
        robot.clickOn(robot.lookup("#graphBreadcrumb").lookup("model.onnx").<javafx.scene.Node>query());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(w.models.graph().breadcrumb()).containsExactly("model.onnx");
    }

    @Test
    void compareShowsBothGraphsAndTheNodeTable(FxRobot robot) throws Exception {
        Path pruned = tmp.resolve("cnn-pruned.onnx");
        assertThat(CliRun.of("prune", TestData.FASHION_CNN.toString(), "-o", pruned.toString(), "--sparsity", "0.5",
                "--eval-samples", "50").code()).isZero();
        robot.interact(() -> workspace.compare(TestData.FASHION_CNN, pruned, TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz")));
        idle();
        assertThat(robot.lookup("#nav-compare").queryAs(javafx.scene.control.ToggleButton.class).isSelected()).isTrue();
        TableView<?> table = robot.lookup("#diffTable").queryTableView();
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> table.getItems().size() == 10);
        assertThat(robot.lookup("#diffSummary").queryLabeled().getText())
                .startsWith("fashion_cnn.onnx: 10 operators, cnn-pruned.onnx: 10 · matched 10 by name, 0 by structure");
        // the result card's data set feeds both models, and the provenance line says so
        assertThat(robot.lookup("#diffProvenance").queryLabeled().getText()).contains("t10k-2000-images-idx3-ubyte.gz")
                .contains("sample 0").doesNotContain("random");
        GraphCanvas a = robot.lookup("#diffCanvasA").query();
        GraphCanvas b = robot.lookup("#diffCanvasB").query();
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> a.drawnNodes() > 0 && b.drawnNodes() > 0);
        // synchronized pan
        Point2D pa = a.pointOf("/conv2/Conv").orElseThrow();
        Point2D pb = b.pointOf("/conv2/Conv").orElseThrow();
        robot.interact(() -> a.panBy(25, -40));
        assertThat(b.pointOf("/conv2/Conv").orElseThrow()).isEqualTo(pb.add(25, -40));
        assertThat(a.pointOf("/conv2/Conv").orElseThrow()).isEqualTo(pa.add(25, -40));
        // a node click selects its row (centred first: the graph may be taller than its half of the pane)
        robot.interact(() -> a.center("/fc1/Gemm"));
        assertThat(a.getLayoutBounds().contains(a.pointOf("/fc1/Gemm").orElseThrow())).isTrue();
        robot.clickOn(onScreen(a, "/fc1/Gemm"), MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(w.diff.selectedRowProperty().get().nodeA()).isEqualTo("/fc1/Gemm");
        shot("compare-pane.png");
    }
}
