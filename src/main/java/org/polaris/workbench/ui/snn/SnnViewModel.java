package org.polaris.workbench.ui.snn;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.snn.SimulationService;
import org.polaris.workbench.engine.snn.LiveSimulation;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.util.Locale;

/**
 * State and actions of the SNN pane: a live simulation (feed-forward template or the STDP pattern-learning example)
 * advanced on its own daemon thread at a chosen speed, with run, pause, single step and reset, live parameters (membrane
 * time constant, threshold, input rate), and snapshots the view draws (raster, traces, rates, weights, statistics).
 * The simulation pauses while the pane is hidden.
 */
public final class SnnViewModel {

    /** Simulation ticks every 20 ms of wall time; {@link #speedProperty()} is simulated steps (ms) per tick. */
    static final long TICK_MS = 20;

    private final ObjectProperty<LiveSimulation.Template> template = new SimpleObjectProperty<>(LiveSimulation.Template.FEEDFORWARD);
    private final IntegerProperty hidden = new SimpleIntegerProperty(500);
    private final DoubleProperty tau = new SimpleDoubleProperty(20);
    private final DoubleProperty threshold = new SimpleDoubleProperty(1);
    private final DoubleProperty inputHz = new SimpleDoubleProperty(40);
    private final IntegerProperty speed = new SimpleIntegerProperty(10);
    private final DoubleProperty stdpRate = new SimpleDoubleProperty(0.01);
    private final BooleanProperty openCl = new SimpleBooleanProperty(false);
    private final IntegerProperty tracedNeuron = new SimpleIntegerProperty(0);
    private final ObjectProperty<String> encoding = new SimpleObjectProperty<>("rate");
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
    private final BooleanProperty paused = new SimpleBooleanProperty(false);
    private final ObservableList<String[]> statsCard = FXCollections.observableArrayList();
    private volatile LiveSimulation sim;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final Workspace workspace;
    private final ObjectProperty<java.nio.file.Path> data = new SimpleObjectProperty<>();
    private final IntegerProperty sampleIndex = new SimpleIntegerProperty(0);
    private final ObservableList<String[]> conversionCard = FXCollections.observableArrayList();
    private final javafx.beans.property.ReadOnlyStringWrapper error = new javafx.beans.property.ReadOnlyStringWrapper("");
    private final javafx.beans.property.ReadOnlyStringWrapper conversionProvenance =
            new javafx.beans.property.ReadOnlyStringWrapper("");
    private final SimulationService service = new SimulationService();
    private SimulationService.Conversion conversion;
    private boolean visible = true;

