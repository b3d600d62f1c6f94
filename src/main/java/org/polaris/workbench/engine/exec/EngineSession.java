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
 * when any op is unsupported, then compiles the graph into a plan: each node bound to its kernel and to numbered value
 * slots, so a run is a walk over an array with no name lookups. Runs go node by node in file order; each
 * intermediate is released after its last use.
 */
public final class EngineSession implements AutoCloseable {

    private final OnnxModel model;
    private final EnginePool pool;
    private final Buffers buffers = new Buffers();
    private final java.util.Set<Object> constantArrays =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final int opset;
    private List<NodeTiming> lastProfile = List.of();

    /**
     * One node bound at load: its kernel (looked up once), where its inputs and outputs live in a run's slot array
     * (-1 for an omitted optional input or output), and the slots whose last reader it is.
     */
    private record Step(Node node, String id, Kernel kernel, int[] in, int[] out, int[] release, boolean shapeOnly) {
    }

    /**
     * Outputs of the shape-only steps (Shape and what is computed from shapes and constants alone: the Gather,
     * Unsqueeze, Concat chains exporters write before every Reshape) for the input shapes of {@link #cachedShapes}:
     * a run with the same shapes takes them from here instead of recomputing them; other shapes recompute and replace
     * them (a new input shape re-plans without reloading).
     */
    private Value[][] shapeCache;
    private int[][] cachedShapes;
    private long reusedShapeSteps;

    private long fusedSteps;

    /** Unary steps run inside the kernel of the element-wise step before them on the device, so far. */
    long fusedSteps() {
        return fusedSteps;
    }

    /**
     * The step after {@code i} when it can run inside step i's device kernel: the plan allows it, the device has a
     * kernel for it, and the placement would put it on the device too.
     */
    private Step fusedSuccessor(int i, Value[] in, Value[] slots) {
        if (!fusesNext[i]) {
            return null;
        }
        Step next = steps[i + 1];
        Value[] host = hostInputs(next, slots);
        int[] shape = in[0].shape;
        for (int k = 1; k < in.length; k++) {
            if (in[k] != null) shape = ElementwiseKernels.broadcastShape(shape, in[k].shape);
        }
        host[0] = Value.floats(shape, null); // shape only: it will be on the device
        if (GpuBackend.unsupported(next.node(), host, opset) != null) {
            return null;
        }
        boolean[] resident = new boolean[host.length];
        java.util.Arrays.fill(resident, true);
        return device == Device.GPU || placeOnDevice(next.node(), host, resident).unit() == Unit.OPENCL ? next : null;
    }

