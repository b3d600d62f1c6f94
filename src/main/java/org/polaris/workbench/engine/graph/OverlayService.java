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
        return Overlays.time(g, profile(model, runtime, input, threads, progress, cancel), timeSource(model, runtime, threads));
    }

    /** Per-node times as {@code profile} measures them (a time-based warm-up, then the median of its runs). */
    public static List<NodeTiming> profile(Path model, Runtimes.Kind runtime, InputSpec input, int threads,
                                           ProgressSink progress, CancellationToken cancel) throws Exception {
        return new InferenceService().profile(model, runtime, input, threads, progress, cancel);
    }

    public static String timeSource(Path model, Runtimes.Kind runtime, int threads) {
        return String.format(Locale.ROOT, "%s profile of %s, %d thread%s, median of %d runs",
                runtime == Runtimes.Kind.ORT ? "ONNX Runtime" : "engine", model.getFileName(), threads, threads == 1 ? "" : "s",
                InferenceService.PROFILE_RUNS);
    }

    public static Overlay placement(Path model, OnnxModel m, ModelGraph g, InputSpec input, EngineSession.Device device,
                                    ProgressSink progress, CancellationToken cancel) throws Exception {
        PlacementService.Report r = place(model, m, input, device, progress, cancel);
        return Overlays.placement(g, r.nodes(), placementSource(model, device, r));
    }

    /** One engine run with the OpenCL backend in {@code device} mode: where each node ran and why. */
    public static PlacementService.Report place(Path model, OnnxModel m, InputSpec input, EngineSession.Device device,
                                                ProgressSink progress, CancellationToken cancel) throws Exception {
        return PlacementService.place(model, m, input.sample(m).feeds(), device, progress, cancel);
    }

    public static String placementSource(Path model, EngineSession.Device device, PlacementService.Report r) {
        return "engine placement of " + model.getFileName() + " (" + device.name().toLowerCase(Locale.ROOT) + ") on "
                + (r.device() == null ? "the CPU" : r.device());
    }

    /** Compression as stored in the file; Q/DQ fusion from ONNX Runtime's optimized graph where it loads. */
    public static Overlay compression(Path model, ModelGraph g) {
        Set<String> left = ortQdqTensors(model);
        return CompressionOverlay.of(g, g.path().isEmpty() ? left : null, compressionSource(model, left));
    }

    public static String compressionSource(Path model, Set<String> ortQdqTensors) {
        return "weights of " + model.getFileName()
                + (ortQdqTensors == null ? "" : "; Q/DQ fusion from ONNX Runtime's extended optimization");
    }

    /**
     * The tensors Q/DQ nodes still compute in ONNX Runtime's optimized graph (quantizers often leave Q/DQ nodes unnamed;
     * their outputs are unique, and a fused kernel may keep the name of the Q output it replaced), or null when ONNX
     * Runtime cannot load the model.
     */
    public static Set<String> ortQdqTensors(Path model) {
        try {
            return OrtOptimizedGraph.nodes(model).stream()
                    .filter(h -> h.opType().equals("QuantizeLinear") || h.opType().equals("DequantizeLinear"))
                    .flatMap(h -> h.outputs().stream()).collect(Collectors.toSet());
        } catch (ModelLoadException e) {
            return null;
        }
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
        return Overlays.sensitivity(g, byLayer, "output change when quantized alone (1 - cosine)",
                "quantization sensitivity from " + report.getFileName());
    }
}
