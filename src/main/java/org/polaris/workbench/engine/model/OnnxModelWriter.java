package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;

/**
 * Writes the IR back to an {@code .onnx} file. Output goes to a temporary file in the target folder and is moved
 * into place only when complete, so a failure never leaves a half-written model, and an existing file is replaced
 * only when the caller says so.
 */
public final class OnnxModelWriter {

    /** Builds the {@code ModelProto} for a model. */
    public static OnnxMl.ModelProto toProto(OnnxModel m) {
        OnnxMl.ModelProto.Builder b = OnnxMl.ModelProto.newBuilder();
        mergeExtras(m.encodedExtras(), b);
        b.setIrVersion(m.irVersion());
        m.opsets().forEach((domain, version) ->
                b.addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version)));
        setIfPresent(m.producerName(), b::setProducerName);
        setIfPresent(m.producerVersion(), b::setProducerVersion);
        setIfPresent(m.domain(), b::setDomain);
        setIfPresent(m.docString(), b::setDocString);
        if (m.modelVersion() != 0) {
            b.setModelVersion(m.modelVersion());
        }
        m.metadata().forEach((k, v) -> b.addMetadataProps(entry(k, v)));
        b.setGraph(graph(m.graph()));
        return b.build();
    }

    /**
     * Writes {@code model} to {@code target} atomically under the shared output rule: an existing file is replaced
     * only with {@code overwrite}; folders, device nodes and symbolic links never.
     */
    public void write(OnnxModel model, Path target, boolean overwrite) throws IOException {
        try (OutputSet out = new OutputSet(new OutputPolicy(overwrite, List.of()))) {
            write(model, out, target);
            out.commit();
        }
    }

    /** Stages {@code model} as {@code target} in {@code out}; it is in place only when the set is committed. */
    public void write(OnnxModel model, OutputSet out, Path target) throws IOException {
        OnnxMl.ModelProto proto = toProto(model);
        if (proto.getSerializedSize() < 0) {
            throw new IOException(target + ": model is larger than 2 GiB and cannot be written inline");
        }
        try (OutputStream os = out.open(target)) {
            proto.writeTo(os);
        }
    }

    static OnnxMl.GraphProto graph(Graph g) {
        OnnxMl.GraphProto.Builder b = OnnxMl.GraphProto.newBuilder();
        mergeExtras(g.encodedExtras(), b);
        setIfPresent(g.name(), b::setName);
        setIfPresent(g.docString(), b::setDocString);
        g.nodes().forEach(n -> b.addNode(node(n)));
        for (Tensor t : g.initializers()) {
            OnnxMl.SparseTensorProto sparse = g.sparseInitializers().contains(t.name()) ? SparseTensorCodec.encode(t) : null;
            if (sparse != null) {
                b.addSparseInitializer(sparse);
            } else {
                b.addInitializer(TensorConverter.toProto(t));
            }
        }
        g.inputs().forEach(v -> b.addInput(value(v)));
        g.outputs().forEach(v -> b.addOutput(value(v)));
        g.valueInfos().forEach(v -> b.addValueInfo(value(v)));
        return b.build();
    }

    private static OnnxMl.NodeProto node(Node n) {
        OnnxMl.NodeProto.Builder b = OnnxMl.NodeProto.newBuilder()
                .addAllInput(n.inputs())
                .addAllOutput(n.outputs())
                .setOpType(n.opType());
        setIfPresent(n.name(), b::setName);
        setIfPresent(n.domain(), b::setDomain);
        setIfPresent(n.docString(), b::setDocString);
        n.attributes().forEach(a -> b.addAttribute(attribute(a)));
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static OnnxMl.AttributeProto attribute(Attribute a) {
        if (a.type() == Attribute.Type.OPAQUE) {
            try {
                return OnnxMl.AttributeProto.parseFrom((byte[]) a.value());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("stored attribute " + a.name() + " no longer parses", e);
            }
        }
        OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(a.name());
        setIfPresent(a.refAttrName(), b::setRefAttrName);
        setIfPresent(a.docString(), b::setDocString);
        Object v = a.value();
        switch (a.type()) {
            case FLOAT -> b.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF((Float) v);
            case INT -> b.setType(OnnxMl.AttributeProto.AttributeType.INT).setI((Long) v);
            case STRING -> b.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFrom((byte[]) v));
            case TENSOR -> b.setType(OnnxMl.AttributeProto.AttributeType.TENSOR).setT(TensorConverter.toProto((Tensor) v));
            case GRAPH -> b.setType(OnnxMl.AttributeProto.AttributeType.GRAPH).setG(graph((Graph) v));
            case FLOATS -> {
                b.setType(OnnxMl.AttributeProto.AttributeType.FLOATS);
                for (float f : (float[]) v) b.addFloats(f);
            }
            case INTS -> {
                b.setType(OnnxMl.AttributeProto.AttributeType.INTS);
                for (long i : (long[]) v) b.addInts(i);
            }
            case STRINGS -> {
                b.setType(OnnxMl.AttributeProto.AttributeType.STRINGS);
                ((List<byte[]>) v).forEach(s -> b.addStrings(ByteString.copyFrom(s)));
            }
            case TENSORS -> {
                b.setType(OnnxMl.AttributeProto.AttributeType.TENSORS);
                ((List<Tensor>) v).forEach(t -> b.addTensors(TensorConverter.toProto(t)));
            }
            case GRAPHS -> {
                b.setType(OnnxMl.AttributeProto.AttributeType.GRAPHS);
                ((List<Graph>) v).forEach(g -> b.addGraphs(graph(g)));
            }
            case OPAQUE -> throw new AssertionError("handled above");
        }
        return b.build();
    }

    private static OnnxMl.ValueInfoProto value(ValueInfo v) {
        OnnxMl.ValueInfoProto.Builder b = OnnxMl.ValueInfoProto.newBuilder().setName(v.name());
        if (v.type().kind() != ValueType.Kind.UNDEFINED) {
            b.setType(TypeConverter.toProto(v.type()));
        }
        setIfPresent(v.docString(), b::setDocString);
        return b.build();
    }

    private static OnnxMl.StringStringEntryProto entry(String k, String v) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static void mergeExtras(byte[] extras, com.google.protobuf.Message.Builder b) {
        if (extras.length == 0) {
            return;
        }
        try {
            b.mergeFrom(extras);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored extra fields no longer parse", e);
        }
    }

    private static void setIfPresent(String s, java.util.function.Consumer<String> setter) {
        if (s != null && !s.isEmpty()) {
            setter.accept(s);
        }
    }

    /** Bytes of the serialized model, for writing to streams or ONNX Runtime. */
    public static byte[] toBytes(OnnxModel m) {
        return toProto(m).toByteArray();
    }

    /** A model whose named initializers live in a side file: the model's bytes and the side file's. */
    public record WithExternalData(byte[] model, byte[] data) {
    }

    /**
     * The model with the initializers named in {@code external} stored in a side file {@code location} (relative
     * to the model, so it resolves beside it), each at a 64-byte aligned offset; the rest stays inline.
     */
    public static WithExternalData toBytesWithExternal(OnnxModel m, java.util.Set<String> external, String location) {
        OnnxMl.ModelProto proto = toProto(m);
        OnnxMl.GraphProto.Builder g = proto.getGraph().toBuilder();
        java.io.ByteArrayOutputStream side = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            OnnxMl.TensorProto t = g.getInitializer(i);
            if (!external.contains(t.getName()) || !t.hasRawData()) {
                continue;
            }
            while (side.size() % 64 != 0) {
                side.write(0);
            }
            long offset = side.size();
            byte[] raw = t.getRawData().toByteArray();
            side.write(raw, 0, raw.length);
            g.setInitializer(i, t.toBuilder().clearRawData()
                    .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", location))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Long.toString(t.getRawData().size()))));
        }
        return new WithExternalData(proto.toBuilder().setGraph(g).build().toByteArray(), side.toByteArray());
    }

}
