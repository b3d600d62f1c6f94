package org.polaris.workbench.engine.sparsity;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.io.OutputException;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pruning a model whose weights live in an external data file: the output keeps its weights beside it. */
class ExternalDataPruneIT {

    @TempDir
    Path tmp;

    /** The Fashion MLP with every weight over 1 KB moved to {@code weights.bin} beside the model. */
    private Path externalModel() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_MLP);
        Set<String> big = m.graph().initializers().stream().filter(t -> t.raw().length >= 1024).map(Tensor::name)
                .collect(Collectors.toSet());
        OnnxModelWriter.WithExternalData w = OnnxModelWriter.toBytesWithExternal(m, big, "weights.bin");
        Files.write(tmp.resolve("weights.bin"), w.data());
        return Files.write(tmp.resolve("mlp-external.onnx"), w.model());
    }

    private static Dataset data() throws Exception {
        return IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                Preprocessing.unitScale(), 200);
    }

    private PruneService.Request request(Path model, Path out) throws Exception {
        return new PruneService.Request(model, out, false, PruneMethod.parse("magnitude"), 0.5, "global", Set.of(),
                data(), new QuantEvaluator.Settings(200, 5, 2, 1, 1), out.resolveSibling(out.getFileName() + ".report.json"),
                false, 0, Allocation.Strategy.UNIFORM);
    }

    @Test
    void thePrunedModelKeepsItsWeightsInAFileBesideIt() throws Exception {
        Path model = externalModel();
        byte[] modelBefore = Files.readAllBytes(model);
        byte[] sideBefore = Files.readAllBytes(tmp.resolve("weights.bin"));
        Path out = tmp.resolve("pruned.onnx");
        PruneService.Result r = new PruneService().run(request(model, out), ProgressSink.NONE, CancellationToken.none());

        assertThat(r.externalData()).isEqualTo(tmp.resolve("pruned.onnx.data"));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("mlp-external.onnx",
                    "pruned.onnx", "pruned.onnx.data", "pruned.onnx.report.json", "weights.bin");
        }
        assertThat(Files.readAllBytes(model)).isEqualTo(modelBefore);
        assertThat(Files.readAllBytes(tmp.resolve("weights.bin"))).isEqualTo(sideBefore);
        // the written model names its side file, and its weights are not inline
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(out));
        assertThat(proto.getGraph().getInitializerList()).filteredOn(t -> t.getRawData().size() >= 1024).isEmpty();
        assertThat(proto.getGraph().getInitializerList()).filteredOn(t -> t.getExternalDataCount() > 0)
                .allSatisfy(t -> assertThat(t.getExternalDataList()).anySatisfy(e -> {
                    assertThat(e.getKey()).isEqualTo("location");
                    assertThat(e.getValue()).isEqualTo("pruned.onnx.data");
                }))
                .isNotEmpty();
        // a fresh ONNX Runtime session loads it from disk and agrees with the pruned weights read back through the
        // confined reader, and half the weights are zeros
        OnnxModel reread = new OnnxModelReader().read(out);
        long zeros = 0;
        long total = 0;
        for (Tensor t : reread.graph().initializers()) {
            if (t.rank() == 2) {
                for (float v : t.toFloats()) {
                    zeros += v == 0 ? 1 : 0;
                    total++;
                }
            }
        }
        assertThat((double) zeros / total).isBetween(0.49, 0.51);
        Tensor x = data().batch(0, 4).withName(reread.graph().feedInputs().get(0).name());
        try (OrtModelSession fromDisk = OrtModelSession.open(out, OrtModelSession.Config.singleThread(
                OrtModelSession.Optimization.ALL));
             OrtModelSession inMemory = OrtModelSession.open(OnnxModelWriter.toBytes(reread),
                     OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            Map<String, Tensor> a = fromDisk.run(Map.of(x.name(), x));
            Map<String, Tensor> b = inMemory.run(Map.of(x.name(), x));
            assertThat(a.keySet()).isEqualTo(b.keySet());
            for (String k : a.keySet()) {
                assertThat(a.get(k).toFloats()).containsExactly(b.get(k).toFloats());
            }
        }
    }

    @Test
    void theSideFileIsAnOutputLikeAnyOther() throws Exception {
        Path model = externalModel();
        Path taken = Files.writeString(tmp.resolve("pruned.onnx.data"), "user data");
        assertThatThrownBy(() -> new PruneService().run(request(model, tmp.resolve("pruned.onnx")), ProgressSink.NONE,
                CancellationToken.none())).isInstanceOf(OutputException.class).hasMessageContaining("pruned.onnx.data");
        assertThat(Files.readString(taken)).isEqualTo("user data");
        assertThat(tmp.resolve("pruned.onnx")).doesNotExist();
        // an output whose side file would be the input's own side file is refused
        Files.move(tmp.resolve("weights.bin"), tmp.resolve("w.onnx.data"));
        Path renamed = tmp.resolve("m2.onnx");
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_MLP);
        Set<String> big = m.graph().initializers().stream().filter(t -> t.raw().length >= 1024).map(Tensor::name)
                .collect(Collectors.toSet());
        OnnxModelWriter.WithExternalData w = OnnxModelWriter.toBytesWithExternal(m, big, "w.onnx.data");
        Files.write(renamed, w.model());
        byte[] side = Files.readAllBytes(tmp.resolve("w.onnx.data"));
        PruneService.Request req = request(renamed, tmp.resolve("w.onnx"));
        assertThatThrownBy(() -> new PruneService().run(new PruneService.Request(req.model(), req.output(), true,
                req.method(), req.sparsity(), req.scope(), req.exclude(), req.evaluation(), req.evalSettings(),
                req.reportPath(), false, 0, Allocation.Strategy.UNIFORM), ProgressSink.NONE, CancellationToken.none()))
                .isInstanceOf(OutputException.class).hasMessageContaining("input");
        assertThat(Files.readAllBytes(tmp.resolve("w.onnx.data"))).isEqualTo(side);
    }
}
