package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.inference.InferenceViewModel;
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

    private TestWindow w;

    @Start
    void start(Stage stage) throws Exception {
        workspace.add(TestData.FASHION_CNN);
        w = new TestWindow(Files.createTempDirectory(tmp, "pane"), null, dialogs, workspace);
        tasks = w.tasks;
        inference = w.inference;
        inference.runsProperty().set(5);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void runBenchmarkAndProfileFromThePane(FxRobot robot) throws Exception {
        robot.clickOn("#nav-inference");
        dialogs.dataAnswers.add(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"));
        robot.clickOn("File…");
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
        // the paired ratio of the two runtimes per batch size, shown under the table
        javafx.scene.control.Label ratios = robot.lookup("#benchRatios").queryAs(javafx.scene.control.Label.class);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, ratios::isVisible);
        assertThat(ratios.getText().lines().toList()).hasSize(2)
                .allMatch(l -> l.matches("\\w+ / \\w+, batch [12], 1 thread\\(s\\): .*x \\(block ratios .*\\)"));

        robot.clickOn(robot.lookup(".tab-header-area").lookup("Profile").<Node>query());
        robot.clickOn("#inferenceProfile");
        TableView<?> ops = robot.lookup("#opShares").queryTableView();
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !ops.getItems().isEmpty());
        assertThat(robot.lookup("#slowestNodes").queryTableView().getItems()).isNotEmpty();
    }
}
