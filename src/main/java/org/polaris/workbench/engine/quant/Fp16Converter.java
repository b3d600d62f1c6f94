package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * FP16 weight storage: Conv/Gemm/MatMul weights are stored as float16 and cast back to float32 in the graph, so the
 * file halves while every op still computes in float32 (ONNX Runtime folds the Cast once at load).
 */
public final class Fp16Converter {

    public QdqQuantizer.Result convert(OnnxModel model, QuantOptions o) {
        GraphIndex gi = new GraphIndex(model.graph());
        List<Node> nodes = new ArrayList<>();
        List<Tensor> added = new ArrayList<>();
        List<LayerReport> layers = new ArrayList<>();
        for (int i = 0; i < gi.graph.nodes().size(); i++) {
            Node n = gi.node(i);
            String label = gi.label(i);
            if (!gi.hasConstantWeight(i) || gi.inits.get(n.inputs().get(1)).dataType() != DataType.FLOAT
                    || gi.excluded(i, o.exclude())) {
                nodes.add(n);
                continue;
            }
            Tensor w = gi.inits.get(n.inputs().get(1));
            float[] v = w.toFloats();
            float[] back = new float[v.length];
            ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < v.length; k++) {
                short h = toHalf(v[k]);
                b.putShort(h);
                back[k] = org.polaris.workbench.engine.model.Tensor.halfToFloat(h);
            }
            String half = gi.fresh(w.name() + "_fp16");
            String cast = gi.fresh(w.name() + "_fp32");
            added.add(new Tensor(half, DataType.FLOAT16, w.dims(), b.array(), List.of(), null, ""));
            nodes.add(new Node("", "Cast", "", List.of(half), List.of(cast),
                    List.of(Attribute.ofInt("to", DataType.FLOAT.code())), ""));
            List<String> ins = new ArrayList<>(n.inputs());
            ins.set(1, cast);
            nodes.add(new Node(n.name(), n.opType(), n.domain(), ins, n.outputs(), n.attributes(), n.docString()));
            layers.add(new LayerReport(label, n.opType(), w.name(), n.inputs().get(0), 16, false,
                    QuantMath.sqnrDb(v, back), QuantMath.cosine(v, back), QuantMath.maxAbsError(v, back), Double.NaN,
                    Double.NaN, "float16 storage"));
        }
        return new QdqQuantizer.Result(QdqQuantizer.rebuild(model, nodes, added), layers);
    }

    /** IEEE 754 binary16, round to nearest even (shared with tensor encoding). */
    static short toHalf(float f) {
        return org.polaris.workbench.engine.model.TensorEncoder.toHalf(f);
    }
}
