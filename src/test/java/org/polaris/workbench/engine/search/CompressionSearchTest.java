package org.polaris.workbench.engine.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.quant.LayerSignals;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The compression search on the bundled MLP: candidates, the skip rule, the frontier, the choice, nothing-qualifies. */
class CompressionSearchTest {

    private static IdxDataset data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        data = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"), Preprocessing.unitScale(), 2000);
    }

    private CompressionSearch.Request request(Path out, double tolerance, CompressionSearch.Objective o, SearchSpace space) {
        return new CompressionSearch.Request(TestData.FASHION_MLP, out, false, DataRef.of(data), 100, DataRef.of(data), 500,
                tolerance, o, 0, space,
                out.resolveSibling(out.getFileName() + ".json"), 1, 10);
    }

    @Test
    void tightPruningIsSkippedAfterALooserOneFailedAndTheChoiceIsTheFastestWithinTolerance() throws Exception {
        SearchSpace space = new SearchSpace(List.of(Candidate.Kind.STATIC_INT8, Candidate.Kind.PRUNE, Candidate.Kind.FP16),
                List.of(0.9, 0.8), List.of("minmax"), false, false);
        Path out = tmp.resolve("best.onnx");
        List<String> seen = new ArrayList<>();
        CompressionSearch.Report r;
        try {
            r = new CompressionSearch().run(request(out, 1.0, CompressionSearch.Objective.LATENCY, space),
                    c -> seen.add(c.id()), ProgressSink.NONE, CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            r = e.report();
        }
        assertThat(seen).containsExactly("fp16", "static-int8-minmax", "static-int8-minmax-per-tensor", "static-int8-minmax-s8",
                "prune-80", "prune-90");
        CompressionSearch.CandidateResult p80 = find(r, "prune-80");
        CompressionSearch.CandidateResult p90 = find(r, "prune-90");
        // magnitude pruning of the MLP to 80% without re-fit costs far more than a point (the issue measured 24.8)
        assertThat(p80.status()).isEqualTo(CompressionSearch.Status.EVALUATED);
        assertThat(p80.withinTolerance()).isFalse();
        assertThat(p90.status()).isEqualTo(CompressionSearch.Status.SKIPPED);
        assertThat(p90.reason()).isEqualTo("pruning less (prune-80) already lost more than the tolerance");
        assertThat(r.quality()).isEqualTo("accuracy");

        // the frontier: evaluated, and no other candidate at least as accurate and at least as fast
        for (CompressionSearch.CandidateResult c : r.candidates()) {
            if (!c.onFrontier()) continue;
            assertThat(c.status()).isEqualTo(CompressionSearch.Status.EVALUATED);
            for (CompressionSearch.CandidateResult d : r.candidates()) {
                if (d == c || d.status() != CompressionSearch.Status.EVALUATED) continue;
                assertThat(d.accuracy() >= c.accuracy() && d.speedup() >= c.speedup()
                        && (d.accuracy() > c.accuracy() || d.speedup() > c.speedup())).as(d.id() + " dominates " + c.id()).isFalse();
            }
        }
        // the choice: the fastest within the tolerance, and only if faster than the original; written iff chosen
        CompressionSearch.CandidateResult best = null;
        for (CompressionSearch.CandidateResult c : r.candidates()) {
            if (c.status() == CompressionSearch.Status.EVALUATED && c.withinTolerance() && c.speedup() > 1
                    && (best == null || c.speedup() > best.speedup())) best = c;
        }
        assertThat(r.chosen()).isEqualTo(best == null ? null : best.id());
        assertThat(Files.exists(out)).isEqualTo(best != null);
        if (best != null) assertThat(Files.size(out)).isEqualTo(best.bytes());
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("best.onnx.json").toFile());
        assertThat(json.get("candidates")).hasSize(6);
        assertThat(json.get("runner").asText()).isEqualTo("in-process, 1 thread");
    }

    @Test
    void cheapSignalsRankTheLayersAddKeptFloatCandidatesAndSkipPruningLevelsOneLayerAloneCannotAfford() throws Exception {
        SearchSpace space = new SearchSpace(List.of(Candidate.Kind.STATIC_INT8, Candidate.Kind.PRUNE), List.of(0.3, 0.8),
                List.of("minmax"), false, true, List.of(Spread.GLOBAL, Spread.UNIFORM), List.of(32),
                SearchSpace.DEFAULT.methods());
        CompressionSearch.Report r;
        try {
            r = new CompressionSearch().run(request(tmp.resolve("s.onnx"), 1.0, CompressionSearch.Objective.SIZE, space),
                    c -> { }, ProgressSink.NONE, CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            r = e.report();
        }
        CompressionSearch.Signals s = r.signals();
        assertThat(s.notes()).isEmpty();
        assertThat(s.samples()).isEqualTo(500);
        // every weighted layer measured, most sensitive first
        assertThat(s.layers()).extracting(LayerSignals.Layer::name).containsExactlyInAnyOrder("/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm");
        for (int i = 1; i < s.layers().size(); i++) {
            assertThat(s.layers().get(i).agreement()).isGreaterThanOrEqualTo(s.layers().get(i - 1).agreement());
        }
        for (LayerSignals.Layer l : s.layers()) {
            assertThat(l.agreement()).isBetween(0.9, 1.0);
            assertThat(l.sqnrDb()).isGreaterThan(20);
        }
        // one kept-float candidate per sensitive layer (at most two), each keeping the most sensitive ones
        List<String> sensitive = s.layers().stream().filter(l -> l.agreement() < 1).map(LayerSignals.Layer::name).toList();
        List<String> kept = new ArrayList<>();
        for (int k = 1; k <= Math.min(2, sensitive.size()); k++) kept.add("static-int8-minmax-keep" + k);
        List<String> ids = new ArrayList<>(List.of("static-int8-minmax", "static-int8-minmax-per-tensor", "static-int8-minmax-s8"));
        ids.addAll(kept);
        ids.addAll(List.of("prune-30", "prune-30-uniform", "prune-80", "prune-80-uniform"));
        assertThat(r.candidates()).extracting(CompressionSearch.CandidateResult::id).containsExactlyElementsOf(ids);
        for (int k = 1; k <= kept.size(); k++) {
            assertThat(find(r, "static-int8-minmax-keep" + k).settings()).endsWith("kept in float: "
                    + String.join(", ", new java.util.TreeSet<>(sensitive.subList(0, k))));
        }
        // pruning: per spread and level, the scan's worst layer decides the skip, with its numbers in the reason; for
        // one global threshold each layer is scanned at its own share of it
        assertThat(s.pruning()).extracting(p -> p.spread() + " " + p.sparsity())
                .containsExactly("global 0.3", "global 0.8", "uniform 0.3", "uniform 0.8");
        org.polaris.workbench.engine.model.OnnxModel mlp = new org.polaris.workbench.engine.model.OnnxModelReader()
                .read(TestData.FASHION_MLP);
        for (CompressionSearch.PruneSignal p : s.pruning()) {
            boolean global = p.spread() == Spread.GLOBAL;
            CompressionSearch.CandidateResult c = find(r, String.format(java.util.Locale.ROOT, "prune-%.0f%s", 100 * p.sparsity(),
                    global ? "" : "-uniform"));
            assertThat(p.score()).isEqualTo("top-1 accuracy");
            String weight = org.polaris.workbench.engine.sparsity.PruneService.targets(mlp, java.util.Set.of()).stream()
                    .filter(t -> t.node().equals(p.node())).findFirst().orElseThrow().weight();
            assertThat(p.layerSparsity()).isEqualTo(global ? org.polaris.workbench.engine.sparsity.SensitivityScan
                    .globalShares(mlp, p.sparsity()).get(weight) : p.sparsity());
            if (p.loss() > 1.0) {
                assertThat(c.status()).isEqualTo(CompressionSearch.Status.SKIPPED);
                assertThat(c.reason()).isEqualTo(String.format(java.util.Locale.ROOT, "the sensitivity scan: pruning %s alone "
                        + "to %.0f%%%s already costs %.2f points of top-1 accuracy", p.node(), 100 * p.layerSparsity(),
                        global ? String.format(java.util.Locale.ROOT, " (its share of a global %.0f%%)", 100 * p.sparsity()) : "",
                        p.loss()));
            } else {
                assertThat(c.status()).isEqualTo(CompressionSearch.Status.EVALUATED);
            }
        }
        // pruning one MLP layer alone to 80% costs more than a point (the whole model at 80% per layer loses ~25)
        assertThat(find(r, "prune-80-uniform").status()).isEqualTo(CompressionSearch.Status.SKIPPED);
        // the global shares average, weighted by size, to the global sparsity
        Map<String, Double> shares = org.polaris.workbench.engine.sparsity.SensitivityScan.globalShares(mlp, 0.8);
        double pruned = 0;
        long total = 0;
        for (org.polaris.workbench.engine.model.Tensor w : mlp.graph().initializers()) {
            Double share = shares.get(w.name());
            if (share == null) continue;
            pruned += share * w.elementCount();
            total += w.elementCount();
        }
        assertThat(shares).hasSize(3);
        assertThat(pruned / total).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void withDeviceGpuEveryCandidateIsTimedOnTheEnginesOpenClPath() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.polaris.workbench.engine.opencl.OpenCl.discover().available(),
                "no OpenCL device");
        SearchSpace space = new SearchSpace(List.of(Candidate.Kind.FP16, Candidate.Kind.STATIC_INT8), List.of(0.5),
                List.of("minmax"), false, false);
        CompressionSearch.Request cpu = request(tmp.resolve("g.onnx"), 1.0, CompressionSearch.Objective.LATENCY, space);
        CompressionSearch.Request gpu = new CompressionSearch.Request(cpu.model(), cpu.output(), false, cpu.calibration(),
                cpu.calibrationSamples(), cpu.evaluation(), cpu.evalSamples(), cpu.tolerance(), cpu.objective(), 0, space,
                cpu.report(), 1, 10, null, org.polaris.workbench.engine.exec.EngineSession.Device.GPU);
        CompressionSearch.Report r;
        try {
            r = new CompressionSearch().run(gpu, c -> { }, ProgressSink.NONE, CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            r = e.report();
        }
        assertThat(r.device()).isEqualTo("the engine on the OpenCL GPU (and 1 CPU thread)");
        assertThat(r.candidates()).extracting(CompressionSearch.CandidateResult::id)
                .containsExactly("fp16", "static-int8-minmax", "static-int8-minmax-per-tensor", "static-int8-minmax-s8");
        for (CompressionSearch.CandidateResult c : r.candidates()) {
            // the engine runs all three (fp16 storage, QDQ): each timed against the original on the same path
            assertThat(c.status()).as(c.id() + ": " + c.reason()).isEqualTo(CompressionSearch.Status.EVALUATED);
            assertThat(c.latencyMs()).isPositive();
            assertThat(c.originalLatencyMs()).isPositive();
            assertThat(c.speedupLow()).isLessThanOrEqualTo(c.speedup());
            assertThat(c.speedupHigh()).isGreaterThanOrEqualTo(c.speedup());
        }
        assertThat(new CompressionSearch.Request(cpu.model(), cpu.output(), false, null, 1, cpu.evaluation(), 1, 1,
                cpu.objective(), 0, space, null, 1, 5, null, org.polaris.workbench.engine.exec.EngineSession.Device.CPU).device())
                .isEqualTo(org.polaris.workbench.engine.exec.EngineSession.Device.CPU);
    }

    @Test
    void pruningMethodsAreFlavoursOfTheirOwnAndRunOnTheCnn() throws Exception {
        Path f = Files.writeString(tmp.resolve("methods.json"), "{\"kinds\": [\"prune\"], \"sparsities\": [0.5, 0.3], "
                + "\"methods\": [\"magnitude\", \"channel\", \"nm:2:4\"], \"refit\": false, \"signals\": false}");
        SearchSpace space = SearchSpace.read(f);
        List<Candidate> all = space.candidates(java.util.EnumSet.allOf(Candidate.Kind.class));
        assertThat(all).extracting(Candidate::id).containsExactly("prune-30", "prune-channel-30", "prune-50", "prune-channel-50",
                "prune-2of4");
        assertThat(all).extracting(c -> c.prune().scanned()).containsExactly(true, false, true, false, false);
        assertThat(all.get(4).prune().sparsity()).isEqualTo(0.5);
        // each method its own flavour: the lowest sparsity of each runs first
        assertThat(CompressionSearch.waves(all)).extracting(w -> w.stream().map(Candidate::id).toList()).containsExactly(
                List.of("prune-30", "prune-channel-30", "prune-2of4"), List.of("prune-50", "prune-channel-50"));
        CompressionSearch.Request base = request(tmp.resolve("m.onnx"), 100, CompressionSearch.Objective.SIZE, space);
        CompressionSearch.Request cnn = new CompressionSearch.Request(TestData.FASHION_CNN, base.output(), false, null, 100,
                base.evaluation(), 300, 100, CompressionSearch.Objective.SIZE, 0, new SearchSpace(List.of(Candidate.Kind.PRUNE),
                List.of(0.5), List.of("minmax"), false, false, space.allocations(), space.int4Blocks(),
                List.of(org.polaris.workbench.engine.sparsity.PruneMethod.parse("channel"),
                        org.polaris.workbench.engine.sparsity.PruneMethod.parse("nm:2:4"))), null, 1, 10, null);
        CompressionSearch.Report r = new CompressionSearch().run(cnn, c -> { }, ProgressSink.NONE, CancellationToken.none());
        assertThat(r.candidates()).extracting(CompressionSearch.CandidateResult::id).containsExactly("prune-channel-50", "prune-2of4");
        for (CompressionSearch.CandidateResult c : r.candidates()) {
            assertThat(c.status()).as(c.id() + ": " + c.reason()).isEqualTo(CompressionSearch.Status.EVALUATED);
        }
        // removing channels makes the model smaller; 2:4 zeros are stored sparse only where that is smaller
        assertThat(find(r, "prune-channel-50").sizeRatio()).isLessThan(0.6);
        assertThat(find(r, "prune-channel-50").settings()).isEqualTo("channel pruning to 50%, uniform per layer");
        assertThat(find(r, "prune-2of4").settings()).isEqualTo("nm:2:4 pruning to 50%, uniform per layer");
    }

    @Test
    void whenNothingMeetsTheToleranceNothingIsWrittenButTheReport() throws Exception {
        SearchSpace space = new SearchSpace(List.of(Candidate.Kind.PRUNE), List.of(0.8), List.of("minmax"), false, false);
        Path out = tmp.resolve("none.onnx");
        CompressionSearch.NothingQualifiesException e = assertThrows(CompressionSearch.NothingQualifiesException.class,
                () -> new CompressionSearch().run(request(out, 0.5, CompressionSearch.Objective.SIZE, space), c -> { },
                        ProgressSink.NONE, CancellationToken.none()));
        assertThat(e.getMessage()).isEqualTo("no candidate stays within 0.5 points of the original; nothing was written");
        assertThat(out).doesNotExist();
        assertThat(tmp.resolve("none.onnx.json")).exists();
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("none.onnx.json");
        }
    }

    @Test
    void aSpaceFileNarrowsTheCandidatesAndABadOneIsRefused() throws Exception {
        Path f = Files.writeString(tmp.resolve("space.json"), "{\"kinds\": [\"static-int8\", \"prune-int8\", \"int4\"], "
                + "\"sparsities\": [0.5], \"calibrations\": [\"entropy\", \"minmax\"], \"refit\": true, "
                + "\"allocations\": [\"uniform\", \"erk\"], \"int4Blocks\": [64]}");
        SearchSpace s = SearchSpace.read(f);
        assertThat(s.candidates(java.util.EnumSet.allOf(Candidate.Kind.class))).extracting(Candidate::id).containsExactly(
                "int4-b64", "static-int8-entropy", "static-int8-minmax", "static-int8-entropy-per-tensor",
                "static-int8-entropy-s8", "prune-50-uniform-refit-int8", "prune-50-erk-refit-int8");
        assertThat(s.candidates(java.util.EnumSet.allOf(Candidate.Kind.class)).get(4).describe())
                .isEqualTo("static INT8, entropy calibration, per-channel weights, signed symmetric activations");
        assertThat(s.candidates(java.util.EnumSet.allOf(Candidate.Kind.class)).get(6).describe())
                .isEqualTo("magnitude pruning to 50%, erk per layer, re-fit, then static INT8");
        // the image stem: the CNN's one-channel convolution kept in float is a candidate of its own, timed like the rest
        List<Candidate> cnn = CompressionSearch.withStemFloat(SearchSpace.DEFAULT.candidates(java.util.EnumSet.allOf(Candidate.Kind.class)),
                new org.polaris.workbench.engine.model.OnnxModelReader().read(TestData.FASHION_CNN));
        int at = cnn.stream().map(Candidate::id).toList().indexOf("static-int8-percentile-stemfloat");
        assertThat(cnn.get(at - 1).id()).isEqualTo("static-int8-percentile");
        assertThat(cnn.get(at).quant().exclude()).containsExactly("/conv1/Conv");
        assertThat(CompressionSearch.withStemFloat(List.copyOf(cnn.subList(0, 3)), new org.polaris.workbench.engine.model
                .OnnxModelReader().read(TestData.FASHION_CNN))).hasSize(3);
        Path blocks = Files.writeString(tmp.resolve("blocks.json"), "{\"int4Blocks\": [48]}");
        assertThat(assertThrows(java.io.IOException.class, () -> SearchSpace.read(blocks)).getMessage())
                .isEqualTo(blocks + ": INT4 block sizes must be powers of two from 16 to 4096, not 48");
        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"kinds\": [\"magic\"]}");
        assertThat(assertThrows(java.io.IOException.class, () -> SearchSpace.read(bad)).getMessage())
                .isEqualTo(bad + ": unknown candidate kind 'magic': use fp16, weight-int8, int4, static-int8, prune or prune-int8");
        Path level = Files.writeString(tmp.resolve("level.json"), "{\"sparsities\": [1.5]}");
        assertThat(assertThrows(java.io.IOException.class, () -> SearchSpace.read(level)).getMessage())
                .isEqualTo(level + ": sparsities must be in (0, 1), not 1.5");
    }

    @Test
    void onlyALowerSparsityOfTheSameFlavourSkipsAHigherOne() throws Exception {
        SearchSpace space = new SearchSpace(List.of(Candidate.Kind.PRUNE), List.of(0.8, 0.9), List.of("minmax"), true, false);
        CompressionSearch.Report r;
        try {
            r = new CompressionSearch().run(request(tmp.resolve("p.onnx"), 1.0, CompressionSearch.Objective.SIZE, space),
                    c -> { }, ProgressSink.NONE, CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            r = e.report();
        }
        assertThat(r.candidates()).extracting(CompressionSearch.CandidateResult::id)
                .containsExactly("prune-80", "prune-80-refit", "prune-90", "prune-90-refit");
        assertThat(find(r, "prune-90").reason()).isEqualTo("pruning less (prune-80) already lost more than the tolerance");
        CompressionSearch.CandidateResult refit90 = find(r, "prune-90-refit");
        if (find(r, "prune-80-refit").withinTolerance()) {
            assertThat(refit90.status()).isEqualTo(CompressionSearch.Status.EVALUATED);
        } else {
            assertThat(refit90.reason()).isEqualTo("pruning less (prune-80-refit) already lost more than the tolerance");
        }
    }

    private static CompressionSearch.CandidateResult find(CompressionSearch.Report r, String id) {
        return r.candidates().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }
}
