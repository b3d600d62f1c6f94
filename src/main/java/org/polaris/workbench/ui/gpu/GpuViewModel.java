package org.polaris.workbench.ui.gpu;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.opencl.ClDevice;
import org.polaris.workbench.engine.opencl.GpuBench;
import org.polaris.workbench.engine.opencl.KnownGpu;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.engine.telemetry.Sample;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;
import org.polaris.workbench.engine.util.AtomicFiles;
import org.polaris.workbench.engine.exec.PlacementService;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.Outcome;
import org.polaris.workbench.ui.common.PerModel;
import org.polaris.workbench.ui.common.Provenance;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * State and actions of the GPU pane: OpenCL devices with their capabilities and roofline, a GEMM/bandwidth
 * micro-benchmark per device, and live telemetry from a {@link TelemetrySampler} that runs only while the pane is
 * shown (or while recording), at 1-10 Hz, pausable, exportable as CSV. Inference and benchmark runs in other panes
 * put markers on the same timeline.
 */
public final class GpuViewModel {

    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final TelemetrySampler sampler;
    private final Supplier<OpenCl.Discovery> discovery;

    private final ObservableList<ClDevice> devices = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper deviceProblem = new ReadOnlyStringWrapper("");
    private final ObjectProperty<ClDevice> selected = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper details = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper benchResult = new ReadOnlyStringWrapper("");
    private final ObservableList<String> telemetryDevices = FXCollections.observableArrayList();
    private final ObjectProperty<String> telemetryDevice = new SimpleObjectProperty<>();
    private final IntegerProperty rateHz = new SimpleIntegerProperty(2);
    private final BooleanProperty paused = new SimpleBooleanProperty(false);
    private final BooleanProperty recording = new SimpleBooleanProperty(false);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ObservableList<org.polaris.workbench.engine.exec.EngineSession.Placement> placement =
            FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper placementSummary = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper placementProvenance = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper placementError = new ReadOnlyStringWrapper("");
    private final PerModel<Outcome<PlacementService.Report>> placements;
    private final PerModel<String> placementErrors;
    private final Workspace workspace;
    private boolean visible;

