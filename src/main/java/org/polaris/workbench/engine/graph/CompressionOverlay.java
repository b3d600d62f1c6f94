package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.util.Sizes;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Compression overlay: per operator, the precision its weights are stored in (float32, float16, int8 as QOperator
 * or Q/DQ, int4 as MatMulNBits), their zero fraction and bytes; per Q/DQ node, whether ONNX Runtime fused it into a
 * quantized kernel or left it to run on its own.
 */
public final class CompressionOverlay {

    /** What a node's weights are stored as. */
    public enum Precision {
        FLOAT32("float32", 0xC6DBEF), FLOAT16("float16", 0x6BAED6), INT8("int8", 0x74C476), INT4("int4", 0x9E9AC8),
        QDQ_FUSED("Q/DQ fused by ONNX Runtime", 0xE5F5E0), QDQ_LEFT("Q/DQ left as separate kernels", 0xFD8D3C),
        QDQ("Q/DQ (fusion not checked)", 0xFFF7BC);

        final String label;
        final int rgb;

        Precision(String label, int rgb) {
            this.label = label;
            this.rgb = rgb;
        }

        /** The fill colour, 0xRRGGBB. */
        public int rgb() {
            return rgb;
        }

        public String label() {
            return label;
        }
    }

    private CompressionOverlay() {
    }

    /**
     * @param ortTensors the tensors Q/DQ nodes of ONNX Runtime's optimized graph compute ({@code OrtOptimizedGraph}), or null
     *                   when that was not available: Q/DQ nodes are then marked without saying whether they fused
     */
    public static Overlay of(ModelGraph g, Set<String> ortTensors, String source) {
        Map<String, GraphNode> producer = new HashMap<>();
        for (GraphNode n : g.nodes()) {
            if (n.isOperator()) n.outputs().forEach(o -> producer.put(o, n));
        }
        Map<String, Overlay.Mark> marks = new HashMap<>();
        Map<Precision, Integer> counts = new EnumMap<>(Precision.class);
        for (GraphNode n : g.nodes()) {
            if (!n.isOperator()) continue;
            Precision p;
            String why;
            long bytes = n.weights().stream().mapToLong(GraphNode.FoldedWeight::bytes).sum();
            Tensor main = mainWeight(n, producer);
            if (n.opType().equals("QuantizeLinear") || n.opType().equals("DequantizeLinear")) {
                if (ortTensors == null) {
                    p = Precision.QDQ;
                    why = "fusion not checked";
                } else if (n.outputs().stream().anyMatch(ortTensors::contains)) {
                    p = Precision.QDQ_LEFT;
                    why = "ONNX Runtime runs this " + n.opType() + " as its own kernel";
                } else {
                    p = Precision.QDQ_FUSED;
                    why = "ONNX Runtime folded this " + n.opType() + " into a quantized kernel or a constant";
                }
            } else if (n.opType().equals("MatMulNBits")) {
                p = Precision.INT4;
                why = "MatMulNBits, " + n.inputs().size() + " inputs";
            } else if (main == null) {
                continue; // no weights: activations, reshapes, pools
            } else if (isInt(main.dataType())) {
                p = main.dataType().bits() <= 4 ? Precision.INT4 : Precision.INT8;
                why = n.opType().startsWith("QLinear") || n.opType().endsWith("Integer") ? "QOperator " + n.opType()
                        : "weight " + main.name() + " through DequantizeLinear";
            } else if (main.dataType() == DataType.FLOAT16 || main.dataType() == DataType.BFLOAT16) {
                p = Precision.FLOAT16;
                why = main.dataType().displayName() + " weight";
            } else {
                p = Precision.FLOAT32;
                why = main.dataType().displayName() + " weight";
            }
            counts.merge(p, 1, Integer::sum);
            double zeros = main == null ? Double.NaN : zeroFraction(main);
            String value = p == Precision.QDQ || p == Precision.QDQ_FUSED || p == Precision.QDQ_LEFT
                    ? (p == Precision.QDQ_LEFT ? "left" : p == Precision.QDQ_FUSED ? "fused" : "Q/DQ")
                    : p.label + (zeros >= 0.005 ? String.format(Locale.ROOT, " · %.0f%% zeros", 100 * zeros) : "")
                    + " · " + Sizes.bytes(bytes);
            String tip = why + (Double.isNaN(zeros) ? "" : String.format(Locale.ROOT, "; %.1f%% of the weight is zero", 100 * zeros))
                    + "; " + Sizes.bytes(bytes) + " of weights";
            marks.put(n.id(), new Overlay.Mark(p.rgb, value, tip));
        }
        List<Overlay.LegendEntry> legend = new ArrayList<>();
        counts.forEach((p, c) -> legend.add(new Overlay.LegendEntry(p.rgb, p.label + " (" + c + ")")));
        int fused = counts.getOrDefault(Precision.QDQ_FUSED, 0);
        int left = counts.getOrDefault(Precision.QDQ_LEFT, 0);
        String note = fused + left > 0 ? String.format(Locale.ROOT, "ONNX Runtime fused %d of %d Q/DQ nodes", fused, fused + left)
                : counts.containsKey(Precision.QDQ) ? "Q/DQ fusion not checked (ONNX Runtime could not optimize the model)" : "";
        return new Overlay(Overlay.Kind.COMPRESSION, source, marks, legend, Set.of(), 0, note);
    }

