package org.polaris.workbench.engine.sparsity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.model.GraphPrep;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.SparseChunks;
import org.polaris.workbench.engine.model.SparseTensorCodec;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.Calibrator;
import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizationException;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.quant.TorchQuantizer;
import org.polaris.workbench.engine.torch.TorchFakeQuant;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.quant.Verification;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prunes the weights of Conv, Gemm and MatMul layers of an ONNX model (dense zeros; the graph is otherwise left as
 * it is), then writes the result to a temporary file, re-loads it in a fresh ONNX Runtime session, checks that
 * the zeros survived and the outputs are finite, compares it with the original on real inputs (accuracy, top-1
 * agreement, output cosine, batch-1 latency), and only then moves it into place and writes the report.
 */
public final class PruneService {

    /**
     * @param scope {@code layer}: each layer loses the same fraction; {@code global}: one magnitude threshold
     * @param sparseStorage store pruned weights as ONNX {@code sparse_initializer}s where that is smaller
     * @param allocation how layer scope spreads the target over layers (uniform, ERK, or greedy over a sensitivity scan)
     * @param quantizeInt8 then quantize the pruned model to static INT8 (QDQ, symmetric per-channel weights, so the
     *                     zeros stay exact zeros) before it is verified and compared with the original
     * @param channelMultiple channel pruning keeps a multiple of this many channels per layer; 0: the CPU's block
     *                        ({@link ChannelPruner#defaultMultiple()})
     * @param refitData unstructured methods: re-fit the weights each mask keeps by least squares on these samples
     *                  ({@link Reconstruction}); null: plain pruning
     * @param refitSamples how many of {@code refitData}'s samples the re-fit uses
     */
    public record Request(Path model, Path output, boolean overwrite, PruneMethod method, double sparsity,
                          String scope, Set<String> exclude, InputData evaluation, QuantEvaluator.Settings evalSettings,
                          Path reportPath, boolean sparseStorage, int channelMultiple, Allocation.Strategy allocation,
                          boolean quantizeInt8, InputData refitData, int refitSamples, boolean int8SpeedCheck) {

        /** With the INT8 step's stem speed check (what the CLI and the pane do). */
        public Request(Path model, Path output, boolean overwrite, PruneMethod method, double sparsity, String scope,
                       Set<String> exclude, InputData evaluation, QuantEvaluator.Settings evalSettings, Path reportPath,
                       boolean sparseStorage, int channelMultiple, Allocation.Strategy allocation, boolean quantizeInt8,
                       InputData refitData, int refitSamples) {
            this(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings, reportPath,
                    sparseStorage, channelMultiple, allocation, quantizeInt8, refitData, refitSamples, true);
        }

        public Request(Path model, Path output, boolean overwrite, PruneMethod method, double sparsity, String scope,
                       Set<String> exclude, InputData evaluation, QuantEvaluator.Settings evalSettings, Path reportPath,
                       boolean sparseStorage, int channelMultiple, Allocation.Strategy allocation, boolean quantizeInt8) {
            this(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings, reportPath,
                    sparseStorage, channelMultiple, allocation, quantizeInt8, null, 0);
        }

        /** The same request with least-squares re-fitting of the kept weights on {@code data} (null: off). */
        public Request withRefit(InputData data, int samples) {
            return new Request(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings,
                    reportPath, sparseStorage, channelMultiple, allocation, quantizeInt8, data, samples, int8SpeedCheck);
        }

        /**
         * The same request without the INT8 step's stem speed check, so the result does not depend on timing (a
         * search, whose tasks may run on other machines, times the stem choice itself).
         */
        public Request withoutInt8SpeedCheck() {
            return new Request(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings,
                    reportPath, sparseStorage, channelMultiple, allocation, quantizeInt8, refitData, refitSamples, false);
        }

        public Request(Path model, Path output, boolean overwrite, PruneMethod method, double sparsity, String scope,
                       Set<String> exclude, InputData evaluation, QuantEvaluator.Settings evalSettings, Path reportPath,
                       boolean sparseStorage, int channelMultiple, Allocation.Strategy allocation) {
            this(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings, reportPath,
                    sparseStorage, channelMultiple, allocation, false);
        }

        /** The output rule for this job: replace only with {@code overwrite}, never the model or its data. */
        public OutputPolicy outputPolicy() {
            List<Path> in = new ArrayList<>(List.of(model));
            if (evaluation != null) {
                in.addAll(evaluation.files());
            }
            if (refitData != null) {
                in.addAll(refitData.files());
            }
            return new OutputPolicy(overwrite, in);
        }

        public Request withQuantizeInt8(boolean on) {
            return new Request(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings,
                    reportPath, sparseStorage, channelMultiple, allocation, on, refitData, refitSamples);
        }

        public Request withSparseStorage(boolean on) {
            return new Request(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings,
                    reportPath, on, channelMultiple, allocation, quantizeInt8, refitData, refitSamples);
        }

        public Request withAllocation(Allocation.Strategy a) {
            return new Request(model, output, overwrite, method, sparsity, scope, exclude, evaluation, evalSettings,
                    reportPath, sparseStorage, channelMultiple, a, quantizeInt8, refitData, refitSamples);
        }
    }

