package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.sparse.SparseMatrix;

import java.util.Map;

/**
 * 2-D convolution: im2col + {@link Gemm} in general, the input used directly for 1x1/stride-1 convolutions, and a
 * direct loop for depthwise convolutions (one input channel per group), where im2col would only add copies.
 */
final class ConvKernels {

    /** Runs parallel loops inline: for work already split across the pool's threads. */
    private static final EnginePool INLINE = new EnginePool(1);

    private ConvKernels() {
    }

    static void register(Map<String, Kernel> k, EnginePool pool, SparseWeights sparse) {
        k.put("Conv", (n, in, o) -> new Value[] {conv(pool, sparse, n, in[0], in[1], in.length > 2 ? in[2] : null)});
    }

    private static Value activated(LoadTimeRewrites.Activation act, Value y) {
        LoadTimeRewrites.activate(act, y.f, 0, y.f.length);
        return y;
    }

    /** Output size and begin padding of one spatial axis, honouring auto_pad. */
    static int[] geometry(String autoPad, int size, int kernel, int stride, int dilation, int padBegin, int padEnd,
                          boolean ceil) {
        int eff = dilation * (kernel - 1) + 1;
        if (autoPad.startsWith("SAME")) {
            int out = (size + stride - 1) / stride;
            int total = Math.max(0, (out - 1) * stride + eff - size);
            int begin = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
            return new int[] {out, begin};
        }
        if (autoPad.equals("VALID")) {
            return new int[] {(size - eff) / stride + 1, 0};
        }
        int span = size + padBegin + padEnd - eff;
        int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= size + padBegin) {
            out--;
        }
        return new int[] {out, padBegin};
    }

    static Value conv(EnginePool pool, Node node, Value x, Value w, Value bias) {
        return conv(pool, SparseWeights.none(), node, x, w, bias);
    }

    /**
     * The convolution, with the activation folded into {@code node} (if any) applied: plane by plane on the
     * depthwise paths, over the whole output on the others.
     */
    static Value conv(EnginePool pool, SparseWeights sw, Node node, Value x, Value w, Value bias) {
        LoadTimeRewrites.Activation act = LoadTimeRewrites.Activation.of(node);
        if (x.rank() != 4) {
            throw new IllegalArgumentException("Conv is implemented for 2-D images (rank 4), got rank " + x.rank());
        }
        int batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int m = w.shape[0], kh = w.shape[2], kw = w.shape[3];
        int group = (int) Attrs.i(node, "group", 1);
        int[] strides = Attrs.ints(node, "strides", new int[] {1, 1});
        int[] dil = Attrs.ints(node, "dilations", new int[] {1, 1});
        int[] pads = Attrs.ints(node, "pads", new int[] {0, 0, 0, 0});
        String autoPad = Attrs.s(node, "auto_pad", "NOTSET");
        int[] gy = geometry(autoPad, h, kh, strides[0], dil[0], pads[0], pads[2], false);
        int[] gx = geometry(autoPad, wd, kw, strides[1], dil[1], pads[1], pads[3], false);
        int oh = gy[0], ow = gx[0];
        int cg = c / group, mg = m / group;
        int plane = oh * ow;
        if (cg == 1 && mg == 1) {
            float[] out = Buffers.uninitialized(batch * m * plane); // every plane is written whole
            if (plane <= CHANNELS_LAST_MAX_PLANE) {
                depthwiseChannelsLast(pool, x, w, bias, act, out, oh, ow, strides, dil, gy[1], gx[1]);
            } else {
                depthwise(pool, x, w, bias, act, out, oh, ow, strides, dil, gy[1], gx[1]);
            }
            return Value.floats(new int[] {batch, m, oh, ow}, out);
        }
        boolean pointwise = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 && gy[1] == 0 && gx[1] == 0
                && oh == h && ow == wd;
        // taps that only ever see padding (atrous convolutions whose dilation reaches past the map) are left out of
        // the patches and the weights: DeepLabV3's rate-36 branch on a 32x32 map keeps only its centre tap
        int[] taps = liveTaps(kh, kw, oh, ow, h, wd, strides, dil, gy[1], gx[1]);
        float[] wf = taps.length == kh * kw ? w.f : liveWeights(w.f, m * cg, kh * kw, taps);
        int kSize = cg * taps.length;
        if (taps.length == 0) {
            return activated(act, Value.floats(new int[] {batch, m, oh, ow}, biasFilled(batch, m, plane, bias)));
        }
        SparseMatrix s = pointwise && group == 1 && sw.size() > 0 && node.inputs().size() > 1
                ? sw.get(node.inputs().get(1)) : null;
        if (s != null && sw.useSparse(node.inputs().get(1), s, plane, m * plane,
                scratch -> Gemm.multiply(pool, m, plane, c, w.f, 0, x.f, 0, scratch, 0),
                scratch -> s.multiply(pool, x.f, plane, scratch))) {
            // a pointwise convolution is W[m, c] times the image [c, plane]: the layout the CSR kernel takes
            float[] out = Buffers.uninitialized(batch * m * plane); // the CSR product overwrites it, then the bias
            float[] img = batch == 1 ? null : new float[c * plane];
            float[] res = batch == 1 ? null : new float[m * plane];
            for (int b = 0; b < batch; b++) {
                if (batch == 1) {
                    s.multiply(pool, x.f, plane, out);
                } else {
                    System.arraycopy(x.f, b * c * plane, img, 0, c * plane);
                    s.multiply(pool, img, plane, res);
                    System.arraycopy(res, 0, out, b * m * plane, m * plane);
                }
                if (bias != null) {
                    for (int oc = 0; oc < m; oc++) {
                        float bv = bias.f[oc];
                        int at = (b * m + oc) * plane;
                        for (int p = 0; p < plane; p++) out[at + p] += bv;
                    }
                }
            }
            return activated(act, Value.floats(new int[] {batch, m, oh, ow}, out));
        }
        float[] bf = bias == null ? null : bias.f;
        if (group == 1 && !pointwise && strides[0] == 1 && strides[1] == 1 && taps.length == kh * kw
                && shiftedPays(plane, oh * (ow + (kw - 1) * dil[1]))) {
            float[] out = Buffers.uninitialized(batch * m * plane); // every output is written
            float[] wt = Buffers.derived(w.f, "tap-major " + m + " " + c + " " + kh + " " + kw,
                    () -> tapMajorWeights(w.f, m, c, kh * kw));
            Gemm.Epilogue epilogue = new Gemm.Epilogue(bf, 0, act);
            if (imagePerThread(batch, pool)
                    && (long) (c + m) * shiftedPlane(oh, ow, kh, kw, dil) <= SHIFTED_PER_THREAD_MAX) {
                // an image per thread, as for the patch matrix below: a small layer's panels were a few microseconds
                // of work per hand-off (the Fashion CNN at batch 8 on 2 threads ran 3x ORT's time)
                pool.parallelFor(batch, 1, b -> shifted(INLINE, x.f, b * c * h * wd, c, h, wd, kh, kw, dil, gy[1],
                        gx[1], oh, ow, wt, m, epilogue, out, b * m * plane, true));
            } else {
                for (int b = 0; b < batch; b++) {
                    shifted(pool, x.f, b * c * h * wd, c, h, wd, kh, kw, dil, gy[1], gx[1], oh, ow, wt, m, epilogue,
                            out, b * m * plane, false);
                }
            }
            return Value.floats(new int[] {batch, m, oh, ow}, out);
        }
        if (batch > 1 && group == 1 && plane <= FOLD_MAX_PLANE && (long) kSize * plane * batch <= FOLD_MAX_COLUMNS) {
            // after the sparse kernel had its say: a pruned pointwise weight keeps its CSR product
            float[] out = Buffers.uninitialized(batch * m * plane); // every image's block is copied in
            Gemm.Epilogue epilogue = new Gemm.Epilogue(bf, 0, act);
            if (imagePerThread(batch, pool)) {
                // a few images per task, each folded on its own thread (one product over the whole batch split its
                // patch rows and its column panels differently over the threads, so half the patch matrix crossed
                // cores: two_inputs' 16-channel stride-2 layer at batch 8 ran 0.40 ms on 1 thread, 0.75 on 2); at
                // least four of the GEMM's widest tiles of columns per product where the batch allows (two 5x6 images
                // were 60 columns: MobileNetV3-small's 576-channel pointwise layers at batch 8 ran 1.1x faster on 2
                // threads than on 1), at most a thread's share of the images
                int per = Math.min(ceilDiv(batch, pool.threads()),
                        Math.max(Math.max(1, batch / (2 * pool.threads())), ceilDiv(4 * Gemm.tileColumns(), plane)));
                pool.parallelFor(ceilDiv(batch, per), 1, q -> {
                    int b0 = q * per, b1 = Math.min(batch, b0 + per);
                    int cols = (b1 - b0) * plane;
                    folded(INLINE, x.f, b0, b1, c, h, wd, kw, taps, oh, ow, strides, dil, gy[1], gx[1], pointwise,
                            wf, m, kSize, epilogue, FOLD_PATCHES.get(pointwise && b1 - b0 == 1 ? 0 : kSize * cols),
                            FOLD_PRODUCT.get(m * cols), out);
                });
            } else {
                float[] col = Buffers.uninitialized(kSize * batch * plane); // every element is written
                float[] product = Buffers.uninitialized(m * batch * plane); // every block is started by the epilogue
                folded(pool, x.f, 0, batch, c, h, wd, kw, taps, oh, ow, strides, dil, gy[1], gx[1], pointwise, wf, m,
                        kSize, epilogue, col, product, out);
                Buffers.release(col);
                Buffers.release(product);
            }
            return Value.floats(new int[] {batch, m, oh, ow}, out);
        }
        if (imagePerThread(batch, pool)) {
            // Several images: one per thread, each with single-threaded GEMMs. Splitting one small image's GEMM across
            // threads costs more in hand-offs than it saves (the Fashion CNN at batch 32 ran 3x slower on 2 threads).
            float[] out = Buffers.uninitialized(batch * m * plane); // every block is started by the epilogue
            pool.parallelFor(batch, 1, b -> {
                float[] own = pointwise ? null : PATCHES.get(kSize * plane);
                for (int g = 0; g < group; g++) {
                    int inOff = (b * c + g * cg) * h * wd;
                    Gemm.Epilogue epilogue = new Gemm.Epilogue(bf, g * mg, act);
                    if (pointwise) {
                        Gemm.multiply(INLINE, mg, plane, kSize, wf, g * mg * kSize, x.f, inOff, out,
                                (b * m + g * mg) * plane, epilogue);
                    } else {
                        im2col(INLINE, x.f, inOff, cg, h, wd, kw, taps, oh, ow, strides, dil, gy[1], gx[1], own);
                        Gemm.multiply(INLINE, mg, plane, kSize, wf, g * mg * kSize, own, 0, out,
                                (b * m + g * mg) * plane, epilogue);
                    }
                }
            });
            return Value.floats(new int[] {batch, m, oh, ow}, out);
        }
        if (group == 1 && !pointwise && Gemm.splits(pool, (long) m * kSize * plane)
                && (long) m * kSize <= BANDS_MAX_WEIGHTS && oh / (2 * pool.threads()) * ow >= 2 * Gemm.tileColumns()) {
            float[] out = Buffers.uninitialized(batch * m * plane); // every band is copied in
            Gemm.Epilogue epilogue = new Gemm.Epilogue(bf, 0, act);
            for (int b = 0; b < batch; b++) {
                byRowBands(pool, x.f, b * c * h * wd, c, h, wd, kw, taps, oh, ow, strides, dil, gy[1], gx[1], wf, m,
                        kSize, epilogue, out, b * m * plane);
            }
            return Value.floats(new int[] {batch, m, oh, ow}, out);
        }
        if (group == 1 && plane < Gemm.tileColumns() && m >= 2 * plane && kSize <= TRANSPOSED_MAX_K) {
            float[] out = biasFilled(batch, m, plane, bias);
            for (int b = 0; b < batch; b++) {
                transposedProduct(pool, x.f, b * c * h * wd, c, h, wd, kw, taps, oh, ow, strides, dil, gy[1], gx[1],
                        pointwise, w.f, wf, m, kSize, out, b * m * plane);
            }
            return activated(act, Value.floats(new int[] {batch, m, oh, ow}, out));
        }
        float[] out = Buffers.uninitialized(batch * m * plane); // every block is started by the epilogue
        float[] col = pointwise ? null : Buffers.floats(kSize * plane);
        for (int b = 0; b < batch; b++) {
            for (int g = 0; g < group; g++) {
                int inOff = (b * c + g * cg) * h * wd;
                float[] src;
                int srcOff;
                if (pointwise) {
                    src = x.f;
                    srcOff = inOff;
                } else {
                    im2col(pool, x.f, inOff, cg, h, wd, kw, taps, oh, ow, strides, dil, gy[1], gx[1], col);
                    src = col;
                    srcOff = 0;
                }
                Gemm.multiply(pool, mg, plane, kSize, wf, g * mg * kSize, src, srcOff, out, (b * m + g * mg) * plane,
                        new Gemm.Epilogue(bf, g * mg, act));
            }
        }
        Buffers.release(col);
        return Value.floats(new int[] {batch, m, oh, ow}, out);
    }

    /**
     * Whether a stride-1 convolution runs tap by tap over the padded image ({@link #shifted}) rather than on a patch
     * matrix: while the junk columns of the padded rows ({@code computed} positions for {@code plane} outputs) add at
     * most 30% (DeepLabV3's rate-24 atrous layer on a 32x32 map would compute 32 x 80 positions for 32 x 32 outputs).
     * Per layer against the patch matrix, batch 1 and 8: 3 -> 8 channels on 40x56 maps 0.68 -> 0.46 ms, 8 -> 16 1.24 ->
     * 0.59, 32 -> 32 on 28x28 1.99 -> 1.35, 64 -> 64 on 56x56 3.13 -> 2.42, 512 -> 512 on 7x7 3.5 -> 3.0. At stride 2
     * the same product over phase planes was measured no faster than the patch matrix (a 3-channel stem 4.6 against
     * 4.7 ms at batch 8), so strided layers keep it.
     */
    static boolean shiftedPays(int plane, int computed) {
        return computed * 10L <= plane * 13L;
    }

    /** Weights [m][c][taps] as [taps][m][c]: one [m][c] matrix per tap. */
    private static float[] tapMajorWeights(float[] w, int m, int c, int taps) {
        float[] r = new float[w.length];
        for (int oc = 0; oc < m; oc++) {
            for (int ic = 0; ic < c; ic++) {
                for (int t = 0; t < taps; t++) r[(t * m + oc) * c + ic] = w[(oc * c + ic) * taps + t];
            }
        }
        return r;
    }

    /**
     * One image's stride-1 convolution without a patch matrix: the image zero-padded to hp x wp per channel, output
     * pixel (y, x) computed at flat position y * wp + x of a [m][hp * wp] product (wp - ow junk columns per row), where
     * tap (ky, kx) reads the padded channels shifted by ky * dy * wp + kx * dx ({@link Gemm#multiplyShifted}); then
     * the rows without their junk columns go to {@code out}. The patch matrix held kh * kw copies of the image, each
     * written and read again: for a 16-channel 3x3 layer on 40x56 maps that cost three times the multiply-adds.
     */
    private static void shifted(EnginePool pool, float[] x, int inOff, int c, int h, int w, int kh, int kw, int[] d,
                                int pt, int pl, int oh, int ow, float[] wt, int m, Gemm.Epilogue epilogue, float[] out,
                                int outOff, boolean ownThread) {
        int hp = oh + (kh - 1) * d[0], wp = ow + (kw - 1) * d[1];
        // positions computed, rounded up to the kernel's widest tile: the narrow edge tiles went through padded copies
        // (a 7x7 map is 63 positions: 32 in the wide tile, 31 at the edge); the extra ones are junk like the rest
        int cols = roundUp(oh * wp, Gemm.tileColumns());
        int planeP = shiftedPlane(oh, ow, kh, kw, d);
        int maxShift = (kh - 1) * d[0] * wp + (kw - 1) * d[1];
        // the last tap of the last channel reads cols positions from its shift
        int size = Math.max(c * planeP, (c - 1) * planeP + maxShift + cols);
        // on a pool thread (an image per thread) the session's arena is not there: per-thread buffers instead
        float[] padded = ownThread ? SHIFTED_PADDED.get(size) : Buffers.uninitialized(size);
        java.util.Arrays.fill(padded, 0, size, 0f);
        int q0 = Math.max(0, pl), q1 = Math.min(wp, w + pl); // padded columns that hold input columns
        for (int ic = 0; ic < c; ic++) {
            for (int r = Math.max(0, pt); r < Math.min(hp, h + pt); r++) {
                if (q1 > q0) {
                    System.arraycopy(x, inOff + (ic * h + r - pt) * w + q0 - pl, padded, ic * planeP + r * wp + q0,
                            q1 - q0);
                }
            }
        }
        int[] offs = new int[kh * kw];
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) offs[ky * kw + kx] = ky * d[0] * wp + kx * d[1];
        }
        // columns [0, cols) of each row are written
        float[] product = ownThread ? SHIFTED_PRODUCT.get(m * planeP) : Buffers.uninitialized(m * planeP);
        // each finished block's output pixels (flat positions y * wp + x with x < ow) go to out straight away, on
        // the thread that computed the block, while it is in that thread's cache: copied afterwards, the whole product
        // crossed cores and memory again (a 3 -> 16 channel layer on 40x56 spent a third of its time in that copy)
        Gemm.multiplyShifted(pool, m, planeP, cols, c, wt, offs, padded, product, epilogue, (r0, r1, j0, j1) -> {
            for (int y = j0 / wp, yEnd = Math.min(oh, (j1 + wp - 1) / wp); y < yEnd; y++) {
                int p0 = Math.max(j0, y * wp), p1 = Math.min(j1, y * wp + ow);
                for (int oc = r0; oc < r1 && p1 > p0; oc++) {
                    System.arraycopy(product, oc * planeP + p0, out, outOff + (oc * oh + y) * ow + p0 - y * wp,
                            p1 - p0);
                }
            }
        });
        if (!ownThread) {
            Buffers.release(padded);
            Buffers.release(product);
        }
    }

    /**
     * The per-channel stride of {@link #shifted}'s padded image and product: at least the padded plane and the
     * positions computed, rounded to an odd number of 16-float cache lines (at 16 x 16, 1 KB apart, every row of a K
     * block fell into the same few cache sets, and a 256-channel 14x14 layer ran 40% slower than on the patch
     * matrix).
     */
    private static int shiftedPlane(int oh, int ow, int kh, int kw, int[] d) {
        int hp = oh + (kh - 1) * d[0], wp = ow + (kw - 1) * d[1];
        int planeP = roundUp(Math.max(hp * wp, roundUp(oh * wp, Gemm.tileColumns())), 16);
        return (planeP / 16) % 2 == 0 ? planeP + 16 : planeP;
    }

    /** The most floats ((channels in + out) x plane) an image-per-thread tap-by-tap layer keeps per thread (16 MB). */
    static final long SHIFTED_PER_THREAD_MAX = 1L << 22;

    /** Per-thread padded image and product of the image-per-thread tap-by-tap path. */
    private static final Scratch SHIFTED_PADDED = new Scratch();
    private static final Scratch SHIFTED_PRODUCT = new Scratch();

    /** Per-thread patch matrix of the image-per-thread path (im2col writes every element). */
    private static final Scratch PATCHES = new Scratch();

    /**
     * Whether a batch runs an image per pool thread, each with single-threaded kernels inside: with at least as many
     * images as threads, splitting within an image costs more in hand-offs than it saves.
     */
    private static boolean imagePerThread(int batch, EnginePool pool) {
        return batch > 1 && batch >= pool.threads() && pool.threads() > 1;
    }

    /** A [batch][m][plane] output holding each channel's bias (zeros without one), for the products to add onto. */
    private static float[] biasFilled(int batch, int m, int plane, Value bias) {
        float[] out = Buffers.floats(batch * m * plane);
        if (bias != null) {
            for (int b = 0; b < batch; b++)
                for (int oc = 0; oc < m; oc++)
                    java.util.Arrays.fill(out, (b * m + oc) * plane, (b * m + oc + 1) * plane, bias.f[oc]);
        }
        return out;
    }

    /**
     * Batches of small images (planes up to 32 x 32) run as one product over the whole batch's patches: the Fashion
     * CNN's 14x14 layer at batch 8 was eight 64 x 196 x 288 products, each with a 4-column edge and its own set-up
     * (47 GFLOP/s), and is one 64 x 1568 x 288 product. The columns are capped at 4M floats (16 MB).
     */
    static final int FOLD_MAX_PLANE = 1024;
    static final long FOLD_MAX_COLUMNS = 1L << 22;

    /** Per-thread patch matrix and product of {@link #folded} when each thread folds a few images of a batch. */
    private static final Scratch FOLD_PATCHES = new Scratch();
    private static final Scratch FOLD_PRODUCT = new Scratch();

    /**
     * One GEMM for images [b0, b1) of a batch: the patches of image b in columns [(b - b0) * plane, ...) of one
     * [kSize][(b1 - b0) * plane] matrix {@code col} (a pointwise layer multiplies the images' channels, gathered the
     * same way), the product into {@code product}, started from the bias and activated block by block (the epilogue),
     * then each image's [m][plane] block copied to its place in the [batch][m][plane] output.
     */
    private static void folded(EnginePool pool, float[] x, int b0, int b1, int c, int h, int wd, int kw, int[] taps,
                               int oh, int ow, int[] s, int[] d, int py, int px, boolean pointwise, float[] wf, int m,
                               int kSize, Gemm.Epilogue epilogue, float[] col, float[] product, float[] out) {
        int plane = oh * ow;
        int cols = (b1 - b0) * plane;
        float[] src = pointwise && b1 - b0 == 1 ? x : col;
        int srcOff = src == x ? b0 * c * h * wd : 0;
        if (src == col) {
            for (int b = b0; b < b1; b++) {
                int inOff = b * c * h * wd;
                if (pointwise) {
                    for (int ch = 0; ch < c; ch++) {
                        System.arraycopy(x, inOff + ch * plane, col, ch * cols + (b - b0) * plane, plane);
                    }
                } else {
                    im2col(pool, x, inOff, c, h, wd, kw, taps, oh, ow, s, d, py, px, col, (b - b0) * plane, cols);
                }
            }
        }
        Gemm.multiply(pool, m, cols, kSize, wf, 0, src, srcOff, product, 0, epilogue);
        for (int b = b0; b < b1; b++) {
            for (int oc = 0; oc < m; oc++) {
                System.arraycopy(product, oc * cols + (b - b0) * plane, out, (b * m + oc) * plane, plane);
            }
        }
    }

    /**
     * Planes narrower than the GEMM kernel's widest tile (two vectors: 32 columns with AVX-512; MobileNetV3-small's
     * 5x6 and 3x3 maps) leave that tile unused and the rest to the narrow edge tiles, so such layers run as pixels x
     * weights instead ({@link #transposedProduct}), where the wide side is the output channels. Measured on the
     * GEMM alone: 576x25x96 0.051 -> 0.027 ms; with both transposes MobileNetV3-small ran 4% faster. Wider planes
     * (7x7 = 49) gained less than the transposes cost in some models (RegNet 2% slower), and products with more than
     * {@value #TRANSPOSED_MAX_K} rows of weights (ResNet's 512 x 4608 layers: memory-bound on the weights) none.
     */
    static final int TRANSPOSED_MAX_K = 2048;

    /**
     * One image's convolution as pixels x weights: the patches laid out one pixel per row (the image itself,
     * transposed, for a pointwise layer), times the transposed weights (made once per session for a constant weight),
     * then added into {@code out} ([m][plane], holding the bias) plane by plane.
     */
    private static void transposedProduct(EnginePool pool, float[] x, int inOff, int c, int h, int wd, int kw,
                                          int[] taps, int oh, int ow, int[] s, int[] d, int py, int px,
                                          boolean pointwise, float[] weight, float[] wf, int m, int kSize,
                                          float[] out, int outOff) {
        int plane = oh * ow;
        float[] rows = Buffers.uninitialized(plane * kSize);
        if (pointwise) {
            Gemm.transposeInto(x, inOff, kSize, plane, rows);
        } else {
            float[] col = Buffers.uninitialized(kSize * plane); // im2col writes every element
            im2col(pool, x, inOff, c, h, wd, kw, taps, oh, ow, s, d, py, px, col);
            Gemm.transposeInto(col, 0, kSize, plane, rows);
            Buffers.release(col);
        }
        float[] wT = Buffers.derived(weight, "transposed " + m + " " + java.util.Arrays.toString(taps),
                () -> Gemm.transpose(wf, m, kSize));
        float[] product = Buffers.floats(plane * m);
        Gemm.multiply(pool, plane, m, kSize, rows, 0, wT, 0, product, 0);
        Buffers.release(rows);
        for (int p = 0; p < plane; p++) {
            int from = p * m;
            for (int oc = 0; oc < m; oc++) {
                out[outOff + oc * plane + p] += product[from + oc];
            }
        }
        Buffers.release(product);
    }

    /** The taps (ky * kw + kx) that see at least one input pixel from some output position. */
    static int[] liveTaps(int kh, int kw, int oh, int ow, int h, int w, int[] s, int[] d, int py, int px) {
        int[] live = new int[kh * kw];
        int n = 0;
        for (int ky = 0; ky < kh; ky++) {
            boolean rows = reaches(oh, s[0], ky * d[0] - py, h);
            for (int kx = 0; kx < kw; kx++) {
                if (rows && reaches(ow, s[1], kx * d[1] - px, w)) live[n++] = ky * kw + kx;
            }
        }
        return java.util.Arrays.copyOf(live, n);
    }

    /** Whether {@code o * stride + shift} lies in [0, size) for some o in [0, out). */
    private static boolean reaches(int out, int stride, int shift, int size) {
        int lo = Math.max(0, ceilDiv(-shift, stride));
        return lo < out && (long) lo * stride + shift < size;
    }

    /**
     * Rows of {@code taps.length} weights ([rows][taps.length]) from rows of {@code all} ([rows][all]): the weights of
     * the live taps only, made once per session and tap set for a constant weight.
     */
    private static float[] liveWeights(float[] w, int rows, int all, int[] taps) {
        return Buffers.derived(w, "live taps " + all + " " + java.util.Arrays.toString(taps), () -> {
            float[] r = new float[rows * taps.length];
            for (int row = 0; row < rows; row++) {
                for (int i = 0; i < taps.length; i++) r[row * taps.length + i] = w[row * all + taps[i]];
            }
            return r;
        });
    }

    /**
     * Lays out input patches as columns: row (ch, i) of {@code col} holds, for every output position, the input pixel
     * kernel tap {@code taps[i]} (ky * kw + kx) sees (0 in the padding). The valid x range is computed once per row,
     * and stride-1 rows are bulk copies. Patch rows are split over the pool when there is enough to copy.
     */
    private static void im2col(EnginePool pool, float[] x, int off, int c, int h, int w, int kw, int[] taps, int oh,
                               int ow, int[] s, int[] d, int py, int px, float[] col) {
        im2col(pool, x, off, c, h, w, kw, taps, oh, ow, s, d, py, px, col, 0, oh * ow);
    }

    /** As above, patch row r at {@code col[colOff + r * rowStride ...]} (one image's block of a batch's columns). */
    private static void im2col(EnginePool pool, float[] x, int off, int c, int h, int w, int kw, int[] taps, int oh,
                               int ow, int[] s, int[] d, int py, int px, float[] col, int colOff, int rowStride) {
        int nt = taps.length;
        // split only what a split product follows: a patch matrix laid out by two threads and multiplied by one moved
        // between their caches for nothing
        boolean large = (long) c * nt * oh * ow >= 1 << 18;
        float[] split = splitColumns(x, off, c, h, w, s, nt);
        // split by patch row (channel, tap): a 3-channel stem split by channel left one of two threads a third idle
        pool.parallelFor(c * nt, large ? 1 : c * nt, row -> patchRow(x, off, split, c, h, w, kw, taps, row, 0, oh, ow,
                s, d, py, px, col, colOff + row * rowStride));
        Buffers.release(split);
    }

    /**
     * At stride 2 along rows, every input row split once into its even and odd columns ([c * h][even] then [c * h]
     * [odd]), so each tap's row is one copy from one of them instead of a gather of every other element (the 3x3
     * stride-2 stems of MobileNets and EfficientNet read each input element from several taps); else null. The split
     * runs in vectors ({@link RowTaps#deinterleave}): MobileNetV2's 3 -> 32 stem on 224x224 went 0.285 -> 0.244 ms.
     */
    private static float[] splitColumns(float[] x, int off, int c, int h, int w, int[] s, int taps) {
        if (s[1] != 2 || taps <= 1) {
            return null;
        }
        int we = (w + 1) / 2, wodd = w / 2;
        float[] split = Buffers.uninitialized(c * h * w);
        for (int r = 0; r < c * h; r++) {
            int from = off + r * w, even = r * we, odd = c * h * we + r * wodd;
            for (int j = TAPS.deinterleave(x, from, split, even, split, odd, wodd); j < wodd; j++) {
                split[even + j] = x[from + 2 * j];
                split[odd + j] = x[from + 2 * j + 1];
            }
            if (we > wodd) {
                split[even + wodd] = x[from + w - 1];
            }
        }
        return split;
    }

    /**
     * Patch row {@code row} (channel row / taps, tap taps[row % taps]) for output rows [y0, y1): at {@code dst} in
     * {@code col}, ow values per output row; {@code split} from {@link #splitColumns} or null.
     */
    private static void patchRow(float[] x, int off, float[] split, int c, int h, int w, int kw, int[] taps, int row,
                                 int y0, int y1, int ow, int[] s, int[] d, int py, int px, float[] col, int dst0) {
        int nt = taps.length;
        int we = (w + 1) / 2, wodd = w / 2;
        int ch = row / nt;
        int ky = taps[row % nt] / kw, kx = taps[row % nt] % kw;
        int dx = kx * d[1] - px;
        // a dilated tap can lie wholly in the padding on some rows: then x0 = x1 = ow
        int x0 = Math.min(ow, Math.max(0, ceilDiv(-dx, s[1])));
        int x1 = Math.max(x0, Math.min(ow, ceilDiv(w - dx, s[1])));
        for (int y = y0; y < y1; y++) {
            int iy = y * s[0] - py + ky * d[0];
            int dst = dst0 + (y - y0) * ow;
            if (iy < 0 || iy >= h) {
                java.util.Arrays.fill(col, dst, dst + ow, 0f);
                continue;
            }
            // the padding columns, one or two on a row at most for the usual 3x3 layers: set in place (a call to
            // Arrays.fill per row and side, mostly for nothing, took as long as the copies on 14x14 maps)
            for (int xo = 0; xo < x0; xo++) col[dst + xo] = 0f;
            for (int xo = x1; xo < ow; xo++) col[dst + xo] = 0f;
            int src = off + (ch * h + iy) * w + dx;
            if (x1 == x0) {
                continue; // the tap sees only padding on this row
            }
            if (s[1] == 1) {
                System.arraycopy(x, src + x0, col, dst + x0, x1 - x0);
            } else if (split != null) {
                // input column dx + 2 xo: the even or odd half (by dx's parity) at floor(dx / 2) + xo
                int r = ch * h + iy;
                int base = (dx & 1) == 0 ? r * we : c * h * we + r * wodd;
                System.arraycopy(split, base + Math.floorDiv(dx, 2) + x0, col, dst + x0, x1 - x0);
            } else {
                for (int xo = x0; xo < x1; xo++) {
                    col[dst + xo] = x[src + xo * s[1]];
                }
            }
        }
    }

    /**
     * One image on several threads by bands of output rows: each task lays out its band's patches and multiplies
     * them on its own thread, in per-thread buffers, and copies its product to its rows of {@code out}. Split the
     * other way (patch rows over the threads, then column panels), half the patch matrix crossed cores between the
     * two steps: two_inputs' 16-channel stride-2 layer at batch 1 ran no faster on 2 threads than on 1.
     */
    private static void byRowBands(EnginePool pool, float[] x, int inOff, int c, int h, int w, int kw, int[] taps,
                                   int oh, int ow, int[] s, int[] d, int py, int px, float[] wf, int m, int kSize,
                                   Gemm.Epilogue epilogue, float[] out, int outOff) {
        float[] split = splitColumns(x, inOff, c, h, w, s, taps.length);
        // more bands than threads: a thread done with its own bands takes another's, so a worker that wakes late
        // leaves the caller only part of its share
        int bands = Math.min(oh, 2 * pool.threads());
        int per = ceilDiv(oh, bands);
        pool.parallelFor(ceilDiv(oh, per), 1, q -> {
            int y0 = q * per, y1 = Math.min(oh, y0 + per);
            int cols = (y1 - y0) * ow;
            float[] col = BAND_PATCHES.get(kSize * cols);
            for (int row = 0; row < kSize; row++) {
                patchRow(x, inOff, split, c, h, w, kw, taps, row, y0, y1, ow, s, d, py, px, col, row * cols);
            }
            float[] product = BAND_PRODUCT.get(m * cols);
            Gemm.multiply(INLINE, m, cols, kSize, wf, 0, col, 0, product, 0, epilogue);
            for (int oc = 0; oc < m; oc++) {
                System.arraycopy(product, oc * cols, out, outOff + oc * oh * ow + y0 * ow, cols);
            }
        });
        Buffers.release(split);
    }

    /**
     * The most weights (output channels x patch rows) a layer may have to run {@link #byRowBands}: every band reads
     * them all, which is cheap while they sit in a core's cache (256 KB) and not for ResNet's 512 x 4608 layers.
     */
    static final long BANDS_MAX_WEIGHTS = 1 << 16;

    /** Per-thread patches and product of {@link #byRowBands}. */
    private static final Scratch BAND_PATCHES = new Scratch();
    private static final Scratch BAND_PRODUCT = new Scratch();

    /**
     * Output planes up to this many pixels take the channels-last depthwise path: 5x6 and 7x7 maps ran 1.7-2x faster
     * there (MobileNetV3-small's 576-channel 5x5 layers 0.20 -> 0.11 ms), 10x12 ones no faster.
     */
    static final int CHANNELS_LAST_MAX_PLANE = 64;

    /**
     * Depthwise on small maps (MobileNets' 7x7 to 10x12 stages, hundreds of channels): per plane the work is too
     * little for vectors along a row (a 5x5 kernel on a 5x6 map spent its time in per-plane set-up), so the image is
     * laid out channels-last once, zero-padded, and each output pixel takes its kh * kw taps with a vector of channels
     * in a register ({@link RowTaps#pixel}; a plain loop along the channels, acc[ch] += w * x per tap, ran at half
     * the scalar speed), with bias and activation on the pixel's channel row before it is written back to its planes.
     * Output rows are split over the pool's threads.
     */
    private static void depthwiseChannelsLast(EnginePool pool, Value x, Value w, Value bias,
                                              LoadTimeRewrites.Activation act, float[] out, int oh, int ow, int[] s,
                                              int[] d, int py, int px) {
        int batch = x.shape[0], c = x.shape[1];
        int kh = w.shape[2], kw = w.shape[3], taps = kh * kw;
        int hp = (oh - 1) * s[0] + (kh - 1) * d[0] + 1, wp = (ow - 1) * s[1] + (kw - 1) * d[1] + 1;
        float[] wt = tapMajor(w.f, c, taps);
        int size = hp * wp * c;
        if (imagePerThread(batch, pool)) {
            // an image per thread: split by rows, a 5x6 map gave each of two threads 3 and 2 rows per image, and the
            // layout copy ran on one (MobileNetV3-small's 576-channel layers gained nothing from a second thread)
            pool.parallelFor(batch, 1, b -> channelsLastImage(INLINE, x, b, CHANNELS_LAST.get(size), wt, bias, act, out,
                    oh, ow, hp, wp, kh, kw, s, d, py, px));
            return;
        }
        float[] p = Buffers.uninitialized(size); // [row][column][channel], zero-padded
        for (int b = 0; b < batch; b++) {
            channelsLastImage(pool, x, b, p, wt, bias, act, out, oh, ow, hp, wp, kh, kw, s, d, py, px);
        }
        Buffers.release(p);
    }

    /** Per-thread channels-last copy of an image (the image-per-thread case of {@link #depthwiseChannelsLast}). */
    private static final Scratch CHANNELS_LAST = new Scratch();

    /** Image b of {@link #depthwiseChannelsLast}: laid out channels-last in {@code p}, then row by row over the pool. */
    private static void channelsLastImage(EnginePool pool, Value x, int b, float[] p, float[] wt, Value bias,
                                          LoadTimeRewrites.Activation act, float[] out, int oh, int ow, int hp, int wp,
                                          int kh, int kw, int[] s, int[] d, int py, int px) {
        int c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int taps = kh * kw;
        int plane = oh * ow;
        // padded (r, q) holds input (r - py, q - px); rows and columns of the input past the padded extent are unread
        int y0 = Math.max(0, -py), y1 = Math.max(y0, Math.min(h, hp - py));
        int x0 = Math.max(0, -px), x1 = Math.max(x0, Math.min(wd, wp - px));
        // zero what the copy leaves: rows above and below, columns left and right
        int size = hp * wp * c;
        java.util.Arrays.fill(p, 0, (y0 + py) * wp * c, 0f);
        java.util.Arrays.fill(p, (y1 + py) * wp * c, size, 0f);
        for (int r = y0 + py; r < y1 + py; r++) {
            java.util.Arrays.fill(p, r * wp * c, (r * wp + x0 + px) * c, 0f);
            java.util.Arrays.fill(p, (r * wp + x1 + px) * c, (r + 1) * wp * c, 0f);
        }
        // in blocks of 16 channels, pixel by pixel: each pixel's block is one cache line written whole, and the block's
        // 16 input rows stay in cache along the row (channel by channel, every write went to another line: a
        // 576-channel 10x12 map took longer to lay out than the 5x5 taps took to run)
        int plane0 = h * wd;
        for (int c0 = 0; c0 < c; c0 += 16) {
            int c1 = Math.min(c, c0 + 16);
            for (int iy = y0; iy < y1; iy++) {
                int row = ((iy + py) * wp + px) * c;
                int src = b * c * plane0 + iy * wd;
                for (int ix = x0; ix < x1; ix++) {
                    int at = row + ix * c;
                    for (int ch = c0; ch < c1; ch++) p[at + ch] = x.f[src + ch * plane0 + ix];
                }
            }
        }
        int outOff = b * c * plane;
        pool.parallelFor(oh, Gemm.splits(pool, (long) c * plane * taps) ? 1 : oh, y -> {
            float[] acc = ROW.get(c);
            int[] bases = new int[taps];
            for (int xo = 0; xo < ow; xo++) {
                for (int ky = 0; ky < kh; ky++) {
                    int r = y * s[0] + ky * d[0];
                    for (int kx = 0; kx < kw; kx++) {
                        bases[ky * kw + kx] = (r * wp + xo * s[1] + kx * d[1]) * c;
                    }
                }
                for (int ch = TAPS.pixel(p, bases, wt, bias == null ? null : bias.f, acc, c, taps); ch < c; ch++) {
                    float sum = bias == null ? 0f : bias.f[ch];
                    for (int t = 0; t < taps; t++) sum += wt[t * c + ch] * p[bases[t] + ch];
                    acc[ch] = sum;
                }
                LoadTimeRewrites.activate(act, acc, 0, c);
                int o = outOff + y * ow + xo;
                for (int ch = 0; ch < c; ch++) out[o + ch * plane] = acc[ch];
            }
        });
    }

    /** Depthwise weights [c][taps] as [taps][c], made once per session for a constant weight. */
    private static float[] tapMajor(float[] w, int c, int taps) {
        return Buffers.derived(w, "tap-major " + c + "x" + taps, () -> {
            float[] t = new float[c * taps];
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < taps; k++) t[k * c + ch] = w[ch * taps + k];
            }
            return t;
        });
    }

    /** Per-thread channel row of the channels-last path. */
    private static final Scratch ROW = new Scratch();

    /**
     * Depthwise: per (image, channel) plane, the output is written whole, bias included, then the folded activation
     * runs over it while it is still in cache. 3x3 stride-1 kernels take the flat padded path, every other kernel,
     * stride and dilation the phase-plane path.
     */
    private static void depthwise(EnginePool pool, Value x, Value w, Value bias, LoadTimeRewrites.Activation act,
                                  float[] out, int oh, int ow, int[] s, int[] d, int py, int px) {
        int c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int kh = w.shape[2], kw = w.shape[3];
        float[] in = x.f;
        long macs = (long) x.shape[0] * c * oh * ow * kh * kw;
        boolean split = pool.threads() > 1 && macs >= DEPTHWISE_SPLIT_MIN_MACS_PER_THREAD * pool.threads();
        pool.parallelFor(x.shape[0] * c, split ? 4 : x.shape[0] * c, bc -> {
            int ch = bc % c;
            int inOff = bc * h * wd;
            int outOff = bc * oh * ow;
            float bv = bias == null ? 0f : bias.f[ch];
            if (kh == 3 && kw == 3 && d[0] == 1 && d[1] == 1 && s[0] == 1 && s[1] == 1) {
                depthwise3x3Flat(in, inOff, h, wd, w.f, ch * 9, bv, out, outOff, oh, ow, py, px);
            } else {
                depthwisePhased(in, inOff, h, wd, w.f, ch * kh * kw, bv, kh, kw, out, outOff, oh, ow, s, d, py, px);
            }
            LoadTimeRewrites.activate(act, out, outOff, outOff + oh * ow);
        });
    }

    /**
     * Multiply-adds per thread from which a depthwise layer's planes are split over the pool: a quarter of
     * {@link Gemm#SPLIT_MIN_MACS_PER_THREAD}, since its planes are independent (no shared weights or patches to move
     * between cores). Per layer at batch 1, 1 and 2 threads: MobileNetV2's 384 x 14x14 (0.68M multiply-adds)
     * 115 -> 51 us, 144 x 56x56 at stride 2 (1.0M) 231 -> 155 us, 192 x 28x28 (1.35M) 103 -> 66 us.
     */
    static final long DEPTHWISE_SPLIT_MIN_MACS_PER_THREAD = 1L << 18;

    /**
     * SIMD inner loops of the depthwise paths (and of MaxPool's 2x2 window); each returns the first index it did not
     * handle (scalar code finishes).
     * The scalar implementation handles none.
     */
    interface RowTaps {
        /**
         * {@code out[dst + q] = bias + the 3x3 taps k[kOff..kOff+8] over rows r0, r1, r2 of in at q, q+1, q+2}, for
         * q from x0 below x1.
         */
        int taps(float[] in, int r0, int r1, int r2, float[] k, int kOff, float bias, float[] out, int dst, int x0, int x1);

        /**
         * {@code acc[q] += sum over t < taps of k[kOff + t] * p[bases[t] + q]} for q from 0 below {@code flat}.
         */
        default int row(float[] p, int[] bases, float[] k, int kOff, int taps, float[] acc, int flat) {
            return 0;
        }

        /**
         * {@code acc[ch] = bias[ch] + sum over t < taps of wt[t * c + ch] * p[bases[t] + ch]} (no bias when null) for
         * ch from 0 below c: returns the first channel it left to the caller's scalar loop.
         */
        default int pixel(float[] p, int[] bases, float[] wt, float[] bias, float[] acc, int c, int taps) {
            return 0;
        }

        /**
         * {@code even[evenOff + i] = in[off + 2i]} and {@code odd[oddOff + i] = in[off + 2i + 1]} for i from 0 below
         * the returned count (at most n): the even/odd column split of stride-2 layers, by lane narrowing.
         */
        default int deinterleave(float[] in, int off, float[] even, int evenOff, float[] odd, int oddOff, int n) {
            return 0;
        }

        /**
         * {@code out[o + i] = Math.max} of the 2x2 window at columns 2i and 2i + 1 of rows {@code r0} and {@code r1}
         * of x, for i from 0 below the returned count (at most n): MaxPool's 2x2 stride-2 window, by the same
         * narrowing as {@link #deinterleave}.
         */
        default int maxPairs(float[] x, int r0, int r1, float[] out, int o, int n) {
            return 0;
        }

        /** The vector width the SIMD passes work in (1 for the scalar implementation). */
        default int lanes() {
            return 1;
        }
    }

    static final RowTaps TAPS = selectTaps();

    private static RowTaps selectTaps() {
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return (in, r0, r1, r2, k, kOff, bias, out, dst, x0, x1) -> x0;
        }
        try {
            return (RowTaps) Class.forName("org.polaris.workbench.engine.exec.VectorDepthwise").getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return (in, r0, r1, r2, k, kOff, bias, out, dst, x0, x1) -> x0;
        }
    }

    /** Per-thread scratch of the phased path: the phase planes and the padded-width output. */
    private static final Scratch PHASED_PLANES = new Scratch();
    private static final Scratch PHASED_ROW = new Scratch();

    /**
     * Any other depthwise kernel (5x5, 7x7, strided, dilated): the zero-padded plane is split into sy * sx phase
     * planes, phase (fy, fx) holding padded pixels (r * sy + fy, c * sx + fx), each hq x wq. Output pixel (y, x)
     * reads, for tap (ky, kx), phase ((ky*dy) % sy, (kx*dx) % sx) at (y + ky*dy / sy, x + kx*dx / sx), so each tap
     * is one contiguous multiply-add over the whole plane taken as a flat row of oh * wq pixels (the columns past ow
     * are junk, dropped after), a loop the JIT vectorizes however small the map. At column stride 2 the rows are split
     * into even and odd columns in vectors ({@link RowTaps#deinterleave}: MobileNetV2's 96-channel 112x112 stride-2
     * layer went 0.58 -> 0.51 ms on 1 thread, 0.30 -> 0.25 on 2, against computing every column). Element by element
     * that split was 80% of the layer's time, so the scalar kernels (no vector split) instead compute every column,
     * copy rows whole and keep every other output column at the end: twice the multiply-adds but a quarter of the
     * scalar moves.
     */
    private static void depthwisePhased(float[] in, int inOff, int h, int w, float[] k, int kOff, float bias, int kh,
                                        int kw, float[] out, int outOff, int oh, int ow, int[] s, int[] d, int py, int px) {
        int sy = s[0], dy = d[0], dx = d[1];
        // without the vector split, columns at stride 2 are not split but all computed (see above)
        int keep = s[1] == 2 && TAPS.lanes() == 1 ? 2 : 1; // output column x is computed column x * keep
        int sx = s[1] / keep;
        int cw = (ow - 1) * keep + 1; // columns computed
        int hq = oh + (kh - 1) * dy / sy;
        int wq = cw + (kw - 1) * dx / sx;
        int planeSize = hq * wq;
        int flat = oh * wq;
        // the SIMD passes run over whole vectors: up to a vector of junk past the flat row, dropped with the rest
        int span = roundUp(flat, TAPS.lanes());
        // junk columns of the last row may read a row's width (and the vector tail) past the end
        int need = sy * sx * planeSize + wq + (span - flat);
        float[] p = PHASED_PLANES.get(need);
        float[] acc = PHASED_ROW.get(span);
        java.util.Arrays.fill(p, 0, need, 0f);
        java.util.Arrays.fill(acc, 0, span, bias);
        for (int fy = 0; fy < sy; fy++) {
            for (int r = 0; r < hq; r++) {
                int iy = r * sy + fy - py;
                if (iy < 0 || iy >= h) continue;
                int src = inOff + iy * w;
                if (sx == 2) {
                    splitRow(in, src, w, px, p, (fy * sx) * planeSize + r * wq, planeSize, wq);
                    continue;
                }
                for (int fx = 0; fx < sx; fx++) {
                    int dst = (fy * sx + fx) * planeSize + r * wq;
                    // columns c with 0 <= c * sx + fx - px < w
                    int c0 = Math.max(0, ceilDiv(px - fx, sx));
                    int c1 = Math.min(wq, ceilDiv(w + px - fx, sx));
                    if (sx == 1) {
                        if (c1 > c0) System.arraycopy(in, src + c0 - px, p, dst + c0, c1 - c0);
                    } else {
                        for (int c = c0; c < c1; c++) p[dst + c] = in[src + c * sx + fx - px];
                    }
                }
            }
        }
        int[] bases = new int[kw];
        for (int ky = 0; ky < kh; ky++) {
            int ry = ky * dy;
            for (int kx = 0; kx < kw; kx++) {
                int rx = kx * dx;
                bases[kx] = ((ry % sy) * sx + rx % sx) * planeSize + (ry / sy) * wq + rx / sx;
            }
            // one pass per kernel row: each output pixel takes the row's kw taps at once
            int done = TAPS.row(p, bases, k, kOff + ky * kw, kw, acc, span);
            for (int kx = 0; kx < kw; kx++) {
                float wv = k[kOff + ky * kw + kx];
                int base = bases[kx];
                for (int q = done; q < flat; q++) {
                    acc[q] += wv * p[base + q];
                }
            }
        }
        if (keep == 1) {
            for (int y = 0; y < oh; y++) {
                System.arraycopy(acc, y * wq, out, outOff + y * ow, ow);
            }
        } else {
            for (int y = 0; y < oh; y++) {
                int dst = outOff + y * ow, src = y * wq;
                for (int x = 0; x < ow; x++) {
                    out[dst + x] = acc[src + 2 * x];
                }
            }
        }
    }

    /**
     * Row {@code src} of the input (w columns, px columns of padding before it) into the two column phases of the
     * padded row at {@code dst} (phase 0) and {@code dst + planeSize} (phase 1), wq columns each: phase f's column
     * c is padded column 2c + f, input column 2c + f - px. Phase px % 2 holds the even input columns from its column
     * px / 2 on, the other phase the odd ones from its column (px + 1) / 2 on.
     */
    private static void splitRow(float[] in, int src, int w, int px, float[] p, int dst, int planeSize, int wq) {
        int even = px % 2, odd = 1 - even;
        int e0 = px / 2, e1 = Math.min(wq, ceilDiv(w + px - even, 2));
        int o0 = (px + 1) / 2, o1 = Math.min(wq, ceilDiv(w + px - odd, 2));
        int eAt = dst + even * planeSize, oAt = dst + odd * planeSize;
        int done = TAPS.deinterleave(in, src, p, eAt + e0, p, oAt + o0, Math.max(0, Math.min(e1 - e0, o1 - o0)));
        for (int c = e0 + done; c < e1; c++) p[eAt + c] = in[src + 2 * c + even - px];
        for (int c = o0 + done; c < o1; c++) p[oAt + c] = in[src + 2 * c + odd - px];
    }

    /** Per-thread scratch of the flat stride-1 path: the zero-padded input plane and the padded-width output. */
    private static final Scratch FLAT_PLANE = new Scratch();
    private static final Scratch FLAT_ROW = new Scratch();

    /**
     * 3x3 stride-1 depthwise on a zero-padded copy of the plane, (oh + 2) rows of width ow + 2: output pixel
     * (y, x) then reads padded pixels (y + ky, x + kx) with no bounds checks, so the whole plane, taken as one
     * flat row of oh * (ow + 2) pixels (two junk pixels per row, dropped after), is one long SIMD loop. Row-wise
     * loops could not use vectors on 14x14 and 7x7 maps, where MobileNet spends most of its depthwise time. Only the
     * padding is zeroed; each pixel's nine taps and the bias add up in a register.
     */
    private static void depthwise3x3Flat(float[] in, int inOff, int h, int w, float[] k, int kOff, float bias,
                                         float[] out, int outOff, int oh, int ow, int py, int px) {
        int wp = ow + 2, hp = oh + 2;
        int flat = oh * wp;
        int span = roundUp(flat, TAPS.lanes()); // whole vectors; the tail is junk, dropped with the junk columns
        int size = hp * wp + 2 + (span - flat);
        float[] p = FLAT_PLANE.get(size);
        float[] acc = FLAT_ROW.get(span);
        // padded (r, c) holds input (r - py, c - px); the rest is zero
        int c0 = Math.max(0, px), c1 = Math.max(c0, Math.min(wp, w + px));
        int r0 = Math.min(hp, Math.max(0, py)), r1 = Math.max(r0, Math.min(hp, h + py));
        java.util.Arrays.fill(p, 0, r0 * wp, 0f);
        for (int r = r0; r < r1; r++) {
            java.util.Arrays.fill(p, r * wp, r * wp + c0, 0f);
            if (c1 > c0) {
                System.arraycopy(in, inOff + (r - py) * w + (c0 - px), p, r * wp + c0, c1 - c0);
            }
            java.util.Arrays.fill(p, r * wp + c1, (r + 1) * wp, 0f);
        }
        java.util.Arrays.fill(p, r1 * wp, size, 0f);
        int start = TAPS.taps(p, 0, wp, 2 * wp, k, kOff, bias, acc, 0, 0, span);
        float k0 = k[kOff], k1 = k[kOff + 1], k2 = k[kOff + 2];
        float k3 = k[kOff + 3], k4 = k[kOff + 4], k5 = k[kOff + 5];
        float k6 = k[kOff + 6], k7 = k[kOff + 7], k8 = k[kOff + 8];
        int r1o = wp, r2o = 2 * wp;
        for (int q = start; q < flat; q++) {
            acc[q] = bias + k0 * p[q] + k1 * p[q + 1] + k2 * p[q + 2]
                    + k3 * p[r1o + q] + k4 * p[r1o + q + 1] + k5 * p[r1o + q + 2]
                    + k6 * p[r2o + q] + k7 * p[r2o + q + 1] + k8 * p[r2o + q + 2];
        }
        for (int y = 0; y < oh; y++) {
            System.arraycopy(acc, y * wp, out, outOff + y * ow, ow);
        }
    }

    private static int roundUp(int n, int to) {
        return (n + to - 1) / to * to;
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }
}
