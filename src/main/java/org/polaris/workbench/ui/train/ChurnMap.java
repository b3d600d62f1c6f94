package org.polaris.workbench.ui.train;

import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.paint.Color;

/**
 * The mask churn of one layer on a canvas: one column per mask update (oldest left), one row per group of output
 * units; the upper band shows weights dropped (or pruned), the lower band weights regrown, darker for more.
 */
final class ChurnMap extends Canvas {

    private TrainCurves.Churn churn;

    ChurnMap() {
        super(480, 220);
        setId("trainChurn");
        widthProperty().addListener((o, a, b) -> draw());
        heightProperty().addListener((o, a, b) -> draw());
    }

    void show(TrainCurves.Churn c) {
        churn = c;
        draw();
    }

    TrainCurves.Churn shown() {
        return churn;
    }

    private void draw() {
        GraphicsContext g = getGraphicsContext2D();
        double w = getWidth();
        double h = getHeight();
        g.setFill(Color.WHITE);
        g.fillRect(0, 0, w, h);
        if (churn == null || churn.updates() == 0 || churn.groups() == 0) {
            g.setFill(Color.GRAY);
            g.fillText("No mask updates yet for this layer (RigL and GMP update masks every N steps)", 8, 20);
            return;
        }
        double band = (h - 6) / 2;
        double cw = w / churn.updates();
        double ch = band / churn.groups();
        double max = Math.max(1, churn.max());
        for (int u = 0; u < churn.updates(); u++) {
            for (int grp = 0; grp < churn.groups(); grp++) {
                cell(g, u * cw, grp * ch, cw, ch, churn.dropped()[u][grp] / max, Color.rgb(200, 40, 40));
                cell(g, u * cw, band + 6 + grp * ch, cw, ch, churn.regrown()[u][grp] / max, Color.rgb(30, 110, 200));
            }
        }
        g.setStroke(Color.LIGHTGRAY);
        g.strokeLine(0, band + 3, w, band + 3);
    }

    private static void cell(GraphicsContext g, double x, double y, double w, double h, double share, Color color) {
        if (share <= 0) return;
        g.setFill(color.deriveColor(0, 1, 1, 0.15 + 0.85 * Math.min(1, share)));
        g.fillRect(x, y, Math.max(1, w - 0.5), Math.max(1, h));
    }
}