    public SnnViewModel(TaskRunner tasks, DialogService dialogs, Workspace workspace) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.workspace = workspace;
        sampleIndex.addListener((o, a, b) -> showSample());
        template.addListener((o, a, b) -> {
            // each template's working point: the STDP example needs sparse noise (5 Hz) and a threshold of 8
            threshold.set(b == LiveSimulation.Template.STDP ? 8 : 1);
            inputHz.set(b == LiveSimulation.Template.STDP ? 5 : 40);
            reset();
        });
        // the converted network belongs to the current model: another model means another conversion
        workspace.currentProperty().addListener((o, a, b) -> {
            if (template.get() == LiveSimulation.Template.CONVERTED) reset();
        });
        hidden.addListener((o, a, b) -> reset());
        tau.addListener((o, a, b) -> {
            if (sim != null) sim.setTau(b.doubleValue());
        });
        threshold.addListener((o, a, b) -> {
            if (sim != null) sim.setThreshold(b.doubleValue());
        });
        inputHz.addListener((o, a, b) -> {
            if (sim != null) sim.setInputHz(b.doubleValue());
        });
        paused.addListener((o, a, b) -> schedule());
        openCl.addListener((o, a, b) -> applyDevice());
        tracedNeuron.addListener((o, a, b) -> {
            if (sim != null) sim.traceFrom(b.intValue());
        });
        stdpRate.addListener((o, a, b) -> {
            if (sim != null) sim.setStdpRate(b.doubleValue());
        });
        encoding.addListener((o, a, b) -> {
            if (sim != null && sim.template() == LiveSimulation.Template.CONVERTED) {
                sim.setEncoding(b);
                showSample();
            }
        });
        reset();
    }

    /** A fresh network with the current template and parameters (stopped). */
    public synchronized void reset() {
        stopTicks();
        running.set(false);
        error.set("");
        if (template.get() == LiveSimulation.Template.CONVERTED) {
            prepareConverted();
            return;
        }
        sim = new LiveSimulation(template.get(), hidden.get(), inputHz.get());
        sim.setStdpRate(stdpRate.get());
        sim.setTau(tau.get());
        sim.traceFrom(tracedNeuron.get());
        applyDevice();
        sim.setThreshold(threshold.get());
        refreshStats();
    }

    /**
     * CONVERTED: converts the workbench's current model (a ReLU MLP) with the chosen data for normalization, in the
     * background, then shows sample {@link #sampleIndexProperty()}.
     */
    private void prepareConverted() {
        java.nio.file.Path model = workspace.current();
        conversion = null;
        conversionCard.clear();
        conversionProvenance.set("");
        if (model == null || data.get() == null) {
            error.set(model == null ? "Open a ReLU MLP (File > Open model) and choose data to convert it"
                    : "Choose data (IDX file or image folder) to convert " + model.getFileName());
            return;
        }
        java.nio.file.Path idx = data.get();
        workspace.submit(tasks, model, "Converting " + model.getFileName() + " to a spiking network",
                (p, c) -> SimulationService.convert(model, idx, p, c), r -> {
                    if (!model.equals(workspace.current()) || template.get() != LiveSimulation.Template.CONVERTED) {
                        return;
                    }
                    conversion = r;
                    sim = new LiveSimulation(r.converted());
                    sim.setEncoding(encoding.get());
                    applyDevice();
                    showSample();
                }, ex -> error.set(GuiMessages.of(ex)));
    }

    private void showSample() {
        LiveSimulation s = sim;
        if (s == null || s.template() != LiveSimulation.Template.CONVERTED || conversion == null) {
            return;
        }
        var dataset = conversion.dataset();
        int i = Math.floorMod(sampleIndex.get(), dataset.size());
        s.show(dataset.batch(i, 1).toFloats(), dataset.label(i));
        refreshStats();
    }

    public void chooseData() {
        chooseData(false);
    }

    /** An IDX file, or with {@code folder} a folder of images (resized to the model's input). */
    public void chooseData(boolean folder) {
        dialogs.chooseData(folder, java.util.Optional.ofNullable(data.get()).map(java.nio.file.Path::getParent)).ifPresent(p -> {
            data.set(p);
            if (template.get() == LiveSimulation.Template.CONVERTED) reset();
        });
    }

    /** Accuracy of the converted network against the ANN at several step counts, with SynOps and energy. */
    public void evaluateConversion() {
        if (conversion == null) {
            error.set("Convert a model first (Template: converted model)");
            return;
        }
        SimulationService.Conversion c = conversion;
        org.polaris.workbench.ui.common.Provenance made = org.polaris.workbench.ui.common.Provenance.now(c.model(),
                "converted with " + c.data().getFileName() + ", rate coding, " + Math.min(500, c.dataset().size())
                        + " samples");
        workspace.submit(tasks, c.model(), "Evaluating the converted network", (p, cancel) ->
                SimulationService.evaluate(c, new int[] {5, 10, 20, 50, 100, 200}, p, cancel), r -> {
            if (c != conversion) {
                return;
            }
            conversionProvenance.set(made.line());
            conversionCard.setAll(SnnCards.conversion(r));
        }, ex -> error.set(GuiMessages.of(ex)));
    }

    /** Moves the current network's neuron updates to the first OpenCL GPU (else device) or back to the CPU. */
    private void applyDevice() {
        if (sim == null) return;
        if (!openCl.get()) {
            sim.setDevice(null);
            return;
        }
        SimulationService.Device d = service.openCl();
        if (d.kernels() == null) {
            error.set("No OpenCL device: " + d.problem());
            openCl.set(false);
            return;
        }
        sim.setDevice(d.kernels());
    }

    /** Writes the held spikes and membrane traces as CSV: {@code kind,step,neuron,value} (atomically). */
    public void exportCsv() {
        LiveSimulation s = sim;
        if (s == null) return;
        dialogs.chooseSaveFile("Export spikes and traces as CSV", java.nio.file.Path.of("snn.csv")).ifPresent(p -> {
            StringBuilder b = new StringBuilder("kind,step,neuron,value\n");
            for (LiveSimulation.Spike x : s.spikesSince(0)) b.append("spike,").append(x.step()).append(',').append(x.row()).append(",1\n");
            for (int k = 0; k < 3; k++) {
                double[][] t = s.trace(k);
                for (int i = 0; i < t[0].length; i++) {
                    b.append("v,").append((long) t[0][i]).append(",trace").append(k).append(',')
                            .append(String.format(Locale.ROOT, "%.5f", t[1][i])).append('\n');
                }
            }
            try {
                org.polaris.workbench.engine.util.AtomicFiles.write(p, b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
            } catch (java.io.IOException e) {
                error.set("Cannot write " + p + ": " + e.getMessage());
            }
        });
    }

    public synchronized void run() {
        running.set(true);
        paused.set(false);
        schedule();
    }

    /** One simulated step now (while paused or stopped). */
    public void step() {
        if (running.get() && !paused.get()) {
            return;
        }
        advanceNow(1);
    }

    /** Advances synchronously (the Step button, tests). */
    public void advanceNow(int steps) {
        if (sim == null) return;
        sim.advance(steps);
        refreshStats();
    }

    /** The pane was shown or hidden: a hidden pane's simulation does not advance. */
    public synchronized void setVisible(boolean shown) {
        visible = shown;
        schedule();
    }

    private synchronized void schedule() {
        boolean go = running.get() && !paused.get() && visible && sim != null;
        if (go) {
            service.start(sim, speed::get, TICK_MS);
        } else {
            stopTicks();
        }
    }

    private void stopTicks() {
        service.stop();
    }

    public boolean advancing() {
        return service.advancing();
    }

    /** Rebuilds the statistics card from the simulation (call from the UI timer). */
    public void refreshStats() {
        if (sim != null) {
            statsCard.setAll(SnnCards.stats(sim));
        }
    }

    public LiveSimulation simulation() {
        return sim;
    }

    /** What the view draws: a snapshot of the current network; {@code sim} identifies it (a new one starts over). */
    public record View(Object sim, LiveSimulation.Frame frame) {
    }

    /** A snapshot of the current network with the spikes after {@code sinceSeq}; null before there is one. */
    public View frame(long sinceSeq) {
        LiveSimulation s = sim;
        return s == null ? null : new View(s, s.frame(sinceSeq));
    }

    public ObjectProperty<java.nio.file.Path> dataProperty() { return data; }
    public IntegerProperty sampleIndexProperty() { return sampleIndex; }
    public ObservableList<String[]> conversionCard() { return conversionCard; }
    public javafx.beans.property.ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }

    public void close() {
        service.close();
    }

    public ObservableList<java.nio.file.Path> models() { return workspace.openModels(); }
    /** The model the converted template uses: the workbench's current model. */
    public javafx.beans.property.ReadOnlyObjectProperty<java.nio.file.Path> modelProperty() {
        return workspace.currentProperty();
    }
    /** Makes {@code m} the workbench's current model (the chooser). */
    public void selectModel(java.nio.file.Path m) {
        workspace.select(m);
    }
    /** Which model and settings produced the conversion card shown. */
    public javafx.beans.property.ReadOnlyStringProperty conversionProvenanceProperty() {
        return conversionProvenance.getReadOnlyProperty();
    }

    public ObjectProperty<LiveSimulation.Template> templateProperty() { return template; }
    public IntegerProperty hiddenProperty() { return hidden; }
    public DoubleProperty tauProperty() { return tau; }
    public DoubleProperty thresholdProperty() { return threshold; }
    public DoubleProperty inputHzProperty() { return inputHz; }
    public IntegerProperty speedProperty() { return speed; }
    public DoubleProperty stdpRateProperty() { return stdpRate; }
    public ObjectProperty<String> encodingProperty() { return encoding; }
    public BooleanProperty openClProperty() { return openCl; }
    public IntegerProperty tracedNeuronProperty() { return tracedNeuron; }
    public ReadOnlyBooleanProperty runningProperty() { return running.getReadOnlyProperty(); }
    public BooleanProperty pausedProperty() { return paused; }
    public ObservableList<String[]> statsCard() { return statsCard; }
}
