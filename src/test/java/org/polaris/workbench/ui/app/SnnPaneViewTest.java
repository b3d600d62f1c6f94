package org.polaris.workbench.ui.app;

import javafx.scene.canvas.Canvas;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.snn.LiveSimulation;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.snn.SnnViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The SNN pane in the real window: run, watch the raster fill, pause and step, learn with STDP, stop when hidden. */
@ExtendWith(ApplicationExtension.class)
class SnnPaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private TestWindow w;
    private SnnViewModel snn;
    private Stage stage;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        w = new TestWindow(Files.createTempDirectory(tmp, "pane"), null, dialogs, workspace);
        snn = w.snn;
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void runWatchPauseStepLearnAndStopWhenHidden(FxRobot robot) throws Exception {
        robot.clickOn("#nav-snn");
        robot.clickOn("#snnRun");
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> snn.simulation().stats().steps() > 600);
        Canvas raster = robot.lookup("#snnRaster").query();
        double[] ink = new double[1];
        // the raster is redrawn on pulses: wait for a frame with the spikes in it
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> {
            robot.interact(() -> ink[0] = Screenshots.ink(raster, 0.6, 2));
            return ink[0] > 0.005;
        });
        assertThat(ink[0]).isGreaterThan(0.005);
        assertThat(robot.lookup("#snnRasterTitle").queryLabeled().getText()).contains("spikes shown");

        // a busy raster: 5,000 hidden neurons driven hard, about 100k spikes per simulated second
        robot.interact(() -> {
            snn.hiddenProperty().set(5000);
            snn.inputHzProperty().set(200);
            snn.speedProperty().set(20);
        });
        robot.clickOn("#snnRun");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> snn.simulation().stats().steps() > 1500);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS,
                () -> robot.lookup("#snnRasterTitle").queryLabeled().getText().contains("drawn in"));
        String busy = robot.lookup("#snnRasterTitle").queryLabeled().getText();
        assertThat(busy).contains("drawn in");
        System.out.println("SNN raster under load: " + busy + "; simulated rate " + snn.simulation().stats().spikes() * 1000L
                / Math.max(1, snn.simulation().stats().steps()) + " spikes per simulated second");
        robot.clickOn("#snnPause");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(snn.advancing()).isFalse();
        int steps = snn.simulation().stats().steps();
        robot.clickOn("#snnStep");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(snn.simulation().stats().steps()).isEqualTo(steps + 1);

        robot.interact(() -> snn.templateProperty().set(LiveSimulation.Template.STDP));
        robot.interact(() -> snn.speedProperty().set(100));
        robot.clickOn("#snnRun");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> snn.simulation().stats().steps() > 8000);
        WaitForAsyncUtils.waitForFxEvents();
        float[] wts = snn.simulation().weights();
        double pattern = 0;
        double noise = 0;
        for (int i = 0; i < wts.length; i++) {
            if (i < 20) pattern += wts[i] / 20;
            else noise += wts[i] / 80;
        }
        assertThat(pattern).isGreaterThan(noise);
        robot.interact(() -> {
            try {
                Screenshots.save(stage.getScene(), "snn-pane.png");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        robot.clickOn("#nav-models");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(snn.advancing()).isFalse();
    }
}
