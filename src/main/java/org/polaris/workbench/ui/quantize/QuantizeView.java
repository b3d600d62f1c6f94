package org.polaris.workbench.ui.quantize;

import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.cell.CheckBoxTableCell;
import javafx.scene.layout.GridPane;
import org.polaris.workbench.ui.common.Cards;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.quant.LayerReport;
import org.polaris.workbench.engine.util.Sizes;
import org.polaris.workbench.ui.common.HistogramChart;

import java.util.Locale;
import java.util.function.Function;

/** The Quantize pane: settings on the left; result card, per-layer table and range histogram on the right. */
public final class QuantizeView extends SplitPane {

    public QuantizeView(QuantizeViewModel vm) {
        javafx.scene.layout.Region form = new QuantizeForm(vm).scrollingWithActions(380);

        Label error = Cards.message("quantError", vm.errorProperty(), "error-text");
        Label warning = Cards.message("quantWarning", vm.warningProperty(), "warning-text");
        Label made = Cards.provenance("quantProvenance", vm.provenanceProperty());

        GridPane card = Cards.summary("quantResultCard", vm.resultCard());
        card.visibleProperty().bind(vm.resultProperty().isNotNull());
        card.managedProperty().bind(card.visibleProperty());
        Button openResult = new Button("Open result in Models pane");
        openResult.setId("openQuantResult");
        openResult.disableProperty().bind(vm.resultProperty().isNull());
        openResult.setOnAction(e -> vm.openResult());

        TableView<LayerRow> table = layerTable(vm);
        HistogramChart chart = new HistogramChart("activation value", "Run quantization, then select a layer");
        chart.setId("quantHistogram");
        vm.histogramProperty().addListener((o, a, h) -> {
            chart.show(h.title(), h.min(), h.max(), h.counts());
            chart.highlight(h.clipMin(), h.counts().length == 0 ? h.clipMin() - 1 : h.clipMax(), "quantized range");
        });

        Button compareResult = new Button("Compare with original");
        compareResult.setId("compareQuantResult");
        compareResult.disableProperty().bind(vm.resultProperty().isNull());
        compareResult.setOnAction(e -> vm.compareResult());
        VBox summary = new VBox(8, error, made, warning, card, new javafx.scene.layout.HBox(8, openResult, compareResult));
        summary.setPadding(new Insets(10));
        ScrollPane summaryScroll = new ScrollPane(summary);
        summaryScroll.setFitToWidth(true);
        summaryScroll.setMinHeight(90);
        Label tableTitle = new Label("Layers (tick to keep in float, or to quantize weights only, on the next run)");
        tableTitle.setWrapText(true);
        VBox layers = new VBox(6, tableTitle, table);
        VBox.setVgrow(table, Priority.ALWAYS);
        layers.setPadding(new Insets(6, 10, 6, 10));
        layers.setMinHeight(150);
        chart.setMinHeight(120);
        // the summary scrolls on its own so a long card never squeezes the layer table to nothing (1024x700)
        SplitPane right = new SplitPane(summaryScroll, layers, chart);
        right.setOrientation(Orientation.VERTICAL);
        right.setDividerPositions(0.34, 0.7);
        getItems().addAll(form, right);
        setDividerPositions(0.36);
    }

    private static TableView<LayerRow> layerTable(QuantizeViewModel vm) {
        TableView<LayerRow> t = new TableView<>(vm.layers());
        t.setId("quantLayers");
        t.setEditable(true);
        t.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("No result yet"));
        TableColumn<LayerRow, Boolean> keep = new TableColumn<>("Keep FP32");
        keep.setCellValueFactory(c -> c.getValue().keepFloatProperty());
        keep.setCellFactory(CheckBoxTableCell.forTableColumn(keep));
        keep.setEditable(true);
        org.polaris.workbench.ui.common.TextCells.fitHeader(keep);
        t.getColumns().add(keep);
        TableColumn<LayerRow, Boolean> wo = new TableColumn<>("Weights only");
        wo.setCellValueFactory(c -> c.getValue().weightOnlyProperty());
        wo.setCellFactory(CheckBoxTableCell.forTableColumn(wo));
        wo.setEditable(true);
        org.polaris.workbench.ui.common.TextCells.fitHeader(wo);
        t.getColumns().add(wo);
        t.getColumns().add(col("Layer", r -> r.name(), 220));
        t.getColumns().add(col("Op", r -> r.report().opType(), 70));
        t.getColumns().add(col("Bits", r -> Integer.toString(r.report().bits()), 45));
        t.getColumns().add(col("Input range", r -> range(r.report()), 150));
        t.getColumns().add(col("SQNR dB", r -> Sizes.number(r.report().sqnrDb()), 80));
        t.getColumns().add(col("Rank", r -> r.rank() == 0 ? "" : Integer.toString(r.rank()), 50));
        t.getColumns().add(col("Note", r -> r.report().note(), 200));
        t.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> vm.selectedLayerProperty().set(b));
        return t;
    }

    private static String range(LayerReport l) {
        return Double.isNaN(l.inputMin()) ? "" : String.format(Locale.ROOT, "[%s, %s]", Sizes.number(l.inputMin()),
                Sizes.number(l.inputMax()));
    }

    private static TableColumn<LayerRow, String> col(String title, Function<LayerRow, String> f, double width) {
        TableColumn<LayerRow, String> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyStringWrapper(f.apply(cell.getValue())));
        c.setCellFactory(org.polaris.workbench.ui.common.TextCells.withTooltip());
        c.setPrefWidth(width);
        c.setEditable(false);
        org.polaris.workbench.ui.common.TextCells.fitHeader(c);
        return c;
    }
}
