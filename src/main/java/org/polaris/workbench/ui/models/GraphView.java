package org.polaris.workbench.ui.models;

import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Hyperlink;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.ui.common.GraphCanvas;

import java.util.Set;
import java.util.stream.Collectors;
import org.polaris.workbench.ui.common.OverlayLegend;
import org.polaris.workbench.ui.common.TextCells;

/**
 * The graph tab: breadcrumb of the level shown, search, overlay selector, export; the canvas with its legend; the
 * selected node's details on the right. Keys on the canvas: arrows pan, + and - zoom, 0 fits, Enter opens the
 * selected node's subgraph, Backspace goes up a level.
 */
final class GraphView extends BorderPane {

    private final GraphCanvas canvas = new GraphCanvas();
    private final double[] press = new double[3];

    GraphView(GraphViewModel vm) {
        setId("graphView");
        canvas.setId("graphCanvas");
        setTop(toolbar(vm));
        StackPane center = new StackPane(canvas, new OverlayLegend(vm.overlayProperty(), "graphLegend"), placeholder(vm));
        StackPane.setAlignment(center.getChildren().get(1), Pos.TOP_RIGHT);
        SplitPane split = new SplitPane(center, new NodeDetailsView(vm));
        split.setDividerPositions(0.68);
        SplitPane.setResizableWithParent(split.getItems().get(1), false);
        setCenter(split);
        Label status = new Label();
        status.setId("graphStatus");
        status.textProperty().bind(vm.statusProperty());
        status.setPadding(new Insets(2, 8, 2, 8));
        setBottom(status);

        vm.layoutProperty().addListener((o, a, l) -> canvas.show(vm.levelProperty().get(), l));
        vm.levelProperty().addListener((o, a, g) -> canvas.show(g, vm.layoutProperty().get()));
        vm.overlayProperty().addListener((o, a, ov) -> canvas.overlay(ov));
        vm.selectedProperty().addListener((o, a, n) -> canvas.highlight(n, ids(vm)));
        vm.matches().addListener((ListChangeListener<GraphNode>) c -> canvas.highlight(vm.selectedProperty().get(), ids(vm)));
        vm.centerRequestsProperty().addListener((o, a, b) -> {
            if (vm.selectedProperty().get() != null) canvas.center(vm.selectedProperty().get().id());
        });
        mouse(vm);
        keys(vm);
    }

    private static Set<String> ids(GraphViewModel vm) {
        return vm.matches().stream().map(GraphNode::id).collect(Collectors.toSet());
    }

    private HBox toolbar(GraphViewModel vm) {
        HBox crumbs = new HBox(2);
        crumbs.setId("graphBreadcrumb");
        crumbs.setAlignment(Pos.CENTER_LEFT);
        vm.breadcrumb().addListener((ListChangeListener<String>) c -> {
            crumbs.getChildren().clear();
            for (int i = 0; i < vm.breadcrumb().size(); i++) {
                int depth = i;
                Hyperlink h = new Hyperlink(vm.breadcrumb().get(i));
                h.setMnemonicParsing(false);
                h.setOnAction(e -> vm.goTo(depth));
                if (i > 0) crumbs.getChildren().add(new Label("›"));
                crumbs.getChildren().add(h);
            }
        });
        TextField find = new TextField();
        find.setId("graphSearch");
        find.setPromptText("Find node, op or weight (Enter: next)");
        find.textProperty().bindBidirectional(vm.searchProperty());
        find.setOnAction(e -> vm.findNext());
        find.setPrefColumnCount(18);
        Label count = new Label();
        count.setId("graphMatches");
        vm.matches().addListener((ListChangeListener<GraphNode>) c ->
                count.setText(vm.searchProperty().get().isBlank() ? "" : vm.matches().size() + " found"));
        ComboBox<Overlay.Kind> overlay = new ComboBox<>();
        overlay.setId("graphOverlay");
        overlay.getItems().setAll(Overlay.selectable());
        overlay.valueProperty().bindBidirectional(vm.overlayKindProperty());
        overlay.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Overlay.Kind k) {
                return k == null ? "" : "Overlay: " + k.label();
            }

