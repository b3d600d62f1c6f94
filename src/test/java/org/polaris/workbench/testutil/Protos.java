package org.polaris.workbench.testutil;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds small ONNX protos by hand, for files no exporter would write (hostile, edge-case). */
public final class Protos {

    private Protos() {
    }

    public static OnnxMl.ValueInfoProto tensorValue(String name, int elemType, long... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                        OnnxMl.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
                .build();
    }

    public static OnnxMl.TensorProto floats(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(1)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** {@code y = x + w} with {@code w} as an initializer of the given tensor: the smallest runnable model. */
    public static OnnxMl.ModelProto addModel(OnnxMl.TensorProto w) {
        long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("add")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").addInput("x").addInput(w.getName()).addOutput("y"))
                .addInitializer(w)
                .addInput(tensorValue("x", 1, dims))
                .addOutput(tensorValue("y", 1, dims))
                .build();
        return model(g, 13);
    }

    public static OnnxMl.ModelProto model(OnnxMl.GraphProto g, long opset) {
        return OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("polaris-test")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g).build();
    }

    /** A chain of {@code n} Relu nodes over a float[4] input (about 34 bytes a node serialized). */
    public static OnnxMl.ModelProto reluChain(int n) {
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("chain");
        String prev = "x";
        for (int i = 0; i < n; i++) {
            String out = i == n - 1 ? "y" : "t" + i;
            g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Relu").setName("n" + i).addInput(prev).addOutput(out));
            prev = out;
        }
        g.addInput(tensorValue("x", 1, 4)).addOutput(tensorValue("y", 1, 4));
        return model(g.build(), 13);
    }

    /** {@code layers} float32 Gemm layers of {@code width}^2 Gaussian weights scaled by 1/sqrt(width), seeded. */
    public static OnnxMl.ModelProto wideMlp(int width, int layers, long seed) {
        java.util.Random random = new java.util.Random(seed);
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("wide");
        String prev = "x";
        for (int l = 0; l < layers; l++) {
            ByteBuffer b = ByteBuffer.allocate(width * width * 4).order(ByteOrder.LITTLE_ENDIAN);
            float scale = (float) (1 / Math.sqrt(width));
            for (int i = 0; i < width * width; i++) {
                b.putFloat((float) random.nextGaussian() * scale);
            }
            g.addInitializer(OnnxMl.TensorProto.newBuilder().setName("w" + l).setDataType(1).addDims(width).addDims(width)
                    .setRawData(ByteString.copyFrom(b.array())));
            String out = l == layers - 1 ? "y" : "h" + l;
            g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gemm").setName("fc" + l).addInput(prev).addInput("w" + l)
                    .addOutput(out));
            prev = out;
        }
        g.addInput(tensorValue("x", 1, 1, width)).addOutput(tensorValue("y", 1, 1, width));
        return model(g.build(), 13);
    }
}
