package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code polaris-workbench quantize}: the Quantize pane's headless twin. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize an ONNX model to INT8 (static QDQ or weight-only) or INT4 (weight-only, blocked), "
                + "verify it in a fresh ONNX Runtime session, and compare it with the original.",
                "Writes OUT only when everything succeeded, plus a JSON report beside it."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:quantized, verified and written", "2:usage error (options, data files, OUT exists)",
                "3:unreadable or invalid model", "4:quantization failed or failed its own verification (nothing written)",
                "7:out of memory; nothing was written (raise -Xmx)",
                "8:an output could not be written (full disk, I/O error); nothing was left in place"})
public final class QuantizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "float32 ONNX model")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "quantized model to write")
    Path output;

    @Option(names = "--force", description = "replace OUT if it exists")
    boolean force;

    @Option(names = "--mode", defaultValue = "static", paramLabel = "static|weight-only|fp16",
            description = "static: QDQ with calibrated activations (default); weight-only: integer weights only; "
                    + "fp16: float16 weight storage")
    String mode;

    @Bounds(min = 4, max = 16)
    @Option(names = "--bits", defaultValue = "8", paramLabel = "8|4|16",
            description = "weight bits; 4 implies weight-only, 16 float16 storage")
    int bits;

    @ArgGroup(exclusive = true)
    Granularity granularity = new Granularity();

    static final class Granularity {
        @Option(names = "--per-channel", description = "one weight scale per output channel (default)")
        boolean perChannel;
        @Option(names = "--per-tensor", description = "one weight scale per tensor")
        boolean perTensor;
    }

    @ArgGroup(exclusive = true)
    Symmetry symmetry = new Symmetry();

    static final class Symmetry {
        @Option(names = "--symmetric", description = "activations int8 with zero point 0 (weights are always symmetric in static mode)")
        boolean symmetric;
        @Option(names = "--asymmetric", description = "asymmetric activations (default); weight-only: asymmetric weights")
        boolean asymmetric;
    }

    @Option(names = "--activation-type", defaultValue = "uint8", paramLabel = "uint8|int8",
            description = "activation code type (default uint8)")
    String activationType;

    @Bounds(min = 16, max = 4096)
    @Option(names = "--block-size", defaultValue = "32", paramLabel = "N", description = "4-bit block size: 32, 64 or 128")
    int blockSize;

    @Option(names = "--int4-format", defaultValue = "nbits", paramLabel = "nbits|dq",
            description = "4-bit layout: ONNX Runtime MatMulNBits (default) or opset-21 DequantizeLinear")
    String int4Format;

    @Option(names = "--calibration", defaultValue = "percentile", paramLabel = "METHOD",
            description = "minmax, percentile[:P] (default, P=99.99), entropy or mse")
    String calibration;

    @Option(names = "--calib-data", paramLabel = "PATH",
            description = "IDX images file (.gz or plain), a folder of images, .wav clips, .npz samples or ONNX "
                    + "test_data_set_* folders; generated inputs if omitted (flagged)")
    Path calibData;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--calib-samples", defaultValue = "200", paramLabel = "N", description = "calibration samples")
    int calibSamples;

    @Option(names = "--eval-data", paramLabel = "PATH", description = "evaluation data (labels give accuracy); default: the calibration data")
    Path evalData;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--eval-samples", defaultValue = "2000", paramLabel = "N", description = "evaluation samples")
    int evalSamples;

    @Bounds(min = 1, max = 100000)
    @Option(names = "--latency-runs", defaultValue = "100", paramLabel = "N", description = "timed batch-1 runs per model")
    int latencyRuns;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "ONNX Runtime threads for latency")
    int threads;

    @Bounds(min = 1, max = 4096)
    @Option(names = "--latency-batch", defaultValue = "1", paramLabel = "N", description = "samples per timed run (default 1)")
    int latencyBatch;

    @Option(names = "--exclude", split = ",", paramLabel = "NODE", description = "node names (or OpType#index) to keep in float")
    List<String> exclude = List.of();

    @Option(names = "--weight-only-layers", split = ",", paramLabel = "NODE",
            description = "static mode: layers to quantize weights-only (activations float there)")
    List<String> weightOnlyLayers = List.of();

    @Option(names = "--no-speed-check", description = "static mode: quantize convolutions with few input channels "
            + "(image stems) without timing them against float first")
    boolean noSpeedCheck;

    @Bounds(min = 0, max = 86400)
    @Option(names = "--sensitivity", defaultValue = "0", paramLabel = "SECONDS",
            description = "static mode: quantize one layer at a time on evaluation samples and rank layers by the "
                    + "output change, within this time budget (default 0: off)")
    double sensitivity;

    @Option(names = "--report", paramLabel = "REPORT.json", description = "report path (default: OUT.report.json)")
    Path report;

    @Bounds(min = -1, max = 1)
    @Option(names = "--min-cosine", defaultValue = "0.9", paramLabel = "C",
            description = "fail (exit 4) when the outputs' mean cosine to the original is below this")
    double minCosine;

    @picocli.CommandLine.Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    @picocli.CommandLine.Mixin
    ModelInputOptions inputs = new ModelInputOptions();

    @Override
    public Integer call() throws Exception {
        QuantOptions options = options();
        if (model.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".pt")) {
            return torchScript(options);
        }
        OnnxModel m = new OnnxModelReader().read(model);
        InputData calib = feeds(calibData, m, calibSamples);
        // Without --eval-data the calibration source is reused, read again up to --eval-samples.
        InputData eval = feeds(evalData != null ? evalData : calibData, m, evalSamples);
        QuantRequest req = new QuantRequest(model, output, force, options, calib, calibSamples, eval,
                new QuantEvaluator.Settings(evalSamples, latencyRuns, Math.max(5, latencyRuns / 5), threads, latencyBatch), report,
                minCosine, sensitivity, !noSpeedCheck);
        PrintWriter err = spec.commandLine().getErr();
        QuantReport r = new QuantizeService().run(req, new ConsoleProgress(err), CancellationToken.none());
        PrintWriter out = spec.commandLine().getOut();
        out.print(QuantizeSummary.text(r));
        out.flush();
        return 0;
    }

    /** TorchScript: weight fake-quant through DJL, checked against the original on the evaluation data. */
    private int torchScript(QuantOptions o) throws Exception {
        if (o.mode() != QuantOptions.Mode.WEIGHT_ONLY) {
            throw new CliException("TorchScript models support weight fake-quant only: use --mode weight-only (--bits 8 or 4)", 2);
        }
        Path twin = model.resolveSibling(model.getFileName().toString().replaceFirst("(?i)\\.pt$", ".onnx"));
        OnnxModel shapes = java.nio.file.Files.isRegularFile(twin) ? new OnnxModelReader().read(twin) : null;
        Path dataPath = evalData != null ? evalData : calibData;
        if (dataPath == null && shapes == null) {
            throw new CliException("TorchScript declares no input shape: give --eval-data or keep NAME.onnx beside it", 2);
        }
        Dataset data;
        try {
            data = DataSources.open(dataPath, pre.toPreprocessing(), evalSamples,
                    shapes == null ? null : shapes.graph().feedInputs().get(0).type());
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        Path reportPath = report != null ? report : output.resolveSibling(output.getFileName() + ".report.json");
        org.polaris.workbench.engine.quant.TorchQuantizer.Result r = new org.polaris.workbench.engine.quant.TorchQuantizer()
                .fakeQuantize(model, output, reportPath, OutputPolicy.of(force, model, twin), o.bits(), data,
                        evalSamples, minCosine);
        var out = spec.commandLine().getOut();
        out.printf(java.util.Locale.ROOT, "Wrote %s (weights fake-quantized to %d bits, stored as float32)%n", output, o.bits());
        out.printf(java.util.Locale.ROOT, "Agreement:  top-1 %.2f%%, mean cosine %.5f over %d samples%n",
                100 * r.agreement().top1(), r.agreement().meanCosine(), r.agreement().samples());
        out.printf("Report:     %s%n", reportPath);
        out.flush();
        return 0;
    }

    private QuantOptions options() throws CliException {
        try {
            QuantOptions.Mode m = switch (mode) {
                case "static" -> QuantOptions.Mode.STATIC;
                case "weight-only", "weightonly" -> QuantOptions.Mode.WEIGHT_ONLY;
                case "fp16" -> QuantOptions.Mode.FP16;
                default -> throw new IllegalArgumentException("--mode must be static, weight-only or fp16, not " + mode);
            };
            if (bits == 4 && m == QuantOptions.Mode.STATIC) {
                m = QuantOptions.Mode.WEIGHT_ONLY;
            }
            IntType act = switch (activationType) {
                case "uint8" -> IntType.UINT8;
                case "int8" -> IntType.INT8;
                default -> throw new IllegalArgumentException("--activation-type must be uint8 or int8");
            };
            if (symmetry.symmetric) {
                // zero point 0 needs a signed code range
                act = IntType.INT8;
            }
            QuantOptions.Int4Format f = switch (int4Format) {
                case "nbits", "matmulnbits" -> QuantOptions.Int4Format.MATMUL_NBITS;
                case "dq", "dequantizelinear" -> QuantOptions.Int4Format.DEQUANTIZE_LINEAR;
                default -> throw new IllegalArgumentException("--int4-format must be nbits or dq");
            };
            Set<String> ex = new LinkedHashSet<>(exclude);
            return new QuantOptions(m, bits, !granularity.perTensor, symmetry.symmetric, act, !symmetry.asymmetric,
                    blockSize, f, Calibration.parse(calibration), ex, new LinkedHashSet<>(weightOnlyLayers));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    private InputData feeds(Path path, OnnxModel m, int samples) throws CliException {
        try {
            return DataSources.open(path, inputs.request(pre.toPreprocessing()), samples, m.graph().feedInputs());
        } catch (DataException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
