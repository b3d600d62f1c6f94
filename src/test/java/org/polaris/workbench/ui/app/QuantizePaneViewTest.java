package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.ListView;
import javafx.scene.control.TableView;
import javafx.scene.layout.GridPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.ui.inference.InferenceViewModel;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.quantize.QuantizeViewModel;
import org.polaris.workbench.ui.sparsity.SparsityViewModel;
import org.polaris.workbench.engine.sparsity.PruneService;
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

    @Start
    void start(Stage stage) throws Exception {
        tasks = new FxTaskRunner();
        Path dir = Files.createTempDirectory(tmp, "pane");
        model = Files.copy(TestData.FASHION_CNN, dir.resolve("cnn.onnx"));
        SettingsStore settings = new SettingsStore(dir.resolve("settings.json"));
        models = new ModelsViewModel(new ModelInspector(), tasks, dialogs, settings, new SampleCatalog(TestData.SAMPLES),
                workspace);
        quantize = new QuantizeViewModel(new QuantizeService(), tasks, dialogs, settings, workspace);
        quantize.evalSamplesProperty().set(400);
        InferenceViewModel inference = new InferenceViewModel(new InferenceService(), tasks, dialogs, workspace);
        stage.setScene(new Scene(new MainWindow(models, quantize, new SparsityViewModel(new PruneService(), tasks, dialogs,
                new SettingsStore(tmp.resolve("sparsity-settings.json")), workspace), inference,
                new org.polaris.workbench.ui.gpu.GpuViewModel(tasks, dialogs, workspace, new org.polaris.workbench.engine.telemetry.TelemetrySampler(
                        java.nio.file.Path.of("/nonexistent"), 60, false, System::currentTimeMillis), org.polaris.workbench.engine.opencl.OpenCl::discover),
                tasks, stage::close), 1280, 800));
        stage.show();
    }

    @AfterEach
    void tearDown() {
        tasks.close();
    }

    @Test
    void quantizeAModelFromTheModelsPaneAndOpenTheResult(FxRobot robot) throws Exception {
        robot.interact(() -> models.open(model));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        robot.clickOn("#nav-quantize");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#quantOutput").queryLabeled().getText()).endsWith("cnn-int8.onnx");

        dialogs.dataAnswers.add(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"));
        Node idxButton = robot.lookup("IDX file…").queryAll().iterator().next();
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
