package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.sparsity.PruneMethod;
import org.polaris.workbench.engine.sparsity.PruneService;
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
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code polaris-workbench prune}, the Sparsity pane's CLI twin over {@link PruneService}: pruning of ONNX models
 * (zeros, optional sparse storage, or channels removed; optionally then INT8), verified in a fresh ONNX Runtime
 * session and compared with the original, and of TorchScript models (weights edited through DJL, the written
 * {@code .pt} re-loaded and compared).
 */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prune the weights of Conv, Gemm and MatMul layers (ONNX) or of every weight matrix "
                + "(TorchScript .pt), verify the result and compare it with the original.",
                "Writes OUT only when everything succeeded, plus a JSON report beside it."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:pruned, verified and written", "2:usage error (options, data files, OUT exists)",
                "3:unreadable or invalid model", "4:pruning failed or failed its own verification (nothing written)",
                "7:out of memory; nothing was written (raise -Xmx)",
                "8:an output could not be written (full disk, I/O error); nothing was left in place"})
public final class PruneCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "float32 ONNX model or TorchScript .pt")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "pruned model to write")
    Path output;

    @Option(names = "--force", description = "replace OUT if it exists")
    boolean force;

    @Option(names = "--method", defaultValue = "magnitude", paramLabel = "METHOD",
            description = "magnitude (default), nm:N:M (e.g. nm:2:4), block:RxC (e.g. block:4x4), channel or channel:l1")
    String method;

    @Bounds(min = 0, max = 0.999)
    @Option(names = "--sparsity", defaultValue = "0.5", paramLabel = "S",
            description = "fraction of weights (blocks, channels) to remove, in [0, 1); nm:N:M fixes it at 1 - N/M")
    double sparsity;

    @Option(names = "--scope", defaultValue = "auto", paramLabel = "layer|global",
            description = "layer: every layer loses S; global: one magnitude threshold over all layers, so large layers "
                    + "lose more and small ones (often the first and last) less. Default: global for magnitude "
                    + "(it kept the Fashion CNN's accuracy at 50%% where layer scope lost 20 points), layer otherwise")
    String scope;

    @Option(names = "--allocation", defaultValue = "uniform", paramLabel = "uniform|erk|sensitivity",
            description = "layer scope: how the target spreads over layers. uniform: each loses S; erk: small layers stay "
                    + "denser (Erdos-Renyi-Kernel); sensitivity: scans each layer alone on the evaluation data, then "
                    + "greedily prunes where accuracy suffers least")
    String allocation;

    @Option(names = "--exclude", split = ",", paramLabel = "NODE", description = "layers (node names) to leave dense")
    List<String> exclude = List.of();

    @Bounds(min = 0, max = 1024)
    @Option(names = "--channel-multiple", defaultValue = "0", paramLabel = "N",
            description = "channel pruning keeps a multiple of N channels per layer (CPU kernels work in channel blocks, "
                    + "so 22 channels cost as much as 32); default: the CPU's block, 16 with AVX-512, else 8")
    int channelMultiple;

    @Option(names = "--sparse-storage",
            description = "store pruned weights as ONNX sparse_initializers (values + narrowest indices; tensors over "
                    + "32,768 elements in row blocks with 16-bit indices, joined by a Concat folded at load) where that "
                    + "is smaller, so the file shrinks; ONNX Runtime densifies them at load")
    boolean sparseStorage;

    @Option(names = "--quantize", paramLabel = "int8",
            description = "then quantize the pruned model to static INT8 (QDQ, symmetric per-channel weights so zeros stay "
                    + "zeros; calibrated on the evaluation data) before verifying and comparing it with the original")
    String quantize;

    @Option(names = "--refit",
            description = "after pruning, re-fit the weights each mask keeps (and the biases) by least squares, layer by "
                    + "layer, so each Gemm/MatMul/Conv reproduces the original layer's outputs on --calib-data (no gradient "
                    + "training; the zeros stay where pruning put them)")
    boolean refit;

    @Option(names = "--calib-data", paramLabel = "PATH",
            description = "samples for --refit (IDX images file or image folder; labels unused). Default: the "
                    + "evaluation data, which makes the reported accuracy optimistic (the report says so)")
    Path calibData;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--calib-samples", defaultValue = "5000", paramLabel = "N", description = "samples --refit uses")
    int calibSamples;

    @Option(names = "--eval-data", paramLabel = "PATH",
            description = "IDX images file or image folder (labels give accuracy); random inputs if omitted (flagged)")
    Path evalData;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--eval-samples", defaultValue = "1000", paramLabel = "N", description = "evaluation samples")
    int evalSamples;

    @Bounds(min = 1, max = 100000)
    @Option(names = "--latency-runs", defaultValue = "100", paramLabel = "N", description = "timed batch-1 runs per model")
    int latencyRuns;

    @Bounds(min = 1, max = 4096)
    @Option(names = "--latency-batch", defaultValue = "1", paramLabel = "N", description = "samples per timed run (default 1)")
    int latencyBatch;

    @Option(names = "--report", paramLabel = "REPORT.json", description = "report path (default: OUT.report.json)")
    Path report;

    @picocli.CommandLine.Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    @picocli.CommandLine.Mixin
    ModelInputOptions inputs = new ModelInputOptions();

    @Override
    public Integer call() throws Exception {
        PruneMethod m;
        try {
            m = PruneMethod.parse(method);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        if (quantize != null && !quantize.equalsIgnoreCase("int8")) {
            throw new CliException("--quantize supports int8, got '" + quantize + "'", 2);
        }
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new CliException("--sparsity must be in [0, 1), got " + sparsity, 2);
        }
        Allocation.Strategy alloc;
        try {
            alloc = Allocation.Strategy.parse(allocation);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        if (scope.equals("auto") && alloc != Allocation.Strategy.UNIFORM) {
            scope = "layer";
        }
        if (scope.equals("auto")) {
            boolean torch = model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pt");
            scope = m.kind() == PruneMethod.Kind.MAGNITUDE && !torch ? "global" : "layer";
        }
        Path reportPath = report != null ? report : output.resolveSibling(output.getFileName() + ".report.json");
        if (model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pt")) {
            return torchScript(m, reportPath);
        }
        OnnxModel om = new OnnxModelReader().read(model);
        InputData data = feeds(evalData, om, evalSamples);
        PruneService.Request req = new PruneService.Request(model, output, force, m, sparsity, scope,
                new LinkedHashSet<>(exclude), data,
                new QuantEvaluator.Settings(evalSamples, latencyRuns, Math.max(5, latencyRuns / 5), 1, latencyBatch), reportPath,
                sparseStorage, channelMultiple, alloc, quantize != null);
        if (refit) {
            if (m.kind() == PruneMethod.Kind.CHANNEL) {
                throw new CliException("--refit keeps a pruning mask's weights: use it with magnitude, nm or block", 2);
            }
            if (calibSamples < 1) {
                throw new CliException("--calib-samples must be at least 1, got " + calibSamples, 2);
            }
            // the re-fit reads at most as many samples as the data set has
            req = req.withRefit(calibData != null ? feeds(calibData, om, calibSamples) : data, calibSamples);
        } else if (calibData != null) {
            throw new CliException("--calib-data is only used with --refit", 2);
        }
        PrintWriter err = spec.commandLine().getErr();
        PruneService.Result r = new PruneService().run(req, new ConsoleProgress(err), CancellationToken.none());
        PrintWriter out = spec.commandLine().getOut();
        Evaluation.Side o = r.comparison().original();
        Evaluation.Side p = r.comparison().quantized();
        long sparseLayers = r.layers().stream().filter(l -> l.format().contains("sparse")).count();
        out.printf(Locale.ROOT, "Wrote %s: %s%s, %d layers, %.1f%% of their weights removed (%s)%n", output,
                m, quantize != null ? " + int8" : "", r.layers().size(), 100 * r.overallSparsity(), sparseLayers > 0
                        ? sparseLayers + " stored as sparse_initializers" : r.layers().get(0).format().startsWith("channels")
                        ? "channels physically removed" : "dense storage");
        out.printf(Locale.ROOT, "File size:  %,d -> %,d bytes (%.2fx smaller)%n", o.fileBytes(), p.fileBytes(),
                (double) o.fileBytes() / p.fileBytes());
        if (o.accuracy() != null) {
            out.printf(Locale.ROOT, "Accuracy:   %.2f%% -> %.2f%%%n", 100 * o.accuracy(), 100 * p.accuracy());
        }
        out.print(AgreementText.lines(r.comparison().agreement(), data.isSynthetic() ? " (generated inputs)" : ""));
        boolean channels = m.kind() == PruneMethod.Kind.CHANNEL;
        out.printf(Locale.ROOT, "Latency:    %.3f -> %.3f ms (%.0f%% %s; ONNX Runtime, batch %d, 1 thread%s)%n",
                o.latency().medianMs(), p.latency().medianMs(),
                100 * Math.abs(1 - p.latency().medianMs() / o.latency().medianMs()),
                p.latency().medianMs() <= o.latency().medianMs() ? "lower" : "higher", p.latency().batch(),
                channels ? "" : "; dense kernels do not skip zeros");
        if (r.sensitivity() != null || alloc == Allocation.Strategy.ERK) {
            out.printf("Allocation: %s: %s%n", alloc, String.join(", ", r.layers().stream().map(l -> String.format(Locale.ROOT,
                    "%s %.0f%%", l.node(), 100 * l.sparsity())).toList()));
        }
        if (channels) {
            out.printf("Channels:   %s%n", String.join(", ", r.layers().stream().map(l -> l.node() + " "
                    + l.format().replaceFirst("^channels ([0-9]+->[0-9]+).*$", "$1")).toList()));
        }
        if (!r.refit().isEmpty()) {
            out.printf(Locale.ROOT, "Re-fit:     %s (%d samples%s)%n", String.join(", ", r.refit().stream().map(l ->
                    l.refit() ? String.format(Locale.ROOT, "%s error %.3f -> %.3f", l.node(), l.errorBefore(),
                            l.errorAfter()) : l.node() + " kept as pruned").toList()), r.refitSamples(),
                    r.refitOnEvaluationData() ? ", the evaluation data: accuracy is optimistic" : "");
        }
        if (!r.skipped().isEmpty()) {
            out.printf("Left whole: %s%n", String.join("; ", r.skipped().stream().map(k -> k.node() + " (" + k.reason() + ")").toList()));
        }
        if (r.externalData() != null) {
            out.printf("Weights:    %s (external data, as in the input)%n", r.externalData());
        }
        out.printf("Report:     %s%n", reportPath);
        out.flush();
        return 0;
    }

    private InputData feeds(Path path, OnnxModel m, int samples) throws CliException {
        try {
            return DataSources.open(path, inputs.request(pre.toPreprocessing()), samples, m.graph().feedInputs());
        } catch (DataException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    private Dataset dataset(Path path, OnnxModel m) throws CliException {
        return open(path, m, evalSamples);
    }

    private Dataset open(Path path, OnnxModel m, int samples) throws CliException {
        try {
            return DataSources.open(path, pre.toPreprocessing(), samples,
                    m == null || m.graph().feedInputs().isEmpty() ? null : m.graph().feedInputs().get(0).type());
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    /** TorchScript: input shapes come from the ONNX twin or the data; the service does the rest. */
    private int torchScript(PruneMethod m, Path reportPath) throws Exception {
        if (!scope.equals("layer")) {
            throw new CliException("TorchScript models are pruned per layer: use --scope layer", 2);
        }
        Path twin = model.resolveSibling(model.getFileName().toString().replaceFirst("(?i)\\.pt$", ".onnx"));
        OnnxModel shapes = Files.isRegularFile(twin) ? new OnnxModelReader().read(twin) : null;
        if (evalData == null && shapes == null) {
            throw new CliException("TorchScript declares no input shape: give --eval-data or keep NAME.onnx beside it", 2);
        }
        Dataset data = dataset(evalData, shapes);
        PruneService.TorchResult r = new PruneService().runTorchScript(model, output, force, m, sparsity, data,
                evalSamples, reportPath);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "Wrote %s: %s, %d weights, %.1f%% zero (TorchScript, float32 with zeros)%n", output, m,
                r.layers().size(), 100.0 * r.overallSparsity());
        out.printf(Locale.ROOT, "Agreement:  top-1 %.2f%%, mean cosine %.5f over %d samples%n",
                100 * r.agreement().top1(), r.agreement().meanCosine(), r.agreement().samples());
        out.printf("Report:     %s%n", reportPath);
        out.flush();
        return 0;
    }
}
