package org.polaris.workbench.ui.snn;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Slider;
import javafx.scene.control.SplitPane;
import javafx.scene.control.ToggleButton;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.util.Duration;
import org.polaris.workbench.engine.snn.LiveSimulation;
import org.polaris.workbench.ui.common.Cards;
import org.polaris.workbench.ui.common.FormGrid;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;

/**
 * The SNN pane: network and live parameters on the left; a spike raster (Canvas, the last {@link #WINDOW} steps),
 * membrane traces, population rates and, for the STDP example, the plastic weights, redrawn about 30 times a second
 * while the pane is shown.
 */
public final class SnnView extends SplitPane {

    static final int WINDOW = 1000;

    private final SnnViewModel vm;
    private final Canvas raster = new Canvas(600, 300);
    private final Canvas weights = new Canvas(200, 200);
    private final ArrayDeque<LiveSimulation.Spike> shown = new ArrayDeque<>();
    private final DoubleDataSet[] traceSets = {new DoubleDataSet("neuron 0"), new DoubleDataSet("neuron 1"), new DoubleDataSet("neuron 2")};
    private final XYChart rateChart;
    private final ErrorDataSetRenderer rateRenderer = new ErrorDataSetRenderer();
    private Object current;
    private ErrorDataSetRenderer traceRenderer;
    private long lastSeq;
    private Timeline timer;

    public SnnView(SnnViewModel vm) {
        this.vm = vm;
        Label statsTitle = new Label("Statistics");
        statsTitle.getStyleClass().add("form-heading");
        Label error = Cards.message("snnError", vm.errorProperty(), "error-text");
        VBox left = new VBox(8, new Form(vm), error, statsTitle, Cards.summary("snnStats", vm.statsCard()),
                Cards.provenance("snnConversionProvenance", vm.conversionProvenanceProperty()),
                Cards.summary("snnConversion", vm.conversionCard()));
        left.setPadding(new Insets(0, 8, 8, 8));
        ScrollPane form = new ScrollPane(left);
        form.setFitToWidth(true);
        form.setMinWidth(330);

        raster.setId("snnRaster");
        Pane rasterHolder = new Pane(raster);
        raster.widthProperty().bind(rasterHolder.widthProperty());
        raster.heightProperty().bind(rasterHolder.heightProperty());
        rasterHolder.setMinHeight(200);
        Label rasterTitle = new Label();
        rasterTitle.setId("snnRasterTitle");
        org.polaris.workbench.ui.common.Texts.copyable(rasterTitle);

        XYChart traceChart = org.polaris.workbench.ui.common.Charts.titled(new XYChart(new DefaultNumericAxis("step", null), new DefaultNumericAxis("membrane", null)));
        traceChart.setId("snnTraces");
        traceChart.setTitle("Membrane potential (second population)");
        traceChart.setAnimated(false);
        ErrorDataSetRenderer tr = new ErrorDataSetRenderer();
        tr.setDrawMarker(false);
        tr.getDatasets().addAll(traceSets);
        traceRenderer = tr;
        traceChart.getRenderers().setAll(tr);
        rateChart = org.polaris.workbench.ui.common.Charts.titled(new XYChart(new DefaultNumericAxis("step", null), new DefaultNumericAxis("Hz", null)));
        rateChart.setId("snnRates");
        rateChart.setTitle("Population rates (" + LiveSimulation.RATE_WINDOW + "-step windows)");
        rateChart.setAnimated(false);
        rateRenderer.setDrawMarker(false);
        rateChart.getRenderers().setAll(rateRenderer);
        weights.setId("snnWeights");
        Label wTitle = new Label("Plastic weights (STDP example: inputs 0-99, dark = strong)");
        VBox weightBox = new VBox(4, wTitle, weights);
        weightBox.visibleProperty().bind(vm.templateProperty().isEqualTo(LiveSimulation.Template.STDP));
        weightBox.managedProperty().bind(weightBox.visibleProperty());

        GridPane charts = new GridPane();
        charts.setHgap(6);
        charts.add(traceChart, 0, 0);
        charts.add(rateChart, 1, 0);
        charts.add(weightBox, 2, 0);
        GridPane.setHgrow(traceChart, Priority.ALWAYS);
        GridPane.setHgrow(rateChart, Priority.ALWAYS);
        VBox right = new VBox(6, rasterTitle, rasterHolder, charts);
        VBox.setVgrow(rasterHolder, Priority.ALWAYS);
        right.setPadding(new Insets(8));
        getItems().addAll(form, right);
        setDividerPositions(0.28);

        sceneProperty().addListener((o, a, scene) -> {
            vm.setVisible(scene != null);
            if (scene != null) {
                timer = new Timeline(new KeyFrame(Duration.millis(33), e -> redraw(rasterTitle)));
                timer.setCycleCount(Timeline.INDEFINITE);
                timer.play();
            } else if (timer != null) {
                timer.stop();
            }
        });
    }

