package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Weights held in {@code Constant} nodes (as paddle2onnx exports every weight, with no initializers at all) are
 * pruned like initializers: the Sparsity pane lists the layers and {@code prune} prunes them.
 */
class ConstantWeightsPruneIT {

    @TempDir
    Path tmp;

    /** The Fashion CNN with every initializer moved into a Constant node. */
    private Path constantsOnly() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_CNN);
        List<Node> nodes = new ArrayList<>();
        for (Tensor t : m.graph().initializers()) {
            nodes.add(new Node("const_" + t.name(), "Constant", "", List.of(), List.of(t.name()),
                    List.of(Attribute.ofTensor("value", t.withName(""))), ""));
        }
        nodes.addAll(m.graph().nodes());
        Graph g = new Graph(m.graph().name(), nodes, m.graph().feedInputs(), m.graph().outputs(), m.graph().valueInfos(),
                List.of(), m.graph().docString(), m.graph().encodedExtras()).withInitializers(List.of(), Set.of());
        Path out = tmp.resolve("constants.onnx");
        Files.write(out, OnnxModelWriter.toBytes(m.withGraph(g)));
        return out;
    }

    @Test
    void weightsInConstantNodesArePrunable() throws Exception {
        Path model = constantsOnly();
        assertThat(new OnnxModelReader().read(model).graph().initializers()).isEmpty();
        PrunableLayers.Snapshot s = PrunableLayers.read(model);
        assertThat(s.layers().stream().map(l -> l.target().node()).toList())
                .containsExactlyElementsOf(PrunableLayers.read(TestData.FASHION_CNN).layers().stream()
                        .map(l -> l.target().node()).toList());
        Path out = tmp.resolve("pruned.onnx");
        CliRun r = CliRun.of("prune", model.toString(), "-o", out.toString(), "--sparsity", "0.5", "--eval-data",
                TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString(), "--eval-samples",
                "200", "--latency-runs", "5");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("50.0% of their weights removed");
        // global magnitude pruning: half of all the weights, counted over every layer
        List<PrunableLayers.Layer> layers = PrunableLayers.read(out).layers();
        double zeros = layers.stream().mapToDouble(l -> l.zeroFraction() * l.denseBytes()).sum()
                / layers.stream().mapToDouble(PrunableLayers.Layer::denseBytes).sum();
        assertThat(zeros).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
    }
}
