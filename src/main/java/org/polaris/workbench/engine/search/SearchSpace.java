package org.polaris.workbench.engine.search;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.polaris.workbench.engine.io.InputFiles;
import org.polaris.workbench.engine.sparsity.PruneMethod;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The candidates a search may try, cheapest first: float16 and weight-only storage, static INT8 with each
 * calibration, magnitude pruning at rising sparsity (with and without re-fit), and pruning then INT8. A space file
 * ({@code --space}) narrows it: which kinds, which sparsities, which calibrations.
 *
 * @param kinds the kinds to try (all when empty)
 * @param sparsities pruning levels, each in (0, 1)
 * @param calibrations static INT8 calibration methods
 * @param signals measure the cheap signals first (per-layer INT8 sensitivity and SQNR, the pruning sensitivity
 *                scan): they add static INT8 candidates with the most sensitive layers kept in float, and skip
 *                pruning levels at which one layer alone already loses more than the tolerance
 * @param allocations how pruning spreads the sparsity over layers (each a pruning flavour): one global magnitude
 *                    threshold, or per layer uniform, ERK or by sensitivity
 * @param int4Blocks INT4 weight-only block sizes
 * @param methods pruning methods ({@code prune --method} syntax: magnitude, channel, nm:2:4, block:4x4); N:M
 *                pruning has its own sparsity and ignores {@code sparsities}
 */
