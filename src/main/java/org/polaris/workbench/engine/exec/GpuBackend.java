package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.opencl.ClDevice;
import org.polaris.workbench.engine.opencl.ClKernels;
import org.polaris.workbench.engine.opencl.ClRuntime;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.engine.opencl.SgemmTuner;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The executor's OpenCL side: device tensors, the ops it runs on the device (Conv with group 1 or depthwise, Gemm,
 * 2-D MatMul, Relu, Add, MaxPool, GlobalAveragePool, Softmax over rows, Flatten, with fused Relu/Clip), and the measured numbers behind placement: the device's tuned
 * SGEMM rate, host-device transfer rate and per-kernel overhead, against the CPU GEMM rate, measured the first time a
 * device is opened in the process and reused by later sessions.
 */
final class GpuBackend implements AutoCloseable {

    /** A tensor held on the device. */
    record DevTensor(ClRuntime.Buffer buf, int[] shape) {
        int size() {
            return Value.size(shape);
        }
    }

    static final Set<String> OPS = Set.of("Conv", "Gemm", "MatMul", "Relu", "Add", "MaxPool", "Flatten",
            "GlobalAveragePool", "Softmax");

    /** Measured costs of one device on this machine: device SGEMM GFLOPS, bytes/ms both ways, ms per kernel, CPU GFLOPS. */
    record Rates(double gpuGflops, double transferBytesPerMs, double launchMs, double cpuGflops) {
    }

    /** Rates per device, pool size and driver, measured at first use in this process and reused after. */
    private static final java.util.Map<String, Rates> MEASURED = new java.util.concurrent.ConcurrentHashMap<>();

    private final ClDevice device;
    private final ClRuntime rt;
    private final ClKernels k;
    private final ClKernels.SgemmParams params;
    final double gpuGflops;
    final double transferBytesPerMs;
    final double launchMs;
    final double cpuGflops;

    private GpuBackend(ClDevice device, EnginePool pool) {
        this.device = device;
        this.rt = ClRuntime.open(device);
        this.k = new ClKernels(rt);
        this.params = SgemmTuner.best(k);
        Rates r = MEASURED.computeIfAbsent(device.cacheKey() + "|" + pool.threads(), key -> measure(pool));
        this.gpuGflops = r.gpuGflops();
        this.transferBytesPerMs = r.transferBytesPerMs();
        this.launchMs = r.launchMs();
        this.cpuGflops = r.cpuGflops();
    }

    private Rates measure(EnginePool pool) {
        int n = 256;
        float[] a = new float[n * n];
        Arrays.fill(a, 0.5f);
        ClKernels.Timed t = k.sgemmTimed(a, a, n, n, n, params, 3);
        double gflops = 2.0 * n * n * n / (t.medianMs() * 1e6);
        float[] big = new float[1 << 20];
        long t0 = System.nanoTime();
        try (ClRuntime.Buffer b = rt.upload(big, big.length)) {
            rt.readInto(b, big, big.length);
        }
        double transfer = 2.0 * 4 * big.length / Math.max(1e-3, (System.nanoTime() - t0) / 1e6);
        float[] one = {1f};
        long[] launches = new long[5];
        try (ClRuntime.Buffer x = rt.upload(one, 1); ClRuntime.Buffer y = rt.allocate(4)) {
            for (int i = 0; i < launches.length; i++) {
                long s = System.nanoTime();
                k.relu(x, y, 1);
                launches[i] = System.nanoTime() - s;
            }
        }
        Arrays.sort(launches);
        float[] c = new float[n * n];
        long[] cpu = new long[7];
        for (int i = 0; i < cpu.length + 5; i++) {
            long c0 = System.nanoTime();
            Gemm.multiply(pool, n, n, n, a, 0, a, 0, c, 0);
            if (i >= 5) cpu[i - 5] = System.nanoTime() - c0; // five warm-up products first: the JIT compiles the kernel
        }
        Arrays.sort(cpu);
        return new Rates(gflops, transfer, launches[launches.length / 2] / 1e6, 2.0 * n * n * n / Math.max(1, cpu[cpu.length / 2]));
    }

    /** The first GPU the OpenCL drivers offer, else their first device (PoCL on the CPU here). */
    static GpuBackend open(EnginePool pool) {
        OpenCl.Discovery d = OpenCl.discover();
        if (!d.available()) {
            throw new IllegalStateException("no OpenCL device: " + d.problem());
        }
        ClDevice dev = d.devices().stream().filter(x -> x.type().equals("gpu")).findFirst().orElse(d.devices().get(0));
        return new GpuBackend(dev, pool);
    }

    ClDevice device() {
        return device;
    }

    String describe() {
        return String.format(Locale.ROOT, "%s (%s): SGEMM %.1f GFLOPS (%s), transfers %.2f GB/s, %.3f ms per kernel; CPU GEMM %.1f GFLOPS",
                device.name(), device.type(), gpuGflops, params, transferBytesPerMs / 1e6, launchMs, cpuGflops);
    }

