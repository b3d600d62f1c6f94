package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code .onnx} files into the immutable {@link OnnxModel} IR. Every length, count and dimension taken from
 * the file is checked against {@link Limits} before anything is allocated for it, so a hostile file fails with a
 * {@link ModelLoadException} instead of exhausting memory or hanging.
 */
public final class OnnxModelReader {

    /** Upper bounds for what a file may declare. */
    public record Limits(long maxFileBytes, long maxTensorBytes, long maxExternalBytes, int maxRank,
                         int maxGraphDepth, int maxNodes, long memoryBudget) {
        /**
         * Protobuf cannot address messages of 2 GiB or more, so that is the largest model file; what is read must
         * also fit in three quarters of this JVM's heap.
         */
        public static final Limits DEFAULT = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE - 8, 16L << 30, 64, 32,
                1_000_000, Runtime.getRuntime().maxMemory() / 4 * 3);
    }

    /** How many times its file's size sparse initializers may densify to (-Dpolaris.sparseExpansion=N raises it). */
    static final long SPARSE_EXPANSION = Long.getLong("polaris.sparseExpansion", 256);

    private final Limits limits;

    public OnnxModelReader() {
        this(Limits.DEFAULT);
    }

    public OnnxModelReader(Limits limits) {
        this.limits = limits;
    }

    public OnnxModel read(Path file) throws ModelLoadException {
        return read(file, Map.of());
    }

    /**
     * Reads {@code file} with external-data locations renamed: a tensor stored in {@code location} is read from
     * {@code aliases.get(location)}, a file in the model's own folder (how a written model is re-read while its side
     * file still has its temporary name).
     */
    public OnnxModel read(Path file, Map<String, Path> aliases) throws ModelLoadException {
        try {
            return readChecked(file, aliases);
        } catch (OutOfMemoryError e) {
            // last resort: the estimate below let through a file whose objects still did not fit
            throw new ModelLoadException(file, Problem.TOO_LARGE, "ran out of memory reading it ("
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB heap); start the workbench with a larger -Xmx");
        }
    }

    /**
     * Bytes the parsed protobuf and the IR take per node, measured on long chains of small nodes (the worst case
     * per byte of file: about 34 bytes of file a node).
     */
    static final long BYTES_PER_NODE = 1000;

    private OnnxModel readChecked(Path file, Map<String, Path> aliases) throws ModelLoadException {
        long size = checkFile(file, 1);
        long nodes = WireScan.topLevelNodes(file);
        if (nodes > limits.maxNodes()) {
            throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED, "has " + nodes + " nodes; the limit is "
                    + limits.maxNodes());
        }
        // streamed: each tensor's bytes are read once into the array the IR keeps (no whole-file buffer)
        long need = size + size / 4 + BYTES_PER_NODE * nodes;
        if (need > limits.memoryBudget()) {
            throw new ModelLoadException(file, Problem.TOO_LARGE, "reading it (" + size + " bytes, " + nodes
                    + " nodes) needs about " + (need >> 20) + " MiB, more than the " + (limits.memoryBudget() >> 20)
                    + " MiB available; start the workbench with a larger -Xmx");
        }
        OnnxMl.ModelProto proto = parse(file);
        long externalBudget = Math.min(limits.maxExternalBytes(), limits.memoryBudget() - size);
        // sparse initializers may densify, but not a few bytes into gigabytes: at most SPARSE_EXPANSION times the
        // file (at least 64 MiB), which still covers a 99%-sparse tensor's expansion
        long denseBudget = Math.min(Math.max(0, limits.memoryBudget() - size),
                Math.max(64L << 20, SPARSE_EXPANSION * size));
        return new Converter(file, limits, new ExternalDataResolver(file, Math.max(0, externalBudget), aliases), denseBudget)
                .model(proto, size);
    }

    /**
     * Reads a serialized {@code TensorProto} such as the {@code input_0.pb} test vectors that ship beside models
     * in the ONNX model zoo and conformance suite.
     */
    public Tensor readTensor(Path file) throws ModelLoadException {
        byte[] bytes = readBounded(file);
        OnnxMl.TensorProto proto;
        try {
            proto = OnnxMl.TensorProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelLoadException(file, Problem.CORRUPT, "not a serialized ONNX tensor: " + shortMessage(e));
        }
        return new TensorConverter(file, limits).convert(proto, new ExternalDataResolver(file, limits.maxExternalBytes(), Map.of()));
    }

    private byte[] readBounded(Path file) throws ModelLoadException {
        checkFile(file, 2);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static ModelLoadException unreadable(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new ModelLoadException(file, Problem.NOT_FOUND, "no such file");
        }
        if (e instanceof AccessDeniedException) {
            return new ModelLoadException(file, Problem.UNREADABLE, "permission denied");
        }
        return new ModelLoadException(file, Problem.UNREADABLE, "cannot read: " + e.getMessage(), e);
    }

    /** A regular, non-empty file within the size limits, {@code copies} of which fit the memory budget; its size. */
    private long checkFile(Path file, int copies) throws ModelLoadException {
        try {
            if (Files.isDirectory(file)) {
                throw new ModelLoadException(file, Problem.NOT_A_FILE, "is a directory, not an ONNX model file");
            }
            String problem = org.polaris.workbench.engine.io.InputFiles.problem(file);
            if (problem != null) {
                throw new ModelLoadException(file, problem.startsWith("no such") ? Problem.NOT_FOUND : Problem.NOT_A_FILE,
                        problem);
            }
            long size = Files.size(file);
            if (size == 0) {
                throw new ModelLoadException(file, Problem.EMPTY, "file is empty");
            }
            if (size > limits.maxFileBytes()) {
                throw new ModelLoadException(file, Problem.TOO_LARGE,
                        "file is " + size + " bytes; the limit is " + limits.maxFileBytes()
                                + " (use external data for larger weights)");
            }
            if (copies * size > limits.memoryBudget()) {
                throw new ModelLoadException(file, Problem.TOO_LARGE, "reading this " + size + "-byte file needs about "
                        + copies * size + " bytes of memory, more than the " + limits.memoryBudget()
                        + " available; start the workbench with a larger -Xmx");
            }
            if (!Files.isReadable(file)) {
                throw new ModelLoadException(file, Problem.UNREADABLE, "permission denied");
            }
            return size;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private OnnxMl.ModelProto parse(Path file) throws ModelLoadException {
        OnnxMl.ModelProto proto;
        try (java.io.InputStream stream = Files.newInputStream(file)) {
            CodedInputStream in = CodedInputStream.newInstance(stream, 1 << 16);
            in.setRecursionLimit(limits.maxGraphDepth() * 8 + 16);
            in.setSizeLimit(Integer.MAX_VALUE);
            proto = OnnxMl.ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            boolean truncated = String.valueOf(e.getMessage()).contains("ended unexpectedly");
            throw new ModelLoadException(file, truncated ? Problem.CORRUPT : Problem.NOT_ONNX,
                    (truncated ? "truncated or corrupt ONNX protobuf: " : "not an ONNX model (protobuf parse failed: ")
                            + shortMessage(e) + (truncated ? "" : ")"));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file, Problem.CORRUPT, "corrupt ONNX protobuf: " + shortMessage(e));
        }
        if (!proto.hasGraph() || proto.getIrVersion() <= 0) {
            throw new ModelLoadException(file, Problem.NOT_ONNX,
                    "not an ONNX model (" + (proto.hasGraph() ? "missing ir_version" : "no graph") + ")");
        }
        return proto;
    }

    private static String shortMessage(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int cut = m.indexOf(". ");
        return cut > 0 && cut < 160 ? m.substring(0, cut) : (m.length() > 200 ? m.substring(0, 200) + "…" : m);
    }

    /** Walks the proto, validating as it goes; one instance per read. */
    private static final class Converter {
        private final Path file;
        private final Limits limits;
        private final ExternalDataResolver external;
        private final TensorConverter tensors;
        private int nodeCount;
        /** What densifying sparse initializers may still allocate. */
        private long denseBudget;

        Converter(Path file, Limits limits, ExternalDataResolver external, long denseBudget) {
            this.file = file;
            this.limits = limits;
            this.external = external;
            this.tensors = new TensorConverter(file, limits);
            this.denseBudget = denseBudget;
        }

        OnnxModel model(OnnxMl.ModelProto p, long fileBytes) throws ModelLoadException {
            Map<String, Long> opsets = new LinkedHashMap<>();
            for (OnnxMl.OperatorSetIdProto o : p.getOpsetImportList()) {
                opsets.put(o.getDomain(), o.getVersion());
            }
            Map<String, String> meta = new LinkedHashMap<>();
            p.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
            Graph graph = graph(p.getGraph(), 0);
            byte[] extras = p.toBuilder().clearGraph().clearIrVersion().clearOpsetImport().clearProducerName()
                    .clearProducerVersion().clearDomain().clearModelVersion().clearDocString().clearMetadataProps()
                    .build().toByteArray();
            return new OnnxModel(p.getIrVersion(), opsets, p.getProducerName(), p.getProducerVersion(),
                    p.getDomain(), p.getModelVersion(), p.getDocString(), meta, graph, extras, file, fileBytes);
        }

        Graph graph(OnnxMl.GraphProto g, int depth) throws ModelLoadException {
            if (depth > limits.maxGraphDepth()) {
                throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED,
                        "subgraphs nested deeper than " + limits.maxGraphDepth());
            }
            List<Node> nodes = new ArrayList<>(g.getNodeCount());
            for (OnnxMl.NodeProto n : g.getNodeList()) {
                if (++nodeCount > limits.maxNodes()) {
                    throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED, "more than " + limits.maxNodes() + " nodes");
                }
                nodes.add(node(n, depth));
            }
            List<Tensor> inits = new ArrayList<>(g.getInitializerCount());
            for (OnnxMl.TensorProto t : g.getInitializerList()) {
                inits.add(tensor(t));
            }
            Set<String> sparse = new LinkedHashSet<>();
            for (OnnxMl.SparseTensorProto st : g.getSparseInitializerList()) {
                Tensor dense = SparseTensorCodec.decode(st, tensors, external, file, limits, denseBudget);
                denseBudget -= dense.raw().length;
                if (!sparse.add(dense.name()) || inits.stream().anyMatch(t -> t.name().equals(dense.name()))) {
                    throw new ModelLoadException(file, Problem.INVALID, "initializer '" + dense.name()
                            + "' is defined twice (sparse_initializer)");
                }
                inits.add(dense);
            }
            byte[] extras = g.toBuilder().clearNode().clearInitializer().clearSparseInitializer().clearInput()
                    .clearOutput().clearValueInfo().clearName().clearDocString().build().toByteArray();
            return new Graph(g.getName(), nodes, values(g.getInputList()), values(g.getOutputList()),
                    values(g.getValueInfoList()), inits, g.getDocString(), extras, sparse);
        }

        private Node node(OnnxMl.NodeProto n, int depth) throws ModelLoadException {
            if (n.getOpType().isEmpty()) {
                throw new ModelLoadException(file, Problem.INVALID, "node '" + n.getName() + "' has no op_type");
            }
            List<Attribute> attrs = new ArrayList<>(n.getAttributeCount());
            for (OnnxMl.AttributeProto a : n.getAttributeList()) {
                attrs.add(attribute(a, depth));
            }
            return new Node(n.getName(), n.getOpType(), n.getDomain(), n.getInputList(), n.getOutputList(), attrs,
                    n.getDocString());
        }

        private Attribute attribute(OnnxMl.AttributeProto a, int depth) throws ModelLoadException {
            Attribute.Type type;
            Object value;
            switch (effectiveType(a)) {
                case FLOAT -> { type = Attribute.Type.FLOAT; value = a.getF(); }
                case INT -> { type = Attribute.Type.INT; value = a.getI(); }
                case STRING -> { type = Attribute.Type.STRING; value = a.getS().toByteArray(); }
                case TENSOR -> { type = Attribute.Type.TENSOR; value = tensor(a.getT()); }
                case GRAPH -> { type = Attribute.Type.GRAPH; value = graph(a.getG(), depth + 1); }
                case FLOATS -> {
                    type = Attribute.Type.FLOATS;
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                    value = f;
                }
                case INTS -> {
                    type = Attribute.Type.INTS;
                    value = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
                }
                case STRINGS -> {
                    type = Attribute.Type.STRINGS;
                    value = a.getStringsList().stream().map(com.google.protobuf.ByteString::toByteArray).toList();
                }
                case TENSORS -> {
                    type = Attribute.Type.TENSORS;
                    List<Tensor> ts = new ArrayList<>();
                    for (OnnxMl.TensorProto t : a.getTensorsList()) ts.add(tensor(t));
                    value = ts;
                }
                case GRAPHS -> {
                    type = Attribute.Type.GRAPHS;
                    List<Graph> gs = new ArrayList<>();
                    for (OnnxMl.GraphProto g : a.getGraphsList()) gs.add(graph(g, depth + 1));
                    value = gs;
                }
                default -> { type = Attribute.Type.OPAQUE; value = a.toByteArray(); }
            }
            return new Attribute(a.getName(), type, value, a.getRefAttrName(), a.getDocString());
        }

        /** Very old exporters leave {@code type} unset; infer it from the field that holds the value. */
        private static OnnxMl.AttributeProto.AttributeType effectiveType(OnnxMl.AttributeProto a) {
            if (a.hasType() && a.getType() != OnnxMl.AttributeProto.AttributeType.UNDEFINED) {
                return a.getType();
            }
            if (a.hasF()) return OnnxMl.AttributeProto.AttributeType.FLOAT;
            if (a.hasI()) return OnnxMl.AttributeProto.AttributeType.INT;
            if (a.hasS()) return OnnxMl.AttributeProto.AttributeType.STRING;
            if (a.hasT()) return OnnxMl.AttributeProto.AttributeType.TENSOR;
            if (a.hasG()) return OnnxMl.AttributeProto.AttributeType.GRAPH;
            if (a.getFloatsCount() > 0) return OnnxMl.AttributeProto.AttributeType.FLOATS;
            if (a.getIntsCount() > 0) return OnnxMl.AttributeProto.AttributeType.INTS;
            if (a.getStringsCount() > 0) return OnnxMl.AttributeProto.AttributeType.STRINGS;
            if (a.getTensorsCount() > 0) return OnnxMl.AttributeProto.AttributeType.TENSORS;
            if (a.getGraphsCount() > 0) return OnnxMl.AttributeProto.AttributeType.GRAPHS;
            return OnnxMl.AttributeProto.AttributeType.UNDEFINED;
        }

        private Tensor tensor(OnnxMl.TensorProto t) throws ModelLoadException {
            return tensors.convert(t, external);
        }

        private List<ValueInfo> values(List<OnnxMl.ValueInfoProto> list) throws ModelLoadException {
            List<ValueInfo> out = new ArrayList<>(list.size());
            for (OnnxMl.ValueInfoProto v : list) {
                out.add(new ValueInfo(v.getName(), TypeConverter.fromProto(file, v.getType(), limits.maxRank()),
                        v.getDocString()));
            }
            return out;
        }
    }
}
