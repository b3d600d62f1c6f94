package org.polaris.workbench.engine.graph;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The diff of the Fashion CNN against its static-INT8, pruned, channel-pruned and renamed versions, made here. */
class GraphDiffIT {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    static Path tmp;
    static QuantReport quant;
    static Path int8;
    static Path pruned;
    static Path channels;
    static OnnxModel original;
    static Map<String, Tensor> feeds;

    @BeforeAll
    static void makeVersions() throws Exception {
        int8 = tmp.resolve("cnn-int8.onnx");
        var calib = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 200);
        var eval = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 200);
        quant = new QuantizeService().run(new QuantRequest(TestData.FASHION_CNN, int8, false, QuantOptions.staticInt8(),
                calib, 100, eval, new QuantEvaluator.Settings(200, 5, 2, 1, 1), null, 0.9, 60, false),
                ProgressSink.NONE, CancellationToken.none());
        pruned = tmp.resolve("cnn-pruned.onnx");
        assertThat(CliRun.of("prune", TestData.FASHION_CNN.toString(), "-o", pruned.toString(), "--sparsity", "0.5",
                "--eval-samples", "100").code()).isZero();
        channels = tmp.resolve("cnn-channels.onnx");
        assertThat(CliRun.of("prune", TestData.FASHION_CNN.toString(), "-o", channels.toString(), "--method", "channel",
                "--sparsity", "0.3", "--eval-samples", "100").code()).isZero();
        original = new OnnxModelReader().read(TestData.FASHION_CNN);
        feeds = new InputSpec(org.polaris.workbench.engine.data.InputPlan.Request.of(Preprocessing.unitScale()), IMAGES, 0)
                .sample(original).feeds();
    }

    private static DiffReport diff(Path b) throws Exception {
        return diff(new OnnxModelReader().read(b));
    }

    private static DiffReport diff(OnnxModel b) {
        try (EnginePool pool = new EnginePool(1)) {
            return GraphDiff.compare("a", original, "b", b, feeds, "sample 0", pool, ProgressSink.NONE, CancellationToken.none());
        }
    }

    @Test
    void staticInt8MatchesEveryNodeAndReportsTheQdqNodesAsAdded() throws Exception {
        DiffReport r = diff(int8);
        OnnxModel q = new OnnxModelReader().read(int8);
        assertThat(r.note()).isEmpty();
        assertThat(r.removed()).isZero();
        assertThat(r.matchedByName()).isEqualTo(10);
        assertThat(r.added()).isEqualTo(q.graph().nodes().size() - 10);
        assertThat(r.rows()).filteredOn(x -> x.match() == DiffReport.Match.ADDED).extracting(DiffReport.Row::opB)
                .containsOnly("QuantizeLinear", "DequantizeLinear");
        // the quantized layers read int8 codes through their DequantizeLinear
        assertThat(r.rows()).filteredOn(x -> x.nodeA() != null && "int8".equals(x.dtypeB())).extracting(DiffReport.Row::nodeA)
                .containsExactlyInAnyOrderElementsOf(quant.layers().stream().filter(l -> l.bits() == 8)
                        .map(org.polaris.workbench.engine.quant.LayerReport::name).toList());
        // the layer whose output moves most is the one the quantizer's own sensitivity scan ranks worst
        String worst = quant.sensitivity().keySet().stream().filter(l -> quant.sensitivityRank(l) == 1).findFirst().orElseThrow();
        assertThat(r.largestError().orElseThrow().nodeA()).isEqualTo(worst);
        assertThat(r.rows()).filteredOn(x -> x.cosine() != null).allMatch(x -> x.cosine() > 0.99);
    }

    @Test
    void compressionOverlaySaysWhichQdqNodesOnnxRuntimeLeft() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(int8).graph());
        Overlay o = OverlayService.compression(int8, g);
        long left = o.marks().values().stream().filter(m -> m.rgb() == CompressionOverlay.Precision.QDQ_LEFT.rgb).count();
        long fused = o.marks().values().stream().filter(m -> m.rgb() == CompressionOverlay.Precision.QDQ_FUSED.rgb).count();
        assertThat(left).isEqualTo(quant.evaluation().quantized().leftoverQdq());
        assertThat(left + fused).isEqualTo(g.nodes().stream()
                .filter(n -> n.opType().equals("QuantizeLinear") || n.opType().equals("DequantizeLinear")).count());
        assertThat(o.note()).isEqualTo("ONNX Runtime fused " + fused + " of " + (fused + left) + " Q/DQ nodes");
    }

    @Test
    void prunedVersionsMatchByNameWithTheirSparsityAndShapes() throws Exception {
        DiffReport r = diff(pruned);
        assertThat(r.matchedByName()).isEqualTo(10);
        assertThat(r.added() + r.removed() + r.matchedByStructure()).isZero();
        DiffReport.Row conv2 = r.rows().stream().filter(x -> x.nodeA().equals("/conv2/Conv")).findFirst().orElseThrow();
        assertThat(conv2.sparsityA()).isEqualTo(0.0);
        // the zeros of the pruned file's weight, counted here from its floats
        OnnxModel p = new OnnxModelReader().read(pruned);
        String w = p.graph().nodes().stream().filter(n -> n.name().equals("/conv2/Conv")).findFirst().orElseThrow().inputs().get(1);
        float[] v = p.graph().initializers().stream().filter(t -> t.name().equals(w)).findFirst().orElseThrow().toFloats();
        long zeros = 0;
        for (float x : v) zeros += x == 0 ? 1 : 0;
        assertThat(conv2.sparsityB()).isEqualTo(zeros / (double) v.length).isGreaterThan(0.05);
        assertThat(conv2.cosine()).isLessThan(1).isGreaterThan(0.9);

        DiffReport c = diff(channels);
        assertThat(c.matchedByName()).isEqualTo(10);
        DiffReport.Row narrowed = c.rows().stream().filter(x -> x.nodeA().equals("/conv2/Conv")).findFirst().orElseThrow();
        assertThat(narrowed.cosine()).isNull();
        assertThat(narrowed.remark()).isEqualTo("shapes differ: [1, 32, 14, 14] vs [1, 16, 14, 14]");
        assertThat(narrowed.bytesB()).isLessThan(narrowed.bytesA());
    }

    @Test
    void renamedGraphMatchesByStructureWithIdenticalOutputs() {
        List<Node> renamed = new ArrayList<>();
        for (Node n : original.graph().nodes()) {
            renamed.add(new Node("renamed_" + renamed.size(), n.opType(), n.domain(), n.inputs(), n.outputs(),
                    n.attributes(), n.docString()));
        }
        Graph g = original.graph();
        DiffReport r = diff(original.withGraph(new Graph(g.name(), renamed, g.inputs(), g.outputs(), g.valueInfos(),
                g.initializers(), g.docString(), g.encodedExtras())));
        assertThat(r.matchedByName()).isZero();
        assertThat(r.matchedByStructure()).isEqualTo(10);
        assertThat(r.rows()).extracting(x -> x.nodeA() + "=" + x.nodeB()).contains("/conv2/Conv=renamed_3", "/fc2/Gemm=renamed_9");
        assertThat(r.rows()).allMatch(x -> x.cosine() != null && x.cosine() > 0.999999 && x.maxAbsError() == 0.0);
        assertThat(r.rows().stream().map(DiffReport.Row::msA).collect(Collectors.toList())).doesNotContainNull();
    }
}
