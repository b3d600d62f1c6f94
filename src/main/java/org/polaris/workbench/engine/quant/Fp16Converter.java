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

    /** IEEE 754 binary16, round to nearest even, overflow to infinity, subnormals kept. */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if (((bits >>> 23) & 0xff) == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        if (exp >= 31) {
            return (short) (sign | 0x7c00);
        }
        if (exp <= 0) {
            if (exp < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (exp << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
