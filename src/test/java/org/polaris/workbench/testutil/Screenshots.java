package org.polaris.workbench.testutil;

import ar.com.hjg.pngj.ImageInfo;
import ar.com.hjg.pngj.ImageLineInt;
import ar.com.hjg.pngj.PngWriter;
import javafx.scene.Scene;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Saves a scene as PNG for the user guide when {@code -Dpolaris.screenshots=DIR} is set (a documented, manual step:
 * {@code ./mvnw test -Dtest=SparsityPaneViewTest -Dpolaris.screenshots=docs/images}); does nothing otherwise.
 * Call on the FX thread.
 */
public final class Screenshots {

    private Screenshots() {
    }

    /** Share of a canvas' pixels (sampled every {@code stride}) darker than {@code brightness}: something was drawn. */
    public static double ink(javafx.scene.canvas.Canvas c, double brightness, int stride) {
        WritableImage img = c.snapshot(null, null);
        int ink = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y += stride) {
            for (int x = 0; x < img.getWidth(); x += stride) {
                n++;
                if (img.getPixelReader().getColor(x, y).getBrightness() < brightness) ink++;
            }
        }
        return (double) ink / n;
    }

    public static void save(Scene scene, String name) throws Exception {
        String dir = System.getProperty("polaris.screenshots");
        if (dir == null || dir.isBlank()) {
            return;
        }
        WritableImage img = scene.snapshot(null);
        int w = (int) img.getWidth();
        int h = (int) img.getHeight();
        PixelReader px = img.getPixelReader();
        Path out = Path.of(dir).resolve(name);
        try (OutputStream os = Files.newOutputStream(out)) {
            PngWriter png = new PngWriter(os, new ImageInfo(w, h, 8, false));
            ImageLineInt line = new ImageLineInt(png.imgInfo);
            for (int y = 0; y < h; y++) {
                int[] s = line.getScanline();
                for (int x = 0; x < w; x++) {
                    int argb = px.getArgb(x, y);
                    s[3 * x] = (argb >> 16) & 0xff;
                    s[3 * x + 1] = (argb >> 8) & 0xff;
                    s[3 * x + 2] = argb & 0xff;
                }
                png.writeRow(line);
            }
            png.end();
        }
    }
}
