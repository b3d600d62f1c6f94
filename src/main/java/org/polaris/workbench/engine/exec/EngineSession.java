package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.runtime.NodeTiming;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.GraphPrep;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Workbench engine's CPU executor for one model. Loading normalizes the graph (constants folded, Identity
 * aliases bypassed, BatchNormalization folded into Conv), converts weights once, and rejects the model up front
 * when any op is unsupported. Runs go node by node in file order; each intermediate is released after its last use.
 */
public final class EngineSession implements AutoCloseable {

    private final OnnxModel model;
    private final EnginePool pool;
    private final Map<String, Kernel> kernels;
    private final Map<String, Value> constants = new HashMap<>();
    private final Map<String, Integer> lastUseByName;
    private final Buffers buffers = new Buffers();
    private final java.util.Set<float[]> constantArrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final int opset;
    private List<NodeTiming> lastProfile = List.of();

    private EngineSession(OnnxModel model, EnginePool pool, Map<String, Kernel> kernels) {
        this.model = model;
        this.pool = pool;
        this.kernels = kernels;
        this.opset = (int) model.defaultOpset();
        model.graph().initializers().forEach(t -> constants.put(t.name(), Value.of(t)));
        constants.values().forEach(v -> {
            if (v.f != null) {
                constantArrays.add(v.f);
            }
        });
        buffers.constants(constantArrays);
        Map<String, Integer> last = new HashMap<>();
        List<Node> nodes = model.graph().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : nodes.get(i).inputs()) {
                last.put(in, i);
            }
        }
        model.graph().outputs().forEach(v -> last.put(v.name(), Integer.MAX_VALUE));
        this.lastUseByName = last;
    }

    static Map<String, Kernel> registry(EnginePool pool) {
        return registry(pool, SparseWeights.none());
    }

    static Map<String, Kernel> registry(EnginePool pool, SparseWeights sparse) {
        Map<String, Kernel> k = new HashMap<>();
        ElementwiseKernels.register(k, pool);
        MathKernels.register(k, pool);
        IndexKernels.register(k);
        ReduceKernels.register(k);
        ResizeKernels.register(k);
        RecurrentKernels.register(k, pool);
        LossKernels.register(k);
        MiscKernels.register(k);
        ControlFlow.register(k, pool);
        ShapeKernels.register(k);
        NnKernels.register(k, pool, sparse);
        ConvKernels.register(k, pool, sparse);
        QuantKernels.register(k);
        QLinearKernels.register(k, pool);
        return k;
    }

    /** Which kernels the engine's matrix products and convolutions use in this JVM, and why. */
    public static String kernelPath() {
        if (Gemm.kernelName().equals("vector")) {
            return "vector kernels (jdk.incubator.vector)";
        }
        return Boolean.getBoolean("polaris.scalar") ? "scalar kernels (-Dpolaris.scalar=true)"
                : "scalar kernels, 2-4x slower: this JVM was started without --add-modules jdk.incubator.vector";
    }

    /** Op types the engine implements (default ONNX domain). */
    public static java.util.Set<String> supportedOps() {
        return new java.util.TreeSet<>(registry(EnginePool.shared()).keySet());
    }

    /** Where nodes run: all on the CPU, every node OpenCL can run on the OpenCL device, or chosen by measured cost. */
    public enum Device {
        CPU, GPU, AUTO;

        public static Device parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown device '" + s + "': use cpu, gpu or auto");
            }
        }
    }

    /** Where one node ran in the last run, and why. */
    public record Placement(String node, String op, String device, String reason) {
    }

    public static EngineSession load(OnnxModel model, EnginePool pool) throws UnsupportedOpsException {
        return load(model, pool, Device.CPU);
    }

    /**
     * @param device {@code GPU}/{@code AUTO} open the first OpenCL GPU (else the first OpenCL device) and measure it;
     *               without OpenCL they fail with the reason
     */
    public static EngineSession load(OnnxModel model, EnginePool pool, Device device) throws UnsupportedOpsException {
        EngineSession s = load0(model, pool);
        if (device != Device.CPU) {
            s.device = device;
            s.gpu = GpuBackend.open(pool);
        }
        return s;
    }

    private Device device = Device.CPU;
    private GpuBackend gpu;
    private final Map<String, GpuBackend.DevTensor> deviceConstants = new HashMap<>();
    private List<Placement> lastPlacement = List.of();

    /** The OpenCL device and its measured rates, or null on the CPU. */
    public String deviceDescription() {
        return gpu == null ? null : gpu.describe();
    }

    /** Per node, where the last run executed it and why. */
    public List<Placement> lastPlacement() {
        return lastPlacement;
    }

    /** Releases device memory (a no-op on the CPU). */
    @Override
    public synchronized void close() {
        deviceConstants.values().forEach(t -> t.buf().close());
        deviceConstants.clear();
        if (gpu != null) {
            gpu.close();
            gpu = null;
        }
    }

    private static EngineSession load0(OnnxModel model, EnginePool pool) throws UnsupportedOpsException {
        OnnxModel prepped = ControlFlow.expose(LoadTimeRewrites.apply(GraphPrep.normalize(model)));
        SparseWeights sparse = SparseWeights.plan(prepped);
        Map<String, Kernel> kernels = registry(pool, sparse);
        Map<String, List<String>> missing = new TreeMap<>();
        Map<String, List<String>> all = new TreeMap<>();
        for (int i = 0; i < prepped.graph().nodes().size(); i++) {
            Node n = prepped.graph().nodes().get(i);
            all.computeIfAbsent(n.qualifiedOpType(), k -> new ArrayList<>())
                    .add(n.name().isEmpty() ? n.opType() + "#" + i : n.name());
        }
        ControlFlow.subgraphOps(prepped.graph().nodes(), all); // If branches and Loop bodies are checked up front too
        all.forEach((op, nodes) -> {
            if (!kernels.containsKey(op)) {
                missing.put(op, nodes);
            }
        });
        if (!missing.isEmpty()) {
            throw new UnsupportedOpsException(model.displayName(), missing);
        }
        EngineSession session = new EngineSession(prepped, pool, kernels);
        session.sparse = sparse;
        return session;
    }

    /** The node's work and the inputs it would have to upload, for the placement estimate. */
    private String placeOnDevice(Node n, Value[] shapes, boolean[] resident) {
        String no = GpuBackend.unsupported(n, shapes);
        if (no != null) {
            return "cpu:" + no;
        }
        if (device == Device.GPU) {
            return "gpu:forced";
        }
        long flops;
        int kernels = 1;
        switch (n.opType()) {
            case "Conv" -> {
                int[] x = shapes[0].shape;
                int[] w = shapes[1].shape;
                int[] st = Attrs.ints(n, "strides", new int[] {1, 1});
                long plane = (long) Math.max(1, x[2] / st[0]) * Math.max(1, x[3] / st[1]);
                flops = 2L * x[0] * w[0] * w[1] * w[2] * w[3] * plane;
                kernels = 4 * x[0];
            }
            case "Gemm", "MatMul" -> flops = 2L * shapes[0].shape[0] * shapes[0].shape[1] * shapes[1].shape[1];
            default -> flops = shapes[0].size();
        }
        long upload = 0;
        for (int k = 0; k < shapes.length; k++) {
            if (shapes[k] != null && !resident[k]) upload += 4L * shapes[k].size();
        }
        double dev = gpu.deviceMs(flops, upload, kernels);
        double cpu = n.opType().equals("Conv") || n.opType().equals("Gemm") || n.opType().equals("MatMul")
                ? gpu.cpuMs(flops) : 8.0 * shapes[0].size() / 1e7;
        String why = String.format(java.util.Locale.ROOT, "est. OpenCL %.3f ms (%d kernels, %.1f kB to upload) vs CPU %.3f ms",
                dev, kernels, upload / 1024.0, cpu);
        return (dev < cpu ? "gpu:" : "cpu:") + why;
    }

    private SparseWeights sparse = SparseWeights.none();

    /** Weights held as CSR, and those whose layers ran on the sparse kernel so far (measured faster or forced). */
    public int sparseWeights() {
        return sparse.size();
    }

    public java.util.Set<String> sparseLayersUsed() {
        return sparse.usedSparse();
    }

    /** The graph as the engine runs it, after load-time rewrites (for tests and profiles). */
    OnnxModel prepared() {
        return model;
    }

    public List<ValueInfo> inputs() {
        return model.graph().feedInputs();
    }

    /**
     * Runs the model once and returns its graph outputs; {@code profile} records per-node timings. A session runs
     * one inference at a time (its buffer arena is reused between runs).
     */
    public synchronized Map<String, Tensor> run(Map<String, Tensor> feeds, boolean profile) {
        buffers.bind();
        try {
            return runBound(feeds, profile);
        } finally {
            Buffers.unbind();
        }
    }

    private Map<String, Tensor> runBound(Map<String, Tensor> feeds, boolean profile) {
        // Intermediate float arrays are reference-counted (Reshape, Flatten and friends share their input's array)
        // and go back to the arena when the last value using them is dropped.
        Map<float[], Integer> refs = new java.util.IdentityHashMap<>();
        // Constants are looked up in their own map rather than copied into each run's values.
        Map<String, Value> values = new HashMap<>();
        // Feed arrays are counted like intermediates (a Flatten or Reshape of an input shares its array, which
        // must stay untouched while that view is alive) but never go to the arena: the caller made them, and
        // a size no kernel asks for would pile up there run after run.
        java.util.Set<float[]> feedArrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
            Value v = Value.of(e.getValue());
            values.put(e.getKey(), v);
            if (v.f != null) {
                refs.merge(v.f, 1, Integer::sum);
                feedArrays.add(v.f);
            }
        }
        for (ValueInfo in : inputs()) {
            if (!values.containsKey(in.name()) && !constants.containsKey(in.name())) {
                throw new IllegalArgumentException("missing input '" + in.name() + "'");
            }
        }
        List<Node> nodes = model.graph().nodes();
        List<NodeTiming> timings = profile ? new ArrayList<>(nodes.size()) : null;
        Map<String, GpuBackend.DevTensor> onDevice = new HashMap<>();
        List<Placement> placement = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            String id = n.name().isEmpty() ? n.opType() + "#" + i : n.name();
            Value[] in = new Value[n.inputs().size()];
            boolean[] resident = new boolean[in.length];
            for (int k = 0; k < in.length; k++) {
                String name = n.inputs().get(k);
                if (!name.isEmpty()) {
                    Value v = values.get(name);
                    in[k] = v != null ? v : constants.get(name);
                    if (in[k] == null && onDevice.containsKey(name)) {
                        GpuBackend.DevTensor t = onDevice.get(name);
                        in[k] = Value.floats(t.shape(), null); // shape only until a CPU node needs the data
                        resident[k] = true;
                    } else if (in[k] != null && constants.containsKey(name)) {
                        resident[k] = true; // constants are uploaded once per session
                    }
                    if (in[k] == null) {
                        throw new IllegalStateException("node " + n.name() + " reads '" + name + "' before it exists");
                    }
                }
            }
            String where = gpu == null ? "cpu:" : placeOnDevice(n, in, resident);
            boolean onGpu = where.startsWith("gpu:");
            if (gpu != null) {
                placement.add(new Placement(id, n.opType(), onGpu ? "opencl" : "cpu", where.substring(4)));
            }
            long t0 = System.nanoTime();
            Value[] out;
            try {
                if (onGpu) {
                    GpuBackend.DevTensor[] din = new GpuBackend.DevTensor[in.length];
                    for (int k = 0; k < in.length; k++) {
                        String name = n.inputs().get(k);
                        if (name.isEmpty()) continue;
                        din[k] = onDevice.get(name);
                        if (din[k] == null && constants.containsKey(name)) {
                            din[k] = deviceConstants.computeIfAbsent(name, c -> gpu.upload(constants.get(c)));
                        } else if (din[k] == null) {
                            din[k] = gpu.upload(in[k]);
                            onDevice.put(name, din[k]);
                        }
                    }
                    onDevice.put(n.outputs().get(0), gpu.run(n, din));
                    out = new Value[0];
                } else {
                    for (int k = 0; k < in.length; k++) {
                        String name = n.inputs().get(k);
                        if (in[k] != null && in[k].f == null && in[k].type == org.polaris.workbench.engine.model.DataType.FLOAT
                                && onDevice.containsKey(name)) {
                            Value host = gpu.download(onDevice.get(name));
                            values.put(name, host);
                            refs.merge(host.f, 1, Integer::sum);
                            in[k] = host;
                        }
                    }
                    out = kernels.get(n.qualifiedOpType()).run(n, in, opset);
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(id + " (" + n.opType() + (onGpu ? ", OpenCL" : "") + "): " + e.getMessage(), e);
            }
            long t1 = System.nanoTime();
            for (int k = 0; k < Math.min(out.length, n.outputs().size()); k++) {
                if (!n.outputs().get(k).isEmpty()) {
                    values.put(n.outputs().get(k), out[k]);
                    if (out[k] != null && out[k].f != null && !constantArrays.contains(out[k].f)) {
                        refs.merge(out[k].f, 1, Integer::sum);
                    }
                }
            }
            if (profile) {
                timings.add(new NodeTiming(n.name().isEmpty() ? n.opType() + "#" + i : n.name(), n.opType(), t1 - t0,
                        Costs.flops(n, in, out), Costs.bytes(in, out)));
            }
            for (String name : new java.util.LinkedHashSet<>(n.inputs())) {
                if (lastUseByName.getOrDefault(name, -1) == i && !constants.containsKey(name) && onDevice.containsKey(name)) {
                    onDevice.remove(name).buf().close();
                }
                if (lastUseByName.getOrDefault(name, -1) == i && !constants.containsKey(name)) {
                    Value gone = values.remove(name);
                    if (gone != null && gone.f != null && refs.containsKey(gone.f) && refs.merge(gone.f, -1, Integer::sum) == 0) {
                        refs.remove(gone.f);
                        if (!feedArrays.contains(gone.f)) {
                            Buffers.release(gone.f);
                        }
                    }
                }
            }
        }
        if (profile) {
            lastProfile = List.copyOf(timings);
        }
        lastPlacement = List.copyOf(placement);
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (ValueInfo o : model.graph().outputs()) {
            if (!values.containsKey(o.name()) && onDevice.containsKey(o.name())) {
                Value host = gpu.download(onDevice.get(o.name()));
                values.put(o.name(), host);
                refs.merge(host.f, 1, Integer::sum);
            }
            Value v = values.containsKey(o.name()) ? values.get(o.name()) : constants.get(o.name());
            if (v != null) {
                result.put(o.name(), v.toTensor(o.name()));
            }
        }
        // Outputs were copied into the result: their arrays can serve the next run.
        refs.keySet().stream().filter(a -> !feedArrays.contains(a)).forEach(Buffers::release);
        onDevice.values().forEach(t -> t.buf().close());
        return result;
    }

    /** Buffers served from the arena and freshly allocated, over the session's life (for tests and profiles). */
    long[] bufferStats() {
        return new long[] {buffers.reused(), buffers.allocated(), buffers.pooled()};
    }

    public List<NodeTiming> lastProfile() {
        return lastProfile;
    }
}
