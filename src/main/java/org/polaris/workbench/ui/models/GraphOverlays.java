package org.polaris.workbench.ui.models;

import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.exec.PlacementService;
import org.polaris.workbench.engine.graph.CompressionOverlay;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.graph.OverlayService;
import org.polaris.workbench.engine.graph.Overlays;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.runtime.NodeTiming;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The measurements behind the graph's overlays, made once per model and setting in the background and applied to
 * whichever graph level is shown: a profile for Time, one OpenCL-backend run for Placement, ONNX Runtime's optimized
 * graph for Compression, the Quantize/Sparsity panes' scans for Sensitivity.
 */
final class GraphOverlays {

    /** What an overlay needs to know about the model and settings it is computed for. */
    record Request(Path model, OnnxModel onnx, Overlay.Kind kind, Runtimes.Kind runtime, InputSpec input) {
    }

    private GraphOverlays() {
    }

    /** The job that measures what {@code r} needs; its result paints any level of the model. */
    static TaskRunner.Job<Function<ModelGraph, Overlay>> job(Request r) {
        return (progress, cancel) -> switch (r.kind()) {
            case NONE, SENSITIVITY, DIFF -> g -> Overlay.none();
            case TIME -> {
                List<NodeTiming> t = OverlayService.profile(r.model(), r.runtime(), r.input(), 1, progress, cancel);
                String source = OverlayService.timeSource(r.model(), r.runtime(), 1);
                yield g -> Overlays.time(g, t, source);
            }
            case PLACEMENT -> {
                PlacementService.Report p = OverlayService.place(r.model(), r.onnx(), r.input(), EngineSession.Device.AUTO,
                        progress, cancel);
                String source = OverlayService.placementSource(r.model(), EngineSession.Device.AUTO, p);
                yield g -> Overlays.placement(g, p.nodes(), source);
            }
            case COMPRESSION -> {
                progress.progress(0.1, "asking ONNX Runtime which Q/DQ nodes it fuses");
                Set<String> left = OverlayService.ortQdqTensors(r.model());
                String source = OverlayService.compressionSource(r.model(), left);
                yield g -> CompressionOverlay.of(g, g.path().isEmpty() ? left : null, source);
            }
        };
    }

    /** The Sensitivity overlay from a scan another pane recorded, or an explanation of how to get one. */
    static Function<ModelGraph, Overlay> sensitivity(Workspace workspace, Path model) {
        return workspace.sensitivity(model)
                .<Function<ModelGraph, Overlay>>map(s -> g -> Overlays.sensitivity(g, s.byLayer(), s.metric(), s.source()))
                .orElse(g -> new Overlay(Overlay.Kind.SENSITIVITY, "", java.util.Map.of(), List.of(), Set.of(), 0,
                        "no sensitivity scan of this model yet: quantize it with \"rank layers by accuracy\", or "
                                + "\"Scan layer sensitivity\" in the Sparsity pane"));
    }
}
