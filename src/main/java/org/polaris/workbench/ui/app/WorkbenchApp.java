package org.polaris.workbench.ui.app;

import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.scene.image.Image;
import javafx.stage.Stage;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.ui.common.FxTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.Settings;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.ui.inference.InferenceViewModel;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.quantize.QuantizeViewModel;
import org.polaris.workbench.ui.sparsity.SparsityViewModel;
import org.polaris.workbench.ui.gpu.GpuViewModel;
import org.polaris.workbench.ui.snn.SnnViewModel;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/** The JavaFX application and composition root: builds engine services, ViewModels and the main window. */
public final class WorkbenchApp extends Application {

    private static final Logger LOG = LoggerFactory.getLogger(WorkbenchApp.class);

    private FxTaskRunner tasks;
    private SettingsStore settings;
    private Stage stage;

    static void launchApp(String[] args) {
        Application.launch(WorkbenchApp.class, args);
    }

    @Override
    public void start(Stage primaryStage) {
        this.stage = primaryStage;
        settings = SettingsStore.forCurrentUser();
        tasks = new FxTaskRunner();
        FxDialogService dialogs = new FxDialogService(() -> stage);
        Workspace workspace = new Workspace();
        ModelsViewModel models = new ModelsViewModel(new ModelInspector(), tasks, dialogs, settings,
                SampleCatalog.fromEnvironment(), workspace);
        QuantizeViewModel quantize = new QuantizeViewModel(new QuantizeService(), tasks, dialogs, settings, workspace);
        InferenceViewModel inference = new InferenceViewModel(new InferenceService(), tasks, dialogs, workspace);
        SparsityViewModel sparsity = new SparsityViewModel(new PruneService(), tasks, dialogs, settings, workspace);
        gpu = new GpuViewModel(tasks, dialogs, workspace,
                org.polaris.workbench.engine.telemetry.TelemetrySampler.system(),
                org.polaris.workbench.engine.opencl.OpenCl::discover);
        snn = new SnnViewModel(tasks, dialogs, workspace);
        quitGuard = new QuitGuard(tasks, dialogs, this::quit);
        org.polaris.workbench.ui.diff.DiffViewModel diff = new org.polaris.workbench.ui.diff.DiffViewModel(tasks, dialogs, workspace);
        serve = new org.polaris.workbench.ui.serve.ServeViewModel(tasks, dialogs, settings, workspace);
        org.polaris.workbench.ui.train.TrainViewModel train = new org.polaris.workbench.ui.train.TrainViewModel(
                new org.polaris.workbench.engine.train.TrainService(), tasks, dialogs, settings, workspace);
        org.polaris.workbench.ui.search.SearchViewModel search = new org.polaris.workbench.ui.search.SearchViewModel(tasks,
                dialogs, settings, workspace);
        MainWindow window = new MainWindow(models, quantize, sparsity, inference, gpu, snn, diff, serve, train, search, tasks, quitGuard,
                getHostServices()::showDocument);
        Settings s = settings.get();
        javafx.geometry.Rectangle2D screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        WindowBounds bounds = WindowBounds.initial(s.windowWidth, s.windowHeight, screen.getWidth(), screen.getHeight());
        Scene scene = new Scene(window, bounds.width(), bounds.height());
        scene.getStylesheets().add(Objects.requireNonNull(
                WorkbenchApp.class.getResource("/org/polaris/workbench/ui/workbench.css")).toExternalForm());
        primaryStage.setTitle("Polaris Workbench");
        primaryStage.getIcons().add(new Image(Objects.requireNonNull(
                WorkbenchApp.class.getResource("/org/polaris/workbench/ui/icon-64.png")).toExternalForm()));
        primaryStage.setScene(scene);
        primaryStage.setMinWidth(bounds.minWidth());
        primaryStage.setMinHeight(bounds.minHeight());
        primaryStage.setOnCloseRequest(e -> {
            if (quitGuard.mayQuit()) {
                saveWindow();
            } else {
                e.consume();
            }
        });
        primaryStage.show();
        LOG.info("window shown");
    }

    private void saveWindow() {
        if (stage != null && stage.getScene() != null) {
            settings.get().windowWidth = stage.getScene().getWidth();
            settings.get().windowHeight = stage.getScene().getHeight();
            settings.save();
        }
    }

    private GpuViewModel gpu;
    private QuitGuard quitGuard;
    private SnnViewModel snn;
    private org.polaris.workbench.ui.serve.ServeViewModel serve;

    private void quit() {
        saveWindow();
        Platform.exit();
    }

    @Override
    public void stop() {
        if (gpu != null) {
            gpu.close();
        }
        if (snn != null) {
            snn.close();
        }
        if (serve != null) {
            serve.close();
        }
        if (tasks != null) {
            tasks.close();
        }
    }
}