            @Override
            public Overlay.Kind fromString(String s) {
                return null;
            }
        });
        ComboBox<Runtimes.Kind> runtime = new ComboBox<>();
        runtime.setId("graphTimeRuntime");
        runtime.getItems().setAll(Runtimes.Kind.ENGINE, Runtimes.Kind.ORT);
        runtime.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Runtimes.Kind k) {
                return k == Runtimes.Kind.ORT ? "ONNX Runtime" : "engine";
            }

            @Override
            public Runtimes.Kind fromString(String s) {
                return null;
            }
        });
        runtime.valueProperty().bindBidirectional(vm.timeRuntimeProperty());
        runtime.visibleProperty().bind(vm.overlayKindProperty().isEqualTo(Overlay.Kind.TIME));
        runtime.managedProperty().bind(runtime.visibleProperty());
        runtime.setTooltip(new Tooltip("Whose profile the Time overlay shows"));
        Button fit = new Button("Fit");
        fit.setOnAction(e -> canvas.fit());
        Button svg = new Button("SVG…");
        svg.setId("graphExportSvg");
        svg.setTooltip(new Tooltip("Export this level, with its overlay and legend, as SVG"));
        svg.setOnAction(e -> vm.exportSvg());
        Button png = new Button("PNG…");
        png.setId("graphExportPng");
        png.setTooltip(new Tooltip("Export the view as shown as PNG"));
        png.setOnAction(e -> exportPng(vm));
        svg.disableProperty().bind(vm.layoutProperty().isNull());
        png.disableProperty().bind(vm.layoutProperty().isNull());
        Region grow = new Region();
        HBox.setHgrow(grow, Priority.ALWAYS);
        for (javafx.scene.control.Control c : java.util.List.of(fit, svg, png, overlay, runtime)) {
            c.setMinWidth(Region.USE_PREF_SIZE); // the breadcrumb gives way first
        }
        find.setMinWidth(120);
        crumbs.setMinWidth(60);
        HBox bar = new HBox(6, crumbs, grow, find, count, overlay, runtime, fit, svg, png);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(4, 8, 4, 8));
        return bar;
    }

    private void exportPng(GraphViewModel vm) {
        int w = (int) canvas.canvas().getWidth();
        int h = (int) canvas.canvas().getHeight();
        if (w <= 0 || h <= 0) return;
        WritableImage img = canvas.canvas().snapshot(null, new WritableImage(w, h));
        int[] argb = new int[w * h];
        img.getPixelReader().getPixels(0, 0, w, h, PixelFormat.getIntArgbInstance(), argb, 0, w);
        vm.exportPng(argb, w, h);
    }

    private static Label placeholder(GraphViewModel vm) {
        Label l = TextCells.placeholder("");
        l.textProperty().bind(vm.statusProperty());
        l.visibleProperty().bind(vm.layoutProperty().isNull());
        l.setMouseTransparent(true);
        return l;
    }

    private void mouse(GraphViewModel vm) {
        Tooltip tip = new Tooltip();
        Tooltip.install(canvas, tip);
        canvas.setOnMousePressed(e -> {
            canvas.requestFocus();
            press[0] = e.getX();
            press[1] = e.getY();
            press[2] = 0;
        });
        canvas.setOnMouseDragged(e -> {
            press[2] += Math.abs(e.getX() - press[0]) + Math.abs(e.getY() - press[1]);
            canvas.panBy(e.getX() - press[0], e.getY() - press[1]);
            press[0] = e.getX();
            press[1] = e.getY();
        });
        canvas.setOnMouseClicked(e -> {
            if (e.getButton() != MouseButton.PRIMARY || press[2] > 4) return;
            GraphNode n = canvas.nodeAt(e.getX(), e.getY()).orElse(null);
            vm.selectedProperty().set(n);
            if (n != null && e.getClickCount() == 2 && !n.subgraphs().isEmpty()) {
                vm.enter(n, n.subgraphs().get(0).attribute());
            }
        });
        canvas.setOnScroll(e -> canvas.zoomAt(Math.pow(1.1, e.getDeltaY() / 40), e.getX(), e.getY()));
        canvas.setOnMouseMoved(e -> {
            GraphNode n = canvas.nodeAt(e.getX(), e.getY()).orElse(null);
            if (n == null) {
                tip.setText("Drag to pan, scroll to zoom, click a node for its details");
                return;
            }
            Overlay.Mark m = vm.overlayProperty().get().marks().get(n.id());
            tip.setText((n.name().isEmpty() ? n.id() : n.name()) + "  (" + n.opType() + ")"
                    + (m == null ? "" : "\n" + m.tooltip()));
        });
    }

    private void keys(GraphViewModel vm) {
        canvas.setOnKeyPressed(e -> {
            double step = 60;
            switch (e.getCode()) {
                case LEFT -> canvas.panBy(step, 0);
                case RIGHT -> canvas.panBy(-step, 0);
                case UP -> canvas.panBy(0, step);
                case DOWN -> canvas.panBy(0, -step);
                case PLUS, EQUALS, ADD -> canvas.zoomAt(1.25, canvas.getWidth() / 2, canvas.getHeight() / 2);
                case MINUS, SUBTRACT -> canvas.zoomAt(0.8, canvas.getWidth() / 2, canvas.getHeight() / 2);
                case DIGIT0, NUMPAD0 -> canvas.fit();
                case BACK_SPACE -> vm.up();
                case ENTER -> {
                    GraphNode n = vm.selectedProperty().get();
                    if (n != null && !n.subgraphs().isEmpty()) vm.enter(n, n.subgraphs().get(0).attribute());
                }
                default -> {
                    return;
                }
            }
            e.consume();
        });
    }

    /** For the frame-timing benchmark and tests: the canvas drawn. */
    GraphCanvas graphCanvas() {
        return canvas;
    }
}
