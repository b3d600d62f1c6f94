package org.polaris.workbench.ui.models;

import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.model.WeightStats;
import org.polaris.workbench.engine.util.Sizes;
import org.polaris.workbench.ui.common.HistogramChart;

/** The selected node: attributes, tensors in and out with shapes, weights with statistics and histogram, subgraphs. */
final class NodeDetailsView extends ScrollPane {

    private final VBox box = new VBox(6);
    private final HistogramChart chart = new HistogramChart("value", "Select a weight to see its histogram");

    NodeDetailsView(GraphViewModel vm) {
        setId("nodeDetails");
        setFitToWidth(true);
        box.setPadding(new Insets(8));
        setContent(box);
        chart.setPrefHeight(180);
        chart.setMinHeight(140);
        vm.detailsProperty().addListener((o, a, d) -> show(vm, d));
        show(vm, null);
    }

    private void show(GraphViewModel vm, NodeDetails d) {
        box.getChildren().clear();
        if (d == null) {
            box.getChildren().add(org.polaris.workbench.ui.common.TextCells.placeholder("Click a node to see its attributes, "
                    + "tensors and weights"));
            return;
        }
        Label title = new Label(d.title());
        title.setId("nodeTitle");
        title.setWrapText(true);
        title.setStyle("-fx-font-weight: bold;");
        box.getChildren().add(title);
        if (!d.overlay().isEmpty()) {
            Label o = new Label(d.overlay());
            o.setId("nodeOverlay");
            o.setWrapText(true);
            box.getChildren().add(o);
        }
        GridPane grid = new GridPane();
        javafx.scene.layout.ColumnConstraints value = new javafx.scene.layout.ColumnConstraints();
        value.setMinWidth(90);
        value.setHgrow(javafx.scene.layout.Priority.ALWAYS);
        grid.getColumnConstraints().addAll(new javafx.scene.layout.ColumnConstraints(), value);
        grid.setId("nodeRows");
        grid.setHgap(8);
        grid.setVgap(2);
        for (int i = 0; i < d.rows().size(); i++) {
            Label k = new Label(d.rows().get(i)[0]);
            k.setStyle("-fx-text-fill: #555555;");
            k.setMaxWidth(170);
            k.setTooltip(new javafx.scene.control.Tooltip(d.rows().get(i)[0]));
            Label v = new Label(d.rows().get(i)[1]);
            v.setWrapText(true);
            grid.addRow(i, k, v);
        }
        box.getChildren().add(grid);
        for (GraphNode.Subgraph s : d.node().subgraphs()) {
            Button open = new Button("Open " + s.attribute() + " (" + s.graph().nodes().size() + " nodes)");
            open.setMnemonicParsing(false);
            open.setOnAction(e -> vm.enter(d.node(), s.attribute()));
            box.getChildren().add(open);
        }
        for (WeightStats w : d.weights()) {
            Button hist = new Button(w.name() + "  " + Sizes.count(w.count()) + " values, " + String.format(java.util.Locale.ROOT,
                    "%.1f%% zeros", 100 * w.zeroFraction()));
            hist.setMnemonicParsing(false);
            hist.setMaxWidth(Double.MAX_VALUE);
            hist.setOnAction(e -> chart.show(w.name(), w.min(), w.max(), w.histogram()));
            Button jump = new Button("Show in Weights tab");
            jump.setOnAction(e -> vm.showInWeights(w));
            box.getChildren().addAll(hist, jump);
        }
        if (!d.weights().isEmpty()) {
            WeightStats first = d.weights().get(0);
            chart.show(first.name(), first.min(), first.max(), first.histogram());
            box.getChildren().add(chart);
        }
    }
}
