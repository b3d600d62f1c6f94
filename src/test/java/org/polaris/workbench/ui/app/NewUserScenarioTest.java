package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.GridPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.Gate;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.Workspace;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the real window as a new user does: three models open, switched in every pane, jobs run, a model closed
 * during a job, a restart and Open recent, the window shrunk to 1024x700. Every step checks that what is shown
 * belongs to the selected model, that no text is cut off without a tooltip, and that nothing lands in the samples.
 */
@ExtendWith(ApplicationExtension.class)
class NewUserScenarioTest {

    /** Each working pane's model chooser. */
    private static final Map<String, String> CHOOSERS = new LinkedHashMap<>();

    static {
        CHOOSERS.put("quantize", "#quantModel");
        CHOOSERS.put("sparsity", "#sparsityModel");
        CHOOSERS.put("inference", "#inferenceModel");
        CHOOSERS.put("gpu", "#gpuModel");
    }

    private static final String[] PANES = {"models", "quantize", "sparsity", "inference", "gpu", "snn"};
    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    static Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private Workspace workspace = new Workspace();
    private TestWindow w;
    private Stage stage;
    private Path dir;
    private Path cnn;
    private Path mnist;
    private final Path mlp = TestData.FASHION_MLP.toAbsolutePath().normalize();

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        dir = Files.createTempDirectory(tmp, "user");
        cnn = Files.copy(TestData.FASHION_CNN, dir.resolve("cnn.onnx"));
        mnist = Files.copy(TestData.MNIST8, dir.resolve("mnist-8.onnx"));
        w = new TestWindow(dir, null, dialogs, workspace);
        w.show(stage, 1280, 800);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    /** Opens the models one after the other, as a user does (loads run in parallel otherwise). */
    private void open(FxRobot robot, Path... models) throws Exception {
        for (Path m : models) {
            int n = workspace.openModels().size();
            robot.interact(() -> w.models.open(m));
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == n + 1);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void openThree(FxRobot robot) throws Exception {
        open(robot, cnn, mlp, mnist);
    }

    private void show(FxRobot robot, String pane) {
        robot.clickOn("#nav-" + pane);
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** Picks {@code file} in a pane's model chooser with the mouse, as a user does. */
    private void choose(FxRobot robot, String chooser, Path file) {
        robot.clickOn(chooser);
        WaitForAsyncUtils.waitForFxEvents();
        Node cell = robot.lookup(".list-cell").<ListCell<?>>queryAll().stream()
                .filter(c -> file.getFileName().toString().equals(c.getText()) && c.getScene() != stage.getScene())
                .findFirst().orElseThrow(() -> new AssertionError(file.getFileName() + " is not in " + chooser));
        robot.clickOn(cell);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void waitIdle() throws Exception {
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> !w.tasks.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
    }

    private static List<String> listing(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.map(folder::relativize).map(Path::toString).sorted().toList();
        }
    }

    private List<String> cutTexts() {
        List<String> cut = new ArrayList<>();
        WaitForAsyncUtils.waitForFxEvents();
        try {
            WaitForAsyncUtils.asyncFx(() -> cut.addAll(TextFit.cutWithoutTooltip(stage.getScene().getRoot())))
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return cut;
    }

    @Test
    void threeModelsSwitchedInEveryPaneWithJobsAndAModelClosedMidJob(FxRobot robot) throws Exception {
        List<String> samplesBefore = listing(TestData.SAMPLES);
        openThree(robot);
        assertThat(workspace.current()).isEqualTo(mnist);

        // every pane shows the current model, and choosing one in any pane chooses it everywhere
        Path[] order = {cnn, mlp, mnist, cnn};
        int i = 0;
        for (Map.Entry<String, String> pane : CHOOSERS.entrySet()) {
            show(robot, pane.getKey());
            ComboBox<?> box = robot.lookup(pane.getValue()).queryComboBox();
            assertThat(box.getValue()).as(pane.getKey()).isEqualTo(workspace.current());
            choose(robot, pane.getValue(), order[i]);
            assertThat(workspace.current()).as(pane.getKey()).isEqualTo(order[i]);
            assertThat(cutTexts()).as("cut text in " + pane.getKey()).isEmpty();
            i++;
        }
        for (Map.Entry<String, String> pane : CHOOSERS.entrySet()) {
            show(robot, pane.getKey());
            assertThat(robot.lookup(pane.getValue()).queryComboBox().getValue()).as(pane.getKey()).isEqualTo(cnn);
        }
        show(robot, "models");
        assertThat(robot.lookup("#openModels").<ListView<?>>query().getSelectionModel().getSelectedItem())
                .hasToString("cnn.onnx");

        // a benchmark of the CNN is shown under the CNN only
        show(robot, "inference");
        robot.interact(() -> {
            w.inference.batchesProperty().set("1");
            w.inference.runsProperty().set(3);
        });
        robot.clickOn(robot.lookup(".tab-header-area").lookup("Benchmark").<Node>query());
        waitIdle();
        robot.clickOn("#inferenceBench");
        waitIdle();
        TableView<?> bench = robot.lookup("#benchTable").queryTableView();
        assertThat(bench.getItems()).hasSize(2);
        Label made = robot.lookup("#benchProvenance").queryAs(Label.class);
        assertThat(made.isVisible()).isTrue();
        assertThat(made.getText()).startsWith("Result of cnn.onnx · ONNX Runtime and Polaris engine");
        choose(robot, "#inferenceModel", mnist);
        assertThat(bench.getItems()).isEmpty();
        assertThat(made.isVisible()).isFalse();
        choose(robot, "#inferenceModel", cnn);
        assertThat(bench.getItems()).hasSize(2);
        assertThat(cutTexts()).isEmpty();

        // quantizing the bundled sample writes to the output folder; the samples folder stays as shipped
        show(robot, "quantize");
        choose(robot, "#quantModel", mlp);
        robot.interact(() -> w.quantize.evalSamplesProperty().set(200));
        waitIdle(); // a model switch starts short jobs (the Sparsity pane reads layers); buttons wait for them
        robot.clickOn("#quantizeButton");
        waitIdle();
        assertThat(w.quantize.resultProperty().get()).isNotNull();
        assertThat(w.quantize.resultProperty().get().request().output()).isEqualTo(dir.resolve("fashion_mlp-int8.onnx"));
        assertThat(robot.lookup("#quantProvenance").queryAs(Label.class).getText())
                .startsWith("Result of fashion_mlp.onnx · static int8");
        assertThat(listing(TestData.SAMPLES)).isEqualTo(samplesBefore);
        assertThat(cutTexts()).isEmpty();
        choose(robot, "#quantModel", cnn);
        assertThat(robot.lookup("#quantResultCard").<GridPane>query().isVisible()).isFalse();
        assertThat(robot.lookup("#quantLayers").queryTableView().getItems()).isEmpty();

        // closing another model while a job runs leaves the job alone; its result shows under its model
        robot.interact(() -> w.quantize.calibDataProperty().set(IDX));
        Gate held = new Gate();
        w.quantizeGate = held;
        waitIdle(); // a model switch starts short jobs (the Sparsity pane reads layers); buttons wait for them
        robot.clickOn("#quantizeButton");
        held.awaitJob();
        show(robot, "models");
        robot.clickOn(robot.lookup("#openModels").lookup("mnist-8.onnx").<Node>query());
        robot.press(KeyCode.CONTROL, KeyCode.W).release(KeyCode.W, KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(workspace.openModels()).containsExactly(cnn, mlp);
        held.open();
        waitIdle();
        assertThat(held.cancelledWhileHeld()).isFalse();
        assertThat(dir.resolve("cnn-int8.onnx")).exists();
        robot.interact(() -> workspace.select(cnn));
        show(robot, "quantize");
        assertThat(robot.lookup("#quantProvenance").queryAs(Label.class).getText()).startsWith("Result of cnn.onnx");

        // closing the model a job runs on cancels the job: nothing is written, nothing is left behind
        List<String> before = listing(dir);
        Gate closing = new Gate();
        w.quantizeGate = closing;
        waitIdle(); // a model switch starts short jobs (the Sparsity pane reads layers); buttons wait for them
        robot.clickOn("#quantizeButton");
        closing.awaitJob();
        show(robot, "models");
        assertThat(workspace.current()).isEqualTo(cnn);
        robot.press(KeyCode.CONTROL, KeyCode.W).release(KeyCode.W, KeyCode.CONTROL);
        waitIdle();
        assertThat(closing.cancelledWhileHeld()).isTrue();
        assertThat(workspace.openModels()).containsExactly(mlp);
        assertThat(listing(dir)).isEqualTo(before);
        show(robot, "quantize");
        assertThat(robot.lookup("#quantModel").queryComboBox().getValue()).isEqualTo(mlp);
        assertThat(robot.lookup("#quantProvenance").queryAs(Label.class).getText()).startsWith("Result of fashion_mlp.onnx");
    }

    @Test
    void everyPaneFitsA1024x700WindowAndNothingIsCutWithoutATooltip(FxRobot robot) throws Exception {
        openThree(robot);
        robot.interact(() -> {
            w.inference.runsProperty().set(3);
            w.inference.batchesProperty().set("1");
        });
        show(robot, "inference");
        waitIdle();
        robot.clickOn("#inferenceRun");
        waitIdle();
        for (double[] size : new double[][] {{1280, 800}, {1024, 700}}) {
            robot.interact(() -> {
                stage.setWidth(size[0]);
                stage.setHeight(size[1]);
            });
            WaitForAsyncUtils.waitForFxEvents();
            for (String pane : PANES) {
                show(robot, pane);
                assertThat(cutTexts()).as(pane + " at " + size[0] + "x" + size[1]).isEmpty();
            }
            show(robot, "quantize");
            assertInside(robot, "#quantizeButton");
            assertThat(robot.lookup("#quantLayers").queryTableView().getHeight()).isGreaterThanOrEqualTo(100);
            show(robot, "sparsity");
            assertInside(robot, "#pruneButton");
            assertThat(robot.lookup("#sparsityLayers").queryTableView().getHeight()).isGreaterThanOrEqualTo(100);
            show(robot, "inference");
            assertInside(robot, "#inferenceRun");
        }
    }

    private void assertInside(FxRobot robot, String id) {
        Node n = robot.lookup(id).query();
        javafx.geometry.Bounds b = n.localToScene(n.getBoundsInLocal());
        assertThat(b.getMinY()).as(id + " top").isGreaterThanOrEqualTo(0);
        assertThat(b.getMaxY()).as(id + " bottom").isLessThanOrEqualTo(stage.getScene().getHeight());
        assertThat(b.getMaxX()).as(id + " right").isLessThanOrEqualTo(stage.getScene().getWidth());
    }

    private static Menu menu(MenuBar bar, String text) {
        return bar.getMenus().stream().filter(m -> m.getText().replace("_", "").equals(text)).findFirst().orElseThrow();
    }

    private static Menu submenu(Menu parent, String id) {
        return (Menu) parent.getItems().stream().filter(i -> id.equals(i.getId())).findFirst().orElseThrow();
    }

    @Test
    void openRecentWorksAfterARestartAndForgetsMissingFiles(FxRobot robot) throws Exception {
        open(robot, cnn, mnist);
        MenuBar bar = robot.lookup(".menu-bar").queryAs(MenuBar.class);
        Menu recent = submenu(menu(bar, "File"), "menuRecent");
        assertThat(recent.isDisable()).isFalse();
        assertThat(recent.getItems()).extracting(MenuItem::getText).startsWith(mnist.toString(), cnn.toString());

        // a restart: a new window on the same settings
        robot.interact(() -> {
            w.close();
            workspace = new Workspace();
            w = new TestWindow(dir, null, dialogs, workspace);
            w.show(stage, 1280, 800);
        });
        WaitForAsyncUtils.waitForFxEvents();
        bar = robot.lookup(".menu-bar").queryAs(MenuBar.class);
        Menu again = submenu(menu(bar, "File"), "menuRecent");
        assertThat(again.isDisable()).isFalse();
        MenuItem first = again.getItems().get(1);
        assertThat(first.getText()).isEqualTo(cnn.toString());
        robot.interact(first::fire);
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.openModels().size() == 1);
        assertThat(workspace.current()).isEqualTo(cnn);
        // a file that is gone can be taken off the list on its own
        Files.delete(mnist);
        MenuItem removeMissing = again.getItems().stream().filter(x -> "menuRecentRemoveMissing".equals(x.getId()))
                .findFirst().orElseThrow();
        robot.interact(removeMissing::fire);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(again.getItems().stream().map(MenuItem::getText).filter(t -> t != null && t.endsWith(".onnx")))
                .containsExactly(cnn.toString());

        // Help: the user guide opens, About names the version and licence
        Menu help = menu(bar, "Help");
        MenuItem guide = help.getItems().stream().filter(x -> "menuGuide".equals(x.getId())).findFirst().orElseThrow();
        assertThat(guide.isDisable()).isFalse();
        robot.interact(guide::fire);
        assertThat(w.shownDocuments).hasSize(1).first().asString().endsWith("docs/user-guide.md");
        assertThat(AboutInfo.text()).contains("Version", "Apache License 2.0", "user-guide.md");
    }

    @Test
    void quittingDuringAJobAsksFirst(FxRobot robot) throws Exception {
        open(robot, cnn);
        show(robot, "quantize");
        Gate held = new Gate();
        w.quantizeGate = held;
        waitIdle(); // a model switch starts short jobs (the Sparsity pane reads layers); buttons wait for them
        robot.clickOn("#quantizeButton");
        held.awaitJob();
        robot.press(KeyCode.CONTROL, KeyCode.Q).release(KeyCode.Q, KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(dialogs.questions).hasSize(1).first().asString().startsWith("Quit Polaris Workbench?");
        assertThat(stage.isShowing()).isTrue();
        dialogs.confirmAnswers.add(true);
        robot.press(KeyCode.CONTROL, KeyCode.Q).release(KeyCode.Q, KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(stage.isShowing()).isFalse();
        waitIdle();
        assertThat(held.cancelledWhileHeld()).isTrue();
        assertThat(dir.resolve("cnn-int8.onnx")).doesNotExist();
    }
}
