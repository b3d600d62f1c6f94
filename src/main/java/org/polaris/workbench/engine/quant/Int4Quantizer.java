package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * 4-bit weight-only quantization of MatMul and Gemm weights in blocks along the reduction axis, written either as
 * opset-21 {@code DequantizeLinear(block_size)} in front of the op, or as ONNX Runtime's contrib
 * {@code MatMulNBits} (a Gemm becomes MatMulNBits followed by Add for its bias). Other layers stay float.
 */
public final class Int4Quantizer {

    /** Ops whose semantics changed between opset 13 and 21 in ways an opset bump would silently alter. */
    private static final Set<String> OPSET_SENSITIVE = Set.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "Split", "Pad", "Resize",
            "Squeeze", "Unsqueeze", "ScatterElements", "ScatterND");

    public QdqQuantizer.Result quantize(OnnxModel model, QuantOptions o) throws QuantizationException {
        GraphIndex gi = new GraphIndex(model.graph());
        boolean nbits = o.int4Format() == QuantOptions.Int4Format.MATMUL_NBITS;
        if (!nbits) {
            checkOpsetBump(model, gi);
        }
        List<Node> nodes = new ArrayList<>();
        List<Tensor> added = new ArrayList<>();
        List<LayerReport> layers = new ArrayList<>();
        for (int i = 0; i < gi.graph.nodes().size(); i++) {
            Node n = gi.node(i);
            String label = gi.label(i);
            if (!gi.hasConstantWeight(i)) {
                nodes.add(n);
                continue;
            }
            Tensor w = gi.inits.get(n.inputs().get(1));
            String skip = gi.excluded(i, o.exclude()) ? "excluded by user" : reasonToSkip(n, w, o);
            if (skip != null) {
                nodes.add(n);
                layers.add(new LayerReport(label, n.opType(), w.name(), n.inputs().get(0), 32, false, Double.NaN, Double.NaN, Double.NaN,
                        Double.NaN, Double.NaN, skip));
                continue;
            }
            boolean transB = n.opType().equals("Gemm") && n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1;
            // Blocks run along K: axis 0 of a [K,N] weight, axis 1 of a transposed [N,K] one.
            int axis = transB ? 1 : 0;
            float[] values = w.toFloats();
            QuantizedTensor q;
            if (nbits) {
                q = writeNbits(gi, n, w, values, transB, o, nodes, added);
            } else {
                q = WeightQuantizer.blocked(values, w.dims(), axis, o.blockSize(),
                        o.symmetricWeights() ? IntType.INT4 : IntType.UINT4, o.symmetricWeights());
                String base = gi.fresh(w.name() + "_int4");
                String out = emitBlockedDq(gi, q, base, o.symmetricWeights(), nodes, added);
                List<String> ins = new ArrayList<>(n.inputs());
                ins.set(1, out);
                nodes.add(new Node(n.name(), n.opType(), n.domain(), ins, n.outputs(), n.attributes(), n.docString()));
            }
            layers.add(new LayerReport(label, n.opType(), w.name(), n.inputs().get(0), 4, true, QuantMath.sqnrDb(values, q.dequantized()),
                    QuantMath.cosine(values, q.dequantized()), QuantMath.maxAbsError(values, q.dequantized()),
                    Double.NaN, Double.NaN, (nbits ? "MatMulNBits" : "DequantizeLinear") + ", block " + o.blockSize()));
        }
        OnnxModel out = QdqQuantizer.rebuild(model, nodes, added);
        Map<String, Long> opsets = new LinkedHashMap<>(out.opsets());
        long irVersion = out.irVersion();
        if (nbits) {
            opsets.putIfAbsent("com.microsoft", 1L);
        } else {
            opsets.put(opsets.containsKey("ai.onnx") ? "ai.onnx" : "", 21L);
            irVersion = Math.max(irVersion, 10);
        }
        return new QdqQuantizer.Result(new OnnxModel(irVersion, opsets, out.producerName(), out.producerVersion(),
                out.domain(), out.modelVersion(), out.docString(), out.metadata(), out.graph(), out.encodedExtras(),
                out.source(), out.fileBytes()), layers);
    }

    private static String reasonToSkip(Node n, Tensor w, QuantOptions o) {
        if (n.opType().equals("Conv")) {
            return "Conv kept in float (4-bit blocks apply to MatMul/Gemm)";
        }
        if (w.dataType() != DataType.FLOAT || w.rank() != 2) {
            return "weight is not a rank-2 float32 matrix";
        }
        if (n.opType().equals("Gemm")) {
            if (n.attribute("transA").map(Attribute::asLong).orElse(0L) != 0) {
                return "Gemm with transA kept in float";
            }
            if (o.int4Format() == QuantOptions.Int4Format.MATMUL_NBITS
                    && (n.attribute("alpha").map(Attribute::asFloat).orElse(1f) != 1f
                    || n.attribute("beta").map(Attribute::asFloat).orElse(1f) != 1f)) {
                return "Gemm with alpha/beta != 1 kept in float";
            }
        }
        if (o.int4Format() == QuantOptions.Int4Format.MATMUL_NBITS && !o.symmetricWeights()) {
            return "MatMulNBits is written symmetric only here; use --int4-format dq for asymmetric";
        }
        return null;
    }

    private static void checkOpsetBump(OnnxModel model, GraphIndex gi) throws QuantizationException {
        if (model.defaultOpset() >= 21) {
            return;
        }
        for (Node n : gi.graph.nodes()) {
            if (GraphIndex.isDefaultDomain(n) && OPSET_SENSITIVE.contains(n.opType())) {
                throw new QuantizationException("4-bit DequantizeLinear needs opset 21, and raising this model's opset "
                        + model.defaultOpset() + " would change the meaning of its " + n.opType()
                        + " nodes; use --int4-format nbits or re-export the model at opset 21");
            }
        }
    }

    private static String emitBlockedDq(GraphIndex gi, QuantizedTensor q, String base, boolean symmetric,
                                        List<Node> nodes, List<Tensor> inits) {
        String scale = gi.fresh(base + "_scale");
        String out = gi.fresh(base + "_DequantizeLinear_Output");
        inits.add(q.codesTensor(base));
        inits.add(q.scaleTensor(scale));
        List<String> ins = new ArrayList<>(List.of(base, scale));
        if (!symmetric) {
            String zp = gi.fresh(base + "_zero_point");
            inits.add(q.zeroPointTensor(zp));
            ins.add(zp);
        }
        nodes.add(new Node(gi.fresh(base + "_DequantizeLinear"), "DequantizeLinear", "", ins, List.of(out),
                List.of(Attribute.ofInt("axis", q.axis()), Attribute.ofInt("block_size", q.blockSize())), ""));
        return out;
    }

    /**
     * MatMulNBits layout: B is uint8 [N, blocks, blockSize/2] with each output column's K values in blocks,
     * low nibble first, codes offset by the default zero point 8; scales are [N * blocks], column-major by block.
     */
    private static QuantizedTensor writeNbits(GraphIndex gi, Node n, Tensor w, float[] values, boolean transB,
                                              QuantOptions o, List<Node> nodes, List<Tensor> inits) {
        long[] d = w.dims();
        int k = (int) (transB ? d[1] : d[0]);
        int cols = (int) (transB ? d[0] : d[1]);
        int bs = o.blockSize();
        int blocks = (k + bs - 1) / bs;
        // Quantize as [N, K] rows so each row's blocks are contiguous: a transposed copy for [K,N] weights.
        float[] nk = transB ? values : transpose(values, k, cols);
        QuantizedTensor q = WeightQuantizer.blocked(nk, new long[] {cols, k}, 1, bs, IntType.UINT4, true);
        byte[] packed = new byte[cols * blocks * (bs / 2)];
        for (int c = 0; c < cols; c++) {
            for (int kk = 0; kk < blocks * bs; kk++) {
                int code = kk < k ? nibbleAt(q.codes(), c * k + kk) : 8;
                WeightQuantizer.putNibble(packed, c * blocks * bs + kk, code);
            }
        }
        String base = gi.fresh(w.name() + "_nbits");
        String scale = gi.fresh(base + "_scale");
        inits.add(new Tensor(base, DataType.UINT8, new long[] {cols, blocks, bs / 2}, packed, List.of(), null, ""));
        inits.add(Tensor.ofFloats(scale, new long[] {(long) cols * blocks}, q.scales()));
        boolean gemmBias = n.opType().equals("Gemm") && n.inputs().size() >= 3 && !n.inputs().get(2).isEmpty();
        String mmOut = gemmBias ? gi.fresh(n.outputs().get(0) + "_matmul") : n.outputs().get(0);
        nodes.add(new Node(n.name().isEmpty() ? gi.fresh("MatMulNBits") : n.name(), "MatMulNBits", "com.microsoft",
                List.of(n.inputs().get(0), base, scale), List.of(mmOut),
                List.of(Attribute.ofInt("K", k), Attribute.ofInt("N", cols), Attribute.ofInt("bits", 4),
                        Attribute.ofInt("block_size", bs)), ""));
        if (gemmBias) {
            nodes.add(new Node(gi.fresh(n.name() + "_bias"), "Add", "", List.of(mmOut, n.inputs().get(2)),
                    List.of(n.outputs().get(0)), List.of(), ""));
        }
        float[] deq = transB ? q.dequantized() : transpose(q.dequantized(), cols, k);
        return new QuantizedTensor(d, IntType.UINT4, packed, q.scales(), q.zeroPoints(), transB ? 1 : 0, bs,
                q.scaleDims(), deq);
    }

    private static int nibbleAt(byte[] packed, int i) {
        int b = packed[i >>> 1] & 0xff;
        return (i & 1) == 0 ? b & 0x0f : b >>> 4;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}