    /** Pulls what is new from the simulation and redraws raster, charts and weights. */
    void redraw(Label title) {
        SnnViewModel.View view = vm.frame(lastSeq);
        if (view == null) {
            return;
        }
        if (view.sim() != current) {
            // another network: start the raster over and read it from its first spike
            current = view.sim();
            shown.clear();
            lastSeq = 0;
            view = vm.frame(0);
            rateRenderer.getDatasets().clear();
            for (String n : view.frame().populations()) rateRenderer.getDatasets().add(new DoubleDataSet(n));
        }
        LiveSimulation.Frame f = view.frame();
        List<LiveSimulation.Spike> fresh = f.spikes();
        if (!fresh.isEmpty()) {
            lastSeq = fresh.get(fresh.size() - 1).seq() + 1;
            shown.addAll(fresh);
        }
        int last = shown.isEmpty() ? 0 : shown.peekLast().step();
        while (!shown.isEmpty() && shown.peekFirst().step() < last - WINDOW) shown.pollFirst();
        long t0 = System.nanoTime();
        drawRaster(f, last);
        double frameMs = (System.nanoTime() - t0) / 1e6;
        title.setText(String.format(Locale.ROOT, "Spike raster, last %d steps: %d spikes shown (drawn in %.1f ms); rows: %s",
                WINDOW, shown.size(), frameMs, String.join(", ", f.populations())));
        int distinct = f.traced().length;
        for (int k = 0; k < distinct; k++) {
            double[][] t = f.traces().get(k);
            traceSets[k].set(t[0], t[1]);
            traceSets[k].setName("neuron " + f.traced()[k]);
        }
        if (traceRenderer.getDatasets().size() != distinct) {
            traceRenderer.getDatasets().setAll(java.util.Arrays.asList(traceSets).subList(0, distinct));
        }
        for (int p = 0; p < rateRenderer.getDatasets().size() && p < f.rates().size(); p++) {
            double[][] r = f.rates().get(p);
            ((DoubleDataSet) rateRenderer.getDatasets().get(p)).set(r[0], r[1]);
        }
        drawWeights(f.weights());
        vm.refreshStats();
    }

    private int[] pixels = new int[0];

    /**
     * Draws the raster into a pixel buffer and hands it to the canvas in one call: one array write per spike instead
     * of one fill per spike, so the cost stays flat as the spike count grows.
     */
    private void drawRaster(LiveSimulation.Frame sim, int last) {
        int w = Math.max(1, (int) raster.getWidth());
        int h = Math.max(1, (int) raster.getHeight());
        if (pixels.length != w * h) pixels = new int[w * h];
        java.util.Arrays.fill(pixels, 0xFFFFFFFF);
        int rows = Math.max(1, sim.rows());
        for (int o : sim.rowOffsets()) {
            int y = Math.min(h - 1, (int) ((long) h * o / rows));
            java.util.Arrays.fill(pixels, y * w, y * w + w, 0xFFD3D3D3);
        }
        int dx = Math.max(1, w / WINDOW);
        int dy = Math.max(1, h / rows);
        for (LiveSimulation.Spike s : shown) {
            int x = w - (int) ((long) (last - s.step() + 1) * w / WINDOW);
            int y = (int) ((long) h * s.row() / rows);
            for (int yy = y; yy < Math.min(h, y + dy); yy++) {
                for (int xx = Math.max(0, x); xx < Math.min(w, x + dx); xx++) pixels[yy * w + xx] = 0xFF142878;
            }
        }
        raster.getGraphicsContext2D().getPixelWriter().setPixels(0, 0, w, h,
                javafx.scene.image.PixelFormat.getIntArgbInstance(), pixels, 0, w);
    }

    private void drawWeights(float[] w) {
        GraphicsContext g = weights.getGraphicsContext2D();
        g.clearRect(0, 0, weights.getWidth(), weights.getHeight());
        if (w.length == 0) return;
        int side = (int) Math.ceil(Math.sqrt(w.length));
        double c = weights.getWidth() / side;
        for (int i = 0; i < w.length; i++) {
            g.setFill(Color.gray(Math.max(0, Math.min(1, 1 - w[i]))));
            g.fillRect((i % side) * c, (i / side) * c, c - 1, c - 1);
        }
    }

