package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.graph.GraphLayout;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.GraphSvg;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.graph.OverlayService;
import org.polaris.workbench.engine.graph.ShapeTrace;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code polaris-workbench graph}: the graph view's layout and overlays, headless, written as SVG. */
@Command(name = "graph", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lay out a model's graph as the Models pane's graph view does (Eclipse ELK, layered), optionally "
                + "with an overlay computed from a real run, and write it as SVG.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:laid out (and written)", "2:usage error or an output the tool will not write",
                "3:unreadable or invalid model", "5:the engine lacks an op the model uses (time, placement)",
                "8:the SVG could not be written"})
public final class GraphCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.svg", description = "write the view as SVG")
    Path output;

    @Option(names = "--force", description = "replace OUT.svg if it exists")
    boolean force;

    @Option(names = "--overlay", defaultValue = "none", paramLabel = "none|time|compression|placement|sensitivity",
            description = "time: a profile (--runtime, --threads); compression: weight precision, zeros and Q/DQ fusion; "
                    + "placement: one engine run with --device; sensitivity: from --sensitivity-report")
    String overlay;

    @Option(names = "--subgraph", paramLabel = "NODE[@ATTR]", description = "show the subgraph of NODE (its attribute "
            + "ATTR, default the first); repeat to go deeper")
    List<String> subgraph = new ArrayList<>();

    @Option(names = "--runtime", defaultValue = "engine", paramLabel = "engine|ort", description = "time overlay: whose profile")
    String runtime;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N")
    int threads;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "gpu|auto", description = "placement overlay: "
            + "gpu runs every node OpenCL supports on the device, auto places by measured cost (default)")
    String device;

    @Option(names = "--sensitivity-report", paramLabel = "R.json", description = "a quantize report with a sensitivity "
            + "scan (quantize --sensitivity SECONDS --report R.json)")
    Path sensitivityReport;

    @Option(names = "--shapes", defaultValue = "run", paramLabel = "run|declared", description = "edge shapes: run "
            + "(default) resolves every tensor's shape by one engine run on the input options' input; declared: only "
            + "what the file declares")
    String shapes;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    InputOptions input = new InputOptions();

    /** What {@code --json} prints. */
    public record GraphReport(String model, List<String> path, int operators, int operatorsAllLevels, int boxes, int edges,
                              int subgraphs, long layoutMillis, double width, double height, Overlay overlay) {
    }

    @Override
    public Integer call() throws Exception {
        Overlay.Kind kind = kind(overlay);
        if (kind == Overlay.Kind.SENSITIVITY && sensitivityReport == null) {
            throw new CliException("--overlay sensitivity needs --sensitivity-report R.json", 2);
        }
        OutputPolicy policy = OutputPolicy.of(force, model, sensitivityReport);
        if (output != null) policy.preflight(output);
        if (!shapes.equals("run") && !shapes.equals("declared")) {
            throw new CliException("--shapes must be run or declared, not '" + shapes + "'", 2);
        }
        OnnxModel m = new OnnxModelReader().read(model);
        Map<String, String> resolved = Map.of();
        if (shapes.equals("run")) {
            try (EnginePool pool = new EnginePool(threads)) {
                resolved = ShapeTrace.resolve(m, input.spec().sample(m).feeds(), pool);
            } catch (DataException | IllegalArgumentException e) {
                throw new CliException(e.getMessage(), 2);
            }
        }
        ModelGraph g = level(ModelGraph.of(m.graph(), resolved));
        GraphLayout layout = GraphLayout.of(g, CancellationToken.none());
        Overlay o = overlay(kind, m, g);
        var out = spec.commandLine().getOut();
        int subs = g.nodes().stream().mapToInt(n -> n.subgraphs().size()).sum();
        int ops = (int) g.nodes().stream().filter(GraphNode::isOperator).count();
        if (output != null) {
            try (OutputSet set = new OutputSet(policy)) {
                set.write(output, GraphSvg.write(g, layout, o).getBytes(StandardCharsets.UTF_8));
                set.commit();
            }
        }
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(new GraphReport(
                    model.toString(), g.path(), ops, g.operatorCount(), g.nodes().size(), g.edges().size(), subs,
                    layout.millis(), layout.width(), layout.height(), o)));
        } else {
            out.printf(Locale.ROOT, "%s%s: %d operators (%d with subgraphs), %d boxes, %d edges, %d subgraphs; "
                            + "layout %d ms (ELK layered), %.0f x %.0f px%n", model.getFileName(),
                    g.path().isEmpty() ? "" : " " + String.join(" > ", g.path()), ops, g.operatorCount(), g.nodes().size(),
                    g.edges().size(), subs, layout.millis(), layout.width(), layout.height());
            if (kind != Overlay.Kind.NONE) {
                out.printf("%s overlay: %s%n", o.kind().label(), o.source());
                if (!o.note().isEmpty()) out.printf("  %s%n", o.note());
                o.legend().forEach(e -> out.printf(Locale.ROOT, "  #%06x  %s%n", e.rgb(), e.label()));
            }
            if (output != null) out.printf("Wrote %s%n", output);
        }
        out.flush();
        return 0;
    }

    private EngineSession.Device placementDevice() throws CliException {
        var d = EngineSession.Device.parse(device);
        if (d == EngineSession.Device.CPU) {
            throw new CliException("--device for the placement overlay is gpu or auto", 2);
        }
        return d;
    }

    private static Overlay.Kind kind(String s) throws CliException {
        try {
            Overlay.Kind k = Overlay.Kind.valueOf(s.trim().toUpperCase(Locale.ROOT));
            if (!Overlay.selectable().contains(k)) throw new IllegalArgumentException(s);
            return k;
        } catch (IllegalArgumentException e) {
            throw new CliException("--overlay must be none, time, compression, placement or sensitivity, not '" + s + "'", 2);
        }
    }

    /** The level --subgraph names, walking down from the main graph. */
    private ModelGraph level(ModelGraph g) throws CliException {
        for (String step : subgraph) {
            int at = step.lastIndexOf('@');
            String node = at < 0 ? step : step.substring(0, at);
            String attr = at < 0 ? null : step.substring(at + 1);
            ModelGraph cur = g;
            GraphNode n = cur.nodes().stream().filter(x -> x.id().equals(node) || x.name().equals(node)).findFirst()
                    .orElseThrow(() -> new CliException("--subgraph: no node '" + node + "' in " + title(cur), 2));
            if (n.subgraphs().isEmpty()) throw new CliException("--subgraph: node '" + node + "' has no subgraph", 2);
            g = n.subgraphs().stream().filter(s -> attr == null || s.attribute().equals(attr)).findFirst()
                    .orElseThrow(() -> new CliException("--subgraph: node '" + node + "' has no subgraph '" + attr + "' (it has "
                            + n.subgraphs().stream().map(GraphNode.Subgraph::attribute).toList() + ")", 2)).graph();
        }
        return g;
    }

    private String title(ModelGraph g) {
        return g.path().isEmpty() ? model.getFileName().toString() : String.join(" > ", g.path());
    }

    private Overlay overlay(Overlay.Kind kind, OnnxModel m, ModelGraph g) throws Exception {
        try {
            return switch (kind) {
                case NONE, DIFF -> Overlay.none();
                case TIME -> OverlayService.time(model, g, CliSupport.runtime(runtime), input.spec(), threads,
                        ProgressSink.NONE, CancellationToken.none());
                case COMPRESSION -> OverlayService.compression(model, g);
                case PLACEMENT -> OverlayService.placement(model, m, g, input.spec(), placementDevice(),
                        ProgressSink.NONE, CancellationToken.none());
                case SENSITIVITY -> OverlayService.sensitivity(g, sensitivityReport);
            };
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        } catch (IOException e) {
            throw new CliException(String.valueOf(e.getMessage()), 2);
        }
    }
}
