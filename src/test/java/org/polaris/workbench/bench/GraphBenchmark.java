package org.polaris.workbench.bench;

import javafx.animation.AnimationTimer;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.polaris.workbench.engine.graph.GraphLayout;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.ui.common.GraphCanvas;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./mvnw -q test-compile exec:exec@bench-graph} rewrites the graph-view section of docs/benchmarks.md: the ELK
 * layout time of every corpus model (the full corpus from {@code bench-corpus} / {@code make_corpus_models.py full},
 * the samples, and the conformance If/Loop/Scan models), and the frame timing of a scripted pan and zoom over the
 * largest ones in the graph view's canvas, one step per JavaFX pulse, in the headless Monocle window the TestFX
 * tests use.
 */
public final class GraphBenchmark {

    private static final String[] CORPUS = {"ssdlite320_mobilenet_v3", "fasterrcnn_mobilenet_v3_320_fpn", "convnext_tiny",
            "shufflenet_v2_x0_5", "efficientnet_b0", "regnet_y_400mf", "deeplabv3_mobilenet_v3", "lraspp_mobilenet_v3",
            "transformer_encoder", "mobilenet_v3_small", "resnet18", "lstm_state", "gru_state", "two_inputs", "residual_cnn"};
    private static final String[] FRAMES = {"ssdlite320_mobilenet_v3", "fasterrcnn_mobilenet_v3_320_fpn", "convnext_tiny"};
    private static final int STEPS = 60;

