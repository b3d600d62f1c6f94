package org.polaris.workbench.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Block-wise sparse storage: smaller files, the same tensors after folding, the same outputs in ONNX Runtime. */
class SparseChunksTest {

    @TempDir
    Path tmp;

    /** The sample MLP with every weight matrix pruned to {@code sparsity} (random positions) and stored sparse. */
    private static OnnxModel prunedMlp(double sparsity) throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_MLP);
        Random r = new Random(5);
        List<Tensor> inits = new ArrayList<>();
        Set<String> sparse = new java.util.HashSet<>();
        for (Tensor t : m.graph().initializers()) {
            if (t.rank() == 2) {
                float[] v = t.toFloats();
                for (int i = 0; i < v.length; i++) if (r.nextDouble() < sparsity) v[i] = 0f;
                inits.add(Tensor.ofFloats(t.name(), t.dims(), v));
                sparse.add(t.name());
            } else {
                inits.add(t);
            }
        }
        return m.withGraph(m.graph().withInitializers(inits, sparse));
    }

    @Test
    void bigSparseWeightsSplitIntoSixteenBitBlocksAndFoldBackExactly() throws Exception {
        OnnxModel whole = prunedMlp(0.8);
        SparseChunks.Outcome o = SparseChunks.split(whole);
        // fc1 is 128 x 784 = 100,352 weights: 4 blocks of 32 rows (25,088 <= 32,768); fc2, fc3 fit 16 bits already
        assertThat(o.splits()).containsOnlyKeys("fc1.weight");
        assertThat(o.splits().get("fc1.weight").blocks()).isEqualTo(4);
        assertThat(o.splits().get("fc1.weight").encoding()).isEqualTo("linear int16");
        Node join = o.model().graph().nodes().get(0);
        assertThat(join.opType()).isEqualTo("Concat");
        assertThat(join.outputs()).containsExactly("fc1.weight");
        assertThat(o.model().graph().initializers()).noneMatch(t -> t.name().equals("fc1.weight"));

        Path a = tmp.resolve("whole.onnx");
        Path b = tmp.resolve("blocks.onnx");
        new OnnxModelWriter().write(whole, a, false);
        new OnnxModelWriter().write(o.model(), b, false);
        // kept weight: 4-byte value + 2-byte index instead of 4 + 4
        assertThat((double) Files.size(b)).isLessThan(Files.size(a) * 0.8);

        OnnxModel back = SparseChunks.fold(new OnnxModelReader().read(b));
        assertThat(back.graph().nodes()).noneMatch(n -> n.opType().equals("Concat"));
        assertThat(back.graph().sparseInitializers()).contains("fc1.weight");
        Map<String, Tensor> before = new java.util.HashMap<>();
        whole.graph().initializers().forEach(t -> before.put(t.name(), t));
        for (Tensor t : back.graph().initializers()) {
            assertThat(t.raw()).as(t.name()).isEqualTo(before.get(t.name()).raw());
            assertThat(t.dims()).isEqualTo(before.get(t.name()).dims());
        }
        // ONNX Runtime reads both files and computes the same logits
        Tensor x = Tensor.ofFloats("image", new long[] {4, 1, 28, 28}, randomImage(4));
        try (OrtModelSession sa = OrtModelSession.open(Files.readAllBytes(a), OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL));
             OrtModelSession sb = OrtModelSession.open(Files.readAllBytes(b), OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            assertThat(sb.run(Map.of("image", x)).get("logits").toFloats())
                    .containsExactly(sa.run(Map.of("image", x)).get("logits").toFloats());
        }
    }

    @Test
    void tensorsThatCannotGainStayWhole() throws Exception {
        // dense storage, small tensors, rows longer than a block, and 1-D tensors are never split
        OnnxModel dense = new OnnxModelReader().read(TestData.FASHION_MLP);
        assertThat(SparseChunks.split(dense).splits()).isEmpty();
        float[] longRows = new float[2 * 40_000];
        longRows[7] = 1f;
        float[] vector = new float[70_000];
        vector[3] = 2f;
        OnnxModel m = dense.withGraph(dense.graph().withInitializers(List.of(
                Tensor.ofFloats("rows", new long[] {2, 40_000}, longRows),
                Tensor.ofFloats("vec", new long[] {70_000}, vector)), Set.of("rows", "vec")));
        SparseChunks.Outcome o = SparseChunks.split(m);
        assertThat(o.splits()).isEmpty();
        assertThat(o.model()).isSameAs(m);
    }

    @Test
    void foldJoinsOnlyConstantConcatsOfMatchingShapes() {
        Tensor a = Tensor.ofFloats("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
        Tensor b = Tensor.ofFloats("b", new long[] {2, 1}, new float[] {7, 8});
        Tensor c = Tensor.ofFloats("c", new long[] {3, 3}, new float[9]);
        Node byColumns = new Node("j", "Concat", "", List.of("a", "b"), List.of("ab"), List.of(Attribute.ofInt("axis", -1)), "");
        Node mismatched = new Node("k", "Concat", "", List.of("a", "c"), List.of("ac"), List.of(Attribute.ofInt("axis", 1)), "");
        Node withInput = new Node("l", "Concat", "", List.of("a", "x"), List.of("ax"), List.of(Attribute.ofInt("axis", 0)), "");
        Node use = new Node("u", "Sum", "", List.of("ab", "ac", "ax"), List.of("y"), List.of(), "");
        ValueInfo x = new ValueInfo("x", ValueType.tensor(DataType.FLOAT, null), "");
        ValueInfo y = new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "");
        Graph g = new Graph("g", List.of(byColumns, mismatched, withInput, use), List.of(x), List.of(y), List.of(),
                List.of(a, b, c), "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        OnnxModel f = SparseChunks.fold(m);
        assertThat(f.graph().nodes()).extracting(Node::name).containsExactly("k", "l", "u");
        Tensor ab = f.graph().initializers().stream().filter(t -> t.name().equals("ab")).findFirst().orElseThrow();
        assertThat(ab.dims()).containsExactly(2, 4);
        assertThat(ab.toFloats()).containsExactly(1, 2, 3, 7, 4, 5, 6, 8);
        assertThat(f.graph().initializers()).extracting(Tensor::name).contains("a", "c").doesNotContain("b");
    }

    private static float[] randomImage(int n) {
        Random r = new Random(9);
        float[] v = new float[n * 784];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
        return v;
    }
}
