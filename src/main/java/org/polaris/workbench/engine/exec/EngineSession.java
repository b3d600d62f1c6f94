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
public final class EngineSession {

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
        ElementwiseKernels.register(k);
        ShapeKernels.register(k);
        NnKernels.register(k, pool, sparse);
        ConvKernels.register(k, pool, sparse);
        QuantKernels.register(k);
        QLinearKernels.register(k, pool);
        return k;
    }

    /** Op types the engine implements (default ONNX domain). */
    public static java.util.Set<String> supportedOps() {
        return new java.util.TreeSet<>(registry(EnginePool.shared()).keySet());
    }

    public static EngineSession load(OnnxModel model, EnginePool pool) throws UnsupportedOpsException {
        OnnxModel prepped = LoadTimeRewrites.apply(GraphPrep.normalize(model));
        SparseWeights sparse = SparseWeights.plan(prepped);
        Map<String, Kernel> kernels = registry(pool, sparse);
        Map<String, List<String>> missing = new TreeMap<>();
        for (int i = 0; i < prepped.graph().nodes().size(); i++) {
            Node n = prepped.graph().nodes().get(i);
            if (!kernels.containsKey(n.qualifiedOpType())) {
                missing.computeIfAbsent(n.qualifiedOpType(), k -> new ArrayList<>())
                        .add(n.name().isEmpty() ? n.opType() + "#" + i : n.name());
            }
        }
        if (!missing.isEmpty()) {
            throw new UnsupportedOpsException(model.displayName(), missing);
        }
        EngineSession session = new EngineSession(prepped, pool, kernels);
        session.sparse = sparse;
        return session;
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
        for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
            values.put(e.getKey(), Value.of(e.getValue()));
        }
        for (ValueInfo in : inputs()) {
            if (!values.containsKey(in.name()) && !constants.containsKey(in.name())) {
                throw new IllegalArgumentException("missing input '" + in.name() + "'");
            }
        }
        List<Node> nodes = model.graph().nodes();
        List<NodeTiming> timings = profile ? new ArrayList<>(nodes.size()) : null;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            Value[] in = new Value[n.inputs().size()];
            for (int k = 0; k < in.length; k++) {
                String name = n.inputs().get(k);
                if (!name.isEmpty()) {
                    Value v = values.get(name);
                    in[k] = v != null ? v : constants.get(name);
                    if (in[k] == null) {
                        throw new IllegalStateException("node " + n.name() + " reads '" + name + "' before it exists");
                    }
                }
            }
            long t0 = System.nanoTime();
            Value[] out;
            try {
                out = kernels.get(n.qualifiedOpType()).run(n, in, opset);
            } catch (RuntimeException e) {
                throw new IllegalStateException((n.name().isEmpty() ? n.opType() + "#" + i : n.name()) + " ("
                        + n.opType() + "): " + e.getMessage(), e);
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
                if (lastUseByName.getOrDefault(name, -1) == i && !constants.containsKey(name)) {
                    Value gone = values.remove(name);
                    if (gone != null && gone.f != null && refs.containsKey(gone.f) && refs.merge(gone.f, -1, Integer::sum) == 0) {
                        refs.remove(gone.f);
                        Buffers.release(gone.f);
                    }
                }
            }
        }
        if (profile) {
            lastProfile = List.copyOf(timings);
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (ValueInfo o : model.graph().outputs()) {
            Value v = values.containsKey(o.name()) ? values.get(o.name()) : constants.get(o.name());
            if (v != null) {
                result.put(o.name(), v.toTensor(o.name()));
            }
        }
        // Outputs were copied into the result: their arrays can serve the next run.
        refs.keySet().forEach(Buffers::release);
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
