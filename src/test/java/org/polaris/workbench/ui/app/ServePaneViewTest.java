package org.polaris.workbench.ui.app;

import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.serve.TrafficLog;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.serve.ServeView;
import org.polaris.workbench.ui.serve.ServeViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The Serve pane in the real window: start, traffic drawn each second while shown, models table, curl, stop. */
@ExtendWith(ApplicationExtension.class)
class ServePaneViewTest {

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private Stage stage;
    private TestWindow w;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        w = new TestWindow(Files.createTempDirectory(tmp, "pane"), null, dialogs, workspace);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private ServeView view(FxRobot robot) {
        return robot.lookup("#serveView").query();
    }

    @Test
    void startServeWatchTrafficAndStop(FxRobot robot) throws Exception {
        robot.interact(() -> {
            w.models.open(TestData.FASHION_CNN);
            w.models.open(TestData.FASHION_MLP);
        });
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 2 && !w.tasks.runningProperty().get());
        robot.clickOn("#nav-serve");
        ServeViewModel vm = w.serve;
        robot.interact(() -> vm.portProperty().set(0));
        assertThat(view(robot).redrawing()).isTrue();
        robot.clickOn("#serveStart");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#serveStatus").queryLabeled().getText()).isEqualTo("Serving at " + vm.urlProperty().get());
        TableView<ServeViewModel.ModelRow> table = robot.lookup("#serveModels").queryTableView();
        assertThat(table.getItems()).extracting(ServeViewModel.ModelRow::name).containsExactly("fashion_cnn", "fashion_mlp");

        // four clients for a few seconds: the charts fill second by second
        HttpClient client = HttpClient.newHttpClient();
        String body = "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":"
                + java.util.Arrays.toString(new float[784]) + "}]}";
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failed = new AtomicInteger();
        Thread[] load = new Thread[4];
        for (int t = 0; t < load.length; t++) {
            load[t] = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(vm.urlProperty().get()
                                + "/v2/models/fashion_cnn/infer")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) failed.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
            });
            load[t].start();
        }
        // the user guide's screenshot shows a longer stretch of traffic
        int seconds = System.getProperty("polaris.screenshots", "").isBlank() ? 4 : 30;
        try {
            WaitForAsyncUtils.waitFor(seconds + 30, TimeUnit.SECONDS,
                    () -> vm.traffic(60).stream().filter(s -> s.requests() > 0).count() >= seconds);
        } finally {
            stop.set(true);
            for (Thread t : load) t.join(10_000);
        }
        assertThat(failed.get()).isZero();
        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> view(robot).pointsShown() == ServeView.WINDOW);
        assertThat(vm.traffic(60).stream().mapToDouble(TrafficLog.Second::p50Ms).filter(x -> !Double.isNaN(x)).count())
                .isGreaterThanOrEqualTo(4);

        robot.interact(() -> table.getSelectionModel().select(0));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#serveCurl").queryTextInputControl().getText())
                .startsWith("curl -s " + vm.urlProperty().get() + "/v2/models/fashion_cnn/infer");
        WaitForAsyncUtils.waitForFxEvents();
        javafx.application.Platform.runLater(() -> {
            try {
                Screenshots.save(stage.getScene(), "serve-pane.png");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        WaitForAsyncUtils.waitForFxEvents();

        // hidden: no redraw timer; the server keeps serving
        ServeView shown = view(robot);
        robot.clickOn("#nav-models");
        assertThat(shown.redrawing()).isFalse();
        assertThat(vm.runningProperty().get()).isTrue();
        robot.clickOn("#nav-serve");
        robot.clickOn("#serveStop");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(table.getItems()).isEmpty();
        assertThat(robot.lookup("#serveStatus").queryLabeled().getText()).isEqualTo("Stopped: no socket is open.");
    }
}
