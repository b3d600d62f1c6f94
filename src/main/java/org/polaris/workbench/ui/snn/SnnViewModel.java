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
import org.polaris.workbench.engine.job.Schedulers;
import org.polaris.workbench.engine.snn.LiveSimulation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

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
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
    private final BooleanProperty paused = new SimpleBooleanProperty(false);
    private final ObservableList<String[]> statsCard = FXCollections.observableArrayList();
    private volatile LiveSimulation sim;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> task;
    private boolean visible = true;

    public SnnViewModel() {
        template.addListener((o, a, b) -> {
            // each template's working point: the STDP example needs sparse noise (5 Hz) and a threshold of 8
            threshold.set(b == LiveSimulation.Template.STDP ? 8 : 1);
            inputHz.set(b == LiveSimulation.Template.STDP ? 5 : 40);
            reset();
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
        reset();
    }

    /** A fresh network with the current template and parameters (stopped). */
    public synchronized void reset() {
        stopTicks();
        running.set(false);
        sim = new LiveSimulation(template.get(), hidden.get(), inputHz.get());
        sim.setTau(tau.get());
        sim.setThreshold(threshold.get());
        refreshStats();
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
        sim.advance(steps);
        refreshStats();
    }

    /** The pane was shown or hidden: a hidden pane's simulation does not advance. */
    public synchronized void setVisible(boolean shown) {
        visible = shown;
        schedule();
    }

    private synchronized void schedule() {
        boolean go = running.get() && !paused.get() && visible;
        if (go && task == null) {
            if (scheduler == null) {
                scheduler = Schedulers.single("polaris-snn");
            }
            LiveSimulation s = sim;
            task = scheduler.scheduleAtFixedRate(() -> s.advance(Math.max(1, speed.get())), 0, TICK_MS, TimeUnit.MILLISECONDS);
        } else if (!go) {
            stopTicks();
        }
    }

    private synchronized void stopTicks() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    public synchronized boolean advancing() {
        return task != null;
    }

    /** Rebuilds the statistics card from the simulation (call from the UI timer). */
    public void refreshStats() {
        LiveSimulation.Stats s = sim.stats();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Simulated", String.format(Locale.ROOT, "%d steps (%.1f s at 1 ms)", s.steps(), s.steps() / 1000.0)});
        rows.add(new String[] {"Spikes", String.format(Locale.ROOT, "%,d; event sparsity %.2f%%", s.spikes(), 100 * s.eventSparsity())});
        rows.add(new String[] {"Synaptic events", String.format(Locale.ROOT, "%,d", s.synops())});
        List<String> names = sim.populationNames();
        StringBuilder rates = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            rates.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f Hz", names.get(i), s.ratesHz()[i]));
        }
        rows.add(new String[] {"Mean rates", rates.toString()});
        if (sim.template() == LiveSimulation.Template.STDP) {
            float[] w = sim.weights();
            double a = 0;
            double b = 0;
            for (int i = 0; i < w.length; i++) {
                if (i < 20) a += w[i];
                else b += w[i];
            }
            rows.add(new String[] {"STDP", String.format(Locale.ROOT, "pattern inputs (0-19) %.2f, noise inputs %.2f mean weight",
                    a / 20, b / (w.length - 20))});
        }
        statsCard.setAll(rows);
    }

    public LiveSimulation simulation() {
        return sim;
    }

    public void close() {
        stopTicks();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    public ObjectProperty<LiveSimulation.Template> templateProperty() { return template; }
    public IntegerProperty hiddenProperty() { return hidden; }
    public DoubleProperty tauProperty() { return tau; }
    public DoubleProperty thresholdProperty() { return threshold; }
    public DoubleProperty inputHzProperty() { return inputHz; }
    public IntegerProperty speedProperty() { return speed; }
    public ReadOnlyBooleanProperty runningProperty() { return running.getReadOnlyProperty(); }
    public BooleanProperty pausedProperty() { return paused; }
    public ObservableList<String[]> statsCard() { return statsCard; }
}
