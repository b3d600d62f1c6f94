package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.control.ListView;
import javafx.scene.control.TableView;
import javafx.scene.layout.GridPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.quantize.QuantizeViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives the Quantize pane in the real window: pick data, quantize, inspect layers, open the result. */
@ExtendWith(ApplicationExtension.class)
class QuantizePaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private FxTaskRunner tasks;
    private ModelsViewModel models;
    private QuantizeViewModel quantize;
    private Path model;

    private TestWindow w;

    @Start
    void start(Stage stage) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "pane");
        model = Files.copy(TestData.FASHION_CNN, dir.resolve("cnn.onnx"));
        w = new TestWindow(dir, null, dialogs, workspace);
        tasks = w.tasks;
        models = w.models;
        quantize = w.quantize;
        quantize.evalSamplesProperty().set(400);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void quantizeAModelFromTheModelsPaneAndOpenTheResult(FxRobot robot) throws Exception {
        robot.interact(() -> models.open(model));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        robot.clickOn("#nav-quantize");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#quantOutput").queryLabeled().getText()).endsWith("cnn-int8.onnx");

        dialogs.dataAnswers.add(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"));
        Node idxButton = robot.lookup("Data file…").queryAll().iterator().next();
        robot.clickOn(idxButton);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#calibDataLabel").queryLabeled().getText()).startsWith("t10k-2000");

        robot.clickOn("#quantizeButton");
        TableView<?> layers = robot.lookup("#quantLayers").queryTableView();
        WaitForAsyncUtils.waitFor(90, TimeUnit.SECONDS, () -> layers.getItems().size() == 4);
        WaitForAsyncUtils.waitForFxEvents();
        GridPane card = robot.lookup("#quantResultCard").query();
        assertThat(card.getChildren()).isNotEmpty();
        assertThat(robot.lookup("Accuracy").tryQuery()).isPresent();
        assertThat(model.resolveSibling("cnn-int8.onnx")).exists();

        robot.clickOn("/conv2/Conv");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(quantize.histogramProperty().get().counts()).isNotEmpty();

        robot.clickOn("#openQuantResult");
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> workspace.openModels().size() == 2);
        robot.clickOn("#nav-models");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#openModels").<ListView<?>>query().getItems()).hasSize(2);
    }
}
