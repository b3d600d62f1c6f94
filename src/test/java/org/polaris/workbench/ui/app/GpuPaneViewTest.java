package org.polaris.workbench.ui.app;

import javafx.scene.control.ListView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.testutil.FakeSysfs;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.gpu.GpuViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The GPU pane in the real window, fed by a fake RX 580 sysfs tree: devices, live charts, sampling stops when hidden. */
@ExtendWith(ApplicationExtension.class)
class GpuPaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private FxTaskRunner tasks;
    private GpuViewModel gpu;
    private Stage stage;

    private TestWindow w;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        Path dir = Files.createTempDirectory(tmp, "pane");
        FakeSysfs fs = new FakeSysfs(dir.resolve("root"));
        fs.rx580(0, true);
        fs.proc(100, 900, 300_000);
        w = new TestWindow(dir, fs.root(), dialogs, workspace);
        tasks = w.tasks;
        gpu = w.gpu;
        gpu.rateHzProperty().set(10);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void devicesAndLiveTelemetryWhileShownAndNothingWhileHidden(FxRobot robot) throws Exception {
        assertThat(gpu.sampling()).isFalse(); // the Models pane is showing
        robot.clickOn("#nav-gpu");
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !gpu.devices().isEmpty() || !gpu.deviceProblemProperty().get().isEmpty());
        // the list fills and its first device is selected in one FX callback: let it finish before reading the details
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(gpu.sampling()).isTrue();
        if (OpenCl.discover().available()) {
            assertThat(robot.lookup("#gpuDevices").<ListView<?>>query().getItems()).isNotEmpty();
            assertThat(robot.lookup("#gpuDetails").queryLabeled().getText()).isNotBlank();
        } else {
            assertThat(robot.lookup("#gpuProblem").queryLabeled().getText()).startsWith("No OpenCL device");
        }
        workspace.mark("Benchmarking cnn.onnx");
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> gpu.samples().size() >= 8);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(gpu.telemetryDeviceProperty().get()).isEqualTo("card0");
        assertThat(robot.lookup("#telemetryMarkers").queryLabeled().getText()).contains("Benchmarking cnn.onnx");
        if (OpenCl.discover().available()) {
            robot.interact(() -> workspace.add(TestData.FASHION_CNN));
            robot.clickOn("#gpuPlace");
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> !gpu.placement().isEmpty());
            WaitForAsyncUtils.waitForFxEvents();
            assertThat(robot.lookup("#gpuPlacement").queryTableView().getItems()).hasSize(gpu.placement().size());
            assertThat(robot.lookup("#gpuPlacementSummary").queryLabeled().getText()).contains("nodes on OpenCL");
        }
        robot.interact(() -> {
            try {
                Screenshots.save(stage.getScene(), "gpu-pane.png");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        robot.clickOn("#nav-models");
        WaitForAsyncUtils.waitForFxEvents();
        // hiding the pane stops the sampler, and stop() returns only after a sample in flight has landed
        assertThat(gpu.sampling()).isFalse();
    }
}
