package org.polaris.workbench.engine.snn;

import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.job.Schedulers;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.opencl.ClKernels;
import org.polaris.workbench.engine.opencl.ClRuntime;
import org.polaris.workbench.engine.opencl.OpenCl;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Runs live simulations for the SNN pane: advances one on its own daemon thread at a fixed tick, holds the OpenCL
 * runtime neuron updates may move to, and converts ReLU MLPs to spiking networks. The pane's ViewModel only calls
 * it; it never touches JavaFX.
 */
public final class SimulationService implements AutoCloseable {

    /** A ReLU MLP converted for simulation, with the data it was normalized on. */
    public record Conversion(Path model, Path data, List<AnnToSnn.Layer> ann, AnnToSnn.Converted converted,
                             Dataset dataset) {
    }

    /** The OpenCL kernels for neuron updates, or why there are none. */
    public record Device(ClKernels kernels, String problem) {
    }

    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> ticking;
    private ClRuntime clRuntime;

    /** Advances {@code sim} by {@code stepsPerTick} simulated steps every {@code tickMs} of wall time. */
    public synchronized void start(LiveSimulation sim, IntSupplier stepsPerTick, long tickMs) {
        if (ticking != null) {
            return;
        }
        if (scheduler == null) {
            scheduler = Schedulers.single("polaris-snn");
        }
        ticking = scheduler.scheduleAtFixedRate(() -> sim.advance(Math.max(1, stepsPerTick.getAsInt())), 0, tickMs,
                TimeUnit.MILLISECONDS);
    }

    public synchronized void stop() {
        if (ticking != null) {
            ticking.cancel(false);
            ticking = null;
        }
    }

    public synchronized boolean advancing() {
        return ticking != null;
    }

    /** Kernels on the first OpenCL GPU (else the first device), opening the runtime once. */
    public synchronized Device openCl() {
        if (clRuntime == null) {
            OpenCl.Discovery d = OpenCl.discover();
            if (!d.available()) {
                return new Device(null, d.problem());
            }
            clRuntime = ClRuntime.open(d.devices().stream().filter(x -> x.type().equals("gpu")).findFirst()
                    .orElse(d.devices().get(0)));
        }
        return new Device(new ClKernels(clRuntime), "");
    }

    /** Reads {@code model} (a ReLU MLP), normalizes its conversion on up to 500 samples of {@code data}. */
    public static Conversion convert(Path model, Path data, ProgressSink progress, CancellationToken cancel)
            throws Exception {
        var m = new OnnxModelReader().read(model);
        Dataset d = DataSources.open(data, Preprocessing.unitScale(), 2000, m.graph().feedInputs().get(0).type());
        cancel.throwIfCancelled();
        List<AnnToSnn.Layer> ann = AnnToSnn.extract(m);
        progress.progress(0.3, "normalizing firing rates");
        return new Conversion(model, data, ann, AnnToSnn.normalize(ann, d, Math.min(500, d.size()), 99.9), d);
    }

    /** Accuracy of the converted network against the ANN at several step counts, with synaptic events and energy. */
    public static AnnToSnn.Curve evaluate(Conversion c, int[] steps, ProgressSink progress, CancellationToken cancel)
            throws Exception {
        try (var pool = new EnginePool(Runtime.getRuntime().availableProcessors())) {
            return AnnToSnn.evaluate(c.ann(), c.converted(), c.dataset(), Math.min(500, c.dataset().size()), steps,
                    "rate", pool, progress, cancel);
        }
    }

    @Override
    public synchronized void close() {
        stop();
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
        if (clRuntime != null) {
            clRuntime.close();
            clRuntime = null;
        }
    }
}
