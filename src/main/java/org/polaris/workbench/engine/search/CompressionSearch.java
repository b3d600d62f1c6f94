package org.polaris.workbench.engine.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.sparsity.PruneService;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds the fastest (or smallest) compressed model within an accuracy tolerance on the user's data and machine.
 * Each candidate is made by the service the user would run ({@link QuantizeService}, {@link PruneService}) into a
 * temporary folder, where that service verifies it and compares it with the original on the evaluation data; its
 * latency is measured interleaved with the original's in that comparison, so every speed-up is a ratio from one run.
 * Higher sparsities of a pruning flavour are skipped once a lower one lost more than the tolerance; the search stops
 * at its time budget. The best candidate that meets the tolerance and is faster (or smaller) than the original is
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
     * @param tolerance accuracy points the chosen model may lose (without labels: agreement may drop by this many
     *                  percent, so 1 means 99% top-1 agreement)
     * @param budgetSeconds stop starting candidates after this long (0: no limit)
     */
    public record Request(Path model, Path output, boolean force, InputData calibration, int calibrationSamples,
                          InputData evaluation, int evalSamples, double tolerance, Objective objective,
                          double budgetSeconds, SearchSpace space, Path report, int threads, int latencyRuns, Path keep) {

        /** A search whose candidates are removed when it ends. */
        public Request(Path model, Path output, boolean force, InputData calibration, int calibrationSamples,
                       InputData evaluation, int evalSamples, double tolerance, Objective objective, double budgetSeconds,
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
     * @param speedup the original's median latency over the candidate's, measured interleaved in one comparison
     */
    public record CandidateResult(String id, Candidate.Kind kind, String settings, Status status, String reason,
                                  Double accuracy, double agreement, long bytes, double latencyMs, double originalLatencyMs,
                                  double speedup, double sizeRatio, boolean withinTolerance, boolean onFrontier) {

        CandidateResult frontier(boolean on) {
            return new CandidateResult(id, kind, settings, status, reason, accuracy, agreement, bytes, latencyMs,
                    originalLatencyMs, speedup, sizeRatio, withinTolerance, on);
        }
    }

    /** The search's report: the original, every candidate, the frontier, the choice and why. */
    public record Report(String model, Objective objective, double tolerance, String quality, Double originalAccuracy,
                         long originalBytes, List<CandidateResult> candidates, String chosen, String output,
                         String message, double seconds, String runner) {
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

    public Report run(Request r, Listener listener, ProgressSink progress, CancellationToken cancel) throws Exception {
        OutputPolicy policy = OutputPolicy.of(r.force(), r.model()).withInputs(inputs(r));
        policy.preflight(r.report() == null ? new Path[] {r.output()} : new Path[] {r.output(), r.report()});
        long t0 = System.nanoTime();
        OnnxModel model = new OnnxModelReader().read(r.model());
        long originalBytes = Files.size(r.model());
        List<Candidate> todo = r.space().candidates(applicable(model));
        List<CandidateResult> results = new ArrayList<>();
        // the pane keeps every candidate (to save, open or compare any of them); the CLI keeps none
        Path dir = r.keep() != null ? r.keep() : TempFiles.createFolder("polaris-search");
        Double originalAccuracy = null;
        boolean labelled = r.evaluation().hasLabels();
        try {
            for (int i = 0; i < todo.size(); i++) {
                cancel.throwIfCancelled();
                Candidate c = todo.get(i);
                progress.progress((double) i / todo.size(), "candidate " + (i + 1) + " of " + todo.size() + ": " + c.describe());
                CandidateResult res;
                String skip = skipReason(c, results, r, t0);
                if (skip != null) {
                    res = skipped(c, skip);
                } else {
                    try {
                        Evaluated e = evaluate(c, r, dir, cancel);
                        if (e.original().accuracy() != null) originalAccuracy = e.original().accuracy();
                        res = result(c, e, r, labelled);
                    } catch (CancelledException ex) {
                        throw ex;
                    } catch (Exception ex) {
                        res = new CandidateResult(c.id(), c.kind(), c.describe(), Status.FAILED, firstLine(ex), null, Double.NaN,
                                0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, false, false);
                    }
                }
                results.add(res);
                listener.candidate(res);
            }
            results = frontier(results, r.objective());
            CandidateResult best = choose(results, r.objective());
            String message = message(best, results, r);
            Report report = new Report(r.model().toString(), r.objective(), r.tolerance(), labelled ? "accuracy" : "agreement",
                    originalAccuracy, originalBytes, List.copyOf(results), best == null ? null : best.id(),
                    best == null ? null : r.output().toString(), message, (System.nanoTime() - t0) / 1e9, "in-process");
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

    private static List<Path> inputs(Request r) {
        List<Path> in = new ArrayList<>();
        if (r.calibration() != null) in.addAll(r.calibration().files());
        in.addAll(r.evaluation().files());
        return in;
    }

    /** Kinds that apply to the model: INT4 needs a MatMul or Gemm, pruning a weighted layer. */
    static Set<Candidate.Kind> applicable(OnnxModel m) {
        Set<Candidate.Kind> k = EnumSet.allOf(Candidate.Kind.class);
        boolean matmul = m.graph().nodes().stream().anyMatch(n -> n.opType().equals("MatMul") || n.opType().equals("Gemm"));
        if (!matmul) k.remove(Candidate.Kind.INT4);
        return k;
    }

    private static String skipReason(Candidate c, List<CandidateResult> done, Request r, long t0) {
        if (r.budgetSeconds() > 0 && (System.nanoTime() - t0) / 1e9 > r.budgetSeconds()) {
            return String.format(Locale.ROOT, "the time budget (%.0f min) was spent", r.budgetSeconds() / 60);
        }
        if (c.prune() != null) {
            // a higher sparsity of the same flavour cannot do better than a lower one that already lost too much
            for (CandidateResult d : done) {
                if (d.kind() == c.kind() && d.status() == Status.EVALUATED && !d.withinTolerance()
                        && flavour(d.id()).equals(flavour(c.id())) && sparsityOf(d.id()) < c.prune().sparsity() * 100) {
                    return "pruning less (" + d.id() + ") already lost more than the tolerance";
                }
            }
        }
        return null;
    }

    /** What follows the sparsity in a pruning candidate's id ("-refit", "-refit-int8", or nothing). */
    static String flavour(String id) {
        int dash = id.indexOf('-', "prune-".length());
        return dash < 0 ? "" : id.substring(dash);
    }

    private static double sparsityOf(String id) {
        String s = id.substring("prune-".length());
        int dash = s.indexOf('-');
        return Double.parseDouble(dash < 0 ? s : s.substring(0, dash));
    }

    private static CandidateResult skipped(Candidate c, String why) {
        return new CandidateResult(c.id(), c.kind(), c.describe(), Status.SKIPPED, why, null, Double.NaN, 0, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, false, false);
    }

    private record Evaluated(Evaluation.Side original, Evaluation.Side candidate, Evaluation.Agreement agreement) {
    }

    private static Evaluated evaluate(Candidate c, Request r, Path dir, CancellationToken cancel) throws Exception {
        Path out = candidateFile(dir, c.id());
        Path rep = dir.resolve(c.id() + ".json");
        QuantEvaluator.Settings es = new QuantEvaluator.Settings(r.evalSamples(), r.latencyRuns(), 20, r.threads(), 1);
        QuantEvaluator.Result cmp;
        if (c.prune() == null) {
            cmp = new QuantizeService().run(new QuantRequest(r.model(), out, false, c.quant(), r.calibration(),
                    r.calibrationSamples(), r.evaluation(), es, rep, 0.5), ProgressSink.NONE, cancel).evaluation();
        } else {
            PruneService.Request pr = new PruneService.Request(r.model(), out, false, c.prune().method(), c.prune().sparsity(),
                    "global", Set.of(), r.evaluation(), es, rep, true, 0, c.prune().allocation(), c.quant() != null);
            if (c.prune().refit()) pr = pr.withRefit(r.calibration() != null ? r.calibration() : r.evaluation(), 5000);
            cmp = new PruneService().run(pr, ProgressSink.NONE, cancel).comparison();
        }
        return new Evaluated(cmp.original(), cmp.quantized(), cmp.agreement());
    }

    private static CandidateResult result(Candidate c, Evaluated e, Request r, boolean labelled) {
        double loss = labelled && e.original().accuracy() != null && e.candidate().accuracy() != null
                ? 100 * (e.original().accuracy() - e.candidate().accuracy())
                : 100 * (1 - e.agreement().top1());
        double orig = e.original().latency().medianMs();
        double cand = e.candidate().latency().medianMs();
        return new CandidateResult(c.id(), c.kind(), c.describe(), Status.EVALUATED, null, e.candidate().accuracy(),
                e.agreement().top1(), e.candidate().fileBytes(), cand, orig, orig / cand,
                (double) e.candidate().fileBytes() / e.original().fileBytes(), loss <= r.tolerance() + 1e-9, false);
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

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
