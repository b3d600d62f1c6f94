package org.polaris.workbench.ui.train;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.train.Optimizer;
import org.polaris.workbench.ui.common.DisplayNames;
import org.polaris.workbench.ui.common.FormGrid;

import java.nio.file.Path;
import java.util.Locale;

/** The Train pane's settings: model, data, method, optimizer, checkpoint and output; Start, Pause and Cancel below. */
final class TrainForm extends FormGrid {

    TrainForm(TrainViewModel vm) {
        add("Model", modelChooser(vm.models(), vm.modelProperty(), vm::selectModel, "trainModel"));
        heading("Training data");
        add("Data", dataChooser(vm.trainDataProperty(), "trainDataLabel", "(choose labelled data)", vm::chooseTrainData));
        Label labels = pathLabel(vm.labelsProperty(), "trainLabelsLabel", "beside the data");
        Button chooseLabels = new Button("Labels file…");
        chooseLabels.setTooltip(new Tooltip("An IDX labels file or a text file with one class index per line"));
        chooseLabels.setOnAction(e -> vm.chooseLabels());
        Button clearLabels = new Button("Clear");
        clearLabels.setOnAction(e -> vm.labelsProperty().set(null));
        add("Labels", new VBox(4, labels, new HBox(6, chooseLabels, clearLabels)));
        add("Samples", spinner(vm.trainSamplesProperty(), 0, 10_000_000));
        add("Evaluation", dataChooser(vm.evalDataProperty(), "trainEvalLabel", "none (no accuracy per epoch)", vm::chooseEvalData));
        add("pixel x", text(vm.form().scaleProperty(), "trainScale"));

        heading("Method");
        ChoiceBox<String> method = new ChoiceBox<>();
        method.setId("trainMethod");
        method.getItems().addAll(TrainViewModel.METHODS);
        method.valueProperty().bindBidirectional(vm.methodProperty());
        method.setConverter(DisplayNames.converter(m -> switch (m) {
            case "dense" -> "dense fine-tuning";
            case "static" -> "static mask (fine-tune a pruned model)";
            case "gmp" -> "gradual magnitude pruning";
            case "rigl" -> "RigL sparse training";
            case "qat" -> "quantization-aware (INT8)";
            default -> m;
        }));
        add("Method", method);
        BooleanBinding notSparse = Bindings.createBooleanBinding(() -> !vm.methodProperty().get().matches("gmp|rigl"),
                vm.methodProperty());
        Slider target = new Slider(0, 0.99, vm.sparsityProperty().get());
        target.setId("trainSparsity");
        target.setBlockIncrement(0.05);
        target.valueProperty().bindBidirectional(vm.sparsityProperty());
        Label value = new Label();
        value.textProperty().bind(Bindings.createStringBinding(() -> String.format(Locale.ROOT, "%.0f%%",
                100 * vm.sparsityProperty().get()), vm.sparsityProperty()));
        HBox targetRow = new HBox(8, target, value);
        targetRow.disableProperty().bind(notSparse);
        add("Sparsity", targetRow);
        ChoiceBox<Allocation.Strategy> alloc = new ChoiceBox<>();
        alloc.getItems().addAll(Allocation.Strategy.UNIFORM, Allocation.Strategy.ERK);
        alloc.valueProperty().bindBidirectional(vm.allocationProperty());
        alloc.setConverter(DisplayNames.converter(DisplayNames::allocation));
        alloc.disableProperty().bind(notSparse);
        add("Allocation", alloc);
        javafx.scene.control.Spinner<Integer> every = spinner(vm.updateEveryProperty(), 1, 1_000_000);
        every.disableProperty().bind(notSparse);
        every.setTooltip(new Tooltip("Steps between mask updates (RigL drops and regrowths, GMP pruning steps)"));
        add("Update every", every);
        TextField drop = number(vm.dropFractionProperty(), "0.###");
        drop.disableProperty().bind(vm.methodProperty().isNotEqualTo("rigl"));
        drop.setTooltip(new Tooltip("RigL: share of active weights dropped and regrown at the first update, "
                + "decaying on a cosine to 0 at 75% of the run"));
        add("Drop fraction", drop);

        heading("Optimizer");
        add("Epochs", spinner(vm.epochsProperty(), 1, 1000));
        add("Batch", spinner(vm.batchProperty(), 1, 4096));
        TextField lr = number(vm.lrProperty(), "0.#####");
        lr.setId("trainLr");
        add("Learning rate", new HBox(6, lr, new Label("peak, cosine decay")));
        ChoiceBox<Optimizer.Kind> opt = new ChoiceBox<>();
        opt.getItems().addAll(Optimizer.Kind.values());
        opt.valueProperty().bindBidirectional(vm.optimizerProperty());
        opt.setConverter(DisplayNames.converter(k -> k == Optimizer.Kind.SGD ? "SGD, momentum 0.9" : "AdamW"));
        add("Optimizer", opt);
        TextField seed = new TextField();
        seed.setPrefColumnCount(8);
        seed.textProperty().bindBidirectional(vm.seedProperty(), new javafx.util.converter.NumberStringConverter("#"));
        add("Seed", seed);

        heading("Checkpoint and output");
        Label ck = pathLabel(vm.checkpointProperty(), "trainCheckpointLabel", "none");
        Button chooseCk = new Button("Folder…");
        chooseCk.setTooltip(new Tooltip("The run's state is saved there after every epoch; a cancelled run keeps it"));
        chooseCk.setOnAction(e -> vm.chooseCheckpoint());
        Button clearCk = new Button("Clear");
        clearCk.setOnAction(e -> vm.checkpointProperty().set(null));
        CheckBox resume = new CheckBox("resume from it");
        resume.setId("trainResume");
        resume.selectedProperty().bindBidirectional(vm.resumeProperty());
        resume.disableProperty().bind(vm.checkpointProperty().isNull());
        add("Checkpoint", new VBox(4, ck, new HBox(6, chooseCk, clearCk), resume));
        Label out = pathLabel(vm.outputProperty(), "trainOutput", "(pick a model)");
        out.textProperty().unbind();
        out.textProperty().bind(Bindings.createStringBinding(() -> vm.outputProperty().get() == null ? "(pick a model)"
                : vm.outputProperty().get().toString(), vm.outputProperty()));
        Button saveAs = new Button("Save as…");
        saveAs.setOnAction(e -> vm.chooseOutput());
        add("File", new VBox(4, out, saveAs));

        Button start = new Button("Train");
        start.setId("trainButton");
        start.setDefaultButton(true);
        start.disableProperty().bind(vm.canStartProperty().not());
        start.setOnAction(e -> vm.start());
        Button pause = new Button();
        pause.setId("trainPause");
        pause.textProperty().bind(Bindings.when(vm.pausedProperty()).then("Resume").otherwise("Pause"));
        pause.disableProperty().bind(vm.trainingProperty().not());
        pause.setOnAction(e -> vm.togglePause());
        Button cancel = new Button("Cancel");
        cancel.setId("trainCancel");
        cancel.setCancelButton(true);
        cancel.disableProperty().bind(vm.trainingProperty().not());
        cancel.setOnAction(e -> vm.cancel());
        action(start, pause, cancel);
    }

    private static Label pathLabel(javafx.beans.value.ObservableValue<Path> p, String id, String none) {
        Label l = new Label();
        l.setId(id);
        l.setWrapText(true);
        l.textProperty().bind(Bindings.createStringBinding(() -> p.getValue() == null ? none
                : p.getValue().getFileName().toString(), p));
        return l;
    }

    private static TextField number(javafx.beans.property.DoubleProperty p, String pattern) {
        TextField t = new TextField();
        t.setPrefColumnCount(7);
        t.textProperty().bindBidirectional(p, new javafx.util.converter.NumberStringConverter(Locale.ROOT, pattern));
        return t;
    }
}