    /** Weights are floats or narrow integer codes; int64/int32 constants are shapes, indices and int32 biases. */
    private static boolean isWeightType(DataType t) {
        return isInt(t) || t == DataType.FLOAT || t == DataType.FLOAT16 || t == DataType.BFLOAT16 || t == DataType.DOUBLE;
    }

    private static boolean isInt(DataType t) {
        return t == DataType.INT8 || t == DataType.UINT8 || t == DataType.INT4 || t == DataType.UINT4;
    }

    /**
     * The weight that decides a node's precision: the largest folded weight, or for a Q/DQ model the integer tensor
     * behind the DequantizeLinear that feeds it.
     */
    static Tensor mainWeight(GraphNode n, Map<String, GraphNode> producer) {
        Tensor best = null;
        for (GraphNode.FoldedWeight w : n.weights()) {
            if (w.tensor() != null && isWeightType(w.tensor().dataType())
                    && (best == null || w.tensor().elementCount() > best.elementCount())) {
                best = w.tensor();
            }
        }
        if (!n.opType().equals("DequantizeLinear")) {
            for (String in : n.inputs()) {
                GraphNode p = producer.get(in);
                if (p != null && p.opType().equals("DequantizeLinear") && !p.weights().isEmpty()
                        && p.weights().get(0).role().equals("x") && p.weights().get(0).tensor() != null) {
                    Tensor t = p.weights().get(0).tensor();
                    if (best == null || t.elementCount() > best.elementCount()) best = t;
                }
            }
        }
        return best != null && best.elementCount() > 1 ? best : null;
    }

    /** Share of exactly-zero elements (codes equal to zero for integers), read from the raw bytes. */
    static double zeroFraction(Tensor t) {
        byte[] raw = t.raw();
        long n = t.elementCount();
        if (raw == null || n == 0) return Double.NaN;
        long zeros = 0;
        switch (t.dataType()) {
            case FLOAT -> {
                for (int i = 0; i + 3 < raw.length; i += 4) {
                    if (raw[i] == 0 && raw[i + 1] == 0 && raw[i + 2] == 0 && (raw[i + 3] & 0x7F) == 0) zeros++;
                }
            }
            case FLOAT16, BFLOAT16 -> {
                for (int i = 0; i + 1 < raw.length; i += 2) {
                    if (raw[i] == 0 && (raw[i + 1] & 0x7F) == 0) zeros++;
                }
            }
            case INT8, UINT8 -> {
                for (byte b : raw) if (b == 0) zeros++;
            }
            default -> {
                return Double.NaN;
            }
        }
        return zeros / (double) n;
    }
}
