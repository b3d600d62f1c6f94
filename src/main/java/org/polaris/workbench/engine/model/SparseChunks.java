package org.polaris.workbench.engine.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sparse storage for tensors too big for 16-bit indices: a sparse initializer of more than 32,768 elements needs
 * 32-bit linear indices (or a 16-bit pair per value), so each kept float32 weight costs 8 bytes. Split into row
 * blocks of at most 32,768 elements, each block indexes its values with 16 bits (6 bytes a weight), and a
 * {@code Concat} over the blocks, placed first in the graph, rebuilds the tensor under its old name. ONNX Runtime
 * folds a Concat of constants once when it loads the model; {@link #fold} does the same for this workbench's own
 * readers (engine, quantizer, pruner), so the weight is an initializer again wherever that matters.
 */
public final class SparseChunks {

    /** Most elements a block may have for 16-bit linear indices (signed int16 holds 0..32767). */
    static final int MAX_BLOCK = Short.MAX_VALUE + 1;
    /** Estimated bytes each extra block and the Concat node add to the file (names, headers). */
    static final int OVERHEAD_PER_BLOCK = 48;
    static final String SUFFIX = "_block";
    /** Largest tensor {@link #fold} builds (one Java array). */
    static final long MAX_JOINED_BYTES = Integer.MAX_VALUE - 64;

    /** One split tensor: how many blocks, and the bytes its values and indices take in the file. */
    public record Split(String tensor, int blocks, long bytes, String encoding) {
    }

    public record Outcome(OnnxModel model, Map<String, Split> splits) {
    }

    private SparseChunks() {
    }

    /**
     * Splits every sparse-stored initializer for which blocks are smaller in the file than the whole tensor stored
     * sparse; others are left as they are.
     */
    public static Outcome split(OnnxModel model) {
        Graph g = model.graph();
        Set<String> names = new HashSet<>();
        g.initializers().forEach(t -> names.add(t.name()));
        g.inputs().forEach(v -> names.add(v.name()));
        g.nodes().forEach(n -> {
            names.addAll(n.inputs());
            names.addAll(n.outputs());
            names.add(n.name());
        });
        Set<String> graphInputs = new HashSet<>();
        g.inputs().forEach(v -> graphInputs.add(v.name()));
        List<Tensor> inits = new ArrayList<>();
        Set<String> sparse = new LinkedHashSet<>(g.sparseInitializers());
        List<Node> joins = new ArrayList<>();
        Map<String, Split> splits = new LinkedHashMap<>();
        for (Tensor t : g.initializers()) {
            List<Tensor> blocks = g.sparseInitializers().contains(t.name()) && !graphInputs.contains(t.name())
                    ? blocks(t, names) : null;
            if (blocks == null) {
                inits.add(t);
                continue;
            }
            SparseTensorCodec.Encoding whole = SparseTensorCodec.encodingFor(t);
            long wholeBytes = whole == null ? t.raw().length : whole.bytes();
            long split = (long) OVERHEAD_PER_BLOCK * blocks.size();
            List<String> encodings = new ArrayList<>();
            for (Tensor b : blocks) {
                SparseTensorCodec.Encoding e = SparseTensorCodec.encodingFor(b);
                split += e == null ? b.raw().length : e.bytes();
                encodings.add(e == null ? "dense" : e.toString());
            }
            if (split >= wholeBytes) {
                inits.add(t);
                continue;
            }
            sparse.remove(t.name());
            List<String> blockNames = new ArrayList<>();
            for (Tensor b : blocks) {
                inits.add(b);
                blockNames.add(b.name());
                if (SparseTensorCodec.encodingFor(b) != null) {
                    sparse.add(b.name());
                }
            }
            String nodeName = fresh(t.name() + "_join", names);
            joins.add(new Node(nodeName, "Concat", "", blockNames, List.of(t.name()),
                    List.of(Attribute.ofInt("axis", 0)), "sparse storage: " + blocks.size()
                    + " blocks with 16-bit indices; ONNX Runtime folds this at load"));
            splits.put(t.name(), new Split(t.name(), blocks.size(), split - (long) OVERHEAD_PER_BLOCK * blocks.size(),
                    encodings.stream().distinct().reduce((a, b) -> a + "/" + b).orElse("dense")));
        }
        if (joins.isEmpty()) {
            return new Outcome(model, Map.of());
        }
        List<Node> nodes = new ArrayList<>(joins);
        nodes.addAll(g.nodes());
        Graph out = new Graph(g.name(), nodes, g.inputs(), g.outputs(), g.valueInfos(), inits, g.docString(),
                g.encodedExtras(), sparse);
        return new Outcome(model.withGraph(out), splits);
    }

    /** Row blocks of {@code t} small enough for 16-bit indices, or null when it needs none or cannot be split. */
    private static List<Tensor> blocks(Tensor t, Set<String> names) {
        if (t.rank() < 2 || t.elementCount() <= MAX_BLOCK || !SparseTensorCodec.supports(t.dataType())) {
            return null;
        }
        long[] dims = t.dims();
        long rowElems = t.elementCount() / dims[0];
        if (rowElems > MAX_BLOCK || rowElems == 0) {
            return null;
        }
        int rowsPer = (int) (MAX_BLOCK / rowElems);
        int width = t.dataType().bits() / 8;
        List<Tensor> out = new ArrayList<>();
        for (long r = 0; r < dims[0]; r += rowsPer) {
            long rows = Math.min(rowsPer, dims[0] - r);
            long[] bd = dims.clone();
            bd[0] = rows;
            int from = Math.toIntExact(r * rowElems * width);
            int to = Math.toIntExact((r + rows) * rowElems * width);
            byte[] raw = java.util.Arrays.copyOfRange(t.raw(), from, to);
            out.add(new Tensor(fresh(t.name() + SUFFIX + out.size(), names), t.dataType(), bd, raw, List.of(), null,
                    ""));
        }
        return out;
    }

    private static String fresh(String base, Set<String> names) {
        String n = base;
        for (int k = 1; names.contains(n); k++) {
            n = base + "_" + k;
        }
        names.add(n);
        return n;
    }

    /**
     * Replaces each {@code Concat} whose inputs are all initializers (of one fixed-size type, equal on every axis
     * but the joined one) with the joined initializer, as ONNX Runtime does at load. The result keeps the joined
     * tensor sparse-stored when any block was. Concats feeding nothing but graph outputs stay.
     */
    public static OnnxModel fold(OnnxModel model) {
        Graph g = model.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Set<String> graphOutputs = new HashSet<>();
        g.outputs().forEach(v -> graphOutputs.add(v.name()));
        Set<String> sparse = new LinkedHashSet<>(g.sparseInitializers());
        List<Node> kept = new ArrayList<>();
        boolean changed = false;
        for (Node n : g.nodes()) {
            Tensor joined = (n.domain().isEmpty() || n.domain().equals("ai.onnx")) && n.opType().equals("Concat")
                    && n.outputs().size() == 1 && !graphOutputs.contains(n.outputs().get(0))
                    ? join(n, inits) : null;
            if (joined == null) {
                kept.add(n);
                continue;
            }
            changed = true;
            boolean wasSparse = false;
            for (String in : n.inputs()) {
                wasSparse |= sparse.remove(in);
            }
            inits.put(joined.name(), joined);
            if (wasSparse) {
                sparse.add(joined.name());
            }
        }
        if (!changed) {
            return model;
        }
        Set<String> used = new HashSet<>(graphOutputs);
        kept.forEach(n -> used.addAll(n.inputs()));
        g.inputs().forEach(v -> used.add(v.name()));
        inits.keySet().removeIf(k -> !used.contains(k));
        sparse.retainAll(inits.keySet());
        return model.withGraph(new Graph(g.name(), kept, g.inputs(), g.outputs(), g.valueInfos(),
                List.copyOf(inits.values()), g.docString(), g.encodedExtras(), sparse));
    }

    private static Tensor join(Node n, Map<String, Tensor> inits) {
        if (n.inputs().isEmpty()) {
            return null;
        }
        List<Tensor> parts = new ArrayList<>();
        for (String in : n.inputs()) {
            Tensor t = inits.get(in);
            if (t == null || t.dataType() == DataType.STRING || t.dataType().bits() % 8 != 0 || t.rank() == 0) {
                return null;
            }
            parts.add(t);
        }
        Tensor first = parts.get(0);
        int rank = first.rank();
        long axis = n.attribute("axis").map(Attribute::asLong).orElse(0L);
        if (axis < 0) {
            axis += rank;
        }
        if (axis < 0 || axis >= rank) {
            return null;
        }
        long[] dims = first.dims();
        long joinedLen = 0;
        for (Tensor p : parts) {
            long[] d = p.dims();
            if (p.dataType() != first.dataType() || d.length != rank) {
                return null;
            }
            for (int i = 0; i < rank; i++) {
                if (i != axis && d[i] != dims[i]) {
                    return null;
                }
            }
            joinedLen += d[(int) axis];
        }
        dims[(int) axis] = joinedLen;
        int width = first.dataType().bits() / 8;
        long bytes = 0;
        for (Tensor p : parts) bytes += p.raw().length;
        if (bytes > MAX_JOINED_BYTES || Tensor.elementCount(dims) * width != bytes) {
            return null; // left for ONNX Runtime to join: too big for one Java array here, or inconsistent
        }
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        long inner = 1;
        for (int i = (int) axis + 1; i < rank; i++) inner *= dims[i];
        byte[] raw = new byte[Math.toIntExact(Tensor.elementCount(dims) * width)];
        int at = 0;
        for (long o = 0; o < outer; o++) {
            for (Tensor p : parts) {
                int chunk = Math.toIntExact(p.dims()[(int) axis] * inner * width);
                System.arraycopy(p.raw(), Math.toIntExact(o * chunk), raw, at, chunk);
                at += chunk;
            }
        }
        return new Tensor(n.outputs().get(0), first.dataType(), dims, raw, List.of(), null, "");
    }
}
