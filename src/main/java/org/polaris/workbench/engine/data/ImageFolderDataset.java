package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;

import org.polaris.workbench.engine.io.InputFiles;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A folder of PNG/JPEG/BMP/GIF images (unlabelled), loaded one batch at a time into the input's geometry: for a
 * square input resize the shorter side and center-crop, else resize to the input's height and width; gray, RGB or
 * RGBA; NCHW or NHWC; normalized. With {@code variants > 1} each image also yields shifted crops (square inputs),
 * so a handful of photos can feed a calibration run of realistic, distinct inputs.
 */
public final class ImageFolderDataset implements Dataset {

    private static final long MAX_IMAGE_BYTES = 64L << 20;
    /**
     * Largest image decoded, in pixels (read from the file's header before decoding); a 30000x30000 PNG would need
     * 3.6 GB. Raise with {@code -Dpolaris.maxImagePixels=N}.
     */
    public static final long MAX_PIXELS = Long.getLong("polaris.maxImagePixels", 50_000_000L);

    private final List<Path> files;
    private final Preprocessing pre;
    private final int variants;
    private final ImageGeometry geometry;
    /** The last decoded image: variants of one file come one after another, so each file is decoded once. */
    private int cachedIndex = -1;
    private BufferedImage cached;

    private ImageFolderDataset(List<Path> files, Preprocessing pre, int variants, ImageGeometry geometry) {
        this.files = files;
        this.pre = pre;
        this.variants = geometry.height() == geometry.width() ? variants : 1;
        this.geometry = geometry;
    }

    /** Square RGB crops of {@code pre.crop()} pixels. */
    public static ImageFolderDataset open(Path dir, Preprocessing pre, int variants) throws DataException {
        if (pre.crop() <= 0) {
            throw new DataException(dir + ": image inputs need a crop size (the model's input height and width)");
        }
        return open(dir, pre, variants, ImageGeometry.square(pre.crop(), pre.layout().equals("NHWC")));
    }

