package org.polaris.workbench.ui.app;

import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
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
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives the real main window (headless Monocle in CI): open a sample, see the right rows, filter, fail cleanly. */
@ExtendWith(ApplicationExtension.class)
class MainWindowViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final List<Path> chooserAnswer = dialogs.modelFiles;
    private FxTaskRunner tasks;
    private final Workspace workspace = new Workspace();
    private ModelsViewModel vm;

    private TestWindow w;

    @Start
    void start(Stage stage) throws Exception {
        w = new TestWindow(Files.createTempDirectory(tmp, "settings"), null, dialogs, workspace);
        tasks = w.tasks;
        vm = w.models;
        w.show(stage, 1200, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void openSampleShowsSignatureAndWeights(FxRobot robot) throws Exception {
        chooserAnswer.add(TestData.MNIST8);
        robot.clickOn("#openButton");
        TableView<?> io = robot.lookup("#ioTable").queryTableView();
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> io.getItems().size() == 2);
        assertThat(robot.lookup("#openModels").<ListView<?>>query().getItems()).hasSize(1);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("Input3").tryQuery()).isPresent();

        // The summary card also has a "Weights" label: click the tab header's one.
        robot.clickOn(robot.lookup(".tab-header-area").lookup("Weights").<javafx.scene.Node>query());
        TableView<?> weights = robot.lookup("#weightsTable").queryTableView();
        assertThat(weights.getItems()).hasSize(8);
        robot.clickOn("#weightFilter").write("parameter8");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(weights.getItems()).hasSize(2);
        robot.clickOn("Parameter87");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(vm.selectedWeightProperty().get().name()).isEqualTo("Parameter87");
        assertThat(robot.lookup("#recentFiles").<ListView<?>>query().getItems()).hasSize(1);
    }

    @Test
    void keyboardShortcutOpensAndBadFileShowsBanner(FxRobot robot) throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.onnx"), "garbage");
        chooserAnswer.add(bad);
        robot.press(KeyCode.CONTROL, KeyCode.O).release(KeyCode.O, KeyCode.CONTROL);
        Label message = robot.lookup("#errorMessage").queryAs(Label.class);
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !message.getText().isEmpty());
        assertThat(message.getText()).contains("bad.onnx").contains("not an ONNX model");
        assertThat(message.getParent().isVisible()).isTrue();
        robot.clickOn("Dismiss");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(message.getParent().isVisible()).isFalse();
    }
}
