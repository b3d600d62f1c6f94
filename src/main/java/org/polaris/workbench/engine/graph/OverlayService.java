package org.polaris.workbench.engine.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.exec.PlacementService;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.WireScan;
import org.polaris.workbench.engine.onnx.OrtOptimizedGraph;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Computes overlays from real runs: the Time overlay from a profile ({@code profile}'s method), Placement from one
 * engine run with the OpenCL backend, Compression from the model file and ONNX Runtime's optimized graph, Sensitivity
 * from a quantize report. The CLI's {@code graph} and the graph view both call it.
 */
public final class OverlayService {

    /** A quantize report over this size is not read (reports are a few KB per layer). */
    static final long MAX_REPORT_BYTES = 64L << 20;

    private OverlayService() {
    }

    public static Overlay time(Path model, ModelGraph g, Runtimes.Kind runtime, InputSpec input, int threads,
                               ProgressSink progress, CancellationToken cancel) throws Exception {
        List<NodeTiming> t = new InferenceService().profile(model, runtime, input, threads, progress, cancel);
        String source = String.format(Locale.ROOT, "%s profile of %s, %d thread%s, median of %d runs",
                runtime == Runtimes.Kind.ORT ? "ONNX Runtime" : "engine", model.getFileName(), threads, threads == 1 ? "" : "s",
                InferenceService.PROFILE_RUNS);
        return Overlays.time(g, t, source);
    }

    public static Overlay placement(Path model, OnnxModel m, ModelGraph g, InputSpec input, EngineSession.Device device,
                                    ProgressSink progress, CancellationToken cancel) throws Exception {
        var sample = input.sample(m);
        PlacementService.Report r = PlacementService.place(model, m, sample.feeds(), device, progress, cancel);
        String source = "engine placement of " + model.getFileName() + " (" + device.name().toLowerCase(Locale.ROOT) + ") on "
                + (r.device() == null ? "the CPU" : r.device());
        return Overlays.placement(g, r.nodes(), source);
    }

    /** Compression as stored in the file; Q/DQ fusion from ONNX Runtime's optimized graph where it loads. */
    public static Overlay compression(Path model, ModelGraph g) {
        Set<String> names;
        try {
            // the tensors Q/DQ nodes still compute there: quantizers often leave Q/DQ nodes unnamed (their outputs are
            // unique), and a fused kernel may keep the name of the Q output it replaced
            names = OrtOptimizedGraph.nodes(model).stream()
                    .filter(h -> h.opType().equals("QuantizeLinear") || h.opType().equals("DequantizeLinear"))
                    .flatMap(h -> h.outputs().stream()).collect(Collectors.toSet());
        } catch (ModelLoadException e) {
            names = null;
        }
        return CompressionOverlay.of(g, g.path().isEmpty() ? names : null, "weights of " + model.getFileName()
                + (names == null ? "" : "; Q/DQ fusion from ONNX Runtime's extended optimization"));
    }

    /**
     * Per-layer output change (1 - mean cosine) from a quantize report's sensitivity scan ({@code quantize
     * --sensitivity S --report R.json}).
     *
     * @throws IOException when the report cannot be read or has no sensitivity scan
     */
    public static Overlay sensitivity(ModelGraph g, Path report) throws IOException {
        if (Files.size(report) > MAX_REPORT_BYTES) throw new IOException(report + ": over " + (MAX_REPORT_BYTES >> 20) + " MB");
        JsonNode root = new ObjectMapper().readTree(report.toFile());
        Map<String, Double> byLayer = new LinkedHashMap<>();
        for (JsonNode l : root.path("layers")) {
            JsonNode s = l.path("sensitivity");
            if (s.has("cosine")) byLayer.put(l.path("name").asText(), 1 - s.path("cosine").asDouble());
        }
        if (byLayer.isEmpty()) {
            throw new IOException(report + ": no per-layer sensitivity (run quantize with --sensitivity SECONDS --report)");
        }
        return sensitivity(g, byLayer, report.getFileName().toString());
    }

    /** @param byLayer layer (node) name to output change, 1 - mean cosine */
    public static Overlay sensitivity(ModelGraph g, Map<String, Double> byLayer, String from) {
        return Overlays.sensitivity(g, byLayer, "output change when quantized alone (1 - cosine)",
                "quantization sensitivity from " + from);
    }
}