    /**
     * One pruned weight: {@code sparsity} is the fraction of its original weights that are zero or gone afterwards;
     * {@code format} says how the file stores it ({@code dense}, {@code sparse linear int32}, ...,
     * {@code channels 32->22}), {@code storedBytes} how many bytes of weight data that takes.
     */
    public record Layer(String name, String node, long[] shape, double sparsity, String format, long storedBytes) {
    }

    /**
     * @param refit what least-squares re-fitting did per weight (empty when it was off)
     * @param refitSamples calibration samples the re-fit used (0 when off)
     * @param refitOnEvaluationData the re-fit saw the evaluation samples themselves (its accuracy is optimistic)
     */
    public record Result(Path output, PruneMethod method, double requestedSparsity, String scope, double overallSparsity,
                         List<Layer> layers, List<ChannelPruner.Skipped> skipped, SensitivityScan.Result sensitivity,
                         QuantEvaluator.Result comparison, double seconds, List<Reconstruction.Layer> refit,
                         int refitSamples, boolean refitOnEvaluationData, Path externalData) {

        public Map<String, Object> toJson(Path model) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.toString());
            j.put("output", output.toString());
            j.put("externalData", externalData == null ? null : externalData.toString());
            j.put("method", method.toString());
            j.put("requestedSparsity", requestedSparsity);
            j.put("scope", scope);
            j.put("quantized", layers.stream().anyMatch(l -> l.format().startsWith("int8")) ? "int8" : null);
            j.put("overallSparsity", overallSparsity);
            if (sensitivity != null) {
                j.put("sensitivity", Map.of("baseline", sensitivity.baseline(), "labelled", sensitivity.labelled(),
                        "score", sensitivity.score().label(),
                        "samples", sensitivity.samples(), "curves", sensitivity.curves().stream().map(c -> Map.of(
                                "weight", c.weight(), "node", c.node(), "points", c.points().stream()
                                        .map(p -> List.of(p.sparsity(), p.accuracy())).toList())).toList()));
            }
            j.put("original", side(comparison.original()));
            j.put("pruned", side(comparison.quantized()));
            j.put("agreement", agreementJson(comparison.agreement()));
            j.put("layers", layersJson(layers));
            j.put("skipped", skipped.stream().map(k -> Map.of("node", k.node(), "reason", k.reason())).toList());
            if (!refit.isEmpty()) {
                Map<String, Object> rf = new LinkedHashMap<>();
                rf.put("samples", refitSamples);
                rf.put("onEvaluationData", refitOnEvaluationData);
                rf.put("layers", refit.stream().map(l -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("weight", l.weight());
                    m.put("node", l.node());
                    m.put("refit", l.refit());
                    m.put("errorBefore", Double.isNaN(l.errorBefore()) ? null : l.errorBefore());
                    m.put("errorAfter", Double.isNaN(l.errorAfter()) ? null : l.errorAfter());
                    m.put("note", l.note());
                    return m;
                }).toList());
                j.put("refit", rf);
            } else {
                j.put("refit", null);
            }
            j.put("seconds", seconds);
            return j;
        }

        static Map<String, Object> agreementJson(Evaluation.Agreement a) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("top1", Evaluation.finite(a.top1()));
            m.put("meanCosine", Evaluation.finite(a.meanCosine()));
            m.put("minCosine", Evaluation.finite(a.minCosine()));
            m.put("maxAbsError", Evaluation.finite(a.maxAbsError()));
            m.put("samples", a.samples());
            m.put("outputs", Evaluation.outputsJson(a.outputs()));
            return m;
        }

        static List<Map<String, Object>> layersJson(List<Layer> layers) {
            List<Map<String, Object>> ls = new ArrayList<>();
            for (Layer l : layers) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", l.name());
                m.put("node", l.node());
                m.put("shape", l.shape());
                m.put("sparsity", l.sparsity());
                m.put("format", l.format());
                m.put("storedBytes", l.storedBytes());
                ls.add(m);
            }
            return ls;
        }

        private static Map<String, Object> side(Evaluation.Side s) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fileBytes", s.fileBytes());
            m.put("accuracy", s.accuracy());
            m.put("latencyMs", s.latency().medianMs());
            m.put("latencyP90Ms", s.latency().p90Ms());
            return m;
        }
    }

    private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "MatMul");
    /** Levels the sensitivity scan tries per layer. */
    static final double[] SCAN_LEVELS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

    private final OnnxModelReader reader = new OnnxModelReader();

    public Result run(Request req, ProgressSink progress, CancellationToken cancel)
            throws ModelLoadException, QuantizationException, IOException {
        OutputPolicy policy = req.outputPolicy();
        policy.preflight(req.output(), req.reportPath());
        if (!req.scope().equals("layer") && !req.scope().equals("global")) {
            throw new QuantizationException("unknown scope '" + req.scope() + "': use layer or global");
        }
        if (req.scope().equals("global") && req.method().kind() != PruneMethod.Kind.MAGNITUDE) {
            throw new QuantizationException("global scope ranks single weights across layers: use it with --method magnitude");
        }
        long t0 = System.nanoTime();
        progress.progress(0.01, "reading " + req.model().getFileName());
        // weights exporters keep in Constant nodes (paddle2onnx keeps all of them there) are weights to prune too
        OnnxModel original = GraphPrep.constantsAsInitializers(SparseChunks.fold(reader.read(req.model())));
        policy = policy.withInputs(original.externalFiles());
        // (serialized again for the comparison: holding a copy of a large model all run doubles the peak)
        OrtModelSession.requireLoads(req.model(), OnnxModelWriter.toBytes(original));
        Map<String, Tensor> inits = new LinkedHashMap<>();
        original.graph().initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, Object[]> targets = new LinkedHashMap<>();
        for (Target t : targets(original, req.exclude())) {
            targets.put(t.weight(), new Object[] {t.node(), t.axis()});
        }
        if (targets.isEmpty()) {
            throw new QuantizationException(req.model() + ": no Conv, Gemm or MatMul layer with float32 weights stored "
                    + "as initializers to prune");
        }
        double s = Double.isNaN(req.method().fixedSparsity()) ? req.sparsity() : req.method().fixedSparsity();
        List<Layer> layers = new ArrayList<>();
        Map<String, float[]> pruned = new LinkedHashMap<>();
        Map<String, Long> zeroCounts = new LinkedHashMap<>();
        OnnxModel result;
        double overall;
        List<ChannelPruner.Skipped> skipped = List.of();
        SensitivityScan.Result scan = null;
        double[] perLayer = null;
        if (req.allocation() != Allocation.Strategy.UNIFORM) {
            if (!req.scope().equals("layer") || req.method().kind() == PruneMethod.Kind.CHANNEL
                    || !Double.isNaN(req.method().fixedSparsity())) {
                throw new QuantizationException(req.allocation() + " allocation spreads a target over layers: use it with "
                        + "--scope layer and --method magnitude or block");
            }
            List<long[]> shapes = targets.keySet().stream().map(k -> inits.get(k).dims()).toList();
            if (req.allocation() == Allocation.Strategy.ERK) {
                perLayer = Allocation.erk(shapes, s);
            } else {
                try {
                    scan = SensitivityScan.run(original, req.method(), SCAN_LEVELS, req.evaluation(),
                            Math.min(500, req.evalSettings().samples()), (f, m) -> progress.progress(0.02 + 0.2 * f, m), cancel);
                } catch (OrtModelSession.RuntimeFailure e) {
                    throw new QuantizationException("sensitivity scan failed: " + e.getMessage(), e);
                }
                Map<String, Double> byWeight = new LinkedHashMap<>();
                double[] a = Allocation.sensitivity(scan, s);
                for (int i = 0; i < a.length; i++) byWeight.put(scan.curves().get(i).weight(), a[i]);
                perLayer = targets.keySet().stream().mapToDouble(k -> byWeight.getOrDefault(k, 0.0)).toArray();
            }
        }
        List<Reconstruction.Layer> refit = List.of();
        int refitSamples = 0;
        if (req.refitData() != null && req.method().kind() == PruneMethod.Kind.CHANNEL) {
            throw new QuantizationException("re-fitting keeps a pruning mask's weights: use it with magnitude, N:M or "
                    + "block pruning, not channel pruning");
        }
        if (req.method().kind() == PruneMethod.Kind.CHANNEL) {
            progress.progress(0.05, "removing " + Math.round(100 * s) + "% of the channels of every eligible layer");
            ChannelPruner.Outcome o = ChannelPruner.prune(original, s, req.method().l1(), req.exclude(),
                    req.channelMultiple() > 0 ? req.channelMultiple() : ChannelPruner.defaultMultiple());
            if (o.layers().isEmpty()) {
                throw new QuantizationException(req.model() + ": no layer could lose channels: " + o.skipped().stream()
                        .map(k -> k.node() + " (" + k.reason() + ")").reduce((a, b) -> a + "; " + b).orElse("none found"));
            }
            Map<String, Tensor> after = new LinkedHashMap<>();
            o.model().graph().initializers().forEach(t -> after.put(t.name(), t));
            long before = 0;
            long kept = 0;
            for (ChannelPruner.Layer l : o.layers()) {
                long b = inits.get(l.weight()).elementCount();
                long a = after.get(l.weight()).elementCount();
                before += b;
                kept += a;
                layers.add(new Layer(l.weight(), l.node(), after.get(l.weight()).dims(), 1.0 - (double) a / b,
                        "channels " + l.channelsBefore() + "->" + l.channelsAfter(), 4 * a));
            }
            skipped = o.skipped();
            overall = 1.0 - (double) kept / before;
            result = o.model();
        } else {
            result = unstructured(req, original, inits, targets, s, perLayer, pruned, layers, progress, cancel);
            if (req.refitData() != null) {
                try {
                    Reconstruction.Result rr = Reconstruction.run(original, result, pruned, req.refitData(),
                            Math.max(1, req.refitSamples()), (f, m) -> progress.progress(0.22 + 0.07 * f, m), cancel);
                    pruned.putAll(rr.weights());
                    result = rr.model();
                    refit = rr.layers();
                    refitSamples = rr.samples();
                } catch (OrtModelSession.RuntimeFailure e) {
                    throw new QuantizationException("re-fitting failed: " + e.getMessage(), e);
                }
            }
            long zeros = 0;
            long total = 0;
            for (float[] p : pruned.values()) {
                zeros += countZeros(p);
                total += p.length;
            }
            overall = (double) zeros / total;
            for (Map.Entry<String, float[]> e : pruned.entrySet()) {
                zeroCounts.put(e.getKey(), countZeros(e.getValue()));
            }
            // the result's tensors hold the weights now; the float copies would double the peak
            pruned.clear();
        }
        if (req.sparseStorage() && !req.quantizeInt8()) {
            // weights too big for 16-bit indices go into row blocks that have them (6 bytes a kept float, not 8)
            SparseChunks.Outcome split = SparseChunks.split(result);
            result = split.model();
            List<Layer> stored = new ArrayList<>();
            for (Layer l : layers) {
                SparseChunks.Split sp = split.splits().get(l.name());
                stored.add(sp == null ? l : new Layer(l.name(), l.node(), l.shape(), l.sparsity(),
                        "sparse " + sp.encoding() + " in " + sp.blocks() + " blocks", sp.bytes()));
            }
            layers = stored;
        }
        // weights the input kept in an external file stay in one beside the output (inline for --quantize int8)
        Set<String> externalNames = new java.util.LinkedHashSet<>();
        original.graph().initializers().stream().filter(t -> t.externalLocation() != null)
                .forEach(t -> externalNames.add(t.name()));
        Path side = externalNames.isEmpty() || req.quantizeInt8() ? null
                : req.output().resolveSibling(req.output().getFileName() + ".data");
        policy.preflight(side);
        try (OutputSet outputs = new OutputSet(policy)) {
            Path tmp;
            OnnxModel written;
            byte[] writtenBytes;
            if (side != null) {
                OnnxModelWriter.WithExternalData w = OnnxModelWriter.toBytesWithExternal(result, externalNames,
                        side.getFileName().toString());
                result = null;
                outputs.write(req.output(), w.model());
                outputs.write(side, w.data());
                tmp = outputs.temporary(req.output());
                written = Verification.reread(reader, tmp, req.output(),
                        Map.of(side.getFileName().toString(), outputs.temporary(side)));
                writtenBytes = OnnxModelWriter.toBytes(written);
            } else {
                new OnnxModelWriter().write(result, outputs, req.output());
                result = null;
                tmp = outputs.temporary(req.output());
                written = Verification.reread(reader, tmp, req.output(), Map.of());
                writtenBytes = Files.readAllBytes(tmp);
            }
            cancel.throwIfCancelled();
            progress.progress(0.3, "verifying the result in a fresh ONNX Runtime session");
            verify(written, writtenBytes, zeroCounts, req.evaluation());
            written = null;
            if (req.quantizeInt8()) {
                layers = quantize(req, outputs, zeroCounts, layers, progress, cancel);
                writtenBytes = Files.readAllBytes(tmp);
            }
            QuantEvaluator.Result cmp;
            try {
                cmp = new QuantEvaluator().compare(OnnxModelWriter.toBytes(original), writtenBytes,
                        original.graph().feedInputs(), req.evaluation(), Calibrator.batchSize(original.graph()),
                        req.evalSettings(), (f, m) -> progress.progress(0.35 + 0.6 * f, m), cancel);
            } catch (OrtModelSession.RuntimeFailure e) {
                throw new QuantizationException("evaluation failed: " + e.getMessage(), e);
            }
            Verification.requireAgreement(cmp.agreement(), -1);
            Result r = new Result(req.output(), req.method(), s, req.scope(), overall, layers, skipped, scan, cmp,
                    (System.nanoTime() - t0) / 1e9, refit, refitSamples, req.refitData() == req.evaluation(), side);
            cancel.throwIfCancelled();
            progress.progress(0.97, "writing " + req.output().getFileName());
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            outputs.write(req.reportPath(), mapper.writeValueAsBytes(r.toJson(req.model())));
            outputs.commit();
            progress.progress(1, "done");
            return r;
        }
    }

    /**
     * The second half of prune-then-quantize: the verified pruned file {@code tmp} is quantized to static INT8 with
     * the evaluation data as calibration data, every pruned weight's int8 codes are checked to hold at least its
     * zeros, pruned int8 weights are stored sparse when asked and smaller, and {@code tmp} is replaced by the result.
     */
    private List<Layer> quantize(Request req, OutputSet outputs, Map<String, Long> pruned, List<Layer> layers,
                                 ProgressSink progress, CancellationToken cancel)
            throws ModelLoadException, QuantizationException, IOException {
        Path tmp = outputs.temporary(req.output());
        Path q = TempFiles.createBeside(req.output());
        Path qReport = TempFiles.createBeside(req.reportPath());
        try {
            progress.progress(0.31, "quantizing the pruned model to int8");
            int n = Math.min(300, req.evaluation().size());
            org.polaris.workbench.engine.quant.QuantReport qr = new QuantizeService().run(new QuantRequest(tmp, q, true, QuantOptions.staticInt8(), req.evaluation(),
                            Math.min(200, n), req.evaluation(), new QuantEvaluator.Settings(n, 5, 2, 1, 1), qReport, 0.9, 0,
                            req.int8SpeedCheck()),
                    (f, m) -> progress.progress(0.31 + 0.03 * f, "int8: " + m), cancel);
            OnnxModel qm = reader.read(q);
            Map<String, Tensor> codes = new LinkedHashMap<>();
            for (Tensor t : qm.graph().initializers()) {
                if (t.dataType() == DataType.INT8) codes.put(t.name(), t);
            }
            Set<String> sparse = new java.util.LinkedHashSet<>();
            List<Layer> out = new ArrayList<>();
            for (Layer l : layers) {
                Tensor c = codes.entrySet().stream().filter(e -> e.getKey().startsWith(l.name() + "_q")
                        && e.getValue().elementCount() == Tensor.elementCount(l.shape())).map(Map.Entry::getValue)
                        .findFirst().orElse(null);
                if (c == null) {
                    boolean slower = qr.layers().stream().anyMatch(x -> x.name().equals(l.node()) && x.note() != null
                            && x.note().startsWith(QuantizeService.KEPT_FLOAT_SLOWER));
                    out.add(slower ? new Layer(l.name(), l.node(), l.shape(), l.sparsity(),
                            l.format() + ", kept float: int8 measured slower", l.storedBytes()) : l);
                    continue;
                }
                Long p = pruned.get(l.name());
                long zeroCodes = 0;
                for (byte b : c.raw()) if (b == 0) zeroCodes++;
                if (p != null && zeroCodes < p) {
                    throw new QuantizationException("verification failed: quantizing " + l.name() + " lost zeros ("
                            + zeroCodes + " zero codes for " + p + " pruned weights)");
                }
                SparseTensorCodec.Encoding enc = req.sparseStorage() ? SparseTensorCodec.encodingFor(c) : null;
                if (enc != null) sparse.add(c.name());
                String structure = l.format().startsWith("channels") ? l.format() + ", " : "";
                out.add(new Layer(l.name(), l.node(), l.shape(), l.sparsity(),
                        structure + "int8 " + (enc == null ? "dense" : "sparse " + enc),
                        enc == null ? c.raw().length : enc.bytes()));
            }
            outputs.write(req.output(), OnnxModelWriter.toBytes(qm.withGraph(qm.graph().withInitializers(qm.graph().initializers(), sparse))));
            return out;
        } finally {
            TempFiles.delete(q);
            TempFiles.delete(qReport);
        }
    }

    /** Magnitude, N:M and block pruning: zeros in place, optionally stored as sparse initializers. */
    private static OnnxModel unstructured(Request req, OnnxModel original, Map<String, Tensor> inits,
                                          Map<String, Object[]> targets, double s, double[] perLayer,
                                          Map<String, float[]> pruned,
                                          List<Layer> layers, ProgressSink progress, CancellationToken cancel) {
        progress.progress(0.05, "pruning " + targets.size() + " weights (" + req.method() + ")");
        if (req.scope().equals("global")) {
            float[][] all = targets.keySet().stream().map(k -> inits.get(k).toFloats()).toArray(float[][]::new);
            long total = 0;
            for (float[] a : all) total += a.length;
            long count = Math.round(s * total);
            float t = Pruner.globalThreshold(all, count);
            long below = 0;
            for (float[] a : all) for (float v : a) if (Math.abs(v) < t) below++;
            long ties = count - below;
            int k = 0;
            for (String name : targets.keySet()) {
                float[] a = all[k++];
                long here = 0;
                for (float v : a) if (Math.abs(v) == t) here++;
                long take = Math.min(ties, here);
                // the arrays are this method's own copies: prune them in place
                pruned.put(name, Pruner.pruneBelowInPlace(a, t, take));
                all[k - 1] = null;
                ties -= take;
            }
        } else {
            int index = 0;
            for (Map.Entry<String, Object[]> e : targets.entrySet()) {
                cancel.throwIfCancelled();
                double layerSparsity = perLayer == null ? s : perLayer[index];
                index++;
                Tensor w = inits.get(e.getKey());
                int axis = (Integer) e.getValue()[1];
                int[] rc = Pruner.rowsCols(w.dims(), axis);
                float[] rows = Pruner.toRows(w.toFloats(), w.dims(), axis);
                pruned.put(e.getKey(), Pruner.fromRows(Pruner.prune(rows, rc[0], rc[1], req.method(), layerSparsity),
                        w.dims(), axis));
            }
        }
        List<Tensor> newInits = new ArrayList<>();
        Set<String> sparse = new java.util.LinkedHashSet<>(original.graph().sparseInitializers());
        for (Tensor t : original.graph().initializers()) {
            float[] p = pruned.get(t.name());
            if (p == null) {
                newInits.add(t);
                continue;
            }
            Tensor pt = Tensor.ofFloats(t.name(), t.dims(), p);
            newInits.add(pt);
            long z = countZeros(p);
            SparseTensorCodec.Encoding enc = req.sparseStorage() ? SparseTensorCodec.encodingFor(pt) : null;
            if (enc != null) {
                sparse.add(t.name());
            }
            layers.add(new Layer(t.name(), (String) targets.get(t.name())[0], t.dims(), (double) z / p.length,
                    enc == null ? "dense" : "sparse " + enc, enc == null ? pt.raw().length : enc.bytes()));
        }
        return original.withGraph(original.graph().withInitializers(newInits, sparse));
    }

    /** A pruned TorchScript file: its weights, their zeros, and how closely it follows the original. */
    public record TorchResult(Path output, List<Layer> layers, double overallSparsity, Evaluation.Agreement agreement) {
    }

    /**
     * TorchScript: every weight matrix (rank >= 2; PyTorch stores output channels first) pruned per layer through
     * DJL, the .pt written atomically, re-loaded in fresh PyTorch sessions and compared with the original on
     * {@code data}; a file that does not run is removed. The report has the ONNX report's fields but latency.
     */
    public TorchResult runTorchScript(Path model, Path output, boolean overwrite, PruneMethod method, double sparsity,
                                      Dataset data, int samples, Path reportPath)
            throws ModelLoadException, QuantizationException, IOException {
        OutputPolicy policy = new OutputPolicy(overwrite, List.of(model)).withInputs(data.files());
        policy.preflight(output, reportPath);
        double s = Double.isNaN(method.fixedSparsity()) ? sparsity : method.fixedSparsity();
        try (OutputSet outputs = new OutputSet(policy)) {
            List<TorchFakeQuant.Changed> changed = TorchFakeQuant.rewrite(model, outputs, output, (w, dims) -> {
                int[] rc = Pruner.rowsCols(dims, 0);
                return Pruner.prune(w, rc[0], rc[1], method, s);
            });
            Path written = outputs.temporary(output);
            Evaluation.Agreement a;
            try {
                a = TorchQuantizer.compare(model, written, data, samples);
            } catch (RuntimeException e) {
                throw new QuantizationException("verification failed: the written .pt does not run: " + e.getMessage(), e);
            }
            Verification.requireAgreement(a, -1);
            List<Layer> layers = new ArrayList<>();
            long zeros = 0;
            long total = 0;
            for (TorchFakeQuant.Changed c : changed) {
                long z = countZeros(c.after());
                zeros += z;
                total += c.after().length;
                layers.add(new Layer(c.name(), c.name(), c.shape(), (double) z / c.after().length, "dense",
                        4L * c.after().length));
            }
            double overall = total == 0 ? 0.0 : (double) zeros / total;
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.toString());
            j.put("output", output.toString());
            j.put("method", method.toString());
            j.put("requestedSparsity", s);
            j.put("scope", "layer");
            j.put("overallSparsity", overall);
            j.put("original", Map.of("fileBytes", Files.size(model)));
            j.put("pruned", Map.of("fileBytes", Files.size(written)));
            j.put("agreement", Result.agreementJson(a));
            j.put("layers", Result.layersJson(layers));
            outputs.write(reportPath, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(j));
            outputs.commit();
            return new TorchResult(output, layers, overall, a);
        }
    }

    /** A prunable weight: the first layer that uses it, and its output-channel axis. */
    public record Target(String weight, String node, int axis, long[] shape) {
    }

    /**
     * Float32 initializer weights of Conv, Gemm and MatMul layers, in graph order; a weight shared by several layers
     * is listed once. {@code exclude} names nodes (or {@code Op#index} for unnamed ones) to leave out.
     */
    public static List<Target> targets(OnnxModel model, Set<String> exclude) {
        model = SparseChunks.fold(model);
        Map<String, Tensor> inits = new LinkedHashMap<>();
        model.graph().initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, Target> out = new LinkedHashMap<>();
        List<Node> nodes = model.graph().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            String id = n.name().isEmpty() ? n.opType() + "#" + i : n.name();
            if (!WEIGHTED.contains(n.opType()) || n.inputs().size() < 2 || exclude.contains(id)) {
                continue;
            }
            Tensor w = inits.get(n.inputs().get(1));
            if (w == null || w.dataType() != DataType.FLOAT || w.rank() < 2 || (!n.opType().equals("Conv") && w.rank() != 2)) {
                continue;
            }
            int axis = switch (n.opType()) {
                case "Conv" -> 0;
                case "Gemm" -> n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1 ? 0 : 1;
                default -> 1;
            };
            out.putIfAbsent(w.name(), new Target(w.name(), id, axis, w.dims()));
        }
        return List.copyOf(out.values());
    }

    static long countZeros(float[] v) {
        long z = 0;
        for (float f : v) if (f == 0f) z++;
        return z;
    }

    /** The written file as a user would open it: the zeros are there, and ONNX Runtime runs it to finite outputs. */
    private void verify(OnnxModel written, byte[] writtenBytes, Map<String, Long> pruned, InputData data)
            throws QuantizationException {
        OnnxModel reread = SparseChunks.fold(written);
        Set<String> found = new java.util.HashSet<>();
        for (Tensor t : reread.graph().initializers()) {
            Long want = pruned.get(t.name());
            if (want != null && countZeros(t.toFloats()) != want) {
                throw new QuantizationException("verification failed: " + t.name() + " lost its zeros when written");
            }
            if (want != null) {
                found.add(t.name());
            }
        }
        // (after --quantize int8 the weights are int8 codes under other names; quantize() checks those)
        if (!pruned.isEmpty() && reread.graph().initializers().stream().noneMatch(t -> t.dataType() == DataType.INT8)
                && !found.containsAll(pruned.keySet())) {
            throw new QuantizationException("verification failed: the written model lacks pruned weights "
                    + pruned.keySet().stream().filter(k -> !found.contains(k)).toList());
        }
        try (OrtModelSession s = OrtModelSession.open(writtenBytes,
                OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            for (Map.Entry<String, Tensor> e : s.run(data.feeds(0, 1, reread.graph().feedInputs())).entrySet()) {
                if (e.getValue().dataType() == DataType.FLOAT) {
                    for (float f : e.getValue().toFloats()) {
                        if (!Float.isFinite(f)) {
                            throw new QuantizationException("verification failed: output " + e.getKey()
                                    + " contains NaN or infinity");
                        }
                    }
                }
            }
        } catch (OrtModelSession.RuntimeFailure e) {
            throw new QuantizationException("verification failed: the written model does not run in ONNX Runtime: "
                    + e.getMessage(), e);
        }
    }
}
