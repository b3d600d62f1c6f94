package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Structured pruning that makes a model smaller: whole output channels (filters, neurons) with the smallest L2 (or
 * L1) norm are removed from a Conv, Gemm or MatMul weight, and everything that reads those channels is rewired: the
 * bias, a following BatchNormalization's four vectors, and the input side of the next Conv/Gemm/MatMul (through
 * channel-wise ops such as Relu, Clip, pooling, and through a Flatten). A layer whose channels meet a residual Add,
 * Concat, Reshape, grouped convolution, shared weight or graph output is left whole and reported with the reason.
 */
public final class ChannelPruner {

    /** Ops that keep channel c in channel c, so removing a channel before them removes it after them. */
    private static final Set<String> CHANNELWISE = Set.of("Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "Tanh",
            "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Gelu", "Identity", "Dropout", "MaxPool",
            "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization");

    /** One layer that lost channels. */
    public record Layer(String node, String weight, long[] before, long[] after, int channelsBefore, int channelsAfter,
                        List<String> rewired) {
    }

    /** A candidate layer left whole, and why. */
    public record Skipped(String node, String reason) {
    }

    public record Outcome(OnnxModel model, List<Layer> layers, List<Skipped> skipped) {
    }

    private final Map<String, Tensor> inits = new LinkedHashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();
    private final Map<String, Integer> uses = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Set<String> reshaped = new HashSet<>();

