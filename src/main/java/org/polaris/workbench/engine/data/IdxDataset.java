package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Images and labels in IDX format (MNIST, Fashion-MNIST), plain or gzipped. Pixels are kept as bytes (one byte a
 * pixel, so 10,000 images are 7.8 MB); batches are converted to float on demand.
 */
public final class IdxDataset implements Dataset {

    private static final int MAX_ITEMS = 10_000_000;
    private static final int MAX_SIDE = 4096;

    private final byte[] pixels;
    private final byte[] labels;
    private final int count;
    private final int rows;
    private final int cols;
    private final Preprocessing pre;
    private final String description;

    private IdxDataset(byte[] pixels, byte[] labels, int count, int rows, int cols, Preprocessing pre, String description) {
        this.pixels = pixels;
        this.labels = labels;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.pre = pre;
        this.description = description;
    }

    /**
     * Opens an images file and, when present, the labels file beside it (same name with {@code images-idx3} replaced
     * by {@code labels-idx1}). {@code limit} caps how many samples are kept (0 for all).
     */
    public static IdxDataset open(Path images, Preprocessing pre, int limit) throws DataException {
        String name = images.getFileName().toString();
        Path labelsFile = images.resolveSibling(name.replace("images-idx3", "labels-idx1"));
        byte[][] img = read(images, 3);
        int n = img[0].length == 0 ? 0 : header(img, 0);
        int r = header(img, 1);
        int c = header(img, 2);
        int keep = limit > 0 ? Math.min(limit, n) : n;
        byte[] px = java.util.Arrays.copyOf(img[1], keep * r * c);
        byte[] lab = null;
        if (!labelsFile.equals(images) && Files.isRegularFile(labelsFile)) {
            byte[][] l = read(labelsFile, 1);
            if (header(l, 0) != n) {
                throw new DataException(labelsFile + ": holds " + header(l, 0) + " labels for " + n + " images");
            }
            lab = java.util.Arrays.copyOf(l[1], keep);
        }
        return new IdxDataset(px, lab, keep, r, c, pre, name + ": " + keep + (lab != null ? " labelled" : "")
                + " images " + r + "x" + c);
    }

    /** Returns {header dims as big-endian ints packed in a byte array, payload}. */
    private static byte[][] read(Path file, int expectedRank) throws DataException {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             DataInputStream data = new DataInputStream(in)) {
            int magic = data.readInt();
            if ((magic >>> 8) != 0x08 || (magic & 0xff) != expectedRank) {
                throw new DataException(file + ": not an IDX file of unsigned bytes with " + expectedRank
                        + " dimensions (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int[] dims = new int[expectedRank];
            long total = 1;
            for (int i = 0; i < expectedRank; i++) {
                dims[i] = data.readInt();
                int max = i == 0 ? MAX_ITEMS : MAX_SIDE;
                if (dims[i] < 0 || dims[i] > max) {
                    throw new DataException(file + ": dimension " + i + " is " + dims[i] + " (limit " + max + ")");
                }
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new DataException(file + ": " + total + " bytes of data is too large");
            }
            byte[] payload = new byte[(int) total];
            data.readFully(payload);
            byte[] header = new byte[4 * expectedRank];
            for (int i = 0; i < expectedRank; i++) {
                java.nio.ByteBuffer.wrap(header).putInt(4 * i, dims[i]);
            }
            return new byte[][] {header, payload};
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (java.io.EOFException e) {
            throw new DataException(file + ": truncated IDX file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static int header(byte[][] file, int dim) {
        return dim * 4 < file[0].length ? java.nio.ByteBuffer.wrap(file[0]).getInt(4 * dim) : 1;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Tensor batch(int start, int n) {
        int plane = rows * cols;
        float[] out = new float[n * plane];
        for (int i = 0; i < n * plane; i++) {
            out[i] = pre.apply(pixels[start * plane + i] & 0xff, 0);
        }
        return Tensor.ofFloats("batch", new long[] {n, 1, rows, cols}, out);
    }

    @Override
    public int label(int i) {
        return labels == null ? -1 : labels[i] & 0xff;
    }

    @Override
    public String description() {
        return description;
    }
}
