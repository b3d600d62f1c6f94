package org.polaris.workbench.ui.app;

import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.search.Candidate;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.Screenshots;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.search.SearchView;
import org.polaris.workbench.ui.search.SearchViewModel;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Search pane in the real window: a search fills the scatter and the table; a click on a point shows its card. */
@ExtendWith(ApplicationExtension.class)
class SearchPaneViewTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

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
        w.show(stage, 1400, 900);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void searchDrawsTheCandidatesAndAClickShowsACard(FxRobot robot) throws Exception {
        // the user guide's screenshot searches the CNN's whole default space
        boolean screenshot = !System.getProperty("polaris.screenshots", "").isBlank();
        robot.interact(() -> w.models.open(screenshot ? TestData.FASHION_CNN : TestData.FASHION_MLP));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> workspace.current() != null && !w.tasks.runningProperty().get());
        robot.clickOn("#nav-search");
        SearchViewModel vm = w.search;
        robot.interact(() -> {
            dialogs.dataAnswers.add(IDX);
            vm.chooseEvalData(false);
            vm.form().evalSamplesProperty().set(screenshot ? 2000 : 300);
            if (!screenshot) {
                for (Candidate.Kind k : Candidate.Kind.values()) {
                    vm.kindProperty(k).set(k == Candidate.Kind.STATIC_INT8 || k == Candidate.Kind.PRUNE);
                }
                vm.sparsitiesProperty().set("0.5");
                vm.refitProperty().set(false);
            }
        });
        SearchView view = robot.lookup("#searchView").query();
        assertThat(view.refreshing()).isTrue();
        robot.clickOn("#searchButton");
        WaitForAsyncUtils.waitFor(300, TimeUnit.SECONDS, () -> vm.reportProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        long evaluated = vm.candidates().stream().filter(c -> c.status() == CompressionSearch.Status.EVALUATED).count();
        // three calibrations, per-tensor, signed activations, the ones the signals add keeping sensitive layers in
        // float, pruning to 50%
        long kept = vm.candidates().stream().filter(c -> c.id().contains("-keep")).count();
        if (!screenshot) assertThat(vm.candidates()).hasSize(6 + (int) kept);
        javafx.scene.control.Label signals = robot.lookup("#searchSignals").query();
        assertThat(signals.isVisible()).isTrue();
        // the signals use up to 1,000 of the evaluation samples
        assertThat(signals.getText()).startsWith("Signals (" + (screenshot ? 1000 : 300) + " samples, ")
                .contains("INT8 one layer at a time, most sensitive /");
        assertThat(view.pointsShown()).isEqualTo((int) evaluated).isPositive();

        // a click on a point that is not selected selects it and fills the card
        CompressionSearch.CandidateResult target = vm.candidates().stream()
                .filter(c -> c.status() == CompressionSearch.Status.EVALUATED && !c.id().equals(String.valueOf(vm.reportProperty().get().chosen())))
                .findFirst().orElseThrow();
        double[] at = view.pointOf(target);
        // candidates drawn on the same spot (equal accuracy and speed) are equally right answers
        java.util.List<String> there = vm.candidates().stream().filter(c -> c.status() == CompressionSearch.Status.EVALUATED)
                .filter(c -> { double[] p = view.pointOf(c); return Math.hypot(p[0] - at[0], p[1] - at[1]) < 1; })
                .map(CompressionSearch.CandidateResult::id).toList();
        robot.clickOn(at[0], at[1]);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(there).contains(target.id());
        assertThat(vm.selectedProperty().get().id()).isIn(there);
        assertThat(robot.lookup("#searchCard").query().isVisible()).isTrue();
        assertThat(robot.lookup("#searchOpen").queryButton().isDisabled()).isFalse();
        javafx.application.Platform.runLater(() -> {
            try {
                Screenshots.save(stage.getScene(), "search-pane.png");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        WaitForAsyncUtils.waitForFxEvents();
        robot.clickOn("#nav-models");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(view.refreshing()).isFalse();
    }
}