    private ChannelPruner(Graph g) {
        g.initializers().forEach(t -> inits.put(t.name(), t));
        for (Node n : g.nodes()) {
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                uses.merge(in, 1, Integer::sum);
            }
        }
        g.outputs().forEach(v -> graphOutputs.add(v.name()));
    }

    /**
     * Removes {@code round(fraction * C)} of the C output channels of every eligible layer (at least one is kept).
     *
     * @param exclude node names (or {@code Op#index} for unnamed nodes) to leave whole
     */
    public static Outcome prune(OnnxModel model, double fraction, boolean l1, Set<String> exclude) {
        return prune(model, fraction, l1, exclude, 1);
    }

    /**
     * As {@link #prune(OnnxModel, double, boolean, Set)}, with the kept channel count of every layer rounded to the
     * nearest multiple of {@code multiple} (never below it): CPU kernels work on channel blocks (ONNX Runtime's
     * blocked convolution uses 8 or 16), so 22 kept channels cost as much as 32 and only a block-aligned count is faster.
     */
    public static Outcome prune(OnnxModel model, double fraction, boolean l1, Set<String> exclude, int multiple) {
        if (multiple < 1 || multiple > 1024) {
            throw new IllegalArgumentException("channel multiple must be in [1, 1024], got " + multiple);
        }
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("fraction of channels must be in [0, 1), got " + fraction);
        }
        Graph g = model.graph();
        ChannelPruner p = new ChannelPruner(g);
        List<Layer> layers = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            String id = n.name().isEmpty() ? n.opType() + "#" + i : n.name();
            if (!Set.of("Conv", "Gemm", "MatMul").contains(n.opType()) || exclude.contains(id)) {
                continue;
            }
            String why = p.tryPrune(n, id, fraction, l1, multiple, layers);
            if (why != null) {
                skipped.add(new Skipped(id, why));
            }
        }
        List<ValueInfo> infos = g.valueInfos().stream().filter(v -> !p.reshaped.contains(v.name())).toList();
        Graph ng = new Graph(g.name(), g.nodes(), g.inputs(), g.outputs(), infos, new ArrayList<>(p.inits.values()),
                g.docString(), g.encodedExtras(), g.sparseInitializers());
        return new Outcome(model.withGraph(ng), layers, skipped);
    }

    /** A slice to apply: keep {@code keep} along {@code axis}, each kept index standing for {@code block} entries. */
    private record Cut(String tensor, int axis, int block) {
    }

    private String tryPrune(Node n, String id, double fraction, boolean l1, int multiple, List<Layer> layers) {
        Tensor w = n.inputs().size() > 1 ? inits.get(n.inputs().get(1)) : null;
        if (w == null || w.dataType() != DataType.FLOAT) {
            return "weight is not a float32 initializer";
        }
        if (uses.getOrDefault(w.name(), 0) > 1) {
            return "weight " + w.name() + " is shared with another node";
        }
        int axis;
        switch (n.opType()) {
            case "Conv" -> {
                if (n.attribute("group").map(Attribute::asLong).orElse(1L) != 1 || w.rank() < 3) {
                    return "grouped or depthwise convolution";
                }
                axis = 0;
            }
            case "Gemm" -> {
                if (w.rank() != 2) return "Gemm weight is not 2-D";
                axis = n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1 ? 0 : 1;
            }
            default -> {
                if (w.rank() != 2) return "MatMul weight is not 2-D";
                axis = 1;
            }
        }
        int channels = Math.toIntExact(w.dims()[axis]);
        List<Cut> cuts = new ArrayList<>();
        cuts.add(new Cut(w.name(), axis, 1));
        List<String> rewired = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
            String why = vector(n.inputs().get(2), channels, cuts);
            if (why != null) return "bias: " + why;
        }
        String cur = n.outputs().get(0);
        while (true) {
            touched.add(cur);
            if (graphOutputs.contains(cur)) {
                return "its channels reach the graph output " + cur;
            }
            List<Node> next = consumers.getOrDefault(cur, List.of());
            if (next.size() != 1 || !CHANNELWISE.contains(next.get(0).opType())) {
                break;
            }
            Node c = next.get(0);
            if (!c.inputs().get(0).equals(cur)) {
                return "its channels feed input 2 of " + c.opType();
            }
            for (int k = 1; k < c.outputs().size(); k++) {
                String extra = c.outputs().get(k);
                if (!extra.isEmpty() && (consumers.containsKey(extra) || graphOutputs.contains(extra))) {
                    return c.opType() + "'s second output is used";
                }
            }
            if (c.opType().equals("BatchNormalization") || c.opType().equals("PRelu")) {
                for (int k = 1; k < c.inputs().size(); k++) {
                    String why = vector(c.inputs().get(k), channels, cuts);
                    if (why != null) return c.opType() + ": " + why;
                }
                rewired.add(c.opType());
            }
            cur = c.outputs().get(0);
        }
        List<Node> ends = consumers.getOrDefault(cur, List.of());
        if (ends.isEmpty()) {
            return "its output " + cur + " is not used";
        }
        for (Node c : ends) {
            String why = reader(c, cur, channels, 1, cuts, rewired, touched);
            if (why != null) return why;
        }
        int keep = keptChannels(channels, fraction, multiple);
        if (keep == channels) {
            return channels + " channels: none to remove at this fraction" + (multiple > 1 ? " in multiples of " + multiple : "");
        }
        int[] kept = strongest(w, axis, keep, l1);
        for (Cut c : cuts) {
            Tensor t = inits.get(c.tensor());
            inits.put(t.name(), slice(t, c.axis(), kept, c.block()));
        }
        reshaped.addAll(touched);
        layers.add(new Layer(n.name().isEmpty() ? id : n.name(), w.name(), w.dims(), inits.get(w.name()).dims(),
                channels, keep, rewired));
        return null;
    }

    /**
     * The channel block ONNX Runtime's blocked (NCHWc) convolutions use on this CPU: 16 with AVX-512, else 8. Read
     * from {@code /proc/cpuinfo}; 8 where that cannot be read.
     */
    public static int defaultMultiple() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return java.util.Arrays.asList(line.split("\\s+")).contains("avx512f") ? 16 : 8;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or unreadable: the AVX2 block
        }
        return 8;
    }

    /**
     * {@code channels - round(fraction * channels)}, rounded to the nearest multiple of {@code multiple} (at least one
     * multiple); a layer with no more than {@code multiple} channels keeps them all, since fewer would not run faster.
     */
    static int keptChannels(int channels, double fraction, int multiple) {
        int keep = Math.max(1, channels - (int) Math.round(fraction * channels));
        if (multiple > 1) {
            keep = Math.min(channels, Math.max(multiple, (int) Math.round((double) keep / multiple) * multiple));
        }
        return keep;
    }

    /** A per-channel vector (bias, BatchNorm parameter) of {@code channels} entries, or the reason it is not one. */
    private String vector(String name, int channels, List<Cut> cuts) {
        Tensor t = inits.get(name);
        if (t == null || t.dataType() != DataType.FLOAT) {
            return name + " is not a float32 initializer";
        }
        if (uses.getOrDefault(name, 0) > 1) {
            return name + " is shared with another node";
        }
        if (t.elementCount() == 1) {
            return null; // broadcast scalar: nothing to slice
        }
        long[] d = t.dims();
        if (t.elementCount() != channels || d[d.length - 1] != channels) {
            return name + " has shape " + t.shapeString() + ", not one value per channel";
        }
        cuts.add(new Cut(name, d.length - 1, 1));
        return null;
    }

    /** Checks that {@code c} reads the channels of {@code value} through a weight we can slice, and plans the cut. */
    private String reader(Node c, String value, int channels, int block, List<Cut> cuts, List<String> rewired,
                          List<String> touched) {
        if (!c.inputs().get(0).equals(value)) {
            return "its channels feed input 2 of " + c.opType() + " (residual or elementwise merge)";
        }
        switch (c.opType()) {
            case "Conv", "Gemm", "MatMul" -> {
                Tensor w = c.inputs().size() > 1 ? inits.get(c.inputs().get(1)) : null;
                if (w == null || w.dataType() != DataType.FLOAT) {
                    return "the next " + c.opType() + "'s weight is not a float32 initializer";
                }
                if (uses.getOrDefault(w.name(), 0) > 1) {
                    return "the next " + c.opType() + "'s weight is shared";
                }
                int axis;
                if (c.opType().equals("Conv")) {
                    if (c.attribute("group").map(Attribute::asLong).orElse(1L) != 1) {
                        return "its channels feed a grouped or depthwise convolution";
                    }
                    axis = 1;
                } else if (c.opType().equals("Gemm")) {
                    if (c.attribute("transA").map(Attribute::asLong).orElse(0L) != 0 || w.rank() != 2) {
                        return "its channels feed a transposed Gemm";
                    }
                    axis = c.attribute("transB").map(Attribute::asLong).orElse(0L) == 1 ? 1 : 0;
                } else {
                    if (w.rank() != 2) return "its channels feed a batched MatMul";
                    axis = 0;
                }
                if (w.dims()[axis] != (long) channels * block) {
                    return "the next " + c.opType() + " expects " + w.dims()[axis] + " inputs, not " + channels + " x " + block;
                }
                cuts.add(new Cut(w.name(), axis, block));
                rewired.add(c.opType() + " " + (c.name().isEmpty() ? w.name() : c.name()));
                return null;
            }
            case "Flatten" -> {
                if (block != 1 || c.attribute("axis").map(Attribute::asLong).orElse(1L) != 1) {
                    return "its channels feed a Flatten that does not keep the batch axis alone";
                }
                String out = c.outputs().get(0);
                List<Node> next = consumers.getOrDefault(out, List.of());
                if (graphOutputs.contains(out) || next.size() != 1) {
                    return "the flattened channels are used more than once";
                }
                Node g = next.get(0);
                Tensor w = g.inputs().size() > 1 ? inits.get(g.inputs().get(1)) : null;
                if (w == null || w.rank() != 2) {
                    return "the flattened channels do not feed a Gemm or MatMul with a weight";
                }
                int kAxis = g.opType().equals("Gemm") && g.attribute("transB").map(Attribute::asLong).orElse(0L) == 1 ? 1 : 0;
                long k = w.dims()[kAxis];
                if (k % channels != 0) {
                    return "the flattened size " + k + " is not a multiple of " + channels + " channels";
                }
                touched.add(out);
                rewired.add("Flatten");
                return reader(g, out, channels, (int) (k / channels), cuts, rewired, touched);
            }
            default -> {
                return "its channels feed " + c.opType() + " (residual adds, concatenations and reshapes are not rewired)";
            }
        }
    }

    /** Indices (ascending) of the {@code keep} channels along {@code axis} with the largest norm. */
    static int[] strongest(Tensor w, int axis, int keep, boolean l1) {
        long[] d = w.dims();
        int channels = Math.toIntExact(d[axis]);
        float[] v = w.toFloats();
        double[] norm = new double[channels];
        int inner = 1;
        for (int k = axis + 1; k < d.length; k++) inner *= (int) d[k];
        for (int i = 0; i < v.length; i++) {
            int c = (i / inner) % channels;
            norm[c] += l1 ? Math.abs(v[i]) : (double) v[i] * v[i];
        }
        Integer[] order = new Integer[channels];
        for (int c = 0; c < channels; c++) order[c] = c;
        Arrays.sort(order, (a, b) -> norm[a] != norm[b] ? Double.compare(norm[b], norm[a]) : Integer.compare(a, b));
        int[] kept = new int[keep];
        for (int k = 0; k < keep; k++) kept[k] = order[k];
        Arrays.sort(kept);
        return kept;
    }

    /** {@code t} with only the kept indices (each covering {@code block} consecutive entries) along {@code axis}. */
    static Tensor slice(Tensor t, int axis, int[] kept, int block) {
        long[] d = t.dims();
        int outer = 1;
        for (int k = 0; k < axis; k++) outer *= (int) d[k];
        int inner = 1;
        for (int k = axis + 1; k < d.length; k++) inner *= (int) d[k];
        int along = (int) d[axis];
        float[] v = t.toFloats();
        int chunk = block * inner;
        float[] out = new float[outer * kept.length * chunk];
        int at = 0;
        for (int o = 0; o < outer; o++) {
            for (int c : kept) {
                System.arraycopy(v, (o * along + c * block) * inner, out, at, chunk);
                at += chunk;
            }
        }
        long[] nd = d.clone();
        nd[axis] = (long) kept.length * block;
        return Tensor.ofFloats(t.name(), nd, out);
    }
}
