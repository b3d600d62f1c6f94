package org.polaris.workbench.ui.app;

import javafx.scene.canvas.Canvas;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableView;
import javafx.scene.layout.GridPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.sparsity.SparsityViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives the Sparsity pane in the real window: pick data, prune, inspect a layer's mask, measure the crossover. */
@ExtendWith(ApplicationExtension.class)
class SparsityPaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private FxTaskRunner tasks;
    private ModelsViewModel models;
    private SparsityViewModel sparsity;
    private Path model;
    private Stage stage;

    private TestWindow w;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        Path dir = Files.createTempDirectory(tmp, "pane");
        model = Files.copy(TestData.FASHION_CNN, dir.resolve("cnn.onnx"));
        w = new TestWindow(dir, null, dialogs, workspace);
        tasks = w.tasks;
        models = w.models;
        sparsity = w.sparsity;
        sparsity.evalSamplesProperty().set(500);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    /** Share of canvas pixels that are not the background: the mask was drawn. */
    @Test
    void pruneFromThePaneAndInspectMaskAndCrossover(FxRobot robot) throws Exception {
        robot.interact(() -> models.open(model));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        robot.clickOn("#nav-sparsity");
        TableView<?> layers = robot.lookup("#sparsityLayers").queryTableView();
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> layers.getItems().size() == 4);
        assertThat(robot.lookup("#sparsityOutput").queryLabeled().getText()).endsWith("cnn-pruned.onnx");

        dialogs.dataAnswers.add(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"));
        robot.clickOn("#sparsityIdx");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#sparsityDataLabel").queryLabeled().getText()).startsWith("t10k-2000");

        robot.interact(() -> sparsity.sparsityProperty().set(0.7));
        javafx.scene.control.CheckBox refit = robot.lookup("#sparsityRefit").query();
        robot.interact(refit::fire);
        assertThat(sparsity.refitProperty().get()).isTrue();
        assertThat(robot.lookup("#sparsityRefitData").queryLabeled().getText()).contains("the evaluation data");
        robot.clickOn("#pruneButton");
        WaitForAsyncUtils.waitFor(90, TimeUnit.SECONDS, () -> sparsity.resultProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        GridPane card = robot.lookup("#sparsityResultCard").query();
        assertThat(card.getChildren()).isNotEmpty();
        assertThat(robot.lookup("Accuracy").tryQuery()).isPresent();
        assertThat(robot.lookup("Re-fit").tryQuery()).isPresent();
        assertThat(sparsity.resultProperty().get().refit()).anyMatch(l -> l.refit());
        assertThat(model.resolveSibling("cnn-pruned.onnx")).exists();

        robot.clickOn("/fc1/Gemm");
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> sparsity.maskProperty().get().title().contains("/fc1/Gemm"));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#maskTitle").queryLabeled().getText()).contains("/fc1/Gemm", "after pruning");
        Canvas canvas = robot.lookup("#maskCanvas").query();
        double[] shared = new double[1];
        robot.interact(() -> shared[0] = Screenshots.ink(canvas, 0.9, 4));
        assertThat(shared[0]).isBetween(0.05, 0.95);
        robot.interact(() -> {
            try {
                Screenshots.save(stage.getScene(), "sparsity-pane.png");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        TabPane charts = robot.lookup("#sparsityCharts").query();
        robot.interact(() -> charts.getSelectionModel().select(2));
        robot.clickOn("#measureCrossover");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> sparsity.crossoverProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#crossoverSummary").queryLabeled().getText()).contains("CSR beats");
        assertThat(sparsity.crossoverProperty().get().rows()).isEqualTo(64);
    }
}
