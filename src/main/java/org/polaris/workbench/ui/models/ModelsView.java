package org.polaris.workbench.ui.models;

import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.SplitPane;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.polaris.workbench.ui.common.FileDrop;

import java.nio.file.Path;

/** The Models pane: open models on the left, the selected model's details on the right; accepts dropped files. */
public final class ModelsView extends BorderPane {

    public ModelsView(ModelsViewModel vm) {
        getStyleClass().add("models-pane");
        setTop(errorBanner(vm));

        ListView<ModelDocument> open = new ListView<>(vm.documents());
        open.setId("openModels");
        open.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("No model open"));
        open.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.selectedProperty().set(b);
            }
        });
        vm.selectedProperty().addListener((o, a, b) -> open.getSelectionModel().select(b));

        ListView<Path> recent = new ListView<>(vm.recentFiles());
        recent.setId("recentFiles");
        recent.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("No recent files"));
        recent.setCellFactory(lv -> new ListCell<>() {
            @Override
            protected void updateItem(Path p, boolean empty) {
                super.updateItem(p, empty);
                setText(empty || p == null ? null : p.getFileName().toString());
                setTooltip(empty || p == null ? null : new javafx.scene.control.Tooltip(p.toString()));
            }
        });
        recent.setOnMouseClicked(e -> {
            if (e.getClickCount() == 2 && recent.getSelectionModel().getSelectedItem() != null) {
                vm.open(recent.getSelectionModel().getSelectedItem());
            }
        });
        recent.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.ENTER && recent.getSelectionModel().getSelectedItem() != null) {
                vm.open(recent.getSelectionModel().getSelectedItem());
            }
        });
        VBox left = new VBox(4, heading("Open models"), open, heading("Recent"), recent);
        VBox.setVgrow(open, Priority.ALWAYS);
        VBox.setVgrow(recent, Priority.ALWAYS);
        left.setPadding(new Insets(6));
        left.setMinWidth(180);

        ModelDetailView detail = new ModelDetailView(vm);
        StackPane placeholder = placeholder(vm);
        StackPane center = new StackPane(placeholder, detail);
        detail.visibleProperty().bind(vm.selectedProperty().isNotNull());
        placeholder.visibleProperty().bind(vm.selectedProperty().isNull());

        SplitPane split = new SplitPane(left, center);
        split.setDividerPositions(0.2);
        SplitPane.setResizableWithParent(left, false);
        setCenter(split);
        FileDrop.accept(this, vm::open);
    }

    private static Label heading(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("section-heading");
        return l;
    }

    private HBox errorBanner(ModelsViewModel vm) {
        Label message = new Label();
        message.setId("errorMessage");
        message.setWrapText(true);
        message.textProperty().bind(vm.errorProperty());
        Button dismiss = new Button("Dismiss");
        dismiss.setOnAction(e -> vm.dismissError());
        HBox banner = new HBox(8, message, dismiss);
        HBox.setHgrow(message, Priority.ALWAYS);
        banner.setAlignment(Pos.CENTER_LEFT);
        banner.setPadding(new Insets(6, 10, 6, 10));
        banner.getStyleClass().add("error-banner");
        banner.visibleProperty().bind(vm.errorProperty().isNotEmpty());
        banner.managedProperty().bind(banner.visibleProperty());
        return banner;
    }

    private static StackPane placeholder(ModelsViewModel vm) {
        Label title = new Label("Open an ONNX model to see what is inside it");
        title.getStyleClass().add("placeholder-title");
        Button openButton = new Button("Open model…  (Ctrl+O)");
        openButton.setId("openButton");
        openButton.setOnAction(e -> vm.openWithChooser());
        VBox box = new VBox(12, title, openButton, new Label("or drop .onnx files here"));
        if (!vm.sampleModels().isEmpty()) {
            box.getChildren().add(heading("Bundled samples"));
            for (Path p : vm.sampleModels()) {
                Button b = new Button(p.getFileName().toString());
                b.setMnemonicParsing(false);
                b.getStyleClass().add("sample-button");
                b.setOnAction(e -> vm.open(p));
                box.getChildren().add(b);
            }
        }
        box.setAlignment(Pos.CENTER);
        return new StackPane(box);
    }
}
