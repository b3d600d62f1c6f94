package org.polaris.workbench.ui.app;

import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.train.TrainCurves;
import org.polaris.workbench.ui.train.TrainView;
import org.polaris.workbench.ui.train.TrainViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Train pane in the real window: pause, resume and cancel a run; a RigL run's curves, layers and churn map. */
@ExtendWith(ApplicationExtension.class)
class TrainPaneViewTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private Stage stage;
    private TestWindow w;
    private Path dir;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        dir = Files.createTempDirectory(tmp, "pane");
        w = new TestWindow(dir, null, dialogs, workspace);
        w.show(stage, 1400, 900);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private TrainView view(FxRobot robot) {
        return robot.lookup("#trainView").query();
    }

    private void open(FxRobot robot, Path model) throws Exception {
        robot.interact(() -> w.models.open(model));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.current() != null && !w.tasks.runningProperty().get());
        robot.clickOn("#nav-train");
    }

    private long lastStep(FxRobot robot) {
        robot.interact(() -> w.train.refresh());
        return w.train.curvesProperty().get().lastStep();
    }

    @Test
    void pauseHoldsTheRunResumeGoesOnAndCancelLeavesNothing(FxRobot robot) throws Exception {
        open(robot, TestData.FASHION_CNN);
        TrainViewModel vm = w.train;
        robot.interact(() -> {
            dialogs.dataAnswers.add(IDX);
            vm.chooseTrainData(false);
            vm.methodProperty().set("dense");
            vm.batchProperty().set(8);
            vm.epochsProperty().set(3);
        });
        Path out = vm.outputProperty().get();
        assertThat(out).isEqualTo(dir.resolve("fashion_cnn-trained.onnx"));
        robot.clickOn("#trainButton");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> lastStep(robot) >= 5);
        robot.clickOn("#trainPause");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, vm::held);
        long held = lastStep(robot);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#trainPause").queryButton().getText()).isEqualTo("Resume");
        assertThat(robot.lookup("#trainStatus").queryLabeled().getText()).startsWith("Paused at epoch 1, step " + held);
        assertThat(vm.held()).isTrue();
        assertThat(lastStep(robot)).isEqualTo(held);

        robot.clickOn("#trainPause");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> lastStep(robot) > held);
        robot.clickOn("#trainCancel");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !vm.trainingProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#trainStatus").queryLabeled().getText()).isEqualTo("Cancelled");
        assertThat(vm.resultProperty().get()).isNull();
        assertThat(out).doesNotExist();
        assertThat(robot.lookup("#trainButton").queryButton().isDisabled()).isFalse();
    }

    @Test
    void aRiglRunDrawsItsCurvesLayersAndChurn(FxRobot robot) throws Exception {
        open(robot, TestData.FASHION_MLP);
        TrainViewModel vm = w.train;
        // the user guide's screenshot shows a run on the whole Fashion-MNIST training set (Debian's), when present
        Path debian = Path.of("/usr/share/datasets/fashion-mnist");
        boolean screenshot = !System.getProperty("polaris.screenshots", "").isBlank()
                && Files.exists(debian.resolve("train-images-idx3-ubyte.gz"));
        robot.interact(() -> {
            dialogs.dataAnswers.add(screenshot ? debian.resolve("train-images-idx3-ubyte.gz") : IDX);
            vm.chooseTrainData(false);
            dialogs.dataAnswers.add(screenshot ? debian.resolve("t10k-images-idx3-ubyte.gz") : IDX);
            vm.chooseEvalData(false);
            vm.methodProperty().set("rigl");
            vm.sparsityProperty().set(0.9);
            vm.allocationProperty().set(Allocation.Strategy.ERK);
            vm.updateEveryProperty().set(screenshot ? 100 : 10);
            vm.batchProperty().set(screenshot ? 64 : 32);
            vm.epochsProperty().set(screenshot ? 3 : 2);
        });
        TrainView view = view(robot);
        assertThat(view.refreshing()).isTrue();
        robot.clickOn("#trainButton");
        WaitForAsyncUtils.waitFor(300, TimeUnit.SECONDS, () -> vm.resultProperty().get() != null);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> view.lossPoints() == vm.curvesProperty().get().steps().length);
        if (!screenshot) assertThat(view.lossPoints()).isEqualTo(63 * 2); // 2000 samples in batches of 32, 2 epochs
        TableView<TrainCurves.LayerRow> layers = robot.lookup("#trainLayers").queryTableView();
        assertThat(layers.getItems()).extracting(TrainCurves.LayerRow::layer).containsExactly("fc1.weight", "fc2.weight", "fc3.weight");
        robot.interact(() -> layers.getSelectionModel().select(1));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(view.churnShown().layer()).isEqualTo("fc2.weight");
        assertThat(view.churnShown().updates()).isEqualTo(vm.layers().get(1).updates()).isPositive();
        javafx.scene.canvas.Canvas canvas = robot.lookup("#trainChurn").query();
        assertThat(robot.lookup("#trainChurnTitle").queryLabeled().getText()).isEqualTo("Mask churn of fc2.weight");
        double[] ink = new double[1];
        robot.interact(() -> ink[0] = Screenshots.ink(canvas, 0.95, 3));
        assertThat(ink[0]).isGreaterThan(0.05);
        assertThat(robot.lookup("#trainResultCard").query().isVisible()).isTrue();
        assertThat(robot.lookup("#trainStatus").queryLabeled().getText()).startsWith("Done: accuracy ");
        WaitForAsyncUtils.waitForFxEvents();
        javafx.application.Platform.runLater(() -> {
            try {
                Screenshots.save(stage.getScene(), "train-pane.png");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        WaitForAsyncUtils.waitForFxEvents();

        robot.clickOn("#openTrainResult");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 2);
        assertThat(workspace.openModels()).contains(dir.resolve("fashion_mlp-rigl90.onnx"));
        robot.clickOn("#nav-models");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(view.refreshing()).isFalse(); // hidden: the timer stopped
    }
}
