package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtSessions;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** One convolution checked against ONNX Runtime, for the tests of the engine's convolution paths. */
final class ConvAgainstOrt {

    private ConvAgainstOrt() {
    }

    /**
     * A model of one Conv with a bias and the given attributes, followed by a Relu (folded into the convolution at
     * load), on Gaussian input and weights: run on ONNX Runtime, then on the engine on 1 and 2 threads, twice each
     * (the second run takes the session's kept weight forms and recycled arrays); every output within 1e-4, relative
     * above 1.
     */
    static void assertMatches(String label, long[] xShape, long[] wShape, List<Attribute> attrs, Random r)
            throws Exception {
        long m = wShape[0];
        Graph g = new Graph("g", List.of(
                new Node("conv", "Conv", "", List.of("x", "w", "b"), List.of("c"), attrs, ""),
                new Node("relu", "Relu", "", List.of("c"), List.of("y"), List.of(), "")),
                List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, java.util.Arrays.stream(xShape)
                        .mapToObj(Dim::of).toList()), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(),
                List.of(Tensor.ofFloats("w", wShape, gaussian(r, (int) Tensor.elementCount(wShape))),
                        Tensor.ofFloats("b", new long[] {m}, gaussian(r, (int) m))), "", null);
        OnnxModel model = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", xShape,
                gaussian(r, (int) Tensor.elementCount(xShape))));
        Tensor expected = OrtSessions.run(OnnxModelWriter.toBytes(model), feeds).get("y");
        float[] e = expected.toFloats();
        for (int threads : new int[] {1, 2}) {
            try (EnginePool pool = new EnginePool(threads)) {
                EngineSession session = EngineSession.load(model, pool);
                for (int run = 0; run < 2; run++) {
                    Tensor got = session.run(feeds, false).get("y");
                    assertThat(got.dims()).as(label).containsExactly(expected.dims());
                    float[] a = got.toFloats();
                    for (int i = 0; i < e.length; i++) {
                        assertThat(a[i]).as("%s on %d thread(s), element %d", label, threads, i)
                                .isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(e[i]))));
                    }
                }
            }
        }
    }

    static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, v, "", "");
    }

    static Attribute string(String name, String v) {
        return new Attribute(name, Attribute.Type.STRING, v.getBytes(java.nio.charset.StandardCharsets.UTF_8), "", "");
    }

    static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
