package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;
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

/** Drives the Inference pane in the real window: run a dataset sample, benchmark both runtimes, profile. */
@ExtendWith(ApplicationExtension.class)
class InferencePaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private FxTaskRunner tasks;
    private InferenceViewModel inference;

    @Start
    void start(Stage stage) throws Exception {
        tasks = new FxTaskRunner();
        Path dir = Files.createTempDirectory(tmp, "pane");
        SettingsStore settings = new SettingsStore(dir.resolve("settings.json"));
        workspace.openModels().add(TestData.FASHION_CNN);
        ModelsViewModel models = new ModelsViewModel(new ModelInspector(), tasks, dialogs, settings,
                new SampleCatalog(TestData.SAMPLES), workspace);
        QuantizeViewModel quantize = new QuantizeViewModel(new QuantizeService(), tasks, dialogs, settings, workspace);
        inference = new InferenceViewModel(new InferenceService(), tasks, dialogs, workspace);
        inference.runsProperty().set(5);
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
    void runBenchmarkAndProfileFromThePane(FxRobot robot) throws Exception {
        robot.clickOn("#nav-inference");
        dialogs.dataAnswers.add(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"));
        robot.clickOn("IDX file…");
        robot.clickOn("#inferenceRun");
        TableView<?> predictions = robot.lookup("#predictions").queryTableView();
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> predictions.getItems().size() == 5);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#runSummary").queryLabeled().getText()).contains("label 9 (Ankle boot)");
        assertThat(robot.lookup("Ankle boot").tryQuery()).isPresent();

        robot.clickOn(robot.lookup(".tab-header-area").lookup("Benchmark").<Node>query());
        robot.clickOn("#benchBatches").eraseText(10).write("1,2");
        robot.clickOn("#inferenceBench");
        TableView<?> bench = robot.lookup("#benchTable").queryTableView();
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> bench.getItems().size() == 4);

        robot.clickOn(robot.lookup(".tab-header-area").lookup("Profile").<Node>query());
        robot.clickOn("#inferenceProfile");
        TableView<?> ops = robot.lookup("#opShares").queryTableView();
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !ops.getItems().isEmpty());
        assertThat(robot.lookup("#slowestNodes").queryTableView().getItems()).isNotEmpty();
    }
}
