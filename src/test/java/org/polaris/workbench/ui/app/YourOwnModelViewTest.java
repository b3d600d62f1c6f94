package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.InputSource;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.ShapeSpec;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.testutil.CorpusModels;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.ui.common.Workspace;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user's own model in the real window: a two-input model with dynamic height and width gets its shape and the
 * second input's source in the Inputs table, runs in the Inference pane (every output listed), and quantizes in the
 * Quantize pane with the same table, remembered for the model; a segmenter's output map shows as a heat map.
 */
@ExtendWith(ApplicationExtension.class)
class YourOwnModelViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private TestWindow w;
    private Path dir;

    @Start
    void start(Stage stage) throws Exception {
        dir = Files.createTempDirectory(tmp, "own");
        w = new TestWindow(dir, null, dialogs, workspace);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    /** Double-clicks the cell of {@code row} in column {@code column}, types {@code text} and commits with Enter. */
    private static void edit(FxRobot robot, String table, String row, String column, String text) {
        TableView<?> t = robot.lookup(table).queryTableView();
        Node cell = robot.from(t).lookup(".table-cell").match((TableCell<?, ?> c) -> c.getTableRow() != null
                && c.getTableRow().getItem() != null
                && row.equals(((org.polaris.workbench.ui.common.InputRow) c.getTableRow().getItem()).name())
                && column.equals(c.getTableColumn().getText())).query();
        robot.doubleClickOn(cell).write(text).type(javafx.scene.input.KeyCode.ENTER);
        WaitForAsyncUtils.waitForFxEvents();
    }

    @Test
    void aMultiInputModelWithADynamicShapeRunsAndQuantizesFromTheInputsTable(FxRobot robot) throws Exception {
        Path model = CorpusModels.get("two_inputs");
        robot.interact(() -> w.models.open(model));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        robot.clickOn("#nav-inference");
        WaitForAsyncUtils.waitForFxEvents();
        TableView<?> inputs = robot.lookup("#inferenceInputs").queryTableView();
        assertThat(inputs.getItems()).hasSize(2);
        robot.clickOn("#inferenceRun");
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !robot.lookup("#inferenceError").tryQuery().isEmpty()
                && !robot.lookup("#inferenceError").queryLabeled().getText().isEmpty());
        assertThat(robot.lookup("#inferenceError").queryLabeled().getText()).contains("image=1x3x<height>x<width>");

        edit(robot, "#inferenceInputs", "image", "Shape", "1x3x40x56");
        edit(robot, "#inferenceInputs", "gain", "Source", "value:0.5");
        robot.clickOn("#inferenceRun");
        TableView<?> outputs = robot.lookup("#outputsTable").queryTableView();
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> outputs.getItems().size() == 1);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#predictions").queryTableView().getItems()).hasSize(5);
        assertThat(robot.lookup("#runProvenance").queryLabeled().getText())
                .contains("inputs image 1x3x40x56, gain value:0.5");

        robot.clickOn("#nav-quantize");
        WaitForAsyncUtils.waitForFxEvents();
        TableView<?> same = robot.lookup("#quantInputs").queryTableView();
        assertThat(same.getItems()).isSameAs(inputs.getItems());
        robot.clickOn("#quantizeButton");
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> w.quantize.resultProperty().get() != null
                || !w.quantize.errorProperty().get().isEmpty());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(w.quantize.errorProperty().get()).isEmpty();
        Path out = w.quantize.resultProperty().get().request().output();
        assertThat(out).exists();
        assertThat(robot.lookup("#quantProvenance").queryLabeled().getText()).contains("inputs image 1x3x40x56");
        // the written model in a fresh ONNX Runtime session, on the table's inputs, against the original
        var m = new org.polaris.workbench.engine.model.OnnxModelReader().read(model);
        Map<String, Tensor> feeds = InputPlan.resolve(m.graph().feedInputs(), new InputPlan.Request(
                List.of(ShapeSpec.parse("image=1x3x40x56")), List.of(InputSource.parseBinding("gain=value:0.5")),
                Preprocessing.unitScale(), 0), java.util.Set.of()).feeds(1);
        float[] a = OrtSessions.run(Files.readAllBytes(model), feeds).get("scores").toFloats();
        float[] b = OrtSessions.run(Files.readAllBytes(out), feeds).get("scores").toFloats();
        assertThat(org.polaris.workbench.engine.quant.QuantMath.cosine(a, b)).isGreaterThan(0.9);
    }

    @Test
    void aSegmentersOutputMapShowsAsAHeatMap(FxRobot robot) throws Exception {
        Path model = CorpusModels.get("lraspp_mobilenet_v3");
        robot.interact(() -> w.models.open(model));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        robot.clickOn("#nav-inference");
        WaitForAsyncUtils.waitForFxEvents();
        edit(robot, "#inferenceInputs", "image", "Shape", "1x3x64x80");
        robot.clickOn("#inferenceRun");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> w.inference.heatMapProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#heatMapTitle").queryLabeled().getText())
                .startsWith("out [1, 21, 64, 80] (max over 21 channels)");
        assertThat(robot.lookup("#predictions").queryTableView().getItems()).isEmpty();
        assertThat(robot.lookup("#predictions").queryTableView().isVisible())
                .as("no class-score output: the top-classes table gives way to the outputs").isFalse();
    }
}
