package org.polaris.workbench.engine.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.exec.UnsupportedOpsException;
import org.polaris.workbench.engine.inference.BenchResult;
import org.polaris.workbench.engine.inference.Benchmark;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.job.Messages;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.GraphPrep;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.WorkerModels;
import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.LayerSignals;
import org.polaris.workbench.engine.quant.QdqQuantizer;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.sparsity.PruneMethod;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.engine.sparsity.SensitivityScan;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the fastest (or smallest) compressed model within an accuracy tolerance on the user's data and machine.
 * Each candidate is made by the service the user would run ({@link QuantizeService}, {@link PruneService}), which
 * verifies it and measures its accuracy (or agreement) against the original on the evaluation data; that part is a
 * task of a {@link JobRunner}, so it runs in this process or on a cluster's executors. Latency is always measured
 * here, on the machine that runs the search: each candidate interleaved with the original in one run, so every
 * speed-up is a ratio from one run. Candidates go in waves: first every quantization and each pruning flavour's
 * lowest sparsity, then the next sparsity of each flavour that stayed within the tolerance, so a flavour that lost
 * too much skips its higher sparsities (the same decisions on any runner). The search stops starting candidates at
 * its time budget. The best candidate that meets the tolerance and is faster (or smaller) than the original is
 * written, with a report of every candidate; when none qualifies nothing is written and the report says why.
 */
public final class CompressionSearch {

    /** What the search minimizes among the candidates within the tolerance. */
    public enum Objective { LATENCY, SIZE;

