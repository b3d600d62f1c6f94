package org.polaris.workbench.ui.diff;

import javafx.beans.binding.Bindings;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.graph.DiffReport;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.ui.common.GraphCanvas;
import org.polaris.workbench.ui.common.OverlayLegend;
import org.polaris.workbench.ui.common.TextCells;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The Compare pane: pick two models, compare; both graphs side by side with synchronized pan and zoom, unmatched
 * nodes marked, and the per-node table below. Selecting a row centres its nodes in both graphs; clicking a node
 * selects its row.
 */
public final class DiffView extends BorderPane {

    private final GraphCanvas left = new GraphCanvas();
    private final GraphCanvas right = new GraphCanvas();

    public DiffView(DiffViewModel vm) {
        setId("diffView");
        left.setId("diffCanvasA");
        right.setId("diffCanvasB");
        setTop(form(vm));
        TableView<DiffReport.Row> table = table(vm);
        ObjectProperty<Overlay> la = new SimpleObjectProperty<>(Overlay.none());
        ObjectProperty<Overlay> lb = new SimpleObjectProperty<>(Overlay.none());
        StackPane a = new StackPane(left, new OverlayLegend(la, "diffLegendA"));
        StackPane b = new StackPane(right, new OverlayLegend(lb, "diffLegendB"));
        // bottom left and narrow: the two graphs share the width
        for (StackPane p : List.of(a, b)) {
            StackPane.setAlignment(p.getChildren().get(1), Pos.BOTTOM_LEFT);
            ((Region) p.getChildren().get(1)).setMaxWidth(230);
        }
        SplitPane graphs = new SplitPane(a, b);
        SplitPane split = new SplitPane(graphs, table);
        split.setOrientation(Orientation.VERTICAL);
        split.setDividerPositions(0.62);
        setCenter(split);

        vm.resultProperty().addListener((o, old, c) -> {
            left.show(c == null ? null : c.graphA(), c == null ? null : c.layoutA());
            right.show(c == null ? null : c.graphB(), c == null ? null : c.layoutB());
            left.overlay(c == null ? null : c.overlayA());
            right.overlay(c == null ? null : c.overlayB());
            la.set(c == null ? Overlay.none() : c.overlayA());
            lb.set(c == null ? Overlay.none() : c.overlayB());
        });
        // synchronized pan and zoom
        left.setOnMoved(right::follow);
        right.setOnMoved(left::follow);
        vm.selectedRowProperty().addListener((o, old, r) -> {
            if (r == null) return;
            if (r.nodeA() != null) left.center(r.nodeA());
            if (r.nodeB() != null) right.center(r.nodeB());
            left.highlight(node(left, r.nodeA()), Set.of());
            right.highlight(node(right, r.nodeB()), Set.of());
            table.getSelectionModel().select(r);
            table.scrollTo(r);
        });
        drag(left, vm, true);
        drag(right, vm, false);
    }

    private static GraphNode node(GraphCanvas c, String id) {
        return id == null ? null : c.nodeById(id).orElse(null);
    }

    private static void drag(GraphCanvas c, DiffViewModel vm, boolean sideA) {
        double[] last = new double[3];
        c.setOnMousePressed(e -> {
            c.requestFocus();
            last[0] = e.getX();
            last[1] = e.getY();
            last[2] = 0;
        });
        c.setOnMouseDragged(e -> {
            last[2] += Math.abs(e.getX() - last[0]) + Math.abs(e.getY() - last[1]);
            c.panBy(e.getX() - last[0], e.getY() - last[1]);
            last[0] = e.getX();
            last[1] = e.getY();
        });
        c.setOnScroll(e -> c.zoomAt(Math.pow(1.1, e.getDeltaY() / 40), e.getX(), e.getY()));
        c.setOnMouseClicked(e -> {
            if (last[2] > 4) return;
            c.nodeAt(e.getX(), e.getY()).ifPresent(n -> vm.rows().stream()
                    .filter(r -> n.id().equals(sideA ? r.nodeA() : r.nodeB())).findFirst()
                    .ifPresent(vm.selectedRowProperty()::set));
        });
    }

