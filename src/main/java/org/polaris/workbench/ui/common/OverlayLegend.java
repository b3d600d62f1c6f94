package org.polaris.workbench.ui.common;

import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.shape.Rectangle;
import org.polaris.workbench.engine.graph.Overlay;

/** The overlay's legend, always shown while an overlay is: its colours, where the numbers came from, and its note. */
public final class OverlayLegend extends VBox {

    private boolean collapsed;

    public OverlayLegend(javafx.beans.value.ObservableValue<Overlay> overlay, String id) {
        setId(id);
        setSpacing(3);
        setPadding(new Insets(8));
        setMaxWidth(320);
        setMaxHeight(Region.USE_PREF_SIZE);
        getStyleClass().add("graph-legend");
        setStyle("-fx-background-color: rgba(255,255,255,0.92); -fx-border-color: #999999;");
        overlay.addListener((o, a, ov) -> show(ov));
        show(overlay.getValue());
    }

    private void show(Overlay o) {
        getChildren().clear();
        boolean on = o != null && o.kind() != Overlay.Kind.NONE;
        setVisible(on);
        setManaged(on);
        if (!on) return;
        Label title = new Label((collapsed ? "▸ " : "▾ ") + o.kind().label());
        title.setStyle("-fx-font-weight: bold;");
        title.setTooltip(new javafx.scene.control.Tooltip("Click to " + (collapsed ? "show" : "fold") + " the legend"));
        title.setOnMouseClicked(e -> {
            collapsed = !collapsed;
            show(o);
        });
        getChildren().add(title);
        if (collapsed) return;
        if (!o.source().isEmpty()) getChildren().add(wrapped(o.source()));
        for (Overlay.LegendEntry e : o.legend()) {
            Rectangle swatch = new Rectangle(12, 12, GraphCanvas.rgb(e.rgb()));
            swatch.setStroke(javafx.scene.paint.Color.web("#555555"));
            HBox row = new HBox(6, swatch, new Label(e.label()));
            getChildren().add(row);
        }
        if (!o.note().isEmpty()) getChildren().add(wrapped(o.note()));
    }

    private static Label wrapped(String text) {
        Label l = new Label(text);
        l.setWrapText(true);
        l.setStyle("-fx-font-size: 10px;");
        return l;
    }
}