    private GraphBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Path> models = new ArrayList<>();
        for (String c : CORPUS) models.add(Path.of("target/corpus-models").resolve(c + ".onnx"));
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        models.add(samples.resolve("fashion-mnist/fashion_cnn.onnx"));
        models.add(samples.resolve("zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx"));
        for (String t : new String[] {"test_if", "test_loop11", "test_scan9_sum"}) {
            models.add(Path.of("/usr/share/libonnx-testdata/data/node").resolve(t).resolve("model.onnx"));
        }
        // ELK's first layout loads and compiles its classes: warm it on a model the table does not time first
        GraphLayout.of(ModelGraph.of(new OnnxModelReader().read(samples.resolve("fashion-mnist/fashion_mlp.onnx")).graph()),
                CancellationToken.none());
        StringBuilder doc = new StringBuilder("## Graph view: layout and frame timing\n\n");
        doc.append("Machine: ").append(BenchDoc.machine()).append(". Command: `./mvnw -q test-compile exec:exec@bench-graph`.\n\n");
        doc.append("Layout: Eclipse ELK 0.10 layered (top to bottom, orthogonal edges) of the main graph as the Models pane's "
                + "graph tab draws it (weights and Constant nodes folded into their consumers); first = the first layout of "
                + "that model in this JVM (after ELK itself was warmed on another model), warm = median of 5 more; "
                + "subgraphs = all If/Loop/Scan bodies laid out once each. Target: under 2 s.\n\n");
        doc.append("| model | operators (all levels) | boxes | edges | subgraphs | build ms | layout ms, first | warm | subgraphs ms |\n");
        doc.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        long worst = 0;
        String worstModel = "";
        for (Path p : models) {
            String name = p.getParent().getFileName().toString().startsWith("test_") ? p.getParent().getFileName() + "/model.onnx"
                    : p.getFileName().toString();
            if (!Files.exists(p)) {
                doc.append("| ").append(name).append(" | missing: `python3 src/bench/python/make_corpus_models.py target/corpus-models full` | | | | | | | |\n");
                continue;
            }
            OnnxModel m = new OnnxModelReader().read(p);
            long t0 = System.nanoTime();
            ModelGraph g = ModelGraph.of(m.graph());
            long build = System.nanoTime() - t0;
            long first = time(g);
            long[] warm = new long[5];
            for (int i = 0; i < warm.length; i++) warm[i] = time(g);
            Arrays.sort(warm);
            long subs = 0;
            int levels = 0;
            for (ModelGraph s : nested(g)) {
                subs += time(s);
                levels++;
            }
            if (first + subs > worst) {
                worst = first + subs;
                worstModel = name;
            }
            doc.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %.1f | %.0f | %.0f | %s |%n", name, g.operatorCount(),
                    g.nodes().size(), g.edges().size(), levels, build / 1e6, first / 1e6, warm[2] / 1e6,
                    levels == 0 ? "" : String.format(Locale.ROOT, "%.0f", subs / 1e6)));
            System.out.println(name + ": layout " + first / 1_000_000 + " ms");
        }
        doc.append(String.format(Locale.ROOT, "%nSlowest: %s, %.0f ms for its main graph and every subgraph.%n%n", worstModel, worst / 1e6));
        doc.append(frames(models));
        BenchDoc.replaceSection("graph", doc.toString());
        Platform.exit();
        System.exit(0);
    }

    private static long time(ModelGraph g) {
        long t0 = System.nanoTime();
        GraphLayout.of(g, CancellationToken.none());
        return System.nanoTime() - t0;
    }

    private static List<ModelGraph> nested(ModelGraph g) {
        List<ModelGraph> out = new ArrayList<>();
        for (GraphNode n : g.nodes()) {
            for (GraphNode.Subgraph s : n.subgraphs()) {
                out.add(s.graph());
                out.addAll(nested(s.graph()));
            }
        }
        return out;
    }

    /**
     * A scripted pan and zoom, one step per pulse: from the whole graph in view zoom in to 100 % around the centre,
     * pan down 20 px per step, zoom back out. Per step: the canvas redraw (the view's drawing code), and the interval
     * between pulses (what the user sees: 16.7 ms is 60 fps).
     */
    private static String frames(List<Path> models) throws Exception {
        System.setProperty("glass.platform", System.getProperty("glass.platform", "Monocle"));
        System.setProperty("monocle.platform", System.getProperty("monocle.platform", "Headless"));
        System.setProperty("prism.order", System.getProperty("prism.order", "sw"));
        CompletableFuture<Void> up = new CompletableFuture<>();
        Platform.startup(() -> up.complete(null));
        up.get(30, TimeUnit.SECONDS);
        Platform.setImplicitExit(false); // closing one model's window must not end the toolkit
        StringBuilder t = new StringBuilder("Frame timing: the graph view's canvas in a 1280 x 800 headless Monocle window "
                + "(software rendering, as in the TestFX tests), " + 3 * STEPS + " steps of pan and zoom, one per pulse: zoom "
                + "in from the whole graph to 100 %, pan down 20 px per step, zoom out again. Redraw = the canvas' own drawing "
                + "per step; frame = the interval between pulses (16.7 ms is 60 fps).\n\n");
        t.append("| model | boxes | redraw ms, median | p95 | max | frame ms, median | p95 | frames per second (median) |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String name : FRAMES) {
            Path p = models.stream().filter(m -> m.getFileName().toString().equals(name + ".onnx")).findFirst().orElseThrow();
            if (!Files.exists(p)) {
                t.append("| ").append(name).append(" | missing | | | | | | |\n");
                continue;
            }
            ModelGraph g = ModelGraph.of(new OnnxModelReader().read(p).graph());
            GraphLayout l = GraphLayout.of(g, CancellationToken.none());
            double[][] r = run(g, l);
            double[] redraw = r[0];
            double[] frame = r[1];
            Arrays.sort(redraw);
            Arrays.sort(frame);
            t.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1f | %.1f | %.0f |%n", name + ".onnx",
                    g.nodes().size(), pct(redraw, 50), pct(redraw, 95), redraw[redraw.length - 1], pct(frame, 50),
                    pct(frame, 95), 1000 / pct(frame, 50)));
            System.out.println(name + ": redraw p95 " + pct(redraw, 95) + " ms, frame median " + pct(frame, 50) + " ms");
        }
        return t.toString();
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
    }

    private static double[][] run(ModelGraph g, GraphLayout l) throws Exception {
        CompletableFuture<double[][]> done = new CompletableFuture<>();
        Platform.runLater(() -> {
            Stage stage = new Stage();
            GraphCanvas c = new GraphCanvas();
            stage.setScene(new Scene(c, 1280, 800));
            stage.show();
            c.show(g, l);
            c.fit();
            double zoomIn = Math.pow(1 / c.scale(), 1.0 / STEPS);
            double[] redraw = new double[3 * STEPS];
            double[] frame = new double[3 * STEPS];
            new AnimationTimer() {
                private long last;
                private int step = -10; // settle for ten pulses first

                @Override
                public void handle(long now) {
                    if (step >= 0 && step < frame.length) frame[step] = (now - last) / 1e6;
                    last = now;
                    step++;
                    if (step <= 0) return;
                    if (step > frame.length) {
                        stop();
                        stage.close();
                        done.complete(new double[][] {redraw, frame});
                        return;
                    }
                    int s = step - 1;
                    if (s < STEPS) c.zoomAt(zoomIn, 640, 400);
                    else if (s < 2 * STEPS) c.panBy(0, -20);
                    else c.zoomAt(1 / zoomIn, 640, 400);
                    redraw[s] = c.frameMillis(1)[0];
                }
            }.start();
        });
        return done.get(5, TimeUnit.MINUTES);
    }
}