    /** A step's inputs as the host holds them (parameters such as Clip bounds; the data input is replaced). */
    private static Value[] hostInputs(Step st, Value[] slots) {
        Value[] in = new Value[st.in().length];
        for (int k = 0; k < in.length; k++) {
            if (st.in()[k] >= 0) in[k] = slots[st.in()[k]];
        }
        return in;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Shape-only steps taken from the cache so far (for tests and profiles). */
    long reusedShapeSteps() {
        return reusedShapeSteps;
    }

    /** The graph compiled once: steps in file order over numbered value slots. */
    private final Step[] steps;
    /**
     * Per step, whether the next step is a unary op reading only this step's single output, which nothing else
     * reads: on the device the two run as one kernel pass (an element-wise chain fused).
     */
    private final boolean[] fusesNext;
    /** Slot of every value name (feeds, constants, node outputs); runs use it only for feeds and graph outputs. */
    private final Map<String, Integer> slotOf = new HashMap<>();
    /** A run's slots before it starts: the constants in place, everything else empty. */
    private final Value[] initialSlots;
    private final boolean[] constantSlot;

    private EngineSession(OnnxModel model, EnginePool pool, Map<String, Kernel> kernels) {
        this.model = model;
        this.pool = pool;
        this.opset = (int) model.defaultOpset();
        List<Value> constants = new ArrayList<>();
        for (Tensor t : model.graph().initializers()) {
            Value v = Value.of(t);
            slot(t.name());
            constants.add(v);
            if (recycled(v) != null) {
                constantArrays.add(recycled(v));
            }
        }
        buffers.constants(constantArrays);
        model.graph().inputs().forEach(v -> slot(v.name()));
        List<Node> nodes = model.graph().nodes();
        for (Node n : nodes) {
            n.inputs().forEach(name -> {
                if (!name.isEmpty()) slot(name);
            });
            n.outputs().forEach(name -> {
                if (!name.isEmpty()) slot(name);
            });
        }
        model.graph().outputs().forEach(v -> slot(v.name()));
        int count = slotOf.size();
        initialSlots = new Value[count];
        constantSlot = new boolean[count];
        List<Tensor> inits = model.graph().initializers();
        for (int i = 0; i < inits.size(); i++) {
            int s = slotOf.get(inits.get(i).name());
            initialSlots[s] = constants.get(i);
            constantSlot[s] = true;
        }
        int[] last = new int[count];
        java.util.Arrays.fill(last, -1);
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : nodes.get(i).inputs()) {
                if (!in.isEmpty()) last[slotOf.get(in)] = i;
            }
        }
        model.graph().outputs().forEach(v -> last[slotOf.get(v.name())] = Integer.MAX_VALUE);
        steps = new Step[nodes.size()];
        fusesNext = new boolean[nodes.size()];
        boolean[] shapeDerived = new boolean[count];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            int[] in = n.inputs().stream().mapToInt(name -> name.isEmpty() ? -1 : slotOf.get(name)).toArray();
            int[] out = n.outputs().stream().mapToInt(name -> name.isEmpty() ? -1 : slotOf.get(name)).toArray();
            int step = i;
            int[] release = java.util.Arrays.stream(in).filter(s -> s >= 0 && last[s] == step && !constantSlot[s])
                    .distinct().toArray();
            steps[i] = new Step(n, n.name().isEmpty() ? n.opType() + "#" + i : n.name(), kernels.get(n.qualifiedOpType()),
                    in, out, release, shapeOnly(n, in, shapeDerived));
            if (steps[i].shapeOnly()) {
                for (int o : out) if (o >= 0) shapeDerived[o] = true;
            }
        }
        for (int i = 0; i + 1 < steps.length; i++) {
            Step a = steps[i];
            Step b = steps[i + 1];
            int o = a.out().length == 1 ? a.out()[0] : -1;
            fusesNext[i] = o >= 0 && GpuBackend.fusable(a.node()) && GpuBackend.UNARY.containsKey(b.node().opType())
                    && b.out().length == 1 && b.in().length >= 1 && b.in()[0] == o && last[o] == i + 1
                    && java.util.Arrays.stream(b.in()).skip(1).allMatch(x -> x < 0 || constantSlot[x]);
        }
    }

    /**
     * Whether a node's outputs follow from the input shapes alone: Shape and Size, or a deterministic node without
     * subgraphs whose every input is a constant or itself shape-derived (and which reads at least one of those).
     */
    private boolean shapeOnly(Node n, int[] in, boolean[] shapeDerived) {
        String op = n.opType();
        if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
            return false;
        }
        if (op.equals("Shape") || op.equals("Size")) {
            return true;
        }
        if (op.startsWith("Random") || op.equals("Bernoulli") || op.equals("Multinomial")
                || n.attributes().stream().anyMatch(a -> !a.subgraphs().isEmpty())) {
            return false;
        }
        boolean any = false;
        for (int s : in) {
            if (s < 0) continue;
            if (shapeDerived[s]) any = true;
            else if (!constantSlot[s]) return false;
        }
        return any;
    }

    private void slot(String name) {
        slotOf.computeIfAbsent(name, k -> slotOf.size());
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
        ResizeKernels.register(k, pool);
        RecurrentKernels.register(k, pool);
        LossKernels.register(k);
        MiscKernels.register(k, pool);
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

    /** The processor a node ran on. */
    public enum Unit {
        CPU, OPENCL;

        /** As shown in tables and reports: cpu, opencl. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Where one node ran in the last run, and why. */
    public record Placement(String node, String op, Unit device, String reason) {
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
    private final Map<Integer, GpuBackend.DevTensor> deviceConstants = new HashMap<>();
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

    /**
     * A CPU session that runs the graph as written: no activation folding and no Q/DQ fusion at load, so every node's
     * own output exists and a {@link TensorObserver} sees it (the graph diff compares them). Slower than {@link #load}.
     */
    public static EngineSession loadAsWritten(OnnxModel model, EnginePool pool) throws UnsupportedOpsException {
        return load0(model, pool, false);
    }

    private static EngineSession load0(OnnxModel model, EnginePool pool) throws UnsupportedOpsException {
        return load0(model, pool, true);
    }

    private static EngineSession load0(OnnxModel model, EnginePool pool, boolean rewrite) throws UnsupportedOpsException {
        OnnxModel normalized = GraphPrep.normalize(model);
        OnnxModel prepped = ControlFlow.expose(rewrite ? LoadTimeRewrites.apply(normalized) : normalized);
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

    /** Where a node runs and why: the placement decision of one run. */
    private record Where(Unit unit, String reason) {
    }

    /** The node's work and the inputs it would have to upload, for the placement estimate. */
    private Where placeOnDevice(Node n, Value[] shapes, boolean[] resident) {
        String no = GpuBackend.unsupported(n, shapes, opset);
        if (no != null) {
            return new Where(Unit.CPU, no);
        }
        if (device == Device.GPU) {
            return new Where(Unit.OPENCL, "forced");
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
            case "ConvTranspose" -> {
                int[] w = shapes[1].shape;
                flops = 2L * shapes[0].size() * w[1] * w[2] * w[3];
            }
            case "Gemm" -> flops = 2L * shapes[0].shape[0] * shapes[0].shape[1] * shapes[1].shape[1];
            case "MatMul" -> {
                int[] a = shapes[0].shape;
                int[] b = shapes[1].shape;
                long products = b.length > 2 ? Value.size(GpuBackend.batchShape(a, b)) : 1;
                long rows = b.length > 2 ? a[a.length - 2] : shapes[0].size() / Math.max(1, a[a.length - 1]);
                flops = 2L * products * rows * a[a.length - 1] * b[b.length - 1];
            }
            case "LSTM", "GRU" -> {
                // every step's gates from the input and the previous h; the steps run one after another
                int[] x = shapes[0].shape;
                int[] r = shapes[2].shape;
                int gates = n.opType().equals("LSTM") ? 4 : 3;
                flops = 2L * x[0] * x[1] * r[0] * gates * r[2] * (x[2] + r[2]);
                kernels = x[0];
            }
            default -> flops = shapes[0].size();
        }
        long upload = 0;
        for (int k = 0; k < shapes.length; k++) {
            if (shapes[k] != null && !resident[k]) upload += 4L * shapes[k].size();
        }
        double dev = gpu.deviceMs(flops, upload, kernels);
        double cpu = java.util.Set.of("Conv", "Gemm", "MatMul", "LSTM", "GRU").contains(n.opType())
                ? gpu.cpuMs(flops) : 8.0 * shapes[0].size() / 1e7;
        String why = String.format(java.util.Locale.ROOT, "est. OpenCL %.3f ms (%d kernels, %.1f kB to upload) vs CPU %.3f ms",
                dev, kernels, upload / 1024.0, cpu);
        return new Where(dev < cpu ? Unit.OPENCL : Unit.CPU, why);
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
        return run(feeds, profile, null);
    }

    /**
     * Receives each tensor a run computes on the CPU, by name, while it is alive: {@code values} decodes it to floats
     * (a copy the observer may keep). Tensors computed on the OpenCL device are not observed.
     */
    @FunctionalInterface
    public interface TensorObserver {
        void computed(String node, String tensor, int[] shape, java.util.function.Supplier<float[]> values);
    }

    /** {@link #run(Map, boolean)}, showing every node output to {@code observer} (null: none). */
    public synchronized Map<String, Tensor> run(Map<String, Tensor> feeds, boolean profile, TensorObserver observer) {
        buffers.bind();
        try {
            return runBound(feeds, profile, observer);
        } finally {
            Buffers.unbind();
        }
    }

    private static java.util.function.Supplier<float[]> floats(Value v, String name) {
        return () -> {
            if (v.f != null) return java.util.Arrays.copyOf(v.f, v.size());
            double[] d = v.toTensor(name).toDoubles(); // integer codes, booleans as 0/1
            float[] o = new float[d.length];
            for (int k = 0; k < d.length; k++) o[k] = (float) d[k];
            return o;
        };
    }

    private Map<String, Tensor> runBound(Map<String, Tensor> feeds, boolean profile, TensorObserver observer) {
        // Intermediate float arrays are reference-counted (Reshape, Flatten and friends share their input's array)
        // and go back to the arena when the last value using them is dropped.
        Map<Object, Integer> refs = new java.util.IdentityHashMap<>();
        Value[] slots = initialSlots.clone();
        // Feed arrays are counted like intermediates (a Flatten or Reshape of an input shares its array, which
        // must stay untouched while that view is alive) but never go to the arena: the caller made them, and
        // a size no kernel asks for would pile up there run after run.
        java.util.Set<Object> feedArrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
            Integer s = slotOf.get(e.getKey());
            if (s == null) {
                continue; // not read by the graph
            }
            // a feed may replace an initializer's value (older models list initializers as inputs too)
            Value v = Value.of(e.getValue());
            slots[s] = v;
            if (recycled(v) != null) {
                refs.merge(recycled(v), 1, Integer::sum);
                feedArrays.add(recycled(v));
            }
        }
        for (ValueInfo in : inputs()) {
            if (slots[slotOf.get(in.name())] == null) {
                throw new IllegalArgumentException("missing input '" + in.name() + "'");
            }
        }
        // the shape-only steps' outputs can come from the last run with these input shapes (unless a feed replaced a
        // constant they may read)
        int[][] shapes = new int[inputs().size()][];
        boolean replacedConstant = false;
        for (int k = 0; k < shapes.length; k++) shapes[k] = slots[slotOf.get(inputs().get(k).name())].shape;
        for (String name : feeds.keySet()) {
            Integer s = slotOf.get(name);
            replacedConstant |= s != null && constantSlot[s];
        }
        boolean reuse = !replacedConstant && shapeCache != null && java.util.Arrays.deepEquals(shapes, cachedShapes);
        Value[][] newCache = reuse || replacedConstant ? null : new Value[steps.length][];
        List<NodeTiming> timings = profile ? new ArrayList<>(steps.length) : null;
        GpuBackend.DevTensor[] onDevice = gpu == null ? null : new GpuBackend.DevTensor[slots.length];
        List<Placement> placement = gpu == null ? List.of() : new ArrayList<>(steps.length);
        for (int i = 0; i < steps.length; i++) {
            Step st = steps[i];
            Node n = st.node();
            Value[] cached = reuse && st.shapeOnly() ? shapeCache[i] : null;
            Value[] in = new Value[st.in().length];
            boolean[] resident = new boolean[in.length];
            for (int k = 0; k < in.length; k++) {
                int s = st.in()[k];
                if (s < 0) {
                    continue;
                }
                in[k] = slots[s];
                if (in[k] == null && onDevice != null && onDevice[s] != null) {
                    in[k] = Value.floats(onDevice[s].shape(), null); // shape only until a CPU node needs the data
                    resident[k] = true;
                } else if (in[k] != null && constantSlot[s] && in[k] == initialSlots[s]) {
                    resident[k] = true; // constants are uploaded once per session
                }
                if (in[k] == null) {
                    throw new IllegalStateException("node " + n.name() + " reads '" + n.inputs().get(k) + "' before it exists");
                }
            }
            Where where = gpu == null ? null : cached != null ? new Where(Unit.CPU, "computed from input shapes, reused")
                    : placeOnDevice(n, in, resident);
            boolean onGpu = where != null && where.unit() == Unit.OPENCL;
            if (where != null) {
                placement.add(new Placement(st.id(), n.opType(), where.unit(), where.reason()));
            }
            long t0 = System.nanoTime();
            Value[] out;
            Step fused = null;
            try {
                if (cached != null) {
                    out = cached.clone(); // the same input shapes as the run that computed them
                    reusedShapeSteps++;
                } else if (onGpu) {
                    GpuBackend.DevTensor[] din = new GpuBackend.DevTensor[in.length];
                    for (int k = 0; k < in.length; k++) {
                        int s = st.in()[k];
                        if (s < 0 || !GpuBackend.isData(n, k)) continue; // parameters stay on the host
                        din[k] = onDevice[s];
                        if (din[k] == null && constantSlot[s] && in[k] == initialSlots[s]) {
                            Value c = in[k];
                            din[k] = deviceConstants.computeIfAbsent(s, x -> gpu.upload(c));
                        } else if (din[k] == null) {
                            din[k] = gpu.upload(in[k]);
                            onDevice[s] = din[k];
                        }
                    }
                    // a view op's output shape is what its CPU kernel makes of the shapes (no data is touched)
                    int[] view = GpuBackend.VIEWS.contains(n.opType()) ? st.kernel().run(n, in, opset)[0].shape : null;
                    fused = fusedSuccessor(i, in, slots);
                    GpuBackend.DevTensor[] ys = gpu.runAll(n, din, in, view, opset,
                            fused == null ? null : GpuBackend.post(fused.node(), hostInputs(fused, slots), opset));
                    for (int k = 0; k < ys.length; k++) {
                        int s = fused == null ? (k < st.out().length ? st.out()[k] : -1) : fused.out()[0];
                        if (s >= 0) {
                            onDevice[s] = ys[k];
                        } else {
                            ys[k].buf().close(); // an optional output nobody reads
                        }
                    }
                    out = new Value[0];
                } else {
                    for (int k = 0; k < in.length; k++) {
                        int s = st.in()[k];
                        if (s >= 0 && in[k].f == null && in[k].type == org.polaris.workbench.engine.model.DataType.FLOAT
                                && onDevice != null && onDevice[s] != null) {
                            Value host = gpu.download(onDevice[s]);
                            slots[s] = host;
                            refs.merge(host.f, 1, Integer::sum);
                            in[k] = host;
                        }
                    }
                    out = st.kernel().run(n, in, opset);
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(st.id() + " (" + n.opType() + (onGpu ? ", OpenCL" : "") + "): " + e.getMessage(), e);
            }
            long t1 = System.nanoTime();
            for (int k = 0; k < Math.min(out.length, st.out().length); k++) {
                int s = st.out()[k];
                if (s >= 0) {
                    slots[s] = out[k];
                    if (out[k] != null && recycled(out[k]) != null && !constantArrays.contains(recycled(out[k]))) {
                        refs.merge(recycled(out[k]), 1, Integer::sum);
                    }
                }
            }
            if (profile) {
                timings.add(new NodeTiming(st.id(), n.opType(), t1 - t0, Costs.flops(n, in, out), Costs.bytes(in, out)));
            }
            if (observer != null) {
                for (int k = 0; k < Math.min(out.length, n.outputs().size()); k++) {
                    if (out[k] != null && !n.outputs().get(k).isEmpty()) {
                        observer.computed(st.id(), n.outputs().get(k), out[k].shape.clone(), floats(out[k], n.outputs().get(k)));
                    }
                }
            }
            if (newCache != null && st.shapeOnly() && !onGpu
                    && java.util.Arrays.stream(out).allMatch(v -> v == null || recycled(v) == null)) {
                newCache[i] = out.clone(); // integer shape values only: float and 8-bit code arrays belong to the arena
            }
            if (fused != null) {
                // the unary node ran inside this one's kernel: account for it and move past it
                placement.add(new Placement(fused.id(), fused.node().opType(), Unit.OPENCL, "fused into " + st.id()));
                if (profile) {
                    timings.add(new NodeTiming(fused.id(), fused.node().opType(), 0, 0, 0));
                }
                fusedSteps++;
                i++;
            }
            for (int s : fused == null ? st.release() : concat(st.release(), fused.release())) {
                if (onDevice != null && onDevice[s] != null) {
                    onDevice[s].buf().close();
                    onDevice[s] = null;
                }
                Value gone = slots[s];
                slots[s] = null;
                Object array = gone == null ? null : recycled(gone);
                if (array != null && refs.containsKey(array) && refs.merge(array, -1, Integer::sum) == 0) {
                    refs.remove(array);
                    if (!feedArrays.contains(array)) {
                        release(array);
                    }
                }
            }
        }
        if (newCache != null) {
            shapeCache = newCache;
            cachedShapes = shapes;
        }
        if (profile) {
            lastProfile = List.copyOf(timings);
        }
        lastPlacement = List.copyOf(placement);
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (ValueInfo o : model.graph().outputs()) {
            int s = slotOf.get(o.name());
            if (slots[s] == null && onDevice != null && onDevice[s] != null) {
                Value host = gpu.download(onDevice[s]);
                slots[s] = host;
                refs.merge(host.f, 1, Integer::sum);
            }
            if (slots[s] != null) {
                result.put(o.name(), declaredType(o, slots[s].toTensor(o.name())));
            }
        }
        // Outputs were copied into the result: their arrays can serve the next run.
        refs.keySet().stream().filter(a -> !feedArrays.contains(a)).forEach(EngineSession::release);
        if (onDevice != null) {
            for (GpuBackend.DevTensor t : onDevice) {
                if (t != null) t.buf().close();
            }
        }
        return result;
    }

    /**
     * An output in the element type the graph declares: float16, bfloat16 and double are computed in float32 and
     * 16-bit integers in int32, so they go back to their own type here, as ONNX Runtime returns them.
     */
    private static Tensor declaredType(ValueInfo o, Tensor t) {
        org.polaris.workbench.engine.model.DataType declared = o.type() != null && o.type().isTensor()
                ? o.type().elementType() : null;
        if (declared == null || declared == t.dataType() || declared == org.polaris.workbench.engine.model.DataType.UNDEFINED
                || !org.polaris.workbench.engine.model.TensorEncoder.supports(declared)
                || !org.polaris.workbench.engine.model.TensorEncoder.supports(t.dataType())) {
            return t;
        }
        return org.polaris.workbench.engine.model.TensorEncoder.cast(t, declared);
    }

    /**
     * The array of {@code v} the arena recycles once no value uses it: its floats, or its codes when it holds int8 or
     * uint8 (bool arrays stay out: shape-only steps compare and select with them, and their outputs are cached).
     */
    private static Object recycled(Value v) {
        if (v.f != null) {
            return v.f;
        }
        boolean codes = v.type == org.polaris.workbench.engine.model.DataType.INT8
                || v.type == org.polaris.workbench.engine.model.DataType.UINT8;
        return codes ? v.b : null;
    }

    private static void release(Object array) {
        if (array instanceof float[] f) {
            Buffers.release(f);
        } else {
            Buffers.release((byte[]) array);
        }
    }

    /** Buffers served from the arena and freshly allocated, over the session's life (for tests and profiles). */
    long[] bufferStats() {
        return new long[] {buffers.reused(), buffers.allocated(), buffers.pooled()};
    }

    public List<NodeTiming> lastProfile() {
        return lastProfile;
    }
}
