package org.polaris.workbench.ui.quantize;

import javafx.beans.binding.Bindings;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.layout.HBox;
import javafx.util.StringConverter;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.ui.common.DisplayNames;
import org.polaris.workbench.ui.common.FormGrid;

import java.nio.file.Path;

/** The settings column of the Quantize pane: model, scheme, calibration, evaluation, output. */
final class QuantizeForm extends FormGrid {

    QuantizeForm(QuantizeViewModel vm) {
        add("Model", modelChooser(vm.models(), vm.modelProperty(), vm::selectModel, "quantModel"));
        heading("Inputs");
        wide(new org.polaris.workbench.ui.common.InputsTable(vm.inputsProperty(), "quantInputs"));

        heading("Scheme");
        ChoiceBox<QuantOptions.Mode> mode = new ChoiceBox<>();
        mode.getItems().addAll(QuantOptions.Mode.values());
        mode.valueProperty().bindBidirectional(vm.modeProperty());
        mode.setConverter(converter(m -> switch (m) {
            case STATIC -> "static (QDQ, calibrated)";
            case WEIGHT_ONLY -> "weight-only";
            case FP16 -> "float16 weight storage";
        }));
        add("Mode", mode);
        ChoiceBox<Integer> bits = new ChoiceBox<>();
        bits.getItems().addAll(8, 4);
        bits.valueProperty().bindBidirectional(vm.bitsProperty());
        add("Weight bits", bits);
        CheckBox perChannel = new CheckBox("per channel");
        perChannel.selectedProperty().bindBidirectional(vm.perChannelProperty());
        CheckBox symmetric = new CheckBox("symmetric int8 (zero point 0)");
        symmetric.selectedProperty().bindBidirectional(vm.symmetricProperty());
        add("Weights", perChannel);
        add("Activations", symmetric);
        ChoiceBox<Integer> block = new ChoiceBox<>();
        block.getItems().addAll(32, 64, 128);
        block.valueProperty().bindBidirectional(vm.blockSizeProperty());
        ChoiceBox<QuantOptions.Int4Format> fmt = new ChoiceBox<>();
        fmt.getItems().addAll(QuantOptions.Int4Format.values());
        fmt.valueProperty().bindBidirectional(vm.int4FormatProperty());
        fmt.setConverter(converter(f -> f == QuantOptions.Int4Format.MATMUL_NBITS ? "MatMulNBits" : "DequantizeLinear (opset 21)"));
        HBox int4 = new HBox(8, block, fmt);
        int4.disableProperty().bind(vm.bitsProperty().isNotEqualTo(4));
        add("4-bit blocks", int4);

        heading("Calibration");
        ChoiceBox<Calibration.Method> method = new ChoiceBox<>();
        method.getItems().addAll(Calibration.Method.values());
        method.valueProperty().bindBidirectional(vm.calibrationProperty());
        method.setConverter(converter(DisplayNames::calibration));
        method.setId("quantCalibration");
        TextField pct = new TextField();
        pct.setPrefColumnCount(5);
        pct.textProperty().bindBidirectional(vm.percentileProperty(), new javafx.util.converter.NumberStringConverter("0.###"));
        pct.disableProperty().bind(vm.calibrationProperty().isNotEqualTo(Calibration.Method.PERCENTILE));
        add("Method", method);
        add("Percentile", pct);
        add("Data", dataRow(vm.calibDataProperty(), "calib", "random inputs (flagged in the report)",
                () -> vm.chooseCalibrationData(false), () -> vm.chooseCalibrationData(true)));
        add("Samples", spinner(vm.calibSamplesProperty(), 1, 100_000));

        heading("Evaluation");
        add("Data", dataRow(vm.evalDataProperty(), "eval", "same as the calibration data",
                () -> vm.chooseEvaluationData(false), () -> vm.chooseEvaluationData(true)));
        add("Samples", spinner(vm.evalSamplesProperty(), 1, 100_000));
        CheckBox sens = new CheckBox("rank layers by accuracy (one at a time, up to 30 s)");
        sens.setId("quantSensitivity");
        sens.selectedProperty().bindBidirectional(vm.sensitivityProperty());
        add("Sensitivity", sens);
        CheckBox speed = new CheckBox("keep the image stem in float where int8 measures slower");
        speed.setId("quantSpeedCheck");
        speed.setTooltip(new javafx.scene.control.Tooltip("Times convolutions with at most 4 input channels both "
                + "ways in ONNX Runtime before writing the model; their 8-bit kernel is often the slower one"));
        speed.selectedProperty().bindBidirectional(vm.speedCheckProperty());
        add("Speed", speed);

        heading("Preprocessing");
        add("pixel x", text(vm.scaleProperty(), "quantScale"));
        add("mean", text(vm.meanProperty(), "quantMean"));
        add("std", text(vm.stdProperty(), "quantStd"));

        heading("Output");
        Label out = new Label();
        out.setId("quantOutput");
        out.textProperty().bind(Bindings.createStringBinding(() ->
                vm.outputProperty().get() == null ? "(pick a model)" : vm.outputProperty().get().toString(), vm.outputProperty()));
        out.setWrapText(true);
        org.polaris.workbench.ui.common.Texts.copyable(out);
        Button saveAs = new Button("Save as…");
        saveAs.setOnAction(e -> vm.chooseOutput());
        add("File", new javafx.scene.layout.VBox(4, out, saveAs));

        Button run = new Button("Quantize");
        run.setId("quantizeButton");
        run.setDefaultButton(true);
        run.disableProperty().bind(vm.canQuantizeProperty().not());
        run.setOnAction(e -> vm.quantize());
        Button cancel = new Button("Cancel");
        cancel.setOnAction(e -> vm.cancel());
        cancel.disableProperty().bind(vm.canQuantizeProperty().or(vm.modelProperty().isNull()));
        action(run, cancel);
    }

    private javafx.scene.layout.VBox dataRow(javafx.beans.property.ObjectProperty<Path> data, String id, String none,
                                             Runnable file, Runnable folder) {
        Label l = new Label();
        l.setId(id + "DataLabel");
        org.polaris.workbench.ui.common.Texts.copyable(l);
        l.textProperty().bind(Bindings.createStringBinding(() ->
                data.get() == null ? none : data.get().getFileName().toString(), data));
        Button f = new Button("Data file…");
        f.setOnAction(e -> file.run());
        Button d = new Button("Data folder…");
        d.setTooltip(new javafx.scene.control.Tooltip(org.polaris.workbench.ui.common.Texts.DATA_FOLDER_TIP));
        d.setOnAction(e -> folder.run());
        Button clear = new Button("Clear");
        clear.setOnAction(e -> data.set(null));
        l.setWrapText(true);
        return new javafx.scene.layout.VBox(4, l, new HBox(6, f, d, clear));
    }

    private static <T> StringConverter<T> converter(java.util.function.Function<T, String> f) {
        return new StringConverter<>() {
            @Override
            public String toString(T t) {
                return t == null ? "" : f.apply(t);
            }

            @Override
            public T fromString(String s) {
                throw new UnsupportedOperationException("choice boxes are not editable");
            }
        };
    }

}
