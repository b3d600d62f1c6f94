package org.polaris.workbench.ui.app;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.graph.CompressionOverlay;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;
import org.polaris.workbench.ui.models.GraphViewModel;
import org.polaris.workbench.ui.models.ModelsViewModel;
import org.polaris.workbench.ui.quantize.QuantizeViewModel;
import org.polaris.workbench.ui.sparsity.SparsityViewModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every overlay on the Fashion CNN after what the other panes do to it: a quantization with its sensitivity scan,
 * a pruning, a profile and a placement run; all through the panes' view models sharing one workspace.
 */
class GraphOverlaysAfterCompressionTest {

    private static final Path IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static final Set<String> LAYERS = Set.of("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");

    @TempDir
    Path tmp;

    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final Workspace workspace = new Workspace();
    private ModelsViewModel models;
    private GraphViewModel graph;
    private QuantizeViewModel quantize;
    private SparsityViewModel sparsity;
    private Path model;

    @BeforeEach
    void setUp() throws Exception {
        model = Files.copy(TestData.FASHION_CNN, tmp.resolve("fashion_cnn.onnx"));
        SettingsStore store = new SettingsStore(tmp.resolve("settings.json"));
        store.get().outputDirectory = tmp.toString();
        InlineTaskRunner tasks = new InlineTaskRunner();
        models = new ModelsViewModel(new ModelInspector(), tasks, dialogs, store, new SampleCatalog(TestData.SAMPLES), workspace);
        graph = models.graph();
        quantize = new QuantizeViewModel(new QuantizeService(), tasks, dialogs, store, workspace);
        sparsity = new SparsityViewModel(new PruneService(), tasks, dialogs, store, workspace);
        models.open(model);
    }

    private Overlay overlay(Overlay.Kind k) {
        graph.overlayKindProperty().set(Overlay.Kind.NONE);
        graph.overlayKindProperty().set(k);
        return graph.overlayProperty().get();
    }

    @Test
    void allOverlaysShowAfterQuantizePruneAndProfile() {
        // quantize with the accuracy sensitivity ranking on
        dialogs.dataAnswers.add(IDX);
        quantize.chooseCalibrationData(false);
        quantize.calibSamplesProperty().set(64);
        quantize.evalSamplesProperty().set(200);
        quantize.sensitivityProperty().set(true);
        quantize.quantize();
        assertThat(quantize.errorProperty().get()).isEmpty();
        var report = quantize.resultProperty().get();
        Path int8 = report.request().output();

        Overlay s = overlay(Overlay.Kind.SENSITIVITY);
        assertThat(s.marks().keySet()).isEqualTo(report.sensitivity().keySet());
        assertThat(s.source()).startsWith("quantize sensitivity scan, fashion_cnn.onnx");

        // prune: its scan replaces the quantizer's as this model's sensitivity
        dialogs.dataAnswers.add(IDX);
        sparsity.chooseEvaluationData(false);
        sparsity.evalSamplesProperty().set(200);
        sparsity.scanSensitivity();
        assertThat(sparsity.errorProperty().get()).isEmpty();
        Overlay p = overlay(Overlay.Kind.SENSITIVITY);
        assertThat(p.marks().keySet()).isEqualTo(LAYERS);
        assertThat(p.note()).contains("largest");
        sparsity.sparsityProperty().set(0.5);
        sparsity.prune();
        assertThat(sparsity.errorProperty().get()).isEmpty();
        Path pruned = sparsity.resultProperty().get().output();

        Overlay t = overlay(Overlay.Kind.TIME);
        assertThat(t.marks()).containsKeys("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(t.highlighted()).isNotEmpty();

        Overlay pl = overlay(Overlay.Kind.PLACEMENT);
        assertThat(pl.marks()).containsKeys("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(pl.source()).startsWith("engine placement of fashion_cnn.onnx (auto) on ");

        // the quantized model: int8 layers, and which Q/DQ nodes ONNX Runtime fused
        models.open(int8);
        Overlay q = overlay(Overlay.Kind.COMPRESSION);
        long int8Layers = report.layers().stream().filter(l -> l.bits() == 8).count();
        assertThat(q.marks().values().stream().filter(m -> m.rgb() == CompressionOverlay.Precision.INT8.rgb()).count())
                .isEqualTo(int8Layers);
        assertThat(q.legend()).anyMatch(e -> e.label().startsWith("Q/DQ fused by ONNX Runtime"));
        assertThat(q.note()).startsWith("ONNX Runtime fused ");

        // the pruned model: the zeros (a large weight stored sparse is joined back by a Concat of its blocks, drawn as
        // the node it is)
        models.open(pruned);
        Overlay z = overlay(Overlay.Kind.COMPRESSION);
        String fc1 = z.marks().containsKey("fc1.weight_join") ? "fc1.weight_join" : "/fc1/Gemm";
        assertThat(z.marks().get(fc1).value()).matches("float32 · \\d+% zeros · 392\\.\\d KiB");
        int zeros = Integer.parseInt(z.marks().get(fc1).value().replaceAll(".*· (\\d+)% zeros.*", "$1"));
        assertThat(zeros).isGreaterThanOrEqualTo(40);
    }
}
