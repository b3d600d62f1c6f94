package org.polaris.workbench.ui.inference;

import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.image.Image;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import org.polaris.workbench.engine.inference.OutputSummary;
import org.polaris.workbench.ui.common.TextCells;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/** Every output of a run in a table, and the first map-like output as a heat map (over the input image if any). */
final class OutputsPanel extends VBox {

    private final Canvas canvas = new Canvas(256, 256);
    private final Label mapTitle = new Label();

    OutputsPanel(InferenceViewModel vm) {
        super(6);
        TableView<OutputSummary> table = new TableView<>(vm.outputs());
        table.setId("outputsTable");
        table.getColumns().add(col("Output", OutputSummary::name, 110));
        table.getColumns().add(col("Type", OutputSummary::dtype, 60));
        table.getColumns().add(col("Shape", s -> Arrays.toString(s.shape()), 110));
        table.getColumns().add(col("Min", s -> num(s.min()), 75));
        table.getColumns().add(col("Max", s -> num(s.max()), 75));
        table.getColumns().add(col("Mean", s -> num(s.mean()), 75));
        table.getColumns().add(col("First values", s -> values(s.values()), 260));
        table.setPlaceholder(TextCells.placeholder("Run the model to see every output"));
        table.setPrefHeight(150);
        canvas.setId("heatMap");
        mapTitle.setId("heatMapTitle");
        mapTitle.setWrapText(true);
        vm.heatMapProperty().addListener((o, a, m) -> draw(m, vm.heatMapImageProperty().get()));
        vm.heatMapImageProperty().addListener((o, a, p) -> draw(vm.heatMapProperty().get(), p));
        draw(null, null);
        getChildren().addAll(table, mapTitle, new StackPane(canvas));
    }

    private void draw(HeatMap m, Path image) {
        GraphicsContext g = canvas.getGraphicsContext2D();
        g.clearRect(0, 0, canvas.getWidth(), canvas.getHeight());
        if (m == null) {
            mapTitle.setText("No output is a 2-D map");
            return;
        }
        double scale = Math.min(canvas.getWidth() / m.width(), canvas.getHeight() / m.height());
        double w = m.width() * scale;
        double h = m.height() * scale;
        double alpha = 1;
        if (image != null) {
            Image photo = new Image(image.toUri().toString(), w, h, false, true, false);
            if (!photo.isError()) {
                g.drawImage(photo, 0, 0, w, h);
                alpha = 0.55;
            }
        }
        WritableImage img = new WritableImage(m.width(), m.height());
        PixelWriter px = img.getPixelWriter();
        for (int y = 0; y < m.height(); y++) {
            for (int x = 0; x < m.width(); x++) {
                double v = m.normalized(y * m.width() + x);
                px.setColor(x, y, Color.hsb(240 * (1 - v), 0.9, 0.35 + 0.65 * v, alpha));
            }
        }
        g.setImageSmoothing(false);
        g.drawImage(img, 0, 0, w, h);
        mapTitle.setText(m.title() + (image != null ? ", over " + image.getFileName() : "")
                + "  (blue low, red high)");
    }

    private static TableColumn<OutputSummary, String> col(String title, Function<OutputSummary, String> f, double w) {
        return org.polaris.workbench.ui.common.TextCells.column(title, f, w);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4g", v);
    }

    private static String values(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double x : v) {
            b.append(b.length() == 0 ? "" : " ").append(x == Math.rint(x) && Math.abs(x) < 1e15
                    ? Long.toString((long) x) : String.format(Locale.ROOT, "%.4g", x));
        }
        return b.toString();
    }
}
