package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.train.TrainableModel.UnsupportedGraphException;

import java.util.Arrays;
import java.util.Map;

/** Turns one ONNX node into its differentiable step, reading weights from the initializers. */
final class LayerFactory {

    private LayerFactory() {
    }

    static String label(Node n) {
        return n.name().isEmpty() ? n.opType() : n.name();
    }

    static Param param(String name, Map<String, Tensor> inits, Map<String, Param> params, String node)
            throws UnsupportedGraphException {
        Param p = params.get(name);
        if (p != null) {
            return p; // shared by several nodes (tied weights, or a zero bias the exporter kept once): gradients add up
        }
        Tensor t = inits.get(name);
        if (t == null || t.dataType() != DataType.FLOAT) {
            throw new UnsupportedGraphException("node " + node + ": weight '" + name + "' must be a float32 initializer");
        }
        int[] shape = Arrays.stream(t.dims()).mapToInt(Math::toIntExact).toArray();
        p = new Param(name, shape, t.toFloats());
        params.put(name, p);
        return p;
    }

    static int[] ints(Node n, String attr, int[] fallback) {
        return n.attribute(attr).map(a -> Arrays.stream(a.asLongs()).mapToInt(Math::toIntExact).toArray()).orElse(fallback);
    }

    static Layer layer(Node n, Map<String, Tensor> inits, Map<String, Param> params, int[] shape, EnginePool pool,
                       long seed) throws UnsupportedGraphException {
        String id = label(n);
        switch (n.opType()) {
            case "Gemm" -> {
                if (n.attribute("transA").map(Attribute::asLong).orElse(0L) != 0
                        || n.attribute("alpha").map(Attribute::asFloat).orElse(1f) != 1f
                        || n.attribute("beta").map(Attribute::asFloat).orElse(1f) != 1f) {
                    throw new UnsupportedGraphException("node " + id + ": Gemm with transA, alpha or beta is not trainable here yet");
                }
                Param w = param(n.inputs().get(1), inits, params, id);
                Param b = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? param(n.inputs().get(2), inits, params, id) : null;
                if (b != null && b.size() != (n.attribute("transB").map(Attribute::asLong).orElse(0L) != 0 ? w.shape[0] : w.shape[1])) {
                    throw new UnsupportedGraphException("node " + id + ": bias " + Arrays.toString(b.shape) + " is not one per output");
                }
                boolean transB = n.attribute("transB").map(Attribute::asLong).orElse(0L) != 0;
                w.outAxis = transB ? 0 : 1;
                return new Layers.Gemm(id, w, b, transB, pool);
            }
            case "MatMul" -> {
                Param w = param(n.inputs().get(1), inits, params, id);
                if (w.shape.length != 2) throw new UnsupportedGraphException("node " + id + ": MatMul weight must be 2-D");
                w.outAxis = 1;
                return new Layers.Gemm(id, w, null, false, pool);
            }
            case "Add" -> {
                String p = n.inputs().stream().filter(inits::containsKey).findFirst().orElseThrow();
                return new Layers.BiasAdd(id, param(p, inits, params, id));
            }
            case "Sub", "Mul", "Div" -> {
                int c = inits.containsKey(n.inputs().get(1)) ? 1 : 0;
                Tensor t = inits.get(n.inputs().get(c));
                if (t.dataType() != DataType.FLOAT) {
                    throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " with a " + t.dataType() + " constant");
                }
                Ops.WithConstant.Kind k = switch (n.opType()) {
                    case "Sub" -> c == 1 ? Ops.WithConstant.Kind.SUB : Ops.WithConstant.Kind.SUB_FROM;
                    case "Mul" -> Ops.WithConstant.Kind.MUL;
                    default -> c == 1 ? Ops.WithConstant.Kind.DIV : Ops.WithConstant.Kind.DIV_INTO;
                };
                return new Ops.WithConstant(id, k, t.toFloats(), Arrays.stream(t.dims()).mapToInt(Math::toIntExact).toArray());
            }
            case "Clip" -> {
                float lo = n.attribute("min").map(Attribute::asFloat).orElse(Float.NEGATIVE_INFINITY);
                float hi = n.attribute("max").map(Attribute::asFloat).orElse(Float.POSITIVE_INFINITY);
                if (n.inputs().size() > 1 && !n.inputs().get(1).isEmpty()) lo = scalar(n, 1, inits, id);
                if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) hi = scalar(n, 2, inits, id);
                return new Ops.Unary(id, Ops.Fn.CLIP, lo, hi);
            }
            case "LeakyRelu" -> {
                return new Ops.Unary(id, Ops.Fn.LEAKY_RELU, n.attribute("alpha").map(Attribute::asFloat).orElse(0.01f), 0);
            }
            case "Sigmoid" -> {
                return new Ops.Unary(id, Ops.Fn.SIGMOID, 0, 0);
            }
            case "Tanh" -> {
                return new Ops.Unary(id, Ops.Fn.TANH, 0, 0);
            }
            case "HardSigmoid" -> {
                return new Ops.Unary(id, Ops.Fn.HARD_SIGMOID, n.attribute("alpha").map(Attribute::asFloat).orElse(0.2f),
                        n.attribute("beta").map(Attribute::asFloat).orElse(0.5f));
            }
            case "HardSwish" -> {
                return new Ops.Unary(id, Ops.Fn.HARD_SWISH, 0, 0);
            }
            case "Erf" -> {
                return new Ops.Unary(id, Ops.Fn.ERF, 0, 0);
            }
            case "Gelu" -> {
                boolean tanh = n.attribute("approximate").map(Attribute::asString).orElse("none").equals("tanh");
                return new Ops.Unary(id, tanh ? Ops.Fn.GELU_TANH : Ops.Fn.GELU, 0, 0);
            }
            case "BatchNormalization" -> {
                if (n.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
                    throw new UnsupportedGraphException("node " + id + ": BatchNormalization with training outputs");
                }
                Param mean = param(n.inputs().get(3), inits, params, id);
                Param var = param(n.inputs().get(4), inits, params, id);
                mean.trainable = false;
                var.trainable = false;
                return new Ops.BatchNorm(id, param(n.inputs().get(1), inits, params, id), param(n.inputs().get(2), inits, params, id),
                        mean, var, n.attribute("epsilon").map(Attribute::asFloat).orElse(1e-5f),
                        n.attribute("momentum").map(Attribute::asFloat).orElse(0.9f));
            }
            case "AveragePool" -> {
                int[] k = ints(n, "kernel_shape", null);
                if (k == null || k.length != 2 || n.attribute("ceil_mode").map(Attribute::asLong).orElse(0L) != 0
                        || n.attribute("auto_pad").map(Attribute::asString).filter(s -> !s.equals("NOTSET")).isPresent()) {
                    throw new UnsupportedGraphException("node " + id + ": only 2-D AveragePool without ceil_mode or auto_pad is trainable here");
                }
                return new Ops.AveragePool(id, k, ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]),
                        n.attribute("count_include_pad").map(Attribute::asLong).orElse(0L) != 0);
            }
            case "Transpose" -> {
                int[] perm = ints(n, "perm", null);
                if (perm == null) {
                    perm = new int[shape.length + 1];
                    for (int i = 0; i < perm.length; i++) perm[i] = perm.length - 1 - i;
                }
                if (perm[0] != 0) throw new UnsupportedGraphException("node " + id + ": Transpose moves the batch axis");
                int[] per = new int[perm.length - 1];
                for (int i = 1; i < perm.length; i++) per[i - 1] = perm[i] - 1;
                return new Ops.Transpose(id, per);
            }
            case "Squeeze", "Unsqueeze" -> {
                int[] axes = ints(n, "axes", null);
                if (axes == null && n.inputs().size() > 1 && inits.containsKey(n.inputs().get(1))) {
                    axes = Arrays.stream(inits.get(n.inputs().get(1)).toDoubles()).mapToInt(v -> (int) v).toArray();
                }
                if (axes == null) throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " without constant axes");
                return new Layers.Reshape(id, squeezed(n.opType().equals("Squeeze"), shape, axes, id));
            }
            case "Relu" -> {
                return new Layers.Relu(id);
            }
            case "Flatten" -> {
                if (n.attribute("axis").map(Attribute::asLong).orElse(1L) != 1) {
                    throw new UnsupportedGraphException("node " + id + ": Flatten with an axis other than 1 is not trainable here yet");
                }
                return new Layers.Reshape(id, null);
            }
            case "Reshape" -> {
                Tensor t = inits.get(n.inputs().get(1));
                long[] target = t == null ? null : Arrays.stream(t.toDoubles()).mapToLong(v -> (long) v).toArray();
                if (target == null || target.length < 1 || target[0] != -1 && target[0] != 0 && target[0] != 1) {
                    throw new UnsupportedGraphException("node " + id + ": Reshape must keep the batch dimension first");
                }
                int[] per = new int[target.length - 1];
                for (int i = 1; i < target.length; i++) per[i - 1] = target[i] == 0 ? shape[i - 1] : (int) target[i];
                return new Layers.Reshape(id, per);
            }
            case "Dropout", "Identity" -> {
                double ratio = n.attribute("ratio").map(a -> (double) a.asFloat()).orElse(0.5);
                if (n.opType().equals("Dropout") && n.inputs().size() > 1 && inits.containsKey(n.inputs().get(1))) {
                    ratio = inits.get(n.inputs().get(1)).toFloats()[0];
                }
                return n.opType().equals("Identity") ? null : new Layers.Dropout(id, ratio, seed);
            }
            case "Conv" -> {
                Param w = param(n.inputs().get(1), inits, params, id);
                if (w.shape.length != 4) throw new UnsupportedGraphException("node " + id + ": only 2-D convolutions are trainable here yet");
                Param b = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? param(n.inputs().get(2), inits, params, id) : null;
                if (n.attribute("auto_pad").map(Attribute::asString).filter(s -> !s.equals("NOTSET")).isPresent()) {
                    throw new UnsupportedGraphException("node " + id + ": auto_pad is not trainable here yet");
                }
                return new Layers.Conv(id, w, b, Math.toIntExact(n.attribute("group").map(Attribute::asLong).orElse(1L)),
                        ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]), ints(n, "dilations", new int[] {1, 1}), pool);
            }
            case "MaxPool" -> {
                if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
                    throw new UnsupportedGraphException("node " + id + ": MaxPool with indices is not trainable here yet");
                }
                int[] k = ints(n, "kernel_shape", null);
                if (k == null || k.length != 2 || n.attribute("auto_pad").map(Attribute::asString).filter(s -> !s.equals("NOTSET")).isPresent()
                        || n.attribute("dilations").map(a -> Arrays.stream(a.asLongs()).anyMatch(d -> d != 1)).orElse(false)) {
                    throw new UnsupportedGraphException("node " + id + ": only 2-D MaxPool without auto_pad or dilations is trainable here");
                }
                return new Layers.MaxPool(id, k, ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]),
                        n.attribute("ceil_mode").map(Attribute::asLong).orElse(0L) != 0);
            }
            case "ReduceMean" -> {
                int[] axes = ints(n, "axes", null);
                if (axes == null && n.inputs().size() > 1 && inits.containsKey(n.inputs().get(1))) {
                    axes = Arrays.stream(inits.get(n.inputs().get(1)).toDoubles()).mapToInt(v -> (int) v).toArray();
                }
                if (axes == null) throw new UnsupportedGraphException("node " + id + ": ReduceMean over all axes mixes the batch");
                int rank = shape.length + 1;
                int[] per = new int[axes.length];
                for (int i = 0; i < axes.length; i++) {
                    int a = axes[i] < 0 ? axes[i] + rank : axes[i];
                    if (a < 1 || a >= rank) throw new UnsupportedGraphException("node " + id + ": ReduceMean over the batch axis");
                    per[i] = a - 1;
                }
                return new Ops.ReduceMean(id, per, n.attribute("keepdims").map(Attribute::asLong).orElse(1L) != 0);
            }
            case "GlobalAveragePool" -> {
                return new Layers.GlobalAveragePool(id);
            }
            case "Softmax", "LogSoftmax" -> {
                return null; // the loss is taken on the logits; the node stays in the written model
            }
            default -> throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " has no backward pass here yet");
        }
    }

    private static float scalar(Node n, int input, Map<String, Tensor> inits, String id) throws UnsupportedGraphException {
        Tensor t = inits.get(n.inputs().get(input));
        if (t == null || t.elementCount() != 1) {
            throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " bound '" + n.inputs().get(input)
                    + "' must be a constant scalar");
        }
        return (float) t.toDoubles()[0];
    }

    /** The per-sample shape after Squeeze or Unsqueeze of {@code axes} (ONNX axes, the batch being axis 0). */
    private static int[] squeezed(boolean squeeze, int[] shape, int[] axes, String id) throws UnsupportedGraphException {
        int rank = shape.length + 1;
        int outRank = squeeze ? rank - axes.length : rank + axes.length;
        java.util.Set<Integer> at = new java.util.TreeSet<>();
        for (int a : axes) at.add(a < 0 ? a + (squeeze ? rank : outRank) : a);
        if (at.contains(0) || at.size() != axes.length) {
            throw new UnsupportedGraphException("node " + id + ": axes " + Arrays.toString(axes) + " touch the batch axis");
        }
        java.util.List<Integer> out = new java.util.ArrayList<>();
        if (squeeze) {
            for (int d = 1; d < rank; d++) {
                if (!at.contains(d)) out.add(shape[d - 1]);
                else if (shape[d - 1] != 1) throw new UnsupportedGraphException("node " + id + ": squeezes an axis of " + shape[d - 1]);
            }
        } else {
            int src = 0;
            for (int d = 1; d < outRank; d++) out.add(at.contains(d) ? 1 : shape[src++]);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