public record SearchSpace(List<Candidate.Kind> kinds, List<Double> sparsities, List<String> calibrations, boolean refit,
                          boolean signals, List<Spread> allocations, List<Integer> int4Blocks,
                          List<PruneMethod> methods) {

    public static final SearchSpace DEFAULT = new SearchSpace(List.of(), List.of(0.3, 0.5, 0.7),
            List.of("percentile", "minmax", "entropy"), true, true, List.of(Spread.GLOBAL), List.of(32, 128),
            List.of(PruneMethod.parse("magnitude")));

    /** How many of the most sensitive layers the keep-in-float candidates leave in float (1, then 2). */
    public static final int MAX_KEPT_FLOAT = 2;

    /** At most this many candidates, whatever a space file asks. */
    public static final int MAX_CANDIDATES = 200;

    /** A space with the cheap signals measured first. */
    public SearchSpace(List<Candidate.Kind> kinds, List<Double> sparsities, List<String> calibrations, boolean refit) {
        this(kinds, sparsities, calibrations, refit, true);
    }

    /** Magnitude pruning by one global threshold and INT4 in blocks of 32 and 128. */
    public SearchSpace(List<Candidate.Kind> kinds, List<Double> sparsities, List<String> calibrations, boolean refit,
                       boolean signals) {
        this(kinds, sparsities, calibrations, refit, signals, DEFAULT.allocations(), DEFAULT.int4Blocks(), DEFAULT.methods());
    }

    public SearchSpace {
        kinds = List.copyOf(kinds);
        sparsities = List.copyOf(sparsities);
        calibrations = List.copyOf(calibrations);
        allocations = List.copyOf(new java.util.LinkedHashSet<>(allocations));
        methods = List.copyOf(new java.util.LinkedHashSet<>(methods));
        if (methods.isEmpty() || methods.size() > 8) throw new IllegalArgumentException("a space needs 1 to 8 pruning methods");
        int4Blocks = List.copyOf(new java.util.LinkedHashSet<>(int4Blocks));
        if (allocations.isEmpty()) throw new IllegalArgumentException("a space needs at least one allocation");
        for (int b : int4Blocks) {
            if (b < 16 || b > 4096 || Integer.bitCount(b) != 1) {
                throw new IllegalArgumentException("INT4 block sizes must be powers of two from 16 to 4096, not " + b);
            }
        }
        if (int4Blocks.size() > 8) throw new IllegalArgumentException("a space holds at most 8 INT4 block sizes");
        for (double s : sparsities) {
            if (!(s > 0 && s < 1)) throw new IllegalArgumentException("sparsities must be in (0, 1), not " + s);
        }
        for (String c : calibrations) org.polaris.workbench.engine.quant.Calibration.parse(c);
        if (sparsities.size() > 20 || calibrations.size() > 8) {
            throw new IllegalArgumentException("a space holds at most 20 sparsities and 8 calibrations");
        }
    }

    private record File(List<String> kinds, List<Double> sparsities, List<String> calibrations, Boolean refit,
                        Boolean signals, List<String> allocations, List<Integer> int4Blocks, List<String> methods) {
    }

    /**
     * Reads a space file: {@code {"kinds": ["static-int8", "prune"], "sparsities": [0.5], "calibrations": ["minmax"],
     * "refit": false, "signals": false, "allocations": ["global", "uniform", "erk"], "int4Blocks": [32],
     * "methods": ["magnitude", "channel", "nm:2:4"]}}.
     */
    public static SearchSpace read(Path file) throws IOException {
        String problem = InputFiles.problem(file);
        if (problem != null) throw new IOException(file + ": " + problem);
        if (Files.size(file) > 1 << 20) throw new IOException(file + ": larger than a space file can be (1 MiB)");
        File f;
        try {
            f = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile(), File.class);
        } catch (IOException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new IOException(file + ": not a search space (" + m + ")");
        }
        try {
            return new SearchSpace(f.kinds() == null ? List.of() : f.kinds().stream().map(Candidate.Kind::parse).toList(),
                    f.sparsities() == null ? DEFAULT.sparsities() : f.sparsities(),
                    f.calibrations() == null ? DEFAULT.calibrations() : f.calibrations(),
                    f.refit() == null || f.refit(), f.signals() == null || f.signals(),
                    f.allocations() == null ? DEFAULT.allocations() : f.allocations().stream().map(Spread::parse).toList(),
                    f.int4Blocks() == null ? DEFAULT.int4Blocks() : f.int4Blocks(),
                    f.methods() == null ? DEFAULT.methods() : f.methods().stream().map(PruneMethod::parse).toList());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    private boolean wants(Candidate.Kind k) {
        return kinds.isEmpty() || kinds.contains(k);
    }

    private void addPrune(List<Candidate> out, PruneMethod m, double s, boolean int8) {
        for (Spread a : allocations) {
            if (int8) {
                out.add(Candidate.prune(m, s, a, refit, true));
            } else {
                out.add(Candidate.prune(m, s, a, false, false));
                if (refit) out.add(Candidate.prune(m, s, a, true, false));
            }
        }
    }

    /** The candidates in the order they are tried. */
    public List<Candidate> candidates(Set<Candidate.Kind> applicable) {
        List<Candidate> out = new ArrayList<>();
        if (wants(Candidate.Kind.FP16) && applicable.contains(Candidate.Kind.FP16)) out.add(Candidate.fp16());
        if (wants(Candidate.Kind.WEIGHT_INT8) && applicable.contains(Candidate.Kind.WEIGHT_INT8)) out.add(Candidate.weightInt8());
        if (wants(Candidate.Kind.INT4) && applicable.contains(Candidate.Kind.INT4)) {
            for (int b : int4Blocks) out.add(Candidate.int4(b));
        }
        if (wants(Candidate.Kind.STATIC_INT8) && applicable.contains(Candidate.Kind.STATIC_INT8)) {
            for (String c : calibrations) out.add(Candidate.staticInt8(c, true));
            String first = calibrations.isEmpty() ? "percentile" : calibrations.get(0);
            out.add(Candidate.staticInt8(first, false));
            out.add(Candidate.staticInt8Signed(first));
        }
        List<Double> levels = sparsities.stream().sorted().toList();
        for (Candidate.Kind k : List.of(Candidate.Kind.PRUNE, Candidate.Kind.PRUNE_INT8)) {
            if (!wants(k) || !applicable.contains(k)) continue;
            boolean int8 = k == Candidate.Kind.PRUNE_INT8;
            for (double s : levels) {
                for (PruneMethod m : methods) {
                    if (m.kind() != PruneMethod.Kind.NM) addPrune(out, m, s, int8);
                }
            }
            // N:M pruning has one sparsity of its own
            for (PruneMethod m : methods) {
                if (m.kind() == PruneMethod.Kind.NM) addPrune(out, m, m.fixedSparsity(), int8);
            }
        }
        // a method without a global threshold takes "global" as "uniform": one candidate, not two
        java.util.Map<String, Candidate> unique = new java.util.LinkedHashMap<>();
        for (Candidate c : out) unique.putIfAbsent(c.id(), c);
        out = new ArrayList<>(unique.values());
        return out.size() > MAX_CANDIDATES ? List.copyOf(out.subList(0, MAX_CANDIDATES)) : out;
    }
}
