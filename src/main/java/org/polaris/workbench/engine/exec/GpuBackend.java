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
 * The executor's OpenCL side: device tensors, the ops it runs on the device (2-D Conv of any group count, 2-D
 * ConvTranspose, Gemm, MatMul incl. batched with broadcast batch dimensions, MaxPool, AveragePool, GlobalAveragePool,
 * element-wise ops with broadcasting and activations, Softmax and LogSoftmax along any axis, LayerNormalization,
 * reductions over adjacent axes, Transpose, Concat, Slice, Pad, 2-D Resize, LSTM and GRU in their common form,
 * RoiAlign, Gather and ScatterElements (without a reduction) of float data, and the view ops; Conv and Gemm with their folded activation), and the measured numbers behind placement: the device's tuned
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

    /** Binary element-wise ops with broadcasting, by their FloatMath op. */
    static final java.util.Map<String, FloatMath.Binary> BINARY = java.util.Map.of("Add", FloatMath.Binary.ADD,
            "Sub", FloatMath.Binary.SUB, "Mul", FloatMath.Binary.MUL, "Div", FloatMath.Binary.DIV,
            "Pow", FloatMath.Binary.POW, "Max", FloatMath.Binary.MAX, "Min", FloatMath.Binary.MIN);

    /** Unary element-wise ops, by their FloatMath op (Gelu picks its variant from the node). */
    static final java.util.Map<String, FloatMath.Unary> UNARY = java.util.Map.ofEntries(
            java.util.Map.entry("Relu", FloatMath.Unary.RELU), java.util.Map.entry("Neg", FloatMath.Unary.NEG),
            java.util.Map.entry("Abs", FloatMath.Unary.ABS), java.util.Map.entry("Sqrt", FloatMath.Unary.SQRT),
            java.util.Map.entry("Reciprocal", FloatMath.Unary.RECIPROCAL), java.util.Map.entry("Exp", FloatMath.Unary.EXP),
            java.util.Map.entry("Log", FloatMath.Unary.LOG), java.util.Map.entry("Sigmoid", FloatMath.Unary.SIGMOID),
            java.util.Map.entry("Tanh", FloatMath.Unary.TANH), java.util.Map.entry("Erf", FloatMath.Unary.ERF),
            java.util.Map.entry("Gelu", FloatMath.Unary.GELU), java.util.Map.entry("HardSigmoid", FloatMath.Unary.HARD_SIGMOID),
            java.util.Map.entry("HardSwish", FloatMath.Unary.HARD_SWISH), java.util.Map.entry("LeakyRelu", FloatMath.Unary.LEAKY_RELU),
            java.util.Map.entry("Clip", FloatMath.Unary.CLIP));

    /** Ops that only give their input a new shape: the CPU kernel, run on shapes, says which; the device copies. */
    static final Set<String> VIEWS = Set.of("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity");

    /** Reductions along adjacent axes, by the reduce_axis kernel's op code. */
    private static final java.util.Map<String, Integer> REDUCE = java.util.Map.of("ReduceSum", 0, "ReduceMean", 1,
            "ReduceMax", 2, "ReduceMin", 3, "ReduceSumSquare", 4);

    static final Set<String> OPS;

    static {
        Set<String> ops = new java.util.TreeSet<>(Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "MaxPool", "AveragePool",
                "GlobalAveragePool", "Softmax", "LogSoftmax", "LayerNormalization", "Transpose", "Concat", "Resize", "Pad",
                "Slice", "LSTM", "GRU", "RoiAlign", "ScatterElements", "Gather", "Expand"));
        ops.addAll(BINARY.keySet());
        ops.addAll(UNARY.keySet());
        ops.addAll(VIEWS);
        ops.addAll(REDUCE.keySet());
        OPS = java.util.Collections.unmodifiableSet(ops);
    }

    /**
     * Which inputs of {@code n} are float data the device computes on; the others (shapes, axes, scales, Clip
     * bounds) are parameters read on the host.
     */
    static boolean isData(Node n, int input) {
        return switch (n.opType()) {
            case "Conv", "ConvTranspose", "Gemm", "LayerNormalization" -> input <= 2;
            case "Concat", "Max", "Min" -> true;
            case "LSTM", "GRU" -> input != 4; // sequence_lens is read on the host
            case "ScatterElements" -> input != 1; // the indices are read on the host
            case "RoiAlign" -> input <= 1; // the rois may come from device ops (read back, a few floats each)
            default -> BINARY.containsKey(n.opType()) || n.opType().equals("MatMul") ? input <= 1 : input == 0;
        };
    }

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

    /** Whether the device can run this node with these (float) inputs in a model of this opset; null if so, else why not. */
    static String unsupported(Node n, Value[] in, int opset) {
        if (!OPS.contains(n.opType()) || !n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
            return n.opType() + " has no OpenCL kernel";
        }
        for (int i = 0; i < in.length; i++) {
            Value v = in[i];
            if (v == null) continue;
            if (isData(n, i) && v.type != DataType.FLOAT) return "non-float input";
            if (!isData(n, i) && v.f == null && v.l == null && v.i == null && v.b == null) {
                return "a parameter input is computed on the device";
            }
            if (isData(n, i) && v.rank() > 8) return "more than 8 dimensions";
        }
        if ((n.opType().equals("Max") || n.opType().equals("Min")) && in.length != 2) return "Max/Min of other than two inputs";
        if (BINARY.containsKey(n.opType()) && ElementwiseKernels.broadcastShape(in[0].shape, in[1].shape).length > 8) {
            return "more than 8 dimensions";
        }
        if (REDUCE.containsKey(n.opType()) && reduceRows(n, in, opset) == null) return "reduced axes not adjacent";
        switch (n.opType()) {
            case "Conv", "ConvTranspose" -> {
                long group = Attrs.i(n, "group", 1);
                if (in[0].rank() != 4) return "non-2-D convolution";
                int outChannels = n.opType().equals("Conv") ? in[1].shape[0] : in[1].shape[1] * (int) Math.max(1, group);
                if (group < 1 || in[0].shape[1] % group != 0 || outChannels % group != 0) return "channels do not split into the groups";
            }
            case "AveragePool" -> {
                if (in[0].rank() != 4) return "non-2-D pooling";
            }
            case "LayerNormalization" -> {
                if (layerNormRows(n, in) == null) return "LayerNormalization with statistics outputs or a broadcast scale/bias";
            }
            case "Pad" -> {
                if (in[0].rank() > 8) return "more than 8 dimensions";
                if (padMode(n) == null) return "Pad mode " + Attrs.s(n, "mode", "constant");
            }
            case "GlobalAveragePool" -> {
                if (in[0].rank() != 4) return "GlobalAveragePool on a non-image tensor";
            }
            case "Resize" -> {
                try {
                    if (ResizeKernels.plan2d(n, in, opset) == null) return "Resize of other than the last two axes";
                } catch (RuntimeException e) {
                    return "Resize variant: " + e.getMessage();
                }
            }
            case "Gemm" -> {
                if (Attrs.i(n, "transA", 0) != 0 || Attrs.i(n, "transB", 0) != 0 || Attrs.f(n, "alpha", 1f) != 1f
                        || Attrs.f(n, "beta", 1f) != 1f || in[0].rank() != 2) return "transposed or scaled Gemm";
                if (in.length > 2 && in[2] != null && !(in[2].size() == in[1].shape[1] && (in[2].rank() == 1 || in[2].shape[0] == 1))) {
                    return "Gemm bias is not one value per output";
                }
            }
            case "MatMul" -> {
                if (in[0].rank() < 2 || in[1].rank() < 2) return "MatMul of a vector";
                if (in[1].rank() > 2 && batchShape(in[0].shape, in[1].shape) == null) return "batch dimensions do not broadcast";
            }
            case "LSTM", "GRU" -> {
                String why = recurrentUnsupported(n, in);
                if (why != null) return why;
            }
            case "RoiAlign" -> {
                if (in[0].rank() != 4 || in[1].type != DataType.FLOAT) return "RoiAlign of other than an image and float rois";
            }
            case "Gather" -> {
                try {
                    if (ShapeKernels.gatherPlan(n, in[0].shape, in[1]).shape().length > 8) return "more than 8 dimensions";
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
            }
            case "ScatterElements" -> {
                if (!Attrs.s(n, "reduction", "none").equals("none")) return "ScatterElements with a reduction";
                if (in[1].rank() != in[0].rank()) return "indices of another rank than the data";
                int[] target;
                try {
                    target = IndexKernels.scatterTargets(in[0].shape, in[1], Attrs.axis(Attrs.i(n, "axis", 0), in[0].rank()));
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
                java.util.BitSet seen = new java.util.BitSet(in[0].size());
                for (int t : target) {
                    if (seen.get(t)) return "indices repeat a position (the last update wins, in order)";
                    seen.set(t);
                }
            }
            case "MaxPool" -> {
                int[] dil = Attrs.ints(n, "dilations", new int[] {1, 1});
                if (in[0].rank() != 4 || n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()
                        || dil[0] != 1 || dil[1] != 1 || Attrs.i(n, "storage_order", 0) != 0) return "MaxPool variant";
            }

            default -> {
            }
        }
        return null;
    }

    /** Why the recurrent kernels cannot run this LSTM/GRU node (they take the common form), or null. */
    private static String recurrentUnsupported(Node n, Value[] in) {
        if (in[0].rank() != 3 || in[1].rank() != 3 || in[2].rank() != 3) return "recurrent input of other than rank 3";
        if (Attrs.i(n, "layout", 0) != 0) return "batch-first layout (layout 1)";
        if (n.attribute("clip").isPresent()) return "clip";
        if (Attrs.i(n, "input_forget", 0) != 0) return "input_forget";
        if (!RecurrentKernels.defaultActivations(n)) return "activations other than the defaults";
        if (in[2].shape[2] > ClKernels.RNN_MAX_HIDDEN) return "hidden size over " + ClKernels.RNN_MAX_HIDDEN;
        if (in.length > 4 && in[4] != null) {
            for (int b = 0; b < in[4].size(); b++) {
                if (in[4].get(b) != in[0].shape[0]) return "sequence_lens shorter than the sequence";
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

    /**
     * Runs {@code n} on device tensors (its data inputs, see {@link #isData}); {@code host} holds every input as the
     * host sees it (parameters with their values, data inputs possibly as shapes only), {@code viewShape} the output
     * shape of a view op. Returns its output.
     */
    DevTensor run(Node n, DevTensor[] in, Value[] host, int[] viewShape, int opset) {
        return run(n, in, host, viewShape, opset, null);
    }

    /** As {@link #run(Node, DevTensor[], Value[], int[], int, Post)}, every output of the node (LSTM has three). */
    DevTensor[] runAll(Node n, DevTensor[] in, Value[] host, int[] viewShape, int opset, Post then) {
        if (n.opType().equals("LSTM") || n.opType().equals("GRU")) {
            return recurrent(n, in);
        }
        return new DevTensor[] {run(n, in, host, viewShape, opset, then)};
    }

    /**
     * An LSTM or GRU node, the whole sequence in one kernel launch: outputs Y [seq, dirs, batch, hidden], Y_h (and
     * LSTM's Y_c) [dirs, batch, hidden]; absent optional inputs are zeros.
     */
    private DevTensor[] recurrent(Node n, DevTensor[] in) {
        boolean lstm = n.opType().equals("LSTM");
        int[] xs = in[0].shape();
        int dirs = in[1].shape()[0], hidden = in[2].shape()[2], gates = lstm ? 4 : 3;
        var s = new ClKernels.Recurrence(xs[0], xs[1], xs[2], hidden, dirs,
                Attrs.s(n, "direction", "forward").equals("reverse"));
        java.util.List<ClRuntime.Buffer> zeros = new java.util.ArrayList<>();
        try {
            ClRuntime.Buffer b = given(in, 3, dirs * 2 * gates * hidden, zeros);
            ClRuntime.Buffer h0 = given(in, 5, dirs * s.batch() * hidden, zeros);
            DevTensor y = alloc(new int[] {s.seq(), dirs, s.batch(), hidden});
            DevTensor yh = alloc(new int[] {dirs, s.batch(), hidden});
            if (!lstm) {
                k.gru(s, Attrs.i(n, "linear_before_reset", 0) != 0, in[0].buf(), in[1].buf(), in[2].buf(), b, h0, y.buf(),
                        yh.buf());
                return new DevTensor[] {y, yh};
            }
            DevTensor yc = alloc(new int[] {dirs, s.batch(), hidden});
            k.lstm(s, in[0].buf(), in[1].buf(), in[2].buf(), b, given(in, 7, dirs * 3 * hidden, zeros), h0,
                    given(in, 6, dirs * s.batch() * hidden, zeros), y.buf(), yh.buf(), yc.buf());
            return new DevTensor[] {y, yh, yc};
        } finally {
            zeros.forEach(ClRuntime.Buffer::close);
        }
    }

    /** Input {@code i} when the node has it, else {@code size} zeros (kept in {@code temps} to release). */
    private ClRuntime.Buffer given(DevTensor[] in, int i, int size, java.util.List<ClRuntime.Buffer> temps) {
        if (i < in.length && in[i] != null) {
            return in[i].buf();
        }
        ClRuntime.Buffer z = rt.upload(new float[Math.max(1, size)], Math.max(1, size));
        temps.add(z);
        return z;
    }

    /** A unary op and its attributes, as the device kernels take them. */
    record Post(FloatMath.Unary op, float p, float q) {
    }

    /** Whether the element-wise node {@code n} can take the unary node after it into the same device pass. */
    static boolean fusable(Node n) {
        return BINARY.containsKey(n.opType()) || UNARY.containsKey(n.opType());
    }

    /** The unary op of node {@code n} (one of {@link #UNARY}) with its attributes, Clip bounds read from {@code host}. */
    static Post post(Node n, Value[] host, int opset) {
        FloatMath.Unary u = UNARY.get(n.opType());
        float p = 0;
        float q = 0;
        switch (n.opType()) {
            case "LeakyRelu" -> p = Attrs.f(n, "alpha", 0.01f);
            case "HardSigmoid" -> {
                p = Attrs.f(n, "alpha", 0.2f);
                q = Attrs.f(n, "beta", 0.5f);
            }
            case "Gelu" -> u = Attrs.s(n, "approximate", "none").equals("tanh") ? FloatMath.Unary.GELU_TANH : u;
            case "Clip" -> {
                float[] bounds = ElementwiseKernels.clipBounds(n, host, opset);
                p = bounds[0];
                q = bounds[1];
            }
            default -> {
            }
        }
        return new Post(u, p, q);
    }

    /**
     * As {@link #run(Node, DevTensor[], Value[], int[], int)}; {@code then}, when not null, is the unary node that
     * follows an element-wise {@code n}, applied in the same pass (the chain is one kernel on the device).
     */
    DevTensor run(Node n, DevTensor[] in, Value[] host, int[] viewShape, int opset, Post then) {
        String op = n.opType();
        DevTensor y;
        if (VIEWS.contains(op)) {
            y = alloc(viewShape);
            rt.copy(in[0].buf(), 0, y.buf(), 0, 4L * y.size());
        } else if (BINARY.containsKey(op)) {
            int[] out = ElementwiseKernels.broadcastShape(in[0].shape(), in[1].shape());
            y = alloc(out);
            k.binary(in[0].buf(), in[1].buf(), y.buf(), BINARY.get(op).ordinal(), out,
                    ElementwiseKernels.broadcastStrides(in[0].shape(), out), ElementwiseKernels.broadcastStrides(in[1].shape(), out),
                    then == null ? -1 : then.op().ordinal(), then == null ? 0 : then.p(), then == null ? 0 : then.q());
        } else if (UNARY.containsKey(op)) {
            Post u = post(n, host, opset);
            y = alloc(in[0].shape());
            k.unary(in[0].buf(), y.buf(), y.size(), u.op().ordinal(), u.p(), u.q(), then == null ? -1 : then.op().ordinal(),
                    then == null ? 0 : then.p(), then == null ? 0 : then.q());
        } else if (REDUCE.containsKey(op)) {
            int[][] plan = reduceRows(n, host, opset);
            y = alloc(plan[1]);
            k.reduceAxis(in[0].buf(), y.buf(), plan[0][0], plan[0][1], plan[0][2], REDUCE.get(op));
        } else {
            y = switch (op) {
                case "Conv" -> conv(n, in);
                case "Gemm" -> gemm(in);
                case "MatMul" -> {
                    if (in[1].shape().length > 2) {
                        yield batchedMatMul(in[0], in[1]);
                    }
                    // [..., M, K] x [K, N]: the leading dims fold into M
                    int[] a = in[0].shape();
                    int kk = a[a.length - 1];
                    int m = in[0].size() / Math.max(1, kk);
                    int nn = in[1].shape()[1];
                    int[] out = a.clone();
                    out[out.length - 1] = nn;
                    DevTensor o = alloc(out);
                    k.gemm(in[0].buf(), in[1].buf(), o.buf(), m, nn, kk, params);
                    yield o;
                }
                case "MaxPool" -> maxPool(n, in[0]);
                case "Gather" -> {
                    ShapeKernels.GatherPlan p = ShapeKernels.gatherPlan(n, in[0].shape(), host[1]);
                    DevTensor o = alloc(p.shape());
                    k.gather(in[0].buf(), p.outer(), p.dim(), p.inner(), p.index(), o.buf());
                    yield o;
                }
                case "ScatterElements" -> {
                    int[] target = IndexKernels.scatterTargets(in[0].shape(), host[1],
                            Attrs.axis(Attrs.i(n, "axis", 0), in[0].shape().length));
                    DevTensor o = alloc(in[0].shape());
                    rt.copy(in[0].buf(), 0, o.buf(), 0, 4L * o.size());
                    k.scatter(target, in[2].buf(), o.buf());
                    yield o;
                }
                case "RoiAlign" -> {
                    // the rois (four floats each) come back to the host with their batch indices, a host parameter
                    int count = in[1].shape()[0];
                    float[] rois = count == 0 ? new float[0] : rt.readFloats(in[1].buf(), 4 * count);
                    int[] batch = new int[count];
                    for (int r = 0; r < count; r++) batch[r] = (int) host[2].get(r);
                    var a = new ClKernels.RoiAlign((int) Attrs.i(n, "output_height", 1), (int) Attrs.i(n, "output_width", 1),
                            (int) Attrs.i(n, "sampling_ratio", 0), Attrs.f(n, "spatial_scale", 1f),
                            Attrs.s(n, "coordinate_transformation_mode", opset >= 16 ? "half_pixel" : "output_half_pixel")
                                    .equals("half_pixel"), Attrs.s(n, "mode", "avg").equals("max"));
                    int[] xs = in[0].shape();
                    DevTensor o = alloc(new int[] {count, xs[1], a.oh(), a.ow()});
                    k.roiAlign(in[0].buf(), xs[1], xs[2], xs[3], rois, batch, a, o.buf());
                    yield o;
                }
                case "AveragePool" -> averagePool(n, in[0]);
                case "ConvTranspose" -> convTranspose(n, in);
                case "LayerNormalization" -> {
                    LayerNormPlan p = layerNormRows(n, host);
                    DevTensor o = alloc(in[0].shape());
                    k.layerNorm(in[0].buf(), o.buf(), p.rows(), p.len(), Attrs.f(n, "epsilon", 1e-5f), in[1].buf(),
                            p.scalePerElement(), in.length > 2 && in[2] != null ? in[2].buf() : null, p.biasPerElement());
                    yield o;
                }
                case "Pad" -> {
                    IndexKernels.PadPlan p = IndexKernels.padPlan(n, host, opset);
                    int[] begin = new int[p.before().length];
                    for (int d = 0; d < begin.length; d++) begin[d] = Math.toIntExact(p.before()[d]);
                    DevTensor o = alloc(p.shape());
                    k.pad(in[0].buf(), o.buf(), in[0].shape(), p.shape(), begin, padMode(n), (float) p.constant());
                    yield o;
                }
                case "Slice" -> {
                    IndexKernels.Strided p = IndexKernels.slicePlan(n, host, opset);
                    DevTensor o = alloc(p.shape());
                    k.stridedCopy(in[0].buf(), p.offset(), p.strides(), o.buf(), 0, Value.strides(p.shape()), p.shape());
                    yield o;
                }
                case "GlobalAveragePool" -> {
                    int[] sh = in[0].shape();
                    int[] out = sh.clone();
                    for (int d = 2; d < out.length; d++) out[d] = 1;
                    DevTensor o = alloc(out);
                    k.planeMean(in[0].buf(), o.buf(), sh[0] * sh[1], in[0].size() / Math.max(1, sh[0] * sh[1]));
                    yield o;
                }
                case "Softmax", "LogSoftmax" -> {
                    Value shape = Value.floats(in[0].shape(), null);
                    int[] rows = ElementwiseKernels.rows(shape, Attrs.i(n, "axis", opset < 13 ? 1 : -1), opset);
                    DevTensor o = alloc(in[0].shape());
                    k.softmaxAxis(in[0].buf(), o.buf(), rows[0], rows[1], rows[2], op.equals("LogSoftmax"));
                    yield o;
                }
                case "Expand" -> {
                    // a strided copy whose repeated axes have stride 0
                    int[] out = ElementwiseKernels.broadcastShape(in[0].shape(), IndexKernels.toInts(host[1].asLongs()));
                    DevTensor o = alloc(out);
                    k.stridedCopy(in[0].buf(), 0, IndexKernels.expandStrides(in[0].shape(), out), o.buf(), 0,
                            Value.strides(out), out);
                    yield o;
                }
                case "Transpose" -> {
                    int[] sh = in[0].shape();
                    int r = sh.length;
                    int[] perm = Attrs.ints(n, "perm", null);
                    if (perm == null) {
                        perm = new int[r];
                        for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
                    }
                    int[] out = new int[r];
                    int[] src = new int[r];
                    int[] strides = Value.strides(sh);
                    for (int d = 0; d < r; d++) {
                        out[d] = sh[perm[d]];
                        src[d] = strides[perm[d]];
                    }
                    DevTensor o = alloc(out);
                    k.stridedCopy(in[0].buf(), 0, src, o.buf(), 0, Value.strides(out), out);
                    yield o;
                }
                case "Concat" -> {
                    int r = in[0].shape().length;
                    int axis = Attrs.axis(Attrs.i(n, "axis", 0), r);
                    int[] out = in[0].shape().clone();
                    out[axis] = 0;
                    for (DevTensor t : in) out[axis] += t.shape()[axis];
                    DevTensor o = alloc(out);
                    int[] dst = Value.strides(out);
                    int at = 0;
                    for (DevTensor t : in) {
                        k.stridedCopy(t.buf(), 0, Value.strides(t.shape()), o.buf(), at * dst[axis], dst, t.shape());
                        at += t.shape()[axis];
                    }
                    yield o;
                }
                case "Resize" -> {
                    ResizeKernels.Plan2d p = ResizeKernels.plan2d(n, host, opset);
                    int[] out = in[0].shape().clone();
                    out[out.length - 2] = p.oh();
                    out[out.length - 1] = p.ow();
                    DevTensor o = alloc(out);
                    k.resize2d(in[0].buf(), o.buf(), p.planes(), p.h(), p.w(), p.oh(), p.ow(), p.ix(), p.wx(), p.iy(), p.wy());
                    yield o;
                }
                default -> throw new IllegalStateException(op + " on OpenCL");
            };
        }
        LoadTimeRewrites.Activation act = LoadTimeRewrites.Activation.of(n);
        if (act != null) {
            k.unary(y.buf(), y.buf(), y.size(), act.op().ordinal(), act.p(), act.q()); // in place, element by element
        }
        return y;
    }

    /**
     * A Reduce node as [outer, len, inner] rows and its output shape, when its reduced axes (size-1 ones aside) are
     * adjacent; null otherwise (or for an empty reduction).
     */
    static int[][] reduceRows(Node n, Value[] in, int opset) {
        long[] axes = ReduceKernels.axes(n, in, opset, n.opType().equals("ReduceSum") ? 13 : 18);
        if (ReduceKernels.emptyNoop(n, axes) || Value.size(in[0].shape) == 0) {
            return null; // a copy, or nothing to reduce: leave it to the CPU
        }
        boolean[] reduced = ReduceKernels.reducedDims(axes, in[0].rank());
        int[] rows = ReduceKernels.adjacentRows(in[0].shape, reduced);
        return rows == null ? null
                : new int[][] {rows, ReduceKernels.outputShape(in[0].shape, reduced, Attrs.i(n, "keepdims", 1) != 0)};
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
        int group = (int) Attrs.i(node, "group", 1);
        if (group > 1 && !(group == c && m == c)) {
            k.convGrouped(in[0].buf(), in[1].buf(), in.length > 2 && in[2] != null ? in[2].buf() : null, y.buf(),
                    new ClKernels.Window(batch, c, h, w, m, group, g, oh, ow));
            return y;
        }
        if (group > 1) {
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

    /** The pad kernel's mode for a Pad node, or null for a mode it lacks. */
    static ClKernels.PadMode padMode(Node n) {
        return switch (Attrs.s(n, "mode", "constant")) {
            case "constant" -> ClKernels.PadMode.CONSTANT;
            case "reflect" -> ClKernels.PadMode.REFLECT;
            case "edge" -> ClKernels.PadMode.EDGE;
            case "wrap" -> ClKernels.PadMode.WRAP;
            default -> null;
        };
    }

    /** A LayerNormalization node as rows of {@code len}; scale and bias hold one value per row element, or one for all. */
    record LayerNormPlan(int rows, int len, boolean scalePerElement, boolean biasPerElement) {
    }

    /**
     * The rows plan of a LayerNormalization node; null when the node also outputs its statistics or the scale or
     * bias broadcasts some other way.
     */
    static LayerNormPlan layerNormRows(Node n, Value[] in) {
        for (int o = 1; o < n.outputs().size(); o++) {
            if (!n.outputs().get(o).isEmpty()) return null;
        }
        int r = in[0].rank();
        int axis = Attrs.axis(Attrs.i(n, "axis", -1), r);
        int len = 1;
        for (int d = axis; d < r; d++) len *= in[0].shape[d];
        Value b = in.length > 2 ? in[2] : null;
        boolean scaleFits = in[1].size() == len || in[1].size() == 1;
        boolean biasFits = b == null || b.size() == len || b.size() == 1;
        boolean trailing = in[1].rank() <= r - axis; // a per-element scale must cover the normalized dims, not more
        if (!scaleFits || !biasFits || !trailing || len == 0) return null;
        return new LayerNormPlan(in[0].size() / len, len, in[1].size() == len && len > 1, b != null && b.size() == len && len > 1);
    }

    /** The products of a batched MatMul: each one's operand offsets, in the order of the broadcast batch shape. */
    record BatchPlan(int[] aOffsets, int[] bOffsets, int[] batchShape) {
    }

    /**
     * The broadcast batch shape of a MatMul of shapes {@code a} [..., M, K] and {@code b} [..., K, N] (rank 2 or
     * more); null when the batch dimensions do not broadcast or the inner dimensions do not match.
     */
    static int[] batchShape(int[] a, int[] b) {
        if (a[a.length - 1] != b[b.length - 2]) return null;
        try {
            return ElementwiseKernels.broadcastShape(Arrays.copyOf(a, a.length - 2), Arrays.copyOf(b, b.length - 2));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The operand offsets of every product of a batched MatMul whose {@link #batchShape} is not null. */
    static BatchPlan batchPlan(int[] a, int[] b) {
        int ra = a.length, rb = b.length;
        int[] out = batchShape(a, b);
        int[] sa = ElementwiseKernels.broadcastStrides(Arrays.copyOf(a, ra - 2), out);
        int[] sb = ElementwiseKernels.broadcastStrides(Arrays.copyOf(b, rb - 2), out);
        int count = Value.size(out);
        int[] offA = new int[count];
        int[] offB = new int[count];
        int matA = a[ra - 2] * a[ra - 1];
        int matB = b[rb - 2] * b[rb - 1];
        for (int i = 0; i < count; i++) {
            int rem = i;
            int oa = 0, ob = 0;
            for (int d = out.length - 1; d >= 0; d--) {
                int idx = rem % out[d];
                rem /= out[d];
                oa += idx * sa[d];
                ob += idx * sb[d];
            }
            offA[i] = oa * matA;
            offB[i] = ob * matB;
        }
        return new BatchPlan(offA, offB, out);
    }

    private DevTensor batchedMatMul(DevTensor a, DevTensor b) {
        int[] as = a.shape();
        int[] bs = b.shape();
        BatchPlan p = batchPlan(as, bs);
        int m = as[as.length - 2], kk = as[as.length - 1], nn = bs[bs.length - 1];
        int[] out = Arrays.copyOf(p.batchShape(), p.batchShape().length + 2);
        out[out.length - 2] = m;
        out[out.length - 1] = nn;
        DevTensor o = alloc(out);
        if (p.aOffsets().length > 0 && m > 0 && nn > 0) {
            k.matmulBatched(a.buf(), p.aOffsets(), b.buf(), p.bOffsets(), o.buf(), m, nn, kk);
        }
        return o;
    }

    private DevTensor convTranspose(Node node, DevTensor[] in) {
        int[] xs = in[0].shape();
        int[] ws = in[1].shape();
        int group = (int) Attrs.i(node, "group", 1);
        int[][] geometry = MiscKernels.convTransposeGeometry(node, xs, ws);
        int[] strides = Attrs.ints(node, "strides", new int[] {1, 1});
        int[] dil = Attrs.ints(node, "dilations", new int[] {1, 1});
        int m = ws[1] * group;
        ClKernels.Conv g = new ClKernels.Conv(ws[2], ws[3], strides[0], strides[1], geometry[1][0], geometry[1][1], dil[0], dil[1]);
        ClKernels.Window s = new ClKernels.Window(xs[0], xs[1], xs[2], xs[3], m, group, g, geometry[0][0], geometry[0][1]);
        DevTensor y = alloc(new int[] {xs[0], m, s.oh(), s.ow()});
        k.convTranspose(in[0].buf(), in[1].buf(), in.length > 2 && in[2] != null ? in[2].buf() : null, y.buf(), s);
        return y;
    }

    private DevTensor averagePool(Node n, DevTensor x) {
        int[] s = x.shape();
        int[] kernel = Attrs.ints(n, "kernel_shape", new int[] {1, 1});
        int[] strides = Attrs.ints(n, "strides", new int[] {1, 1});
        int[] dil = Attrs.ints(n, "dilations", new int[] {1, 1});
        int[] pads = Attrs.ints(n, "pads", new int[] {0, 0, 0, 0});
        String autoPad = Attrs.s(n, "auto_pad", "NOTSET");
        boolean ceil = Attrs.i(n, "ceil_mode", 0) == 1;
        int[] gy = ConvKernels.geometry(autoPad, s[2], kernel[0], strides[0], dil[0], pads[0], pads[2], ceil);
        int[] gx = ConvKernels.geometry(autoPad, s[3], kernel[1], strides[1], dil[1], pads[1], pads[3], ceil);
        ClKernels.Conv g = new ClKernels.Conv(kernel[0], kernel[1], strides[0], strides[1], gy[1], gx[1], dil[0], dil[1]);
        DevTensor y = alloc(new int[] {s[0], s[1], gy[0], gx[0]});
        // padded cells count toward the divisor only up to the explicit end pads, as on the CPU
        k.avgPool(x.buf(), y.buf(), new ClKernels.Window(s[0], s[1], s[2], s[3], s[1], 1, g, gy[0], gx[0]),
                autoPad.equals("NOTSET") ? pads[2] : 0, autoPad.equals("NOTSET") ? pads[3] : 0,
                Attrs.i(n, "count_include_pad", 0) == 1);
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