    public static ImageFolderDataset open(Path dir, Preprocessing pre, int variants, ImageGeometry geometry)
            throws DataException {
        List<Path> images;
        try (Stream<Path> s = Files.list(dir)) {
            images = s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.matches(".*\\.(png|jpe?g|bmp|gif)");
            }).sorted().toList();
        } catch (IOException e) {
            throw new DataException(dir + ": cannot list images: " + e.getMessage());
        }
        if (images.isEmpty()) {
            throw new DataException(dir + ": no .png, .jpg, .bmp or .gif images");
        }
        for (Path p : images) {
            String problem = InputFiles.problem(p);
            if (problem != null) {
                throw new DataException(p + ": " + problem);
            }
        }
        return new ImageFolderDataset(images, pre, Math.max(1, variants), geometry);
    }

    /** One image file as a data set of one sample (its own errors name it, not a copy). */
    public static ImageFolderDataset ofFile(Path image, Preprocessing pre) throws DataException {
        if (pre.crop() <= 0) {
            throw new DataException(image + ": image inputs need a crop size (the model's input height and width)");
        }
        return ofFile(image, pre, ImageGeometry.square(pre.crop(), pre.layout().equals("NHWC")));
    }

    /** One image file in the given geometry. */
    public static ImageFolderDataset ofFile(Path image, Preprocessing pre, ImageGeometry geometry) throws DataException {
        String problem = InputFiles.problem(image);
        if (problem != null) {
            throw new DataException(image + ": " + problem);
        }
        ImageFolderDataset d = new ImageFolderDataset(List.of(image), pre, 1, geometry);
        try {
            d.load(0);
        } catch (DataFileException e) {
            throw new DataException(e.getMessage());
        }
        return d;
    }

    @Override
    public List<Path> files() {
        return files;
    }

    @Override
    public int size() {
        return files.size() * variants;
    }

    @Override
    public Tensor batch(int start, int count) {
        ImageGeometry g = geometry;
        int per = g.sampleElements();
        float[] out = new float[count * per];
        for (int b = 0; b < count; b++) {
            int idx = start + b;
            BufferedImage img = crop(load(idx / variants), idx % variants);
            for (int y = 0; y < g.height(); y++) {
                for (int x = 0; x < g.width(); x++) {
                    int argb = img.getRGB(x, y);
                    int r = (argb >> 16) & 0xff;
                    int gr = (argb >> 8) & 0xff;
                    int bl = argb & 0xff;
                    if (g.channels() == 1) {
                        // ITU-R BT.601 luma, what PIL's convert("L") computes
                        int luma = (int) Math.round(0.299 * r + 0.587 * gr + 0.114 * bl);
                        out[b * per + g.offset(0, y, x)] = pre.apply(luma, 0);
                        continue;
                    }
                    int[] ch = {r, gr, bl, (argb >>> 24) & 0xff};
                    for (int c = 0; c < g.channels(); c++) {
                        out[b * per + g.offset(c, y, x)] = pre.apply(ch[c], c);
                    }
                }
            }
        }
        return Tensor.ofFloats("batch", g.dims(count), out);
    }

    private BufferedImage load(int index) {
        if (index == cachedIndex) {
            return cached;
        }
        Path file = files.get(index);
        try {
            String problem = InputFiles.problem(file);
            if (problem != null) {
                throw new DataFileException(file + ": " + problem);
            }
            if (Files.size(file) > MAX_IMAGE_BYTES) {
                throw new DataFileException(file + ": image file over " + MAX_IMAGE_BYTES + " bytes");
            }
            BufferedImage img = decode(file);
            cached = img;
            cachedIndex = index;
            return img;
        } catch (IOException e) {
            throw new DataFileException(file + ": not a readable image (" + e.getMessage() + ")");
        }
    }

    /** Reads width and height from the header and refuses oversized images before any pixel is decoded. */
    private static BufferedImage decode(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new DataFileException(file + ": not a readable image");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DataFileException(file + ": not a readable image (no PNG or JPEG header)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                    throw new DataFileException(file + ": image is " + w + "x" + h + " pixels, over the limit of "
                            + MAX_PIXELS + " (raise it with -Dpolaris.maxImagePixels=N)");
                }
                BufferedImage img = reader.read(0);
                if (img == null) {
                    throw new DataFileException(file + ": not a readable image");
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (RuntimeException e) {
            if (e instanceof DataFileException) {
                throw e;
            }
            throw new DataFileException(file + ": not a readable image (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * Square inputs: resizes the shorter side to {@code resize} (bilinear) and takes a crop; variant 0 is the center
     * crop. Other inputs: resized to the input's width and height.
     */
    private BufferedImage crop(BufferedImage src, int variant) {
        if (geometry.height() != geometry.width()
                || (variant == 0 && src.getWidth() == geometry.width() && src.getHeight() == geometry.height())) {
            // an image already of the input's size is taken as it is (a 28x28 Fashion-MNIST PNG stays exact)
            return scaled(src, geometry.width(), geometry.height());
        }
        int side = geometry.height();
        int target = Math.max(pre.resize() > 0 ? pre.resize() : side, side);
        double f = (double) target / Math.min(src.getWidth(), src.getHeight());
        int w = Math.max(side, (int) Math.round(src.getWidth() * f));
        int h = Math.max(side, (int) Math.round(src.getHeight() * f));
        BufferedImage scaled = scaled(src, w, h);
        int x0 = (w - side) / 2;
        int y0 = (h - side) / 2;
        if (variant > 0) {
            // Deterministic spread of offsets over the margin left by the resize.
            double a = variant * 2.399963;
            x0 = clamp(x0 + (int) Math.round(Math.cos(a) * (w - side) / 2.0 * ((variant % 3) + 1) / 3.0), w - side);
            y0 = clamp(y0 + (int) Math.round(Math.sin(a) * (h - side) / 2.0 * ((variant % 3) + 1) / 3.0), h - side);
        }
        return scaled.getSubimage(x0, y0, side, side);
    }

    private static BufferedImage scaled(BufferedImage src, int w, int h) {
        BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return scaled;
    }

    private static int clamp(int v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    @Override
    public int label(int i) {
        return -1;
    }

    @Override
    public String description() {
        return files.size() + " images" + (variants > 1 ? " x " + variants + " crops" : "");
    }
}