    public GpuViewModel(TaskRunner tasks, DialogService dialogs, Workspace workspace, TelemetrySampler sampler,
                        Supplier<OpenCl.Discovery> discovery) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.sampler = sampler;
        this.discovery = discovery;
        this.workspace = workspace;
        workspace.setMarker(sampler::mark);
        placements = new PerModel<>(workspace);
        placementErrors = new PerModel<>(workspace);
        placements.shownProperty().addListener((o, a, r) -> showPlacement(r));
        placementError.bind(javafx.beans.binding.Bindings.createStringBinding(() ->
                placementErrors.get() == null ? "" : placementErrors.get(), placementErrors.shownProperty()));
        selected.addListener((o, a, d) -> details.set(describe(d)));
        rateHz.addListener((o, a, b) -> {
            if (b.intValue() < 1 || b.intValue() > 10) {
                rateHz.set(Math.max(1, Math.min(10, b.intValue())));
                return;
            }
            reschedule();
        });
        paused.addListener((o, a, b) -> reschedule());
        recording.addListener((o, a, b) -> reschedule());
    }

    /** Lists OpenCL devices in the background (loading the driver can take a moment). */
    public void refreshDevices() {
        tasks.submit("Listing OpenCL devices", (p, c) -> discovery.get(), d -> {
            devices.setAll(d.devices());
            deviceProblem.set(d.available() ? "" : "No OpenCL device: " + d.problem());
            if (!devices.isEmpty() && selected.get() == null) {
                selected.set(devices.stream().filter(x -> x.type().equals("gpu")).findFirst().orElse(devices.get(0)));
            }
        }, ex -> deviceProblem.set("No OpenCL device: " + GuiMessages.of(ex)));
    }

    static String describe(ClDevice d) {
        if (d == null) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s (%s, %s)%n%s; %s; driver %s%n%d compute units at %d MHz, %.1f GiB global, %d KiB local; "
                        + "fp16 %s, int8 dot product %s%n", d.name(), d.type(), d.vendor(), d.openclVersion(), d.openclC(),
                d.driverVersion(), d.computeUnits(), d.maxClockMHz(), d.globalMemBytes() / 1073741824.0, d.localMemBytes() / 1024,
                d.fp16() ? "yes" : "no", d.int8Dot() ? "yes" : "no"));
        KnownGpu k = d.known();
        if (k != null) {
            s.append(String.format(Locale.ROOT, "Roofline (%s): %.0f GFLOPS FP32, %.0f GB/s, ridge %.1f FLOP/byte. %s%n",
                    k.name(), k.peakGflops(), k.bandwidthGBs(), k.ridge(), k.note()));
        } else if (d.type().equals("cpu")) {
            s.append("An OpenCL driver for the CPU (not a GPU): a correctness target; the engine's own CPU kernels are faster.\n");
        } else {
            s.append("Not a card in the workbench's table: run the benchmark for its measured numbers.\n");
        }
        return s.toString();
    }

    /** SGEMM (naive and tuned) and copy bandwidth on the selected device, against its roofline. */
    public void benchSelected() {
        ClDevice d = selected.get();
        if (d == null || tasks.runningProperty().get()) {
            return;
        }
        error.set("");
        sampler.mark("GEMM benchmark on " + d.name());
        tasks.submit("Benchmarking " + d.name(), (p, c) -> GpuBench.run(d, 0, p, c), r -> {
            sampler.mark("GEMM benchmark done");
            benchResult.set(String.format(Locale.ROOT, "SGEMM %d^3: naive %.1f GFLOPS, tuned (%s) %.1f GFLOPS, %.1fx; copy %.1f GB/s%s",
                    r.size(), r.tuning().naiveGflops(), r.tuning().best(), r.tuning().bestGflops(), r.tuning().speedup(),
                    r.bandwidthGBs(), r.known() == null ? "" : String.format(Locale.ROOT, "; %.0f%% of peak FP32, %.0f%% of bandwidth",
                            100 * r.peakFraction(), 100 * r.bandwidthFraction())));
        }, ex -> error.set(GuiMessages.of(ex)));
    }

    /** Where the engine's automatic placement puts each node of the current model (one run on random input). */
    public void computePlacement() {
        Path model = workspace.current();
        if (model == null || tasks.runningProperty().get()) {
            return;
        }
        error.set("");
        sampler.mark("placement of " + model.getFileName());
        Provenance made = Provenance.now(model, "Polaris engine, automatic CPU/OpenCL placement, random input");
        workspace.submit(tasks, model, "Placing " + model.getFileName() + " on CPU and OpenCL",
                (p, c) -> PlacementService.place(model, p, c),
                r -> placements.put(model, new Outcome<>(r, made)),
                ex -> placementErrors.put(model, GuiMessages.of(ex)));
    }

    private void showPlacement(Outcome<PlacementService.Report> o) {
        placement.setAll(o == null ? List.of() : o.result().nodes());
        placementSummary.set(o == null ? "" : String.format(Locale.ROOT, "%d of %d nodes on OpenCL. Device: %s",
                o.result().onOpenCl(), o.result().nodes().size(), o.result().device()));
        placementProvenance.set(o == null ? "" : o.provenance().line());
    }

    /** Makes {@code m} the workbench's current model (the chooser). */
    public void selectModel(Path m) {
        workspace.select(m);
    }

    /** The pane was shown or hidden: sampling runs while shown (or recording) and not paused. */
    public void setVisible(boolean shown) {
        visible = shown;
        reschedule();
    }

    private void reschedule() {
        boolean run = (visible || recording.get()) && !paused.get();
        if (run) {
            sampler.start(1000L / rateHz.get());
        } else {
            sampler.stop();
        }
    }

    public boolean sampling() {
        return sampler.running();
    }

    /** Samples once now, on the caller's thread: devices seen so far appear in {@link #telemetryDevices}. */
    public void refreshTelemetryDevices() {
        List<String> ids = List.copyOf(sampler.devices().keySet());
        if (!ids.equals(telemetryDevices)) {
            telemetryDevices.setAll(ids);
            if (telemetryDevice.get() == null || !ids.contains(telemetryDevice.get())) {
                telemetryDevice.set(ids.stream().filter(i -> !i.equals(TelemetrySampler.HOST)).findFirst()
                        .orElse(ids.isEmpty() ? null : ids.get(0)));
            }
        }
    }

    /** The selected telemetry device's samples, oldest first (a copy of the ring). */
    public List<Sample> samples() {
        String id = telemetryDevice.get();
        TelemetrySampler.Ring ring = id == null ? null : sampler.ringOf(id);
        return ring == null ? List.of() : ring.snapshot(id);
    }

    public List<TelemetrySampler.Marker> markers() {
        return sampler.markers();
    }

    public String deviceName(String id) {
        return sampler.devices().getOrDefault(id, id);
    }

    /** Writes every device's samples as CSV (the same columns as {@code gpu monitor}). */
    public void exportCsv() {
        dialogs.chooseSaveFile("Export telemetry as CSV", Path.of("telemetry.csv")).ifPresent(p -> {
            StringBuilder s = new StringBuilder(TelemetrySampler.csvHeader()).append('\n');
            for (String id : sampler.devices().keySet()) {
                TelemetrySampler.Ring ring = sampler.ringOf(id);
                if (ring != null) {
                    ring.snapshot(id).forEach(x -> s.append(TelemetrySampler.csvRow(x)).append('\n'));
                }
            }
            try {
                AtomicFiles.write(p, s.toString().getBytes(StandardCharsets.UTF_8), true);
            } catch (IOException e) {
                error.set("Cannot write " + p + ": " + e.getMessage());
            }
        });
    }

    public void close() {
        sampler.close();
    }

    public ObservableList<ClDevice> devices() { return devices; }
    public ReadOnlyStringProperty deviceProblemProperty() { return deviceProblem.getReadOnlyProperty(); }
    public ObjectProperty<ClDevice> selectedProperty() { return selected; }
    public ReadOnlyStringProperty detailsProperty() { return details.getReadOnlyProperty(); }
    public ReadOnlyStringProperty benchResultProperty() { return benchResult.getReadOnlyProperty(); }
    public ObservableList<String> telemetryDevices() { return telemetryDevices; }
    public ObjectProperty<String> telemetryDeviceProperty() { return telemetryDevice; }
    public IntegerProperty rateHzProperty() { return rateHz; }
    public BooleanProperty pausedProperty() { return paused; }
    public BooleanProperty recordingProperty() { return recording; }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ObservableList<org.polaris.workbench.engine.exec.EngineSession.Placement> placement() { return placement; }
    public ReadOnlyStringProperty placementSummaryProperty() { return placementSummary.getReadOnlyProperty(); }
    /** Which model and settings produced the placement shown. */
    public ReadOnlyStringProperty placementProvenanceProperty() { return placementProvenance.getReadOnlyProperty(); }
    /** Why placing the current model failed. */
    public ReadOnlyStringProperty placementErrorProperty() { return placementError.getReadOnlyProperty(); }
    public ObservableList<Path> models() { return workspace.openModels(); }
    /** The model placement works on: the workbench's current model. */
    public javafx.beans.property.ReadOnlyObjectProperty<Path> modelProperty() { return workspace.currentProperty(); }
}