        public static Objective parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "latency" -> LATENCY;
                case "size" -> SIZE;
                default -> throw new IllegalArgumentException("unknown objective '" + s + "': use latency or size");
            };
        }
    }

    /**
     * One search.
     *
     * @param calibration calibration data (static INT8, re-fit), or null to calibrate on the evaluation data
     * @param tolerance accuracy points the chosen model may lose (without labels: agreement may drop by this many
     *                  percent, so 1 means 99% top-1 agreement)
     * @param budgetSeconds stop starting candidates after this long (0: no limit)
     * @param keep a folder to keep every candidate in (the pane's), or null to remove them when the search ends
     * @param device where latency is measured: CPU is ONNX Runtime on this machine; GPU the engine with every node
     *               OpenCL supports on the first OpenCL GPU (the RX 580 path)
     */
    public record Request(Path model, Path output, boolean force, DataRef calibration, int calibrationSamples,
                          DataRef evaluation, int evalSamples, double tolerance, Objective objective,
                          double budgetSeconds, SearchSpace space, Path report, int threads, int latencyRuns, Path keep,
                          EngineSession.Device device) {

        public Request {
            if (device == EngineSession.Device.AUTO) throw new IllegalArgumentException("the search times on cpu or gpu");
        }

        /** A search timed on the CPU. */
        public Request(Path model, Path output, boolean force, DataRef calibration, int calibrationSamples,
                       DataRef evaluation, int evalSamples, double tolerance, Objective objective, double budgetSeconds,
                       SearchSpace space, Path report, int threads, int latencyRuns, Path keep) {
            this(model, output, force, calibration, calibrationSamples, evaluation, evalSamples, tolerance, objective,
                    budgetSeconds, space, report, threads, latencyRuns, keep, EngineSession.Device.CPU);
        }

        /** A search whose candidates are removed when it ends. */
        public Request(Path model, Path output, boolean force, DataRef calibration, int calibrationSamples,
                       DataRef evaluation, int evalSamples, double tolerance, Objective objective, double budgetSeconds,
                       SearchSpace space, Path report, int threads, int latencyRuns) {
            this(model, output, force, calibration, calibrationSamples, evaluation, evalSamples, tolerance, objective,
                    budgetSeconds, space, report, threads, latencyRuns, null);
        }
    }

    /** Where candidate {@code id} of a search with {@link Request#keep} lies after it. */
    public static Path candidateFile(Path keep, String id) {
        return keep.resolve(id + ".onnx");
    }

    /** What became of a candidate. */
    public enum Status { EVALUATED, FAILED, SKIPPED }

    /**
     * One candidate's outcome; quality is accuracy when the data has labels, else top-1 agreement with the original.
     *
     * @param speedup the original's latency over the candidate's: the median over blocks of the ratio of their block
     *                medians, timed interleaved in one run ({@link Benchmark#pairedRatio}); {@code speedupLow} and
     *                {@code speedupHigh} are the quartiles of those block ratios
     */
    public record CandidateResult(String id, Candidate.Kind kind, String settings, Status status, String reason,
                                  Double accuracy, double agreement, long bytes, double latencyMs, double originalLatencyMs,
                                  double speedup, double speedupLow, double speedupHigh, double sizeRatio,
                                  boolean withinTolerance, boolean onFrontier) {

        CandidateResult frontier(boolean on) {
            return new CandidateResult(id, kind, settings, status, reason, accuracy, agreement, bytes, latencyMs,
                    originalLatencyMs, speedup, speedupLow, speedupHigh, sizeRatio, withinTolerance, on);
        }

        static CandidateResult notEvaluated(Candidate c, Status status, String reason) {
            return new CandidateResult(c.id(), c.kind(), c.describe(), status, reason, null, Double.NaN, 0, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, false, false);
        }
    }

    /** The search's report: the original, the signals, every candidate, the frontier, the choice and why, and where it ran. */
    public record Report(String model, Objective objective, double tolerance, String quality, Double originalAccuracy,
                         long originalBytes, Signals signals, List<CandidateResult> candidates, String chosen, String output,
                         String message, double seconds, String runner, String device) {
    }

    /**
     * At one pruning level of one spread, the layer that loses most when pruned alone as much as that pruning would
     * prune it (the sensitivity scan).
     *
     * @param spread {@link Spread#GLOBAL}: the layer pruned to its share of one global threshold at {@code sparsity}
     *               ({@code layerSparsity}); {@link Spread#UNIFORM}: the layer pruned to {@code sparsity}
     * @param loss in points of {@code score}: top-1 accuracy (labelled data), else top-1 agreement or output cosine
     */
    public record PruneSignal(Spread spread, String node, double sparsity, double layerSparsity, double loss, String score)
            implements Serializable {
    }

    /**
     * The cheap signals measured before any candidate (null in a report when the space turns them off): weighted
     * layers ranked by what quantizing each alone does (static INT8 with the space's first calibration, with each
     * weight's SQNR), and for each pruning level the layer that loses most pruned alone.
     *
     * @param notes what was not measured and why (a time budget, a failure)
     */
    public record Signals(List<LayerSignals.Layer> layers, List<PruneSignal> pruning, int samples, double seconds,
                          List<String> notes) implements Serializable {
        public Signals {
            layers = List.copyOf(layers);
            pruning = List.copyOf(pruning);
            notes = List.copyOf(notes);
        }

        /** One line: the most sensitive layers, each pruning level's worst layer, what was not measured. */
        public String summary() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "Signals (%d samples, %.1f s):", samples, seconds));
            if (!layers.isEmpty()) {
                b.append(" INT8 one layer at a time, most sensitive ");
                b.append(layers.stream().limit(3).map(l -> String.format(Locale.ROOT, "%s (%.1f%% agreement alone, weight "
                        + "SQNR %.1f dB)", l.name(), 100 * l.agreement(), l.sqnrDb())).collect(java.util.stream.Collectors.joining(", ")));
                b.append(';');
            }
            for (PruneSignal p : pruning) {
                b.append(String.format(Locale.ROOT, " pruning to %.0f%% (%s): worst layer alone %s at %.0f%%, %+.2f points;",
                        100 * p.sparsity(), p.spread() == Spread.GLOBAL ? "one global threshold" : "uniform per layer",
                        p.node(), 100 * p.layerSparsity(), 0.0 - p.loss()));
            }
            for (String n : notes) b.append(' ').append(n).append(';');
            b.setLength(b.length() - 1);
            return b.toString();
        }

        Signals merge(Signals o) {
            List<LayerSignals.Layer> l = new ArrayList<>(layers);
            l.addAll(o.layers);
            List<PruneSignal> p = new ArrayList<>(pruning);
            p.addAll(o.pruning);
            List<String> n = new ArrayList<>(notes);
            n.addAll(o.notes);
            return new Signals(l, p, Math.max(samples, o.samples), Math.max(seconds, o.seconds), n);
        }
    }

    /** Samples the signals use (at most; the evaluation's first): enough that a skip is not noise, cheap next to a candidate. */
    static final int SIGNAL_SAMPLES = 1000;
    /** Seconds each signal may take at most. */
    static final double SIGNAL_SECONDS = 60;

    /** Which signal a task measures. */
    enum SignalKind { QUANT, PRUNE }

    /** The task that measures one kind of signal, where candidates run. */
    record SignalTask(String model, String modelSha256, DataRef calibration, int calibrationSamples, DataRef evaluation,
                      int samples, QuantOptions quant, double[] globalLevels, double[] layerLevels, double budgetSeconds)
            implements JobRunner.Task<SignalKind, Signals> {

        @Override
        public Signals run(SignalKind kind, CancellationToken cancel) throws Exception {
            long t0 = System.nanoTime();
            try {
                WorkerModels.Loaded m = WorkerModels.model(model, modelSha256);
                List<ValueInfo> feed = m.model().graph().feedInputs();
                InputData eval = evaluation.open(feed);
                int n = Math.min(samples, eval.size());
                if (kind == SignalKind.QUANT) {
                    InputData calib = calibration == null ? eval : calibration.open(feed);
                    List<LayerSignals.Layer> layers = LayerSignals.measure(m.model(), quant, calib, calibrationSamples,
                            eval, n, budgetSeconds, ProgressSink.NONE, cancel);
                    long missing = layers.stream().filter(l -> Double.isNaN(l.agreement())).count();
                    return new Signals(layers, List.of(), n, seconds(t0), missing == 0 ? List.of() : List.of(String.format(
                            Locale.ROOT, "%d of %d layers were not quantized alone within %.0f s", missing, layers.size(),
                            budgetSeconds)));
                }
                PruneMethod magnitude = PruneMethod.parse("magnitude");
                int total = PruneService.targets(GraphPrep.constantsAsInitializers(m.model()), Set.of()).size();
                List<PruneSignal> worst = new ArrayList<>();
                List<String> notes = new ArrayList<>();
                int scans = (globalLevels.length > 0 ? 1 : 0) + (layerLevels.length > 0 ? 1 : 0);
                int scanned = 0;
                if (globalLevels.length > 0) {
                    // each layer alone at its share of one global threshold, level by level
                    Map<String, double[]> shares = new java.util.LinkedHashMap<>();
                    for (int i = 0; i < globalLevels.length; i++) {
                        for (Map.Entry<String, Double> e : SensitivityScan.globalShares(m.model(), globalLevels[i]).entrySet()) {
                            shares.computeIfAbsent(e.getKey(), k -> new double[globalLevels.length])[i] = e.getValue();
                        }
                    }
                    scanned = collect(SensitivityScan.run(m.model(), magnitude, shares, eval, n, budgetSeconds / scans,
                            ProgressSink.NONE, cancel), Spread.GLOBAL, globalLevels, total, budgetSeconds / scans, worst, notes);
                }
                if (layerLevels.length > 0) {
                    scanned = collect(SensitivityScan.run(m.model(), magnitude, layerLevels, eval, n, budgetSeconds / scans,
                            ProgressSink.NONE, cancel), Spread.UNIFORM, layerLevels, total, budgetSeconds / scans, worst, notes);
                }
                return new Signals(List.of(), worst, scanned, seconds(t0), notes);
            } catch (CancelledException e) {
                throw e;
            } catch (Exception e) {
                return new Signals(List.of(), List.of(), 0, seconds(t0), List.of((kind == SignalKind.QUANT
                        ? "the INT8 layer signals" : "the pruning scan") + " failed: " + Messages.firstLine(e)));
            }
        }

        private static double seconds(long t0) {
            return (System.nanoTime() - t0) / 1e9;
        }

        /** Adds a scan's worst layer per level (and a note when the budget cut it short); returns its samples. */
        private static int collect(SensitivityScan.Result scan, Spread spread, double[] levels, int total, double budget,
                                   List<PruneSignal> worst, List<String> notes) {
            worst.addAll(worstPerLevel(scan, spread, levels));
            if (scan.curves().size() < total) {
                notes.add(String.format(Locale.ROOT, "the %s pruning scan reached %d of %d layers within %.0f s",
                        spread == Spread.GLOBAL ? "global" : "per-layer", scan.curves().size(), total, budget));
            }
            return scan.samples();
        }

        /** For each level, the curve point (the i-th after the unpruned one) that loses most. */
        private static List<PruneSignal> worstPerLevel(SensitivityScan.Result scan, Spread spread, double[] levels) {
            List<PruneSignal> out = new ArrayList<>();
            for (int i = 0; i < levels.length; i++) {
                PruneSignal w = null;
                for (SensitivityScan.Curve c : scan.curves()) {
                    if (c.points().size() <= i + 1) continue;
                    SensitivityScan.Point p = c.points().get(i + 1);
                    double loss = 100 * (scan.baseline() - p.accuracy());
                    if (w == null || loss > w.loss()) {
                        w = new PruneSignal(spread, c.node(), levels[i], p.sparsity(), loss, scan.score().label());
                    }
                }
                if (w != null) out.add(w);
            }
            return out;
        }
    }

    /** Told of each candidate as it finishes (the pane's scatter, the CLI's lines). */
    public interface Listener {
        void candidate(CandidateResult r);
    }

    /** Nothing met the tolerance (or nothing was faster): nothing was written but the report. */
    public static final class NothingQualifiesException extends Exception {
        private final transient Report report;

        public NothingQualifiesException(Report report) {
            super(report.message());
            this.report = report;
        }

        public Report report() {
            return report;
        }
    }

    /**
     * What a candidate's task returns: its status and quality, the original's accuracy on the same data, and the
     * candidate model itself (latency is measured where the search runs).
     */
    record Made(String id, Status status, String reason, Double originalAccuracy, Double accuracy, double agreement,
                byte[] model) implements Serializable {
    }

    /**
     * The task every candidate runs: the model by path (checked by SHA-256 on each worker), the data by reference.
     *
     * @param deadlineMillis wall-clock time after which a candidate is skipped (0: none)
     */
    record CandidateTask(String model, String modelSha256, DataRef calibration, int calibrationSamples, DataRef evaluation,
                         int evalSamples, long deadlineMillis, double budgetSeconds) implements JobRunner.Task<Candidate, Made> {

        @Override
        public Made run(Candidate c, CancellationToken cancel) throws Exception {
            if (deadlineMillis > 0 && System.currentTimeMillis() > deadlineMillis) {
                return new Made(c.id(), Status.SKIPPED, budgetSpent(budgetSeconds), null, null, Double.NaN, null);
            }
            WorkerModels.Loaded m = WorkerModels.model(model, modelSha256);
            List<ValueInfo> feed = m.model().graph().feedInputs();
            InputData eval = evaluation.open(feed);
            InputData calib = calibration == null ? eval : calibration.open(feed);
            Path dir = TempFiles.createFolder("polaris-candidate");
            try {
                Path out = candidateFile(dir, c.id());
                Evaluated e = evaluate(c, Path.of(model), out, dir.resolve(c.id() + ".json"), calib, calibrationSamples,
                        eval, evalSamples, cancel);
                return new Made(c.id(), Status.EVALUATED, null, e.original().accuracy(), e.candidate().accuracy(),
                        e.agreement().top1(), Files.readAllBytes(out));
            } catch (CancelledException ex) {
                throw ex;
            } catch (Exception ex) {
                return new Made(c.id(), Status.FAILED, Messages.firstLine(ex), null, null, Double.NaN, null);
            } finally {
                TempFiles.delete(dir);
            }
        }
    }

    /** Searches in this process, one candidate at a time. */
    public Report run(Request r, Listener listener, ProgressSink progress, CancellationToken cancel) throws Exception {
        try (JobRunner local = JobRunner.local(1)) {
            return run(r, local, listener, progress, cancel);
        }
    }

    /** Searches with the candidates' tasks on {@code runner}; latency is measured here. */
    public Report run(Request r, JobRunner runner, Listener listener, ProgressSink progress, CancellationToken cancel)
            throws Exception {
        OutputPolicy policy = OutputPolicy.of(r.force(), r.model()).withInputs(inputs(r));
        policy.preflight(r.report() == null ? new Path[] {r.output()} : new Path[] {r.output(), r.report()});
        long t0 = System.nanoTime();
        WorkerModels.Loaded original = WorkerModels.load(r.model());
        OnnxModel model = original.model();
        List<ValueInfo> feed = model.graph().feedInputs();
        InputData eval = r.evaluation().open(feed);
        boolean labelled = eval.hasLabels();
        long originalBytes = Files.size(r.model());
        List<Candidate> todo = r.space().candidates(applicable(model));
        Signals signals = r.space().signals() ? signals(todo, r, original.sha256(), runner, progress, cancel) : null;
        todo = capped(withStemFloat(withKeptFloat(todo, signals), model));
        final List<Candidate> all = todo;
        Map<String, Candidate> byId = new HashMap<>();
        for (Candidate c : todo) byId.put(c.id(), c);
        Map<String, CandidateResult> results = new HashMap<>();
        CandidateTask task = new CandidateTask(r.model().toAbsolutePath().toString(), original.sha256(), r.calibration(),
                r.calibrationSamples(), r.evaluation(), r.evalSamples(),
                r.budgetSeconds() > 0 ? System.currentTimeMillis() + (long) (r.budgetSeconds() * 1000) : 0, r.budgetSeconds());
        // one sample, as every latency comparison feeds
        Map<String, Tensor> timingFeed = eval.feeds(0, 1, feed);
        // the pane keeps every candidate (to save, open or compare any of them); the CLI keeps none
        Path dir = r.keep() != null ? r.keep() : TempFiles.createFolder("polaris-search");
        Double originalAccuracy = null;
        try {
            for (List<Candidate> wave : waves(todo)) {
                cancel.throwIfCancelled();
                List<Candidate> run = new ArrayList<>();
                for (Candidate c : wave) {
                    String skip = skipReason(c, results.values(), byId, signals, r, t0);
                    if (skip == null) {
                        run.add(c);
                    } else {
                        CandidateResult res = CandidateResult.notEvaluated(c, Status.SKIPPED, skip);
                        results.put(c.id(), res);
                        listener.candidate(res);
                    }
                }
                if (run.isEmpty()) continue;
                int before = results.size();
                List<Made> made = runner.map(run, task, (f, m) -> progress.progress(
                        Math.max(0, 0.1 + 0.85 * (before + f * run.size()) / all.size()), "candidates: " + m), cancel);
                for (Made m : made) {
                    if (m.status() == Status.EVALUATED) {
                        if (m.originalAccuracy() != null) originalAccuracy = m.originalAccuracy();
                        Files.write(candidateFile(dir, m.id()), m.model());
                    }
                }
                progress.progress(Math.min(0.95, 0.1 + 0.85 * results.size() / all.size()), "timing " + run.size()
                        + " candidates against the original");
                Map<String, CandidateResult> timed = time(run, made, dir, original.model(), timingFeed, r, originalBytes,
                        labelled, cancel);
                for (Candidate c : run) {
                    CandidateResult res = timed.get(c.id());
                    results.put(c.id(), res);
                    listener.candidate(res);
                }
            }
            List<CandidateResult> ordered = new ArrayList<>();
            for (Candidate c : todo) ordered.add(results.get(c.id()));
            ordered = frontier(ordered, r.objective());
            CandidateResult best = choose(ordered, r.objective());
            String message = message(best, ordered, r);
            Report report = new Report(r.model().toString(), r.objective(), r.tolerance(), labelled ? "accuracy" : "agreement",
                    originalAccuracy, originalBytes, signals, List.copyOf(ordered), best == null ? null : best.id(),
                    best == null ? null : r.output().toString(), message, (System.nanoTime() - t0) / 1e9, runner.describe(),
                    timingDevice(r));
            try (OutputSet out = new OutputSet(policy)) {
                if (best != null) out.write(r.output(), Files.readAllBytes(candidateFile(dir, best.id())));
                if (r.report() != null) {
                    out.write(r.report(), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(report));
                }
                out.commit();
            }
            progress.progress(1, "done");
            if (best == null) throw new NothingQualifiesException(report);
            return report;
        } finally {
            if (r.keep() == null) TempFiles.delete(dir);
        }
    }

    /** Measures the signals the candidates can use: the INT8 layer ranking, the pruning scan at untouched levels. */
    private static Signals signals(List<Candidate> todo, Request r, String sha, JobRunner runner, ProgressSink progress,
                                   CancellationToken cancel) throws Exception {
        Candidate firstStatic = firstStatic(todo);
        double[] global = scannedLevels(todo, Spread.GLOBAL);
        double[] layer = scannedLevels(todo, Spread.UNIFORM);
        List<SignalKind> kinds = new ArrayList<>();
        if (firstStatic != null) kinds.add(SignalKind.QUANT);
        if (global.length + layer.length > 0) kinds.add(SignalKind.PRUNE);
        if (kinds.isEmpty()) return null;
        double budget = r.budgetSeconds() > 0 ? Math.min(SIGNAL_SECONDS, 0.1 * r.budgetSeconds()) : SIGNAL_SECONDS;
        SignalTask task = new SignalTask(r.model().toAbsolutePath().toString(), sha, r.calibration(), r.calibrationSamples(),
                r.evaluation(), Math.min(SIGNAL_SAMPLES, r.evalSamples()), firstStatic == null ? null : firstStatic.quant(),
                global, layer, budget);
        progress.progress(0.01, "signals: quantizing and pruning one layer at a time");
        Signals merged = null;
        for (Signals s : runner.map(kinds, task, (f, m) -> progress.progress(0.1 * f, "signals: " + m), cancel)) {
            merged = merged == null ? s : merged.merge(s);
        }
        return merged;
    }

    private static double[] scannedLevels(List<Candidate> todo, Spread spread) {
        return todo.stream().filter(c -> c.prune() != null && c.prune().scanned() && c.prune().spread() == spread)
                .mapToDouble(c -> c.prune().sparsity()).distinct().sorted().toArray();
    }

    private static Candidate firstStatic(List<Candidate> todo) {
        return todo.stream().filter(c -> c.kind() == Candidate.Kind.STATIC_INT8 && c.quant().perChannel()).findFirst()
                .orElse(null);
    }

    /**
     * Adds the static INT8 candidates that keep the most sensitive layers in float (1, then 2; only layers whose
     * quantization alone changes a top-1 answer, and never every layer), after the other static INT8 candidates.
     */
    static List<Candidate> withKeptFloat(List<Candidate> todo, Signals signals) {
        Candidate base = firstStatic(todo);
        if (signals == null || base == null) return todo;
        List<String> sensitive = signals.layers().stream().filter(l -> l.agreement() < 1).map(LayerSignals.Layer::name).toList();
        int k = Math.min(SearchSpace.MAX_KEPT_FLOAT, Math.min(sensitive.size(), signals.layers().size() - 1));
        if (k < 1) return todo;
        int at = 0;
        for (int i = 0; i < todo.size(); i++) if (todo.get(i).kind() == Candidate.Kind.STATIC_INT8) at = i + 1;
        List<Candidate> out = new ArrayList<>(todo);
        for (int i = 1; i <= k; i++) out.add(at + i - 1, Candidate.keepingFloat(base, "keep" + i, sensitive.subList(0, i)));
        return out;
    }

    /**
     * Adds the static INT8 candidate that keeps the few-channel convolutions (image stems) in float, right after the
     * first static INT8 candidate: ONNX Runtime's 8-bit convolution can be slower than its float one there, and the
     * search times both on the target device instead of deciding inside a task.
     */
    static List<Candidate> withStemFloat(List<Candidate> todo, OnnxModel model) {
        Candidate base = firstStatic(todo);
        if (base == null) return todo;
        List<String> stems = QdqQuantizer.fewChannelConvs(GraphPrep.normalize(model), base.quant());
        if (stems.isEmpty()) return todo;
        List<Candidate> out = new ArrayList<>(todo);
        out.add(todo.indexOf(base) + 1, Candidate.keepingFloat(base, "stemfloat", stems));
        return out;
    }

    /** At most {@link SearchSpace#MAX_CANDIDATES}, whatever the signals added. */
    private static List<Candidate> capped(List<Candidate> todo) {
        return todo.size() > SearchSpace.MAX_CANDIDATES ? List.copyOf(todo.subList(0, SearchSpace.MAX_CANDIDATES)) : todo;
    }

    /**
     * The order candidates run in: wave 0 holds every candidate that does not prune and each pruning flavour's
     * lowest sparsity; wave k each flavour's k-th sparsity (the space lists them rising).
     */
    static List<List<Candidate>> waves(List<Candidate> todo) {
        List<List<Candidate>> waves = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Candidate c : todo) {
            int w = c.prune() == null ? 0 : seen.merge(c.kind() + " " + c.prune().flavour(), 1, Integer::sum) - 1;
            while (waves.size() <= w) waves.add(new ArrayList<>());
            waves.get(w).add(c);
        }
        return waves;
    }

    private static List<Path> inputs(Request r) {
        List<Path> in = new ArrayList<>();
        if (r.calibration() != null) in.addAll(r.calibration().files());
        in.addAll(r.evaluation().files());
        return in;
    }

    private static String budgetSpent(double budgetSeconds) {
        return String.format(Locale.ROOT, "the time budget (%.0f min) was spent", budgetSeconds / 60);
    }

    /** Kinds that apply to the model: INT4 needs a MatMul or Gemm, pruning a weighted layer. */
    static Set<Candidate.Kind> applicable(OnnxModel m) {
        Set<Candidate.Kind> k = EnumSet.allOf(Candidate.Kind.class);
        boolean matmul = m.graph().nodes().stream().anyMatch(n -> n.opType().equals("MatMul") || n.opType().equals("Gemm"));
        if (!matmul) k.remove(Candidate.Kind.INT4);
        return k;
    }

    private static String skipReason(Candidate c, java.util.Collection<CandidateResult> done, Map<String, Candidate> byId,
                                     Signals signals, Request r, long t0) {
        if (r.budgetSeconds() > 0 && (System.nanoTime() - t0) / 1e9 > r.budgetSeconds()) {
            return budgetSpent(r.budgetSeconds());
        }
        if (c.prune() != null && c.prune().scanned() && signals != null) {
            // pruning every layer loses at least about what the worst layer loses pruned alone as much
            for (PruneSignal p : signals.pruning()) {
                if (p.spread() == c.prune().spread() && Math.abs(p.sparsity() - c.prune().sparsity()) < 1e-9
                        && p.loss() > r.tolerance() + 1e-9) {
                    return String.format(Locale.ROOT, "the sensitivity scan: pruning %s alone to %.0f%%%s already costs "
                            + "%.2f points of %s", p.node(), 100 * p.layerSparsity(), p.spread() == Spread.GLOBAL
                            ? String.format(Locale.ROOT, " (its share of a global %.0f%%)", 100 * p.sparsity()) : "",
                            p.loss(), p.score());
                }
            }
        }
        if (c.prune() != null) {
            // a higher sparsity of the same flavour cannot do better than a lower one that already lost too much
            for (CandidateResult d : done) {
                Candidate dc = byId.get(d.id());
                if (dc == null || dc.prune() == null || d.kind() != c.kind() || d.status() != Status.EVALUATED
                        || d.withinTolerance()) continue;
                if (dc.prune().flavour().equals(c.prune().flavour()) && dc.prune().sparsity() < c.prune().sparsity()) {
                    return "pruning less (" + d.id() + ") already lost more than the tolerance";
                }
            }
        }
        return null;
    }

    private record Evaluated(Evaluation.Side original, Evaluation.Side candidate, Evaluation.Agreement agreement) {
    }

    private static Evaluated evaluate(Candidate c, Path model, Path out, Path rep, InputData calibration, int calibrationSamples,
                                      InputData evaluation, int evalSamples, CancellationToken cancel) throws Exception {
        // accuracy here; latency later, where the search runs
        QuantEvaluator.Settings es = new QuantEvaluator.Settings(evalSamples, 0, 0, 1, 1);
        QuantEvaluator.Result cmp;
        if (c.prune() == null) {
            // no speed check in a task: the result must not depend on timing (or on the machine the task runs on); the
            // search times the stem choice itself (the -stemfloat candidate)
            cmp = new QuantizeService().run(new QuantRequest(model, out, false, c.quant(), calibration, calibrationSamples,
                    evaluation, es, rep, 0.5, 0, false), ProgressSink.NONE, cancel).evaluation();
        } else {
            PruneService.Request pr = new PruneService.Request(model, out, false, c.prune().method(), c.prune().sparsity(),
                    c.prune().spread().scope(), Set.of(), evaluation, es, rep, true, 0, c.prune().spread().allocation(),
                    c.quant() != null)
                    .withoutInt8SpeedCheck();
            if (c.prune().refit()) pr = pr.withRefit(calibration, 5000);
            cmp = new PruneService().run(pr, ProgressSink.NONE, cancel).comparison();
        }
        return new Evaluated(cmp.original(), cmp.quantized(), cmp.agreement());
    }

    /**
     * Times a wave's evaluated candidates and the original with the one benchmark method ({@link Benchmark}: time-based
     * warm-up, then all of them interleaved in blocks), on the search's device; a candidate that cannot run there is
     * failed with the reason.
     */
    private static Map<String, CandidateResult> time(List<Candidate> run, List<Made> made, Path dir, OnnxModel original,
                                                     Map<String, Tensor> feed, Request r, long originalBytes,
                                                     boolean labelled, CancellationToken cancel) throws Exception {
        Map<String, CandidateResult> out = new HashMap<>();
        List<ModelRuntime> open = new ArrayList<>();
        List<Benchmark.Config> configs = new ArrayList<>();
        List<Integer> timedIndex = new ArrayList<>();
        try {
            ModelRuntime o = runtime(original, r);
            open.add(o);
            configs.add(new Benchmark.Config(o, feed, 1, r.threads()));
            for (int i = 0; i < run.size(); i++) {
                Candidate c = run.get(i);
                Made m = made.get(i);
                if (m.status() != Status.EVALUATED) {
                    out.put(c.id(), CandidateResult.notEvaluated(c, m.status(), m.reason()));
                    continue;
                }
                try {
                    ModelRuntime rt = runtime(new OnnxModelReader().read(candidateFile(dir, c.id())), r);
                    open.add(rt);
                    configs.add(new Benchmark.Config(rt, feed, 1, r.threads()));
                    timedIndex.add(i);
                } catch (ModelLoadException | UnsupportedOpsException | RuntimeException e) {
                    out.put(c.id(), CandidateResult.notEvaluated(c, Status.FAILED, "cannot be timed "
                            + (r.device() == EngineSession.Device.GPU ? "on the GPU" : "here") + ": " + Messages.firstLine(e)));
                }
            }
            if (timedIndex.isEmpty()) return out;
            List<BenchResult> t = Benchmark.run(configs, Benchmark.Warmup.of(20), r.latencyRuns(), ProgressSink.NONE, cancel);
            for (int k = 0; k < timedIndex.size(); k++) {
                Candidate c = run.get(timedIndex.get(k));
                Made m = made.get(timedIndex.get(k));
                Benchmark.PairedRatio speed = Benchmark.pairedRatio(t.get(0), t.get(k + 1));
                double loss = labelled && m.originalAccuracy() != null && m.accuracy() != null
                        ? 100 * (m.originalAccuracy() - m.accuracy())
                        : 100 * (1 - m.agreement());
                out.put(c.id(), new CandidateResult(c.id(), c.kind(), c.describe(), Status.EVALUATED, null, m.accuracy(),
                        m.agreement(), m.model().length, t.get(k + 1).p50Ms(), t.get(0).p50Ms(), speed.median(), speed.low(),
                        speed.high(), (double) m.model().length / originalBytes, loss <= r.tolerance() + 1e-9, false));
            }
            return out;
        } finally {
            for (ModelRuntime rt : open) rt.close();
        }
    }

    /** Where latency was measured, in words (the report's and the card's "on ..."). */
    private static String timingDevice(Request r) {
        String threads = r.threads() + (r.threads() == 1 ? " CPU thread" : " CPU threads");
        return r.device() == EngineSession.Device.GPU ? "the engine on the OpenCL GPU (and " + threads + ")"
                : "ONNX Runtime, " + threads;
    }

    /** The search's timing runtime: ONNX Runtime on the CPU, or the engine on the OpenCL GPU. */
    private static ModelRuntime runtime(OnnxModel m, Request r) throws ModelLoadException, UnsupportedOpsException {
        return r.device() == EngineSession.Device.GPU
                ? Runtimes.open(Runtimes.Kind.ENGINE, m, r.threads(), EngineSession.Device.GPU)
                : Runtimes.open(Runtimes.Kind.ORT, m, r.threads());
    }

    private static double quality(CandidateResult c) {
        return c.accuracy() != null ? c.accuracy() : c.agreement();
    }

    private static double cost(CandidateResult c, Objective o) {
        return o == Objective.LATENCY ? 1 / c.speedup() : c.sizeRatio();
    }

    /** Marks the candidates no other beats on both quality and the objective's cost. */
    static List<CandidateResult> frontier(List<CandidateResult> all, Objective o) {
        List<CandidateResult> out = new ArrayList<>();
        for (CandidateResult c : all) {
            boolean on = c.status() == Status.EVALUATED;
            for (CandidateResult d : all) {
                if (!on || d == c || d.status() != Status.EVALUATED) continue;
                boolean noWorse = quality(d) >= quality(c) && cost(d, o) <= cost(c, o);
                boolean better = quality(d) > quality(c) || cost(d, o) < cost(c, o);
                if (noWorse && better) on = false;
            }
            out.add(c.frontier(on));
        }
        return out;
    }

    /** The lowest cost within the tolerance, and only if it beats the original (faster, or smaller). */
    static CandidateResult choose(List<CandidateResult> all, Objective o) {
        CandidateResult best = null;
        for (CandidateResult c : all) {
            if (c.status() != Status.EVALUATED || !c.withinTolerance() || !(cost(c, o) < 1)) continue;
            if (best == null || cost(c, o) < cost(best, o)) best = c;
        }
        return best;
    }

    private static String message(CandidateResult best, List<CandidateResult> all, Request r) {
        if (best != null) {
            return String.format(Locale.ROOT, "%s: %.2fx the original's speed, %.0f%% of its size, within %s",
                    best.settings(), best.speedup(), 100 * best.sizeRatio(), points(r.tolerance()));
        }
        List<CandidateResult> within = all.stream().filter(c -> c.status() == Status.EVALUATED && c.withinTolerance()).toList();
        if (within.isEmpty()) {
            return String.format(Locale.ROOT, "no candidate stays within %s of the original; nothing was written",
                    points(r.tolerance()));
        }
        CandidateResult smallest = within.stream().min((a, b) -> Double.compare(a.sizeRatio(), b.sizeRatio())).orElseThrow();
        return String.format(Locale.ROOT, "nothing within %s is %s than the original here; the smallest within "
                        + "it is %s (%.0f%% of the size, %.2fx the speed): --objective size writes it. Nothing was written",
                points(r.tolerance()), r.objective() == Objective.LATENCY ? "faster" : "smaller", smallest.id(), 100 * smallest.sizeRatio(),
                smallest.speedup());
    }

    /** "1 point", "0.5 points": how reports and the pane say a tolerance. */
    public static String points(double v) {
        String n = java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        return n.equals("1") ? n + " point" : n + " points";
    }
}