    /** Whether the device can run this node with these (float) inputs; null if so, else why not. */
    static String unsupported(Node n, Value[] in) {
        if (!OPS.contains(n.opType()) || !n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
            return n.opType() + " has no OpenCL kernel";
        }
        for (Value v : in) {
            if (v != null && v.type != DataType.FLOAT) return "non-float input";
        }
        switch (n.opType()) {
            case "Conv" -> {
                long group = Attrs.i(n, "group", 1);
                boolean depthwise = in[0].rank() == 4 && group == in[0].shape[1] && in[1].shape[0] == group && in[1].shape[1] == 1;
                if (in[0].rank() != 4 || group != 1 && !depthwise) return "grouped (not depthwise) or non-2-D convolution";
            }
            case "GlobalAveragePool" -> {
                if (in[0].rank() != 4) return "GlobalAveragePool on a non-image tensor";
            }
            case "Softmax" -> {
                long axis = Attrs.i(n, "axis", -1);
                if (in[0].rank() != 2 || !(axis == -1 || axis == 1)) return "Softmax other than over the last axis of a matrix";
            }
            case "Gemm" -> {
                if (Attrs.i(n, "transA", 0) != 0 || Attrs.i(n, "transB", 0) != 0 || Attrs.f(n, "alpha", 1f) != 1f
                        || Attrs.f(n, "beta", 1f) != 1f || in[0].rank() != 2) return "transposed or scaled Gemm";
                if (in.length > 2 && in[2] != null && !(in[2].size() == in[1].shape[1] && (in[2].rank() == 1 || in[2].shape[0] == 1))) {
                    return "Gemm bias is not one value per output";
                }
            }
            case "MatMul" -> {
                if (in[0].rank() != 2 || in[1].rank() != 2) return "batched MatMul";
            }
            case "Add" -> {
                if (!Arrays.equals(in[0].shape, in[1].shape)) return "broadcasting Add";
            }
            case "MaxPool" -> {
                int[] dil = Attrs.ints(n, "dilations", new int[] {1, 1});
                if (in[0].rank() != 4 || n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()
                        || dil[0] != 1 || dil[1] != 1 || Attrs.i(n, "storage_order", 0) != 0) return "MaxPool variant";
            }
            case "Flatten" -> {
                if (Attrs.i(n, "axis", 1) != 1) return "Flatten with axis other than 1";
            }
            default -> {
            }
        }
        return null;
    }

    /** Estimated device milliseconds: kernels plus moving the inputs that are not on the device yet. */
    double deviceMs(long flops, long bytesToUpload, int kernels) {
        return flops / (gpuGflops * 1e6) + bytesToUpload / transferBytesPerMs + kernels * launchMs;
    }

    double cpuMs(long flops) {
        return flops / (cpuGflops * 1e6);
    }

    DevTensor upload(Value v) {
        return new DevTensor(rt.upload(v.f, v.size()), v.shape.clone());
    }

    Value download(DevTensor t) {
        float[] out = Buffers.floats(t.size());
        rt.readInto(t.buf(), out, t.size());
        return Value.floats(t.shape().clone(), out);
    }

    /** Runs {@code n} on device tensors; returns its output. */
    DevTensor run(Node n, DevTensor[] in) {
        DevTensor y = switch (n.opType()) {
            case "Conv" -> conv(n, in);
            case "Gemm", "MatMul" -> gemm(in);
            case "Relu" -> {
                DevTensor o = alloc(in[0].shape());
                k.relu(in[0].buf(), o.buf(), o.size());
                yield o;
            }
            case "Add" -> {
                DevTensor o = alloc(in[0].shape());
                k.add(in[0].buf(), in[1].buf(), o.buf(), o.size());
                yield o;
            }
            case "MaxPool" -> maxPool(n, in[0]);
            case "GlobalAveragePool" -> {
                int[] sh = in[0].shape();
                DevTensor o = alloc(new int[] {sh[0], sh[1], 1, 1});
                k.planeMean(in[0].buf(), o.buf(), sh[0] * sh[1], sh[2] * sh[3]);
                yield o;
            }
            case "Softmax" -> {
                DevTensor o = alloc(in[0].shape());
                k.softmaxRows(in[0].buf(), o.buf(), in[0].shape()[0], in[0].shape()[1]);
                yield o;
            }
            case "Flatten" -> {
                int[] s = in[0].shape();
                int rest = Value.size(s) / Math.max(1, s[0]);
                DevTensor o = alloc(new int[] {s[0], rest});
                rt.copy(in[0].buf(), 0, o.buf(), 0, 4L * o.size());
                yield o;
            }
            default -> throw new IllegalStateException(n.opType() + " on OpenCL");
        };
        var act = n.attribute(LoadTimeRewrites.ACTIVATION);
        if (act.isPresent()) {
            boolean relu = act.get().asString().equals("Relu");
            float lo = relu ? 0f : n.attribute(LoadTimeRewrites.CLIP_MIN).map(Attribute::asFloat).orElse(Float.NEGATIVE_INFINITY);
            float hi = relu ? Float.POSITIVE_INFINITY : n.attribute(LoadTimeRewrites.CLIP_MAX).map(Attribute::asFloat).orElse(Float.POSITIVE_INFINITY);
            k.clamp(y.buf(), y.size(), lo, hi);
        }
        return y;
    }

