package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.io.InputFiles;
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
     * by {@code labels-idx1}). {@code limit} caps how many samples are kept (0 for all). Only the kept samples are
     * read, streamed in chunks: memory follows the bytes actually present, never what a header claims.
     */
    public static IdxDataset open(Path images, Preprocessing pre, int limit) throws DataException {
        String name = images.getFileName().toString();
        Path labelsFile = images.resolveSibling(name.replace("images-idx3", "labels-idx1"));
        Parsed img = read(images, 3, limit);
        int n = img.dims()[0];
        int r = img.dims()[1];
        int c = img.dims()[2];
        int keep = img.kept();
        byte[] lab = null;
        java.util.List<Path> sources = new java.util.ArrayList<>(java.util.List.of(images));
        if (!labelsFile.equals(images) && Files.isRegularFile(labelsFile)) {
            Parsed l = read(labelsFile, 1, keep);
            if (l.dims()[0] != n) {
                throw new DataException(labelsFile + ": holds " + l.dims()[0] + " labels for " + n + " images");
            }
            lab = l.payload();
            sources.add(labelsFile);
        }
        IdxDataset d = new IdxDataset(img.payload(), lab, keep, r, c, pre, name + ": " + keep
                + (lab != null ? " labelled" : "") + " images " + r + "x" + c);
        d.sources = java.util.List.copyOf(sources);
        return d;
    }

    /** The files behind this data set (images, and labels when found). */
    private java.util.List<Path> sources = java.util.List.of();

    @Override
    public java.util.List<Path> files() {
        return sources;
    }

    /** The first {@code limit} labels (0: all) of an IDX1 labels file, as unsigned bytes. */
    static byte[] readLabels(Path file, int limit) throws DataException {
        return read(file, 1, limit).payload();
    }

    /** Header dimensions, how many items were kept, and their bytes. */
    private record Parsed(int[] dims, int kept, byte[] payload) {
    }

    private static Parsed read(Path file, int expectedRank, int limit) throws DataException {
        String problem = InputFiles.problem(file);
        if (problem != null) {
            throw new DataException(file + ": " + problem);
        }
        boolean gz = file.toString().endsWith(".gz");
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw;
             DataInputStream data = new DataInputStream(in)) {
            int magic = data.readInt();
            if ((magic >>> 8) != 0x08 || (magic & 0xff) != expectedRank) {
                throw new DataException(file + ": not an IDX file of unsigned bytes with " + expectedRank
                        + " dimensions (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int[] dims = new int[expectedRank];
            long itemBytes = 1;
            for (int i = 0; i < expectedRank; i++) {
                dims[i] = data.readInt();
                int max = i == 0 ? MAX_ITEMS : MAX_SIDE;
                if (dims[i] < 0 || dims[i] > max) {
                    throw new DataException(file + ": dimension " + i + " is " + dims[i] + " (limit " + max + ")");
                }
                if (i > 0) {
                    itemBytes *= dims[i];
                }
            }
            long header = 4L + 4L * expectedRank;
            if (!gz && Files.size(file) < header + dims[0] * itemBytes) {
                throw new DataException(file + ": truncated IDX file: the header declares " + dims[0] + " items of "
                        + itemBytes + " bytes but the file has " + Files.size(file) + " bytes");
            }
            int keep = limit > 0 ? Math.min(limit, dims[0]) : dims[0];
            long want = keep * itemBytes;
            if (want > Integer.MAX_VALUE - 8) {
                throw new DataException(file + ": " + keep + " items of " + itemBytes + " bytes is too much to read "
                        + "at once; read fewer samples");
            }
            byte[] payload = readUpTo(data, (int) want);
            if (payload.length < want) {
                throw new DataException(file + ": truncated IDX file: the header declares " + dims[0]
                        + " items but the data ends after " + payload.length / Math.max(1, itemBytes));
            }
            return new Parsed(dims, keep, payload);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (java.io.EOFException e) {
            throw new DataException(file + ": truncated IDX file");
        } catch (java.util.zip.ZipException e) {
            throw new DataException(file + ": corrupt gzip data (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Reads up to {@code want} bytes in growing chunks, so a lying header costs only what is really there. */
    private static byte[] readUpTo(InputStream in, int want) throws IOException {
        byte[] buf = new byte[Math.min(want, 1 << 20)];
        int have = 0;
        while (have < want) {
            if (have == buf.length) {
                buf = java.util.Arrays.copyOf(buf, (int) Math.min(want, 2L * buf.length));
            }
            int n = in.read(buf, have, buf.length - have);
            if (n < 0) {
                break;
            }
            have += n;
        }
        return have == buf.length ? buf : java.util.Arrays.copyOf(buf, have);
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
