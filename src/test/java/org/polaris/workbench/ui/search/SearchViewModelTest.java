package org.polaris.workbench.ui.search;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.search.Candidate;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Search pane's logic with the real engine, without any window or FX toolkit. */
class SearchViewModelTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private final List<Path> opened = new ArrayList<>();
    private final List<Path[]> compared = new ArrayList<>();
    private Path model;
    private SearchViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        model = Files.copy(TestData.FASHION_MLP, tmp.resolve("fashion_mlp.onnx"));
        workspace.setOpener(opened::add);
        workspace.setComparer((a, b, data) -> compared.add(new Path[] {a, b, data}));
        workspace.add(model);
        SettingsStore store = new SettingsStore(tmp.resolve("settings.json"));
        store.get().outputDirectory = tmp.toString();
        vm = new SearchViewModel(new InlineTaskRunner(), dialogs, store, workspace);
        vm.form().evalSamplesProperty().set(300);
    }

    @Test
    void aSearchListsEveryCandidateSelectsTheChosenAndItsFileCanBeOpenedComparedAndSaved() throws Exception {
        assertThat(vm.canSearchProperty().get()).isFalse(); // no evaluation data yet
        dialogs.dataAnswers.add(IDX);
        vm.chooseEvalData(false);
        for (Candidate.Kind k : Candidate.Kind.values()) vm.kindProperty(k).set(k == Candidate.Kind.STATIC_INT8);
        assertThat(vm.form().outputProperty().get()).isEqualTo(tmp.resolve("fashion_mlp-best.onnx"));
        vm.search();
        assertThat(vm.errorProperty().get()).isEmpty();
        CompressionSearch.Report r = vm.reportProperty().get();
        // (the signals may add keep-in-float candidates; CompressionSearchTest checks which)
        assertThat(vm.candidates().stream().map(CompressionSearch.CandidateResult::id).filter(id -> !id.contains("-keep")))
                .containsExactly("static-int8-percentile", "static-int8-minmax", "static-int8-entropy",
                        "static-int8-percentile-per-tensor", "static-int8-percentile-s8");
        assertThat(vm.signalsProperty().get()).startsWith("Signals (");
        assertThat(vm.provenanceProperty().get()).contains("fashion_mlp.onnx").contains("fastest within 1 point, on t10k-2000-images-idx3-ubyte.gz, timed on the CPU");
        if (r.chosen() != null) {
            assertThat(vm.selectedProperty().get().id()).isEqualTo(r.chosen());
            assertThat(vm.statusProperty().get()).startsWith("Wrote " + tmp.resolve("fashion_mlp-best.onnx"));
            assertThat(tmp.resolve("fashion_mlp-best.onnx")).exists();
        } else {
            assertThat(vm.statusProperty().get()).isEqualTo(r.message());
            vm.selectedProperty().set(vm.candidates().get(0));
        }
        CompressionSearch.CandidateResult sel = vm.selectedProperty().get();
        assertThat(vm.card()).extracting(row -> row[0]).containsExactly("Candidate", "Settings", "Status", "Accuracy",
                "Agreement", "Latency", "Size", "Within tolerance", "On the frontier");
        assertThat(vm.selectedHasFile()).isTrue();
        vm.openSelected();
        assertThat(opened).hasSize(1);
        assertThat(opened.get(0).getFileName().toString()).isEqualTo(sel.id() + ".onnx");
        assertThat(Files.size(opened.get(0))).isEqualTo(sel.bytes());
        vm.compareSelected();
        assertThat(compared.get(0)[0]).isEqualTo(model);
        assertThat(compared.get(0)[1]).isEqualTo(opened.get(0));
        assertThat(compared.get(0)[2]).isEqualTo(IDX);
        Path saved = tmp.resolve("kept.onnx");
        dialogs.saveAnswers.add(saved);
        vm.saveSelected();
        assertThat(Files.readAllBytes(saved)).isEqualTo(Files.readAllBytes(opened.get(0)));
        assertThat(vm.statusProperty().get()).isEqualTo("Saved " + sel.id() + " as " + saved);
    }

    @Test
    void latencyOnTheGpuReachesTheSearchAndIsRemembered() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.polaris.workbench.engine.opencl.OpenCl.discover().available(),
                "no OpenCL device");
        dialogs.dataAnswers.add(IDX);
        vm.chooseEvalData(false);
        for (Candidate.Kind k : Candidate.Kind.values()) vm.kindProperty(k).set(k == Candidate.Kind.FP16);
        vm.deviceProperty().set(org.polaris.workbench.engine.exec.EngineSession.Device.GPU);
        vm.search();
        assertThat(vm.errorProperty().get()).isEmpty();
        CompressionSearch.Report r = vm.reportProperty().get();
        assertThat(r.device()).isEqualTo("the engine on the OpenCL GPU (and 1 CPU thread)");
        assertThat(r.candidates()).extracting(CompressionSearch.CandidateResult::id).containsExactly("fp16");
        assertThat(vm.provenanceProperty().get()).contains("timed on the OpenCL GPU");
        vm.selectedProperty().set(r.candidates().get(0));
        assertThat(vm.card().stream().filter(row -> row[0].equals("Latency")).findFirst().orElseThrow()[1])
                .endsWith("on the engine on the OpenCL GPU (and 1 CPU thread))");
        // the choice is saved with the other settings and comes back in a new pane
        SearchViewModel again = new SearchViewModel(new InlineTaskRunner(), dialogs,
                new SettingsStore(tmp.resolve("settings.json")), workspace);
        assertThat(again.deviceProperty().get()).isEqualTo(org.polaris.workbench.engine.exec.EngineSession.Device.GPU);
    }

    @Test
    void aBadSpaceIsRefusedBeforeAnythingRuns() {
        dialogs.dataAnswers.add(IDX);
        vm.chooseEvalData(false);
        vm.sparsitiesProperty().set("0.5, half");
        vm.search();
        assertThat(vm.errorProperty().get()).isEqualTo("sparsities: 'half' is not a number");
        vm.sparsitiesProperty().set("0.5");
        for (Candidate.Kind k : Candidate.Kind.values()) vm.kindProperty(k).set(false);
        vm.search();
        assertThat(vm.errorProperty().get()).isEqualTo("choose at least one kind of candidate");
        assertThat(vm.candidates()).isEmpty();
        assertThat(vm.reportProperty().get()).isNull();
    }
}
