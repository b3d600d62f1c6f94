package org.polaris.workbench.ui.app;

import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.Alert;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.VBox;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.inference.InferenceView;
import org.polaris.workbench.ui.inference.InferenceViewModel;
import org.polaris.workbench.ui.models.ModelsView;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.quantize.QuantizeView;
import org.polaris.workbench.ui.quantize.QuantizeViewModel;
import org.polaris.workbench.ui.gpu.GpuView;
import org.polaris.workbench.ui.snn.SnnView;
import org.polaris.workbench.ui.snn.SnnViewModel;
import org.polaris.workbench.ui.gpu.GpuViewModel;
import org.polaris.workbench.ui.sparsity.SparsityView;
import org.polaris.workbench.ui.sparsity.SparsityViewModel;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.LinkedHashMap;
import java.util.Map;

/** The main window's layout: menu, navigation bar with one button per working pane, pane area, status bar. */
final class MainWindow extends BorderPane {

    private final Map<String, Node> panes = new LinkedHashMap<>();
    private final ToggleGroup navGroup = new ToggleGroup();
    private final VBox nav = new VBox(4);

    MainWindow(ModelsViewModel models, QuantizeViewModel quantize, SparsityViewModel sparsity, InferenceViewModel inference,
               GpuViewModel gpu, SnnViewModel snn, org.polaris.workbench.ui.diff.DiffViewModel diff,
               org.polaris.workbench.ui.serve.ServeViewModel serve, org.polaris.workbench.ui.train.TrainViewModel train,
               org.polaris.workbench.ui.search.SearchViewModel search, TaskRunner tasks,
               QuitGuard quit, Consumer<String> showDocument) {
        setTop(menu(models, diff, tasks, quit, showDocument));
        nav.setPadding(new Insets(8, 6, 8, 6));
        nav.getStyleClass().add("nav-bar");
        setLeft(nav);
        addPane("models", "Models", new ModelsView(models));
        addPane("quantize", "Quantize", new QuantizeView(quantize));
        addPane("sparsity", "Sparsity", new SparsityView(sparsity));
        addPane("inference", "Inference", new InferenceView(inference));
        addPane("gpu", "GPU", new GpuView(gpu));
        addPane("search", "Search", new org.polaris.workbench.ui.search.SearchView(search));
        addPane("train", "Train", new org.polaris.workbench.ui.train.TrainView(train));
        addPane("snn", "SNN", new SnnView(snn));
        addPane("compare", "Compare", new org.polaris.workbench.ui.diff.DiffView(diff));
        addPane("serve", "Serve", new org.polaris.workbench.ui.serve.ServeView(serve));
        diff.showRequestsProperty().addListener((o, a, b) -> navGroup.getToggles().stream()
                .filter(t -> "compare".equals(t.getUserData())).findFirst().ifPresent(t -> t.setSelected(true)));
        setBottom(new StatusBar(tasks));
        navGroup.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null) {
                a.setSelected(true);
            } else {
                setCenter(panes.get((String) b.getUserData()));
            }
        });
        navGroup.getToggles().get(0).setSelected(true);
    }

    private void addPane(String id, String title, Node view) {
        panes.put(id, view);
        ToggleButton b = new ToggleButton(title);
        b.setId("nav-" + id);
        b.setUserData(id);
        b.setToggleGroup(navGroup);
        b.setMaxWidth(Double.MAX_VALUE);
        b.getStyleClass().add("nav-button");
        nav.getChildren().add(b);
    }

    private MenuBar menu(ModelsViewModel models, org.polaris.workbench.ui.diff.DiffViewModel diff, TaskRunner tasks,
                         QuitGuard quit, Consumer<String> showDocument) {
        MenuItem open = new MenuItem("Open model…");
        open.setId("menuOpen");
        open.setAccelerator(new KeyCodeCombination(KeyCode.O, KeyCombination.SHORTCUT_DOWN));
        open.setOnAction(e -> models.openWithChooser());

        Menu recent = new Menu("Open recent");
        recent.setId("menuRecent");
        Runnable fillRecent = () -> {
            recent.getItems().clear();
            for (Path p : models.recentFiles()) {
                MenuItem item = new MenuItem(p.toString());
                item.setMnemonicParsing(false);
                item.setOnAction(e -> models.open(p));
                recent.getItems().add(item);
            }
            if (!recent.getItems().isEmpty()) {
                MenuItem missing = new MenuItem("Remove missing files");
                missing.setId("menuRecentRemoveMissing");
                missing.setOnAction(e -> models.removeMissingRecent());
                MenuItem clear = new MenuItem("Clear recent files");
                clear.setOnAction(e -> models.clearRecent());
                recent.getItems().addAll(new SeparatorMenuItem(), missing, clear);
            }
            recent.setDisable(recent.getItems().isEmpty());
        };
        models.recentFiles().addListener((ListChangeListener<Path>) c -> fillRecent.run());
        fillRecent.run();

        Menu samples = new Menu("Open sample");
        samples.setId("menuSamples");
        for (Path p : models.sampleModels()) {
            MenuItem item = new MenuItem(p.getFileName().toString());
            item.setMnemonicParsing(false);
            item.setOnAction(e -> models.open(p));
            samples.getItems().add(item);
        }
        samples.setDisable(samples.getItems().isEmpty());

        MenuItem close = new MenuItem("Close model");
        close.setAccelerator(new KeyCodeCombination(KeyCode.W, KeyCombination.SHORTCUT_DOWN));
        close.disableProperty().bind(models.canCloseProperty().not());
        close.setOnAction(e -> models.closeSelected());
        MenuItem cancel = new MenuItem("Cancel background work");
        cancel.setAccelerator(new KeyCodeCombination(KeyCode.ESCAPE));
        cancel.disableProperty().bind(tasks.runningProperty().not());
        cancel.setOnAction(e -> tasks.cancelAll());
        MenuItem exit = new MenuItem("Quit");
        exit.setAccelerator(new KeyCodeCombination(KeyCode.Q, KeyCombination.SHORTCUT_DOWN));
        exit.setOnAction(e -> quit.quit());
        MenuItem compare = new MenuItem("Compare models…");
        compare.setId("menuCompare");
        compare.setAccelerator(new KeyCodeCombination(KeyCode.D, KeyCombination.SHORTCUT_DOWN));
        compare.setOnAction(e -> diff.chooseAndCompare());
        Menu file = new Menu("_File", null, open, recent, samples, compare, new SeparatorMenuItem(), close, cancel,
                new SeparatorMenuItem(), exit);

        MenuItem guide = new MenuItem("User guide");
        guide.setId("menuGuide");
        guide.setAccelerator(new KeyCodeCombination(KeyCode.F1));
        Optional<Path> guideFile = AboutInfo.userGuide();
        guide.setDisable(guideFile.isEmpty());
        guide.setOnAction(e -> guideFile.ifPresent(p -> showDocument.accept(p.toUri().toString())));
        MenuItem about = new MenuItem("About Polaris Workbench");
        about.setId("menuAbout");
        about.setOnAction(e -> {
            Alert a = new Alert(Alert.AlertType.INFORMATION, AboutInfo.text());
            a.setTitle("About Polaris Workbench");
            a.setHeaderText("Polaris Workbench " + AboutInfo.version());
            a.initOwner(getScene().getWindow());
            a.showAndWait();
        });
        Menu help = new Menu("_Help", null, guide, about);
        return new MenuBar(file, help);
    }
}
