package org.polaris.workbench.ui.common;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** PNG encoding of a view's pixels (a canvas snapshot), off the FX thread. */
public final class PngFiles {

    private PngFiles() {
    }

    /** @param argb pixels row by row, 0xAARRGGBB */
    public static byte[] encode(int[] argb, int width, int height) throws IOException {
        if (width <= 0 || height <= 0 || argb.length < (long) width * height) {
            throw new IllegalArgumentException("no image: " + width + "x" + height);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, width, height, argb, 0, width);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