    private DevTensor alloc(int[] shape) {
        return new DevTensor(rt.allocate(4L * Value.size(shape)), shape);
    }

    private DevTensor gemm(DevTensor[] in) {
        int m = in[0].shape()[0], kk = in[0].shape()[1], n = in[1].shape()[1];
        DevTensor y = alloc(new int[] {m, n});
        k.gemm(in[0].buf(), in[1].buf(), y.buf(), m, n, kk, params);
        if (in.length > 2 && in[2] != null) {
            k.addColBias(y.buf(), in[2].buf(), m, n);
        }
        return y;
    }

    private DevTensor conv(Node node, DevTensor[] in) {
        int[] xs = in[0].shape();
        int[] ws = in[1].shape();
        int batch = xs[0], c = xs[1], h = xs[2], w = xs[3], m = ws[0], kh = ws[2], kw = ws[3];
        int[] strides = Attrs.ints(node, "strides", new int[] {1, 1});
        int[] dil = Attrs.ints(node, "dilations", new int[] {1, 1});
        int[] pads = Attrs.ints(node, "pads", new int[] {0, 0, 0, 0});
        String autoPad = Attrs.s(node, "auto_pad", "NOTSET");
        int[] gy = ConvKernels.geometry(autoPad, h, kh, strides[0], dil[0], pads[0], pads[2], false);
        int[] gx = ConvKernels.geometry(autoPad, w, kw, strides[1], dil[1], pads[1], pads[3], false);
        int oh = gy[0], ow = gx[0], plane = oh * ow, rows = c * kh * kw;
        ClKernels.Conv g = new ClKernels.Conv(kh, kw, strides[0], strides[1], gy[1], gx[1], dil[0], dil[1]);
        DevTensor y = alloc(new int[] {batch, m, oh, ow});
        if (Attrs.i(node, "group", 1) > 1) {
            // depthwise: one filter per channel, every image's planes in one launch
            k.depthwise(in[0].buf(), in[1].buf(), in.length > 2 && in[2] != null ? in[2].buf() : null, y.buf(), batch * c, c,
                    h, w, g, oh, ow);
            return y;
        }
        try (ClRuntime.Buffer img = rt.allocate(4L * c * h * w); ClRuntime.Buffer col = rt.allocate(4L * rows * plane);
             ClRuntime.Buffer out = rt.allocate(4L * m * plane)) {
            for (int b = 0; b < batch; b++) {
                rt.copy(in[0].buf(), 4L * b * c * h * w, img, 0, 4L * c * h * w);
                k.im2col(img, col, c, h, w, g, oh, ow);
                k.gemm(in[1].buf(), col, out, m, plane, rows, params);
                if (in.length > 2 && in[2] != null) {
                    k.addRowBias(out, in[2].buf(), m, plane);
                }
                rt.copy(out, 0, y.buf(), 4L * b * m * plane, 4L * m * plane);
            }
        }
        return y;
    }

    private DevTensor maxPool(Node n, DevTensor x) {
        int[] s = x.shape();
        int[] kernel = Attrs.ints(n, "kernel_shape", new int[] {1, 1});
        int[] strides = Attrs.ints(n, "strides", new int[] {1, 1});
        int[] pads = Attrs.ints(n, "pads", new int[] {0, 0, 0, 0});
        String autoPad = Attrs.s(n, "auto_pad", "NOTSET");
        boolean ceil = Attrs.i(n, "ceil_mode", 0) == 1;
        int[] gy = ConvKernels.geometry(autoPad, s[2], kernel[0], strides[0], 1, pads[0], pads[2], ceil);
        int[] gx = ConvKernels.geometry(autoPad, s[3], kernel[1], strides[1], 1, pads[1], pads[3], ceil);
        DevTensor y = alloc(new int[] {s[0], s[1], gy[0], gx[0]});
        k.maxPool(x.buf(), y.buf(), s[0] * s[1], s[2], s[3],
                new ClKernels.Conv(kernel[0], kernel[1], strides[0], strides[1], gy[1], gx[1], 1, 1), gy[0], gx[0]);
        return y;
    }

    @Override
    public void close() {
        rt.close();
    }
}
