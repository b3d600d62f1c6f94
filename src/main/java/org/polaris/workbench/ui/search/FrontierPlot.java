package org.polaris.workbench.ui.search;

import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.paint.Color;
import org.polaris.workbench.engine.search.CompressionSearch;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Quality against speed-up (or size) of every evaluated candidate, the original at (1, its quality), the frontier
 * joined by a line, the tolerance as a dashed line; a click selects the nearest candidate.
 */
final class FrontierPlot extends Canvas {

    private static final double LEFT = 56;
    private static final double BOTTOM = 34;
    private static final double TOP = 12;
    private static final double RIGHT = 12;

    private List<CompressionSearch.CandidateResult> points = List.of();
    private CompressionSearch.Report report;
    private CompressionSearch.CandidateResult selected;
    private boolean size;
    private double tolerance;
    private Double original;
    private double x0;
    private double x1;
    private double y0;
    private double y1;

    FrontierPlot(Consumer<CompressionSearch.CandidateResult> onSelect) {
        super(500, 300);
        setId("searchFrontier");
        widthProperty().addListener((o, a, b) -> draw());
        heightProperty().addListener((o, a, b) -> draw());
        setOnMouseClicked(e -> nearest(e.getX(), e.getY(), onSelect));
    }

    void show(List<CompressionSearch.CandidateResult> all, CompressionSearch.Report r, CompressionSearch.CandidateResult sel,
              boolean bySize, double tol) {
        points = all.stream().filter(c -> c.status() == CompressionSearch.Status.EVALUATED).toList();
        report = r;
        selected = sel;
        size = bySize;
        tolerance = tol;
        original = r != null ? r.originalAccuracy() : null;
        draw();
    }

    int pointsShown() {
        return points.size();
    }

    private double xOf(CompressionSearch.CandidateResult c) {
        return size ? c.sizeRatio() : c.speedup();
    }

    private double yOf(CompressionSearch.CandidateResult c) {
        return 100 * (c.accuracy() != null ? c.accuracy() : c.agreement());
    }

    private double px(double x) {
        return LEFT + (x - x0) / (x1 - x0) * (getWidth() - LEFT - RIGHT);
    }

    private double py(double y) {
        return getHeight() - BOTTOM - (y - y0) / (y1 - y0) * (getHeight() - BOTTOM - TOP);
    }

    private void range() {
        x0 = 1;
        x1 = 1;
        y0 = original != null ? 100 * original - Math.max(1, tolerance) : 100;
        y1 = original != null ? 100 * original + 0.5 : 100;
        for (CompressionSearch.CandidateResult c : points) {
            x0 = Math.min(x0, xOf(c));
            x1 = Math.max(x1, xOf(c));
            y0 = Math.min(y0, yOf(c));
            y1 = Math.max(y1, yOf(c));
        }
        double dx = Math.max(0.05, (x1 - x0) * 0.08);
        double dy = Math.max(0.2, (y1 - y0) * 0.08);
        x0 = Math.max(0, x0 - dx);
        x1 += dx;
        y0 -= dy;
        y1 += dy;
    }

    private void draw() {
        GraphicsContext g = getGraphicsContext2D();
        double w = getWidth();
        double h = getHeight();
        g.setFill(Color.WHITE);
        g.fillRect(0, 0, w, h);
        if (points.isEmpty() && original == null) {
            g.setFill(Color.GRAY);
            g.fillText("Candidates appear here as the search evaluates them", 12, 24);
            return;
        }
        range();
        g.setStroke(Color.GRAY);
        g.strokeLine(LEFT, h - BOTTOM, w - RIGHT, h - BOTTOM);
        g.strokeLine(LEFT, TOP, LEFT, h - BOTTOM);
        g.setFill(Color.DIMGRAY);
        g.fillText(size ? "size (share of the original)" : "speed-up (original = 1)", w / 2 - 60, h - 6);
        for (int i = 0; i <= 4; i++) {
            double x = x0 + (x1 - x0) * i / 4;
            double y = y0 + (y1 - y0) * i / 4;
            g.fillText(String.format(Locale.ROOT, size ? "%.0f%%" : "%.2fx", size ? 100 * x : x), px(x) - 14, h - BOTTOM + 14);
            g.fillText(String.format(Locale.ROOT, "%.1f", y), 8, py(y) + 4);
        }
        if (original != null) {
            double limit = 100 * original - tolerance;
            g.setStroke(Color.ORANGE);
            g.setLineDashes(5, 4);
            g.strokeLine(LEFT, py(limit), w - RIGHT, py(limit));
            g.setLineDashes();
            g.setFill(Color.BLACK);
            g.fillRect(px(1) - 4, py(100 * original) - 4, 8, 8);
        }
        List<CompressionSearch.CandidateResult> front = points.stream().filter(CompressionSearch.CandidateResult::onFrontier)
                .sorted((a, b) -> Double.compare(xOf(a), xOf(b))).toList();
        g.setStroke(Color.rgb(220, 120, 20));
        for (int i = 1; i < front.size(); i++) {
            g.strokeLine(px(xOf(front.get(i - 1))), py(yOf(front.get(i - 1))), px(xOf(front.get(i))), py(yOf(front.get(i))));
        }
        for (CompressionSearch.CandidateResult c : points) {
            Color col = !c.withinTolerance() ? Color.SILVER : c.onFrontier() ? Color.rgb(220, 120, 20) : Color.STEELBLUE;
            double r = report != null && c.id().equals(report.chosen()) ? 7 : 4.5;
            g.setFill(col);
            g.fillOval(px(xOf(c)) - r, py(yOf(c)) - r, 2 * r, 2 * r);
            if (c == selected || selected != null && c.id().equals(selected.id())) {
                g.setStroke(Color.BLACK);
                g.strokeOval(px(xOf(c)) - r - 3, py(yOf(c)) - r - 3, 2 * r + 6, 2 * r + 6);
            }
        }
    }

    private void nearest(double x, double y, Consumer<CompressionSearch.CandidateResult> onSelect) {
        CompressionSearch.CandidateResult best = null;
        double bestD = 15 * 15;
        for (CompressionSearch.CandidateResult c : points) {
            double dx = px(xOf(c)) - x;
            double dy = py(yOf(c)) - y;
            if (dx * dx + dy * dy < bestD) {
                bestD = dx * dx + dy * dy;
                best = c;
            }
        }
        if (best != null) onSelect.accept(best);
    }

    /** Where candidate {@code c} is drawn (for tests that click it). */
    double[] at(CompressionSearch.CandidateResult c) {
        return new double[] {px(xOf(c)), py(yOf(c))};
    }
}
