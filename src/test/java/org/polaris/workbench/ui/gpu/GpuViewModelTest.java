package org.polaris.workbench.ui.gpu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.engine.telemetry.Metric;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;
import org.polaris.workbench.testutil.FakeSysfs;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The GPU pane's logic with the real OpenCL driver (PoCL here) and a fake sysfs tree, without the FX toolkit. */
class GpuViewModelTest {

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private TelemetrySampler sampler;
    private GpuViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp.resolve("root"));
        fs.rx580(0, false);
        fs.proc(10, 90, 2048);
        sampler = new TelemetrySampler(fs.root(), 600, false, System::currentTimeMillis);
        System.setProperty("polaris.cache.dir", tmp.resolve("cache").toString());
        vm = new GpuViewModel(new InlineTaskRunner(), dialogs, workspace, sampler, OpenCl::discover);
    }

    @AfterEach
    void tearDown() {
        vm.close();
        System.clearProperty("polaris.cache.dir");
    }

    @Test
    void listsDevicesWithTheirRealTypeOrSaysThereIsNone() {
        vm.refreshDevices();
        OpenCl.Discovery d = OpenCl.discover();
        assertThat(vm.devices()).hasSize(d.devices().size());
        if (!d.available()) {
            assertThat(vm.deviceProblemProperty().get()).startsWith("No OpenCL device");
            return;
        }
        assertThat(vm.selectedProperty().get()).isNotNull();
        assertThat(vm.detailsProperty().get()).contains(vm.selectedProperty().get().name());
        if (vm.selectedProperty().get().type().equals("cpu")) {
            assertThat(vm.detailsProperty().get()).contains("not a GPU");
        }
        vm.benchSelected();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.benchResultProperty().get()).contains("SGEMM", "GFLOPS", "GB/s");
        // the benchmark marked the telemetry timeline
        assertThat(vm.markers()).extracting(TelemetrySampler.Marker::label).contains("GEMM benchmark done");
    }

    @Test
    void placesTheCurrentModelNodeByNodeWithReasonsAndKeepsEachModelsPlacement() {
        vm.computePlacement();
        assertThat(vm.placementSummaryProperty().get()).isEmpty();
        assertThat(vm.modelProperty().get()).isNull();
        workspace.add(org.polaris.workbench.testutil.TestData.FASHION_CNN);
        vm.computePlacement();
        if (!OpenCl.discover().available()) {
            assertThat(vm.placementErrorProperty().get()).contains("OpenCL");
            return;
        }
        assertThat(vm.placementErrorProperty().get()).isEmpty();
        assertThat(vm.placement()).isNotEmpty().allSatisfy(p -> assertThat(p.reason()).isNotBlank());
        assertThat(vm.placementSummaryProperty().get()).contains("nodes on OpenCL");
        assertThat(vm.placementProvenanceProperty().get()).startsWith("fashion_cnn.onnx · Polaris engine");
        int cnnNodes = vm.placement().size();
        // another model selected: its own (empty) placement, never the CNN's
        workspace.add(org.polaris.workbench.testutil.TestData.FASHION_MLP);
        assertThat(vm.placement()).isEmpty();
        assertThat(vm.placementSummaryProperty().get()).isEmpty();
        assertThat(vm.placementProvenanceProperty().get()).isEmpty();
        workspace.select(org.polaris.workbench.testutil.TestData.FASHION_CNN);
        assertThat(vm.placement()).hasSize(cnnNodes);
        assertThat(vm.placementProvenanceProperty().get()).startsWith("fashion_cnn.onnx");
    }

    @Test
    void withoutOpenClThePaneSaysWhyAndTelemetryStillWorks() {
        GpuViewModel none = new GpuViewModel(new InlineTaskRunner(), dialogs, new Workspace(), sampler,
                () -> new OpenCl.Discovery(java.util.List.of(), "no OpenCL platform is installed (the ICD loader found none)"));
        none.refreshDevices();
        assertThat(none.devices()).isEmpty();
        assertThat(none.deviceProblemProperty().get()).isEqualTo("No OpenCL device: no OpenCL platform is installed (the ICD loader found none)");
        sampler.sampleOnce();
        none.refreshTelemetryDevices();
        assertThat(none.samples()).hasSize(1);
    }

    @Test
    void samplesOnlyWhileShownOrRecordingAndNotPaused() throws Exception {
        assertThat(vm.sampling()).isFalse();
        vm.setVisible(true);
        assertThat(vm.sampling()).isTrue();
        vm.pausedProperty().set(true);
        assertThat(vm.sampling()).isFalse();
        vm.pausedProperty().set(false);
        vm.setVisible(false);
        assertThat(vm.sampling()).isFalse();
        vm.recordingProperty().set(true);
        assertThat(vm.sampling()).isTrue();
        vm.recordingProperty().set(false);
        assertThat(vm.sampling()).isFalse();
        vm.rateHzProperty().set(50);
        assertThat(vm.rateHzProperty().get()).isEqualTo(10);
    }

    @Test
    void telemetryDevicesSamplesMarkersAndCsvExport() throws Exception {
        sampler.sampleOnce();
        workspace.mark("Benchmarking cnn.onnx");
        sampler.sampleOnce();
        vm.refreshTelemetryDevices();
        assertThat(vm.telemetryDevices()).containsExactly(TelemetrySampler.HOST, "card0");
        assertThat(vm.telemetryDeviceProperty().get()).isEqualTo("card0");
        assertThat(vm.samples()).hasSize(2).allSatisfy(s -> assertThat(s.get(Metric.BUSY_PCT)).isEqualTo(37));
        assertThat(vm.markers()).extracting(TelemetrySampler.Marker::label).containsExactly("Benchmarking cnn.onnx");
        assertThat(vm.deviceName("card0")).contains("RX 470/480/570/580");
        Path csv = tmp.resolve("out.csv");
        dialogs.saveAnswers.add(csv);
        vm.exportCsv();
        assertThat(Files.readAllLines(csv)).hasSize(1 + 4).first().asString().startsWith("timestamp,device,");
    }
}
