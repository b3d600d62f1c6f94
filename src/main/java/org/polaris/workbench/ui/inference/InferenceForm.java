package org.polaris.workbench.ui.inference;

import javafx.beans.binding.Bindings;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.ui.common.DisplayNames;
import org.polaris.workbench.ui.common.FormGrid;

import java.nio.file.Path;

/** Settings of the Inference pane: model, runtime, input, preprocessing, benchmark sweep. */
final class InferenceForm extends FormGrid {

    InferenceForm(InferenceViewModel vm) {
        add("Model", modelChooser(vm.models(), vm.modelProperty(), vm::selectModel, "inferenceModel"));
        ChoiceBox<Runtimes.Kind> runtime = new ChoiceBox<>();
        runtime.getItems().addAll(Runtimes.Kind.values());
        runtime.valueProperty().bindBidirectional(vm.runtimeProperty());
        runtime.setId("inferenceRuntime");
        runtime.setConverter(DisplayNames.converter(DisplayNames::runtime));
        add("Runtime", runtime);

        heading("Inputs");
        wide(new org.polaris.workbench.ui.common.InputsTable(vm.inputsProperty(), "inferenceInputs"));
        ChoiceBox<InputSource> source = new ChoiceBox<>();
        source.setId("inferenceSource");
        source.getItems().addAll(InputSource.values());
        source.valueProperty().bindBidirectional(vm.sourceProperty());
        source.setConverter(DisplayNames.converter(InputSource::label));
        add("Source", source);
        Label data = label(vm.datasetProperty(), "(none)");
        Button chooseData = new Button("File…");
        chooseData.setTooltip(new javafx.scene.control.Tooltip("An IDX images file"));
        chooseData.setOnAction(e -> vm.chooseDataset(false));
        Button chooseFolder = new Button("Folder…");
        chooseFolder.setTooltip(new javafx.scene.control.Tooltip(org.polaris.workbench.ui.common.Texts.DATA_FOLDER_TIP));
        chooseFolder.setOnAction(e -> vm.chooseDataset(true));
        Spinner<Integer> index = new Spinner<>(0, 10_000_000, 0);
        index.setEditable(true);
        index.setPrefWidth(110);
        index.valueProperty().addListener((o, a, b) -> vm.indexProperty().set(b));
        add("Dataset", new VBox(4, data, new HBox(6, chooseData, chooseFolder), new HBox(6, new Label("sample"), index)));
        Label image = label(vm.imageProperty(), "(none; or drop an image here)");
        Button chooseImage = new Button("Image…");
        chooseImage.setOnAction(e -> vm.chooseImage());
        add("Image", new VBox(4, image, chooseImage));
        add("pixel x", text(vm.scaleProperty(), "inferenceScale"));
        add("mean", text(vm.meanProperty(), "inferenceMean"));
        add("std", text(vm.stdProperty(), "inferenceStd"));

        heading("Benchmark");
        add("Batch sizes", text(vm.batchesProperty(), "benchBatches"));
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
}