    private static final class Form extends FormGrid {
        Form(SnnViewModel vm) {
            heading("Network");
            ChoiceBox<LiveSimulation.Template> t = new ChoiceBox<>();
            t.setId("snnTemplate");
            t.getItems().addAll(LiveSimulation.Template.values());
            t.valueProperty().bindBidirectional(vm.templateProperty());
            t.setConverter(new javafx.util.StringConverter<>() {
                @Override
                public String toString(LiveSimulation.Template x) {
                    return x == null ? "" : switch (x) {
                        case STDP -> "STDP: learn a repeated pattern";
                        case CONVERTED -> "converted model (Models pane)";
                        default -> "input -> LIF hidden -> 10 outputs";
                    };
                }

                @Override
                public LiveSimulation.Template fromString(String s) {
                    throw new UnsupportedOperationException();
                }
            });
            add("Template", t);
            add("Hidden", spinner(vm.hiddenProperty(), 10, 100_000));
            javafx.beans.binding.BooleanBinding conv = vm.templateProperty().isEqualTo(LiveSimulation.Template.CONVERTED);
            Label dataLabel = new Label();
            dataLabel.setId("snnDataLabel");
            dataLabel.textProperty().bind(Bindings.createStringBinding(() -> vm.dataProperty().get() == null ? "(no data)"
                    : vm.dataProperty().get().getFileName().toString(), vm.dataProperty()));
            Button data = new Button("IDX file…");
            data.setId("snnData");
            data.setOnAction(e -> vm.chooseData());
            Button folder = new Button("Image folder…");
            folder.setOnAction(e -> vm.chooseData(true));
            Button next = new Button("Next image");
            next.setId("snnNext");
            next.setOnAction(e -> vm.sampleIndexProperty().set(vm.sampleIndexProperty().get() + 1));
            Button eval = new Button("Accuracy vs steps");
            eval.setId("snnEvaluate");
            eval.setOnAction(e -> vm.evaluateConversion());
            ChoiceBox<String> enc = new ChoiceBox<>();
            enc.setId("snnEncoding");
            enc.getItems().addAll("rate", "poisson", "latency");
            enc.valueProperty().bindBidirectional(vm.encodingProperty());
            javafx.scene.control.ComboBox<java.nio.file.Path> model = org.polaris.workbench.ui.common.ModelChooser.create(
                    vm.models(), vm.modelProperty(), vm::selectModel, "snnModel");
            VBox convBox = new VBox(4, new Label("Converted model (a ReLU MLP) and data for normalization and display"),
                    model, new HBox(6, data, folder), dataLabel, new HBox(6, new Label("coding"), enc), new HBox(6, next, eval));
            convBox.visibleProperty().bind(conv);
            convBox.managedProperty().bind(conv);
            add("", convBox);
            Button run = new Button("Run");
            run.setId("snnRun");
            run.setOnAction(e -> vm.run());
            ToggleButton pause = new ToggleButton("Pause");
            pause.setId("snnPause");
            pause.selectedProperty().bindBidirectional(vm.pausedProperty());
            pause.disableProperty().bind(vm.runningProperty().not());
            Button step = new Button("Step");
            step.setId("snnStep");
            step.setOnAction(e -> vm.step());
            step.disableProperty().bind(vm.runningProperty().and(vm.pausedProperty().not()));
            Button reset = new Button("Reset");
            reset.setId("snnReset");
            reset.setOnAction(e -> vm.reset());
            for (javafx.scene.control.Control b : new javafx.scene.control.Control[] {run, pause, step, reset}) {
                b.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
            }
            add("", new HBox(6, run, pause, step, reset));
            javafx.scene.control.CheckBox cl = new javafx.scene.control.CheckBox("neuron updates on OpenCL");
            cl.setId("snnOpenCl");
            cl.selectedProperty().bindBidirectional(vm.openClProperty());
            add("Device", cl);
            add("Trace from", spinner(vm.tracedNeuronProperty(), 0, 100_000));
            Button export = new Button("Export CSV…");
            export.setId("snnExport");
            export.setOnAction(e -> vm.exportCsv());
            add("", export);
            heading("Live parameters");
            add("tau (ms)", slider(vm.tauProperty(), 2, 100, "snnTau"));
            add("threshold", slider(vm.thresholdProperty(), 0.2, 20, "snnThreshold"));
            add("input (Hz)", slider(vm.inputHzProperty(), 1, 200, "snnInput"));
            HBox stdp = slider(vm.stdpRateProperty(), 0, 0.05, "snnStdpRate");
            stdp.visibleProperty().bind(vm.templateProperty().isEqualTo(LiveSimulation.Template.STDP));
            add("STDP A+", stdp);
            Slider sp = new Slider(1, 100, vm.speedProperty().get());
            sp.valueProperty().addListener((o, a, b) -> vm.speedProperty().set(b.intValue()));
            Label spl = new Label();
            spl.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
            spl.textProperty().bind(Bindings.createStringBinding(() -> vm.speedProperty().get() * 50 + " steps/s",
                    vm.speedProperty()));
            add("speed", new HBox(6, sp, spl));
        }

        private static HBox slider(javafx.beans.property.DoubleProperty p, double min, double max, String id) {
            Slider s = new Slider(min, max, p.get());
            s.setId(id);
            s.valueProperty().bindBidirectional(p);
            Label v = new Label();
            v.textProperty().bind(Bindings.createStringBinding(() -> String.format(Locale.ROOT, "%.2f", p.get()), p));
            return new HBox(6, s, v);
        }
    }
}
