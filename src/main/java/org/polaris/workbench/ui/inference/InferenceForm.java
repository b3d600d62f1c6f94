package org.polaris.workbench.ui.inference;

import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextField;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.inference.Runtimes;

import java.nio.file.Path;

/** Settings of the Inference pane: model, runtime, input, preprocessing, benchmark sweep. */
final class InferenceForm extends GridPane {

    private int row;

    InferenceForm(InferenceViewModel vm) {
        setHgap(8);
        setVgap(6);
        setPadding(new Insets(10));
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints fields = new ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        getColumnConstraints().addAll(labels, fields);

        ComboBox<Path> model = new ComboBox<>(vm.models());
        model.setId("inferenceModel");
        model.valueProperty().bindBidirectional(vm.modelProperty());
        model.setPromptText("open a model in the Models pane");
        model.setCellFactory(lv -> pathCell());
        model.setButtonCell(pathCell());
        model.setMaxWidth(Double.MAX_VALUE);
        add("Model", model);
        ChoiceBox<Runtimes.Kind> runtime = new ChoiceBox<>();
        runtime.getItems().addAll(Runtimes.Kind.values());
        runtime.valueProperty().bindBidirectional(vm.runtimeProperty());
        add("Runtime", runtime);

        heading("Input");
        ChoiceBox<InferenceViewModel.Source> source = new ChoiceBox<>();
        source.setId("inferenceSource");
        source.getItems().addAll(InferenceViewModel.Source.values());
        source.valueProperty().bindBidirectional(vm.sourceProperty());
        add("Source", source);
        Label data = label(vm.datasetProperty(), "(none)");
        Button chooseData = new Button("IDX file…");
        chooseData.setOnAction(e -> vm.chooseDataset());
        Spinner<Integer> index = new Spinner<>(0, 10_000_000, 0);
        index.setEditable(true);
        index.setPrefWidth(110);
        index.valueProperty().addListener((o, a, b) -> vm.indexProperty().set(b));
        add("Dataset", new VBox(4, data, new HBox(6, chooseData, new Label("sample"), index)));
        Label image = label(vm.imageProperty(), "(none; or drop an image here)");
        Button chooseImage = new Button("Image…");
        chooseImage.setOnAction(e -> vm.chooseImage());
        add("Image", new VBox(4, image, chooseImage));
        add("pixel x", text(vm.scaleProperty()));
        add("mean", text(vm.meanProperty()));
        add("std", text(vm.stdProperty()));

        heading("Benchmark");
        TextField batches = text(vm.batchesProperty());
        batches.setId("benchBatches");
        add("Batch sizes", batches);
        add("Runs", spinner(vm.runsProperty(), 1, 100_000));
        add("Threads", spinner(vm.threadsProperty(), 1, 256));
        CheckBox both = new CheckBox("ONNX Runtime and engine side by side");
        both.selectedProperty().bindBidirectional(vm.compareRuntimesProperty());
        add("Compare", both);
    }

    private static Label label(javafx.beans.property.ObjectProperty<Path> p, String none) {
        Label l = new Label();
        l.setWrapText(true);
        l.textProperty().bind(Bindings.createStringBinding(() -> p.get() == null ? none : p.get().getFileName().toString(), p));
        return l;
    }

    private static TextField text(javafx.beans.property.StringProperty p) {
        TextField t = new TextField();
        t.textProperty().bindBidirectional(p);
        return t;
    }

    private static Spinner<Integer> spinner(javafx.beans.property.IntegerProperty p, int min, int max) {
        Spinner<Integer> s = new Spinner<>(min, max, p.get());
        s.setEditable(true);
        s.setPrefWidth(110);
        s.valueProperty().addListener((o, a, b) -> p.set(b));
        return s;
    }

    private static ListCell<Path> pathCell() {
        return new ListCell<>() {
            @Override
            protected void updateItem(Path p, boolean empty) {
                super.updateItem(p, empty);
                setText(empty || p == null ? null : p.getFileName().toString());
            }
        };
    }

    private void heading(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("section-heading");
        add(l, 0, row++, 2, 1);
    }

    private void add(String label, Node node) {
        add(new Label(label), 0, row);
        add(node, 1, row++);
    }
}
