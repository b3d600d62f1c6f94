package org.polaris.workbench.ui.app;

import javafx.scene.Scene;
import javafx.stage.Stage;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.gpu.GpuViewModel;
import org.polaris.workbench.ui.inference.InferenceViewModel;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.quantize.QuantizeViewModel;
import org.polaris.workbench.ui.snn.SnnViewModel;
import org.polaris.workbench.ui.sparsity.SparsityViewModel;

import java.nio.file.Path;

/**
 * The real main window with every pane's ViewModel on the real engine, as the app composes it, for the TestFX
 * tests: settings in {@code dir}, telemetry from {@code sysfsRoot} (a fake tree, or nowhere).
 */
final class TestWindow {

    final FxTaskRunner tasks = new FxTaskRunner();
    final ModelsViewModel models;
    final QuantizeViewModel quantize;
    final SparsityViewModel sparsity;
    final InferenceViewModel inference;
    final GpuViewModel gpu;
    final SnnViewModel snn;
    final org.polaris.workbench.ui.diff.DiffViewModel diff;
    final org.polaris.workbench.ui.serve.ServeViewModel serve;
    final org.polaris.workbench.ui.train.TrainViewModel train;
    final org.polaris.workbench.ui.search.SearchViewModel search;
    final ScriptedDialogs dialogs;
    /** When set, the next quantization waits there first (see {@link org.polaris.workbench.testutil.Gate}). */
    volatile org.polaris.workbench.testutil.Gate quantizeGate;
    final java.util.List<String> shownDocuments = new java.util.ArrayList<>();

    TestWindow(Path dir, Path sysfsRoot, ScriptedDialogs dialogs, Workspace workspace) {
        this.dialogs = dialogs;
        SettingsStore settings = new SettingsStore(dir.resolve("settings.json"));
        // outputs go to the test's folder (the standard output folder is the user's Documents)
        settings.get().outputDirectory = dir.toString();
        models = new ModelsViewModel(new ModelInspector(), tasks, dialogs, settings, new SampleCatalog(TestData.SAMPLES), workspace);
        QuantizeService real = new QuantizeService();
        quantize = new QuantizeViewModel((r, p, c) -> {
            org.polaris.workbench.testutil.Gate g = quantizeGate;
            if (g != null) {
                g.pass(c);
            }
            return real.run(r, p, c);
        }, tasks, dialogs, settings, workspace);
        sparsity = new SparsityViewModel(new PruneService(), tasks, dialogs, settings, workspace);
        inference = new InferenceViewModel(new InferenceService(), tasks, dialogs, workspace);
        snn = new SnnViewModel(tasks, dialogs, workspace);
        diff = new org.polaris.workbench.ui.diff.DiffViewModel(tasks, dialogs, workspace);
        serve = new org.polaris.workbench.ui.serve.ServeViewModel(tasks, dialogs, settings, workspace);
        train = new org.polaris.workbench.ui.train.TrainViewModel(new org.polaris.workbench.engine.train.TrainService(),
                tasks, dialogs, settings, workspace);
        search = new org.polaris.workbench.ui.search.SearchViewModel(tasks, dialogs, settings, workspace);
        gpu = new GpuViewModel(tasks, dialogs, workspace, new TelemetrySampler(sysfsRoot != null ? sysfsRoot
                : dir.resolve("no-sysfs"), 600, false, System::currentTimeMillis), OpenCl::discover);
    }

    void show(Stage stage, double width, double height) {
        stage.setScene(new Scene(new MainWindow(models, quantize, sparsity, inference, gpu, snn, diff, serve, train, search, tasks,
                new QuitGuard(tasks, dialogs, stage::close), shownDocuments::add), width, height));
        stage.show();
    }

    void close() {
        serve.close();
        gpu.close();
        snn.close();
        tasks.close();
    }
}
