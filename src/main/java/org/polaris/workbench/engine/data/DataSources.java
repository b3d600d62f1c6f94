package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ValueType;

import java.nio.file.Files;
import java.nio.file.Path;

/** Turns what a user points at (an IDX file, a folder of images, or nothing) into a {@link Dataset}. */
public final class DataSources {

    private DataSources() {
    }

    /**
     * @param path an IDX images file (labels beside it are picked up), a folder of images, or {@code null} for
     *             seeded random inputs shaped like the model's input (flagged as synthetic)
     * @param samples how many samples the caller will use (image folders yield extra crops to reach it)
     */
    public static Dataset open(Path path, Preprocessing pre, int samples, ValueType modelInput) throws DataException {
        if (path == null) {
            return new RandomDataset(sampleShape(modelInput), Math.max(1, samples), 42);
        }
        if (!Files.exists(path)) {
            throw new DataException(path + ": no such file or folder");
        }
        if (Files.isDirectory(path)) {
            Preprocessing p = pre.crop() > 0 ? pre : withModelCrop(pre, modelInput);
            return ImageFolderDataset.open(path, p, Math.max(1, samples / 5));
        }
        return IdxDataset.open(path, pre, samples);
    }

    /** Fills in crop (the model's input height) and resize (crop * 8/7) when they were left at 0. */
    public static Preprocessing withModelCrop(Preprocessing pre, ValueType input) {
        int side = pre.crop();
        if (side == 0 && input != null && input.shape() != null && input.shape().size() == 4) {
            Dim h = input.shape().get(pre.layout().equals("NCHW") ? 2 : 1);
            side = h.isFixed() ? (int) h.value() : 0;
        }
        int resize = pre.resize() > 0 ? pre.resize() : side * 8 / 7;
        return new Preprocessing(pre.scale(), pre.mean(), pre.std(), resize, side, pre.layout());
    }

    private static long[] sampleShape(ValueType input) throws DataException {
        if (input == null || input.shape() == null || input.shape().isEmpty()
                || input.shape().stream().skip(1).anyMatch(d -> !d.isFixed())) {
            throw new DataException("random inputs need a model input with fixed non-batch dimensions; "
                    + "give calibration data instead");
        }
        return input.shape().stream().skip(1).mapToLong(Dim::value).toArray();
    }

    /** Parses a pixel multiplier written as a number or a fraction ("1/255"). */
    public static double parseScale(String s) {
        String[] parts = s.trim().split("/");
        try {
            double v = parts.length == 2 ? Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]) : Double.parseDouble(s.trim());
            if (!Double.isFinite(v) || v == 0 || Math.abs(v) > 1e6) {
                throw new IllegalArgumentException("scale must be a finite, non-zero number up to 1e6, not " + s);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("scale must be a number or a fraction like 1/255, not " + s);
        }
    }

    /** Parses comma-separated per-channel values ("0.485,0.456,0.406"). */
    public static double[] parseList(String s, String what) {
        String[] parts = s.trim().split("\\s*,\\s*");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " must be numbers separated by commas, not " + s);
            }
        }
        return out;
    }
}