    private static VBox form(DiffViewModel vm) {
        Label a = new Label();
        a.setId("diffModelA");
        a.textProperty().bind(Bindings.createStringBinding(() ->
                vm.modelAProperty().get() == null ? "(choose the original)" : vm.modelAProperty().get().toString(), vm.modelAProperty()));
        Label b = new Label();
        b.setId("diffModelB");
        b.textProperty().bind(Bindings.createStringBinding(() ->
                vm.modelBProperty().get() == null ? "(choose the other version)" : vm.modelBProperty().get().toString(), vm.modelBProperty()));
        Button chooseA = new Button("Choose…");
        chooseA.setOnAction(e -> vm.chooseA());
        Button chooseB = new Button("Choose…");
        chooseB.setOnAction(e -> vm.chooseB());
        Button compare = new Button("Compare");
        compare.setId("diffCompare");
        compare.setDefaultButton(true);
        compare.disableProperty().bind(vm.canCompareProperty().not());
        compare.setOnAction(e -> vm.compare());
        Button cancel = new Button("Cancel");
        cancel.disableProperty().bind(vm.busyProperty().not());
        cancel.setOnAction(e -> vm.cancel());
        Label data = new Label();
        data.setId("diffData");
        data.textProperty().bind(Bindings.createStringBinding(() -> vm.dataProperty().get() == null
                ? "A's Inputs table (random where it sets no source)" : vm.dataProperty().get().toString(), vm.dataProperty()));
        Button dataFile = new Button("File…");
        dataFile.setTooltip(new Tooltip("An IDX file whose sample both models run on"));
        dataFile.setOnAction(e -> vm.chooseData(false));
        Button dataFolder = new Button("Folder…");
        dataFolder.setTooltip(new Tooltip("A folder of images, audio clips, .npz samples or ONNX test data sets"));
        dataFolder.setOnAction(e -> vm.chooseData(true));
        Button clear = new Button("Clear");
        clear.disableProperty().bind(vm.dataProperty().isNull());
        clear.setOnAction(e -> vm.clearData());
        Spinner<Integer> sample = new Spinner<>(0, 9_999_999, 0);
        sample.setId("diffSample");
        sample.setEditable(true);
        sample.setPrefWidth(100);
        // bidirectional bindings hold their ends weakly: the spinner keeps the adapter alive
        ObjectProperty<Integer> sampleValue = vm.sampleProperty().asObject();
        sample.getProperties().put("polaris.sampleValue", sampleValue);
        sample.getValueFactory().valueProperty().bindBidirectional(sampleValue);
        sample.disableProperty().bind(vm.dataProperty().isNull());
        GridPane grid = new GridPane();
        grid.setHgap(8);
        grid.setVgap(4);
        grid.addRow(0, new Label("A (original)"), a, chooseA);
        grid.addRow(1, new Label("B (version)"), b, chooseB);
        grid.addRow(2, new Label("Input"), data, new HBox(4, dataFile, dataFolder, clear, new Label("sample"), sample));
        GridPane.setHgrow(a, Priority.ALWAYS);
        Label error = new Label();
        error.setId("diffError");
        error.textProperty().bind(vm.errorProperty());
        error.getStyleClass().add("error-text");
        error.visibleProperty().bind(vm.errorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());
        Label made = new Label();
        made.setId("diffProvenance");
        made.textProperty().bind(vm.provenanceProperty());
        made.getStyleClass().add("provenance");
        Label summary = new Label();
        summary.setId("diffSummary");
        vm.resultProperty().addListener((o, old, c) -> summary.setText(c == null ? "" : String.format(Locale.ROOT,
                "%s: %d operators, %s: %d · matched %d by name, %d by structure · %d removed, %d added%s",
                c.report().modelA(), c.report().operatorsA(), c.report().modelB(), c.report().operatorsB(),
                c.report().matchedByName(), c.report().matchedByStructure(), c.report().removed(), c.report().added(),
                c.report().largestError().map(w -> " · largest output change at " + w.nodeA()).orElse(""))));
        VBox box = new VBox(6, grid, new HBox(8, compare, cancel), error, summary, made);
        box.setPadding(new Insets(8));
        return box;
    }

    private static TableView<DiffReport.Row> table(DiffViewModel vm) {
        TableView<DiffReport.Row> t = new TableView<>(vm.rows());
        t.setId("diffTable");
        t.setPlaceholder(TextCells.placeholder("Choose two versions of a model and press Compare"));
        t.getColumns().add(col("Node A", r -> orDash(r.nodeA())));
        t.getColumns().add(col("Node B", r -> orDash(r.nodeB())));
        t.getColumns().add(col("Match", r -> r.match().name().toLowerCase(Locale.ROOT)));
        t.getColumns().add(col("Op", r -> pair(r.opA(), r.opB())));
        t.getColumns().add(col("DType", r -> pair(r.dtypeA(), r.dtypeB())));
        TableColumn<DiffReport.Row, String> bytes = col("Bytes", r -> r.nodeA() == null ? Long.toString(r.bytesB())
                : r.nodeB() == null ? Long.toString(r.bytesA()) : r.bytesA() + " → " + r.bytesB());
        bytes.setPrefWidth(140);
        t.getColumns().add(bytes);
        t.getColumns().add(col("Zeros", r -> pair(pct(r.sparsityA()), pct(r.sparsityB()))));
        t.getColumns().add(col("Cosine", r -> num(r.cosine(), "%.6f")));
        t.getColumns().add(col("Max |err|", r -> num(r.maxAbsError(), "%.4g")));
        t.getColumns().add(col("Rel. change", r -> num(r.relativeError(), "%.3g")));
        t.getColumns().add(col("ms A", r -> num(r.msA(), "%.3f")));
        t.getColumns().add(col("ms B", r -> num(r.msB(), "%.3f")));
        t.getColumns().add(col("Note", DiffReport.Row::remark));
        t.getSelectionModel().selectedItemProperty().addListener((o, a, r) -> {
            if (r != null && r != vm.selectedRowProperty().get()) vm.selectedRowProperty().set(r);
        });
        return t;
    }

    private static TableColumn<DiffReport.Row, String> col(String title, Function<DiffReport.Row, String> f) {
        TableColumn<DiffReport.Row, String> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyStringWrapper(f.apply(cell.getValue())));
        c.setCellFactory(TextCells.withTooltip());
        TextCells.fitHeader(c);
        return c;
    }

    private static String orDash(String s) {
        return s == null ? "—" : s;
    }

    private static String pair(String a, String b) {
        if (a == null || a.isEmpty()) return b == null || b.isEmpty() ? "" : b;
        if (b == null || b.isEmpty() || a.equals(b)) return a;
        return a + " → " + b;
    }

    private static String pct(Double d) {
        return d == null ? null : String.format(Locale.ROOT, "%.0f%%", 100 * d);
    }

    private static String num(Double d, String fmt) {
        return d == null ? "" : String.format(Locale.ROOT, fmt, d);
    }

    /** For tests: the two canvases. */
    GraphCanvas canvas(boolean sideA) {
        return sideA ? left : right;
    }
}
