package org.polaris.workbench.engine.data;

/**
 * How an image becomes one sample of a model input: channels (1 gray, 3 RGB, 4 RGBA), height, width and layout,
 * read from the input's resolved shape: {@code [N,C,H,W]}, {@code [N,H,W,C]}, {@code [N,H,W]} (gray), or one image
 * without a batch dimension, {@code [C,H,W]} or {@code [H,W,C]} (as torchvision detectors take it).
 */
public record ImageGeometry(int channels, int height, int width, boolean nhwc, boolean channelDim, boolean batchDim) {

    public ImageGeometry {
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("images have 1, 3 or 4 channels, not " + channels);
        }
        if (height < 1 || width < 1 || height > 8192 || width > 8192) {
            throw new IllegalArgumentException("image size " + width + "x" + height + " is outside 1..8192");
        }
    }

    /** The classic square RGB crop of the given side. */
    public static ImageGeometry square(int side, boolean nhwc) {
        return new ImageGeometry(3, side, side, nhwc, true, true);
    }

    /**
     * The geometry of a resolved input shape; {@code layoutHint} ("NCHW"/"NHWC") decides only when both readings
     * are possible (e.g. {@code [1,3,3,3]}). A rank-3 input whose declared first dimension is dynamic
     * ({@code batched}) stacks gray images; otherwise a first (or else last) dimension of 1, 3 or 4 is the
     * channels of one image.
     *
     * @throws IllegalArgumentException when the shape is not an image tensor, with the reason
     */
    public static ImageGeometry of(long[] shape, boolean batched, String layoutHint) {
        if (shape.length == 3) {
            if (!batched && isChannels(shape[0])) {
                return new ImageGeometry((int) shape[0], side(shape[1]), side(shape[2]), false, true, false);
            }
            if (!batched && isChannels(shape[2])) {
                return new ImageGeometry((int) shape[2], side(shape[0]), side(shape[1]), true, true, false);
            }
            return new ImageGeometry(1, side(shape[1]), side(shape[2]), false, false, true);
        }
        if (shape.length != 4) {
            throw new IllegalArgumentException("an image input has rank 3 or 4, not " + shape.length);
        }
        boolean chw = isChannels(shape[1]);
        boolean hwc = isChannels(shape[3]);
        boolean nhwc = hwc && (!chw || "NHWC".equals(layoutHint));
        if (!chw && !hwc) {
            throw new IllegalArgumentException("neither dimension 1 nor 3 of " + java.util.Arrays.toString(shape)
                    + " is 1, 3 or 4 image channels");
        }
        return nhwc ? new ImageGeometry((int) shape[3], side(shape[1]), side(shape[2]), true, true, true)
                : new ImageGeometry((int) shape[1], side(shape[2]), side(shape[3]), false, true, true);
    }

    private static boolean isChannels(long d) {
        return d == 1 || d == 3 || d == 4;
    }

    private static int side(long d) {
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, d));
    }

    public int sampleElements() {
        return channels * height * width;
    }

    /** Shape of {@code count} samples (one, without a batch dimension). */
    public long[] dims(int count) {
        if (!batchDim) {
            if (count != 1) {
                throw new IllegalArgumentException("this input takes one image (it has no batch dimension), not " + count);
            }
            return nhwc ? new long[] {height, width, channels} : new long[] {channels, height, width};
        }
        if (!channelDim) {
            return new long[] {count, height, width};
        }
        return nhwc ? new long[] {count, height, width, channels} : new long[] {count, channels, height, width};
    }

    /** Index of a value in one sample. */
    public int offset(int c, int y, int x) {
        return nhwc ? (y * width + x) * channels + c : c * height * width + y * width + x;
    }
}
