package org.polaris.workbench.ui.models;

import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

import java.util.Locale;

/** Details of the selected model: overview (summary card, signature, operators), weights and the graph. */
final class ModelDetailView extends TabPane {

    ModelDetailView(ModelsViewModel vm) {
        setTabClosingPolicy(TabClosingPolicy.UNAVAILABLE);
        Tab overview = new Tab("Overview", overview(vm));
        overview.setId("overviewTab");
        Tab weights = new Tab("Weights", new WeightsView(vm));
        weights.setId("weightsTab");
        Tab graph = new Tab("Graph", new GraphView(vm.graph()));
        graph.setId("graphTab");
        getTabs().addAll(overview, weights, graph);
        // the tab follows the view model (jumps between a weight and its node) and the user
        java.util.Map<String, Tab> byName = java.util.Map.of("overview", overview, "weights", weights, "graph", graph);
        vm.graph().tabProperty().addListener((o, a, t) -> {
            if (byName.containsKey(t)) getSelectionModel().select(byName.get(t));
        });
        getSelectionModel().selectedItemProperty().addListener((o, a, t) -> byName.forEach((k, v) -> {
            if (v == t) vm.graph().tabProperty().set(k);
        }));
    }

    private static ScrollPane overview(ModelsViewModel vm) {
        // labels keep their width and values wrap: a long opset line never collapses the card to "…"
        GridPane card = org.polaris.workbench.ui.common.Cards.summary("summaryCard", vm.summaryCard());

        TableView<IoRow> io = new TableView<>(vm.ioRows());
        io.setId("ioTable");
        io.getColumns().add(column("Kind", r -> r.kind()));
        io.getColumns().add(column("Name", r -> r.name()));
        io.getColumns().add(column("Declared in file", r -> r.declared()));
        io.getColumns().add(column("ONNX Runtime", r -> r.runtime()));
        io.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        io.setRowFactory(t -> new TableRow<>() {
            @Override
            protected void updateItem(IoRow r, boolean empty) {
                super.updateItem(r, empty);
                pseudoClassStateChanged(javafx.css.PseudoClass.getPseudoClass("differs"), !empty && r != null && r.differs());
            }
        });
        io.setPrefHeight(160);

        TableView<OpRow> ops = new TableView<>(vm.opRows());
        ops.setId("opsTable");
        ops.getColumns().add(column("Operator", OpRow::opType));
        TableColumn<OpRow, Number> count = new TableColumn<>("Count");
        count.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue().count()));
        ops.getColumns().add(count);
        ops.getColumns().add(column("Share", r -> String.format(Locale.ROOT, "%.1f %%", 100 * r.share())));
        ops.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        ops.setPrefHeight(240);

        VBox box = new VBox(8, card, new Label("Inputs and outputs"), io, new Label("Operators"), ops);
        VBox.setVgrow(ops, Priority.ALWAYS);
        box.setPadding(new Insets(10));
        ScrollPane scroll = new ScrollPane(box);
        scroll.setFitToWidth(true);
        return scroll;
    }

    static <R> TableColumn<R, String> column(String title, java.util.function.Function<R, String> value) {
        TableColumn<R, String> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyStringWrapper(value.apply(cell.getValue())));
        c.setCellFactory(org.polaris.workbench.ui.common.TextCells.withTooltip());
        org.polaris.workbench.ui.common.TextCells.fitHeader(c);
        return c;
    }
}
