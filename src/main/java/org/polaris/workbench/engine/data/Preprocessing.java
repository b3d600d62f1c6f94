package org.polaris.workbench.engine.data;

import java.util.Arrays;

/**
 * How raw pixels become model inputs: {@code ((pixel * scale) - mean[c]) / std[c]}, after resizing the shorter side
 * to {@code resize} and center-cropping to {@code crop} (images only; 0 leaves the size alone).
 *
 * @param layout {@code NCHW} or {@code NHWC}
 */
public record Preprocessing(double scale, double[] mean, double[] std, int resize, int crop, String layout)
        implements java.io.Serializable {

    public Preprocessing {
        mean = mean.clone();
        std = std.clone();
        if (std.length != mean.length) {
            throw new IllegalArgumentException("mean has " + mean.length + " values but std has " + std.length);
        }
        for (double s : std) {
            if (s == 0 || !Double.isFinite(s)) {
                throw new IllegalArgumentException("std values must be finite and non-zero: " + Arrays.toString(std));
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("mean values must be finite: " + Arrays.toString(mean));
            }
        }
        if (!Double.isFinite(scale) || scale == 0) {
            throw new IllegalArgumentException("scale must be finite and non-zero, not " + scale);
        }
        if (resize < 0 || resize > 8192 || crop < 0 || crop > 8192) {
            throw new IllegalArgumentException("resize and crop must be 0..8192 pixels, not " + resize + " and " + crop);
        }
        if (mean.length > 64) {
            throw new IllegalArgumentException("at most 64 mean/std values");
        }
        if (!layout.equals("NCHW") && !layout.equals("NHWC")) {
            throw new IllegalArgumentException("layout must be NCHW or NHWC, not " + layout);
        }
    }

    /** Pixel / 255, no normalization: what the Fashion-MNIST samples expect. */
    public static Preprocessing unitScale() {
        return new Preprocessing(1 / 255.0, new double[] {0}, new double[] {1}, 0, 0, "NCHW");
    }

    /** ImageNet convention of torchvision models: resize 256, crop 224, mean/std per RGB channel. */
    public static Preprocessing imagenet() {
        return new Preprocessing(1 / 255.0, new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225},
                256, 224, "NCHW");
    }

    public float apply(int pixel, int channel) {
        int c = mean.length == 1 ? 0 : channel;
        return (float) ((pixel * scale - mean[c]) / std[c]);
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }
}
