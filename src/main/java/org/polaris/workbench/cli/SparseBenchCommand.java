package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.sparsity.SparseBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code polaris-workbench sparse-bench}: when does a pruned weight matrix pay off over dense? */
@Command(name = "sparse-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time W x X for a random weight matrix pruned to each sparsity: the engine's dense GEMM, "
                + "ONNX Runtime's dense MatMul, CSR (unstructured magnitude pruning) and BSR (4x4 block pruning), "
                + "single thread, in one run; every sparse product is checked against dense first."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:measured", "2:usage error"})
public final class SparseBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Bounds(min = 1, max = 16384)
    @Option(names = "--rows", defaultValue = "1000", paramLabel = "R", description = "outputs (default 1000)")
    int rows;

    @Bounds(min = 1, max = 16384)
    @Option(names = "--cols", defaultValue = "1280", paramLabel = "C", description = "inputs (default 1280)")
    int cols;

    @Bounds(min = 0, max = 0.999)
    @Option(names = "--sparsity", split = ",", paramLabel = "S", description = "default 0.5,0.8,0.9,0.95")
    List<Double> sparsity = new ArrayList<>(List.of(0.5, 0.8, 0.9, 0.95));

    @Bounds(min = 1, max = 4096)
    @Option(names = "--batch", split = ",", paramLabel = "B", description = "default 1,16")
    List<Integer> batch = new ArrayList<>(List.of(1, 16));

    @Bounds(min = 0.001, max = 60)
    @Option(names = "--seconds", defaultValue = "0.3", paramLabel = "T", description = "timing per kernel and setting")
    double seconds;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (batch.stream().anyMatch(b -> b < 1 || b > 4096) || !(seconds > 0 && seconds <= 60)) {
            throw new CliException("--batch must be 1..4096 and --seconds in (0, 60]", 2);
        }
        SparseBench.Result r;
        try {
            r = new SparseBench((long) (seconds * 1e9)).run(rows, cols,
                    sparsity.stream().mapToDouble(Double::doubleValue).toArray(),
                    batch.stream().mapToInt(Integer::intValue).toArray(),
                    json ? (f, m) -> { } : new ConsoleProgress(spec.commandLine().getErr()), CancellationToken.none());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("rows", r.rows());
            j.put("cols", r.cols());
            List<Map<String, Object>> rs = new ArrayList<>();
            for (SparseBench.Row x : r.results()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("sparsity", x.sparsity());
                m.put("batch", x.batch());
                m.put("denseMs", x.denseMs());
                m.put("ortDenseMs", x.ortMs());
                m.put("csrMs", x.csrMs());
                m.put("bsrMs", x.bsrMs());
                rs.add(m);
            }
            j.put("results", rs);
            Map<String, Object> cross = new LinkedHashMap<>();
            for (int b : batch) {
                cross.put(String.valueOf(b), Map.of("csr", nanToNull(r.csrCrossover(b)), "bsr", nanToNull(r.bsrCrossover(b))));
            }
            j.put("crossover", cross);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
        } else {
            out.print(table(r));
        }
        out.flush();
        return 0;
    }

    private static Object nanToNull(double v) {
        return Double.isNaN(v) ? "none" : v;
    }

    /** The results as a Markdown table plus the crossover line per batch (also used for docs/benchmarks.md). */
    public static String table(SparseBench.Result r) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "W %d x %d, single thread, median ms per product%n%n", r.rows(), r.cols()));
        s.append("| sparsity | batch | dense (engine) | dense (ORT) | CSR | BSR 4x4 | CSR vs engine dense | CSR vs ORT "
                + "| BSR vs engine dense |\n");
        s.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (SparseBench.Row x : r.results()) {
            s.append(String.format(Locale.ROOT, "| %.2f | %d | %.4f | %.4f | %.4f | %.4f | %.2fx | %.2fx | %.2fx |%n",
                    x.sparsity(), x.batch(), x.denseMs(), x.ortMs(), x.csrMs(), x.bsrMs(), x.csrSpeedup(),
                    x.ortMs() / x.csrMs(), x.bsrSpeedup()));
        }
        s.append('\n');
        r.results().stream().mapToInt(SparseBench.Row::batch).distinct().forEach(b -> s.append(String.format(Locale.ROOT,
                "Crossover at batch %d: CSR from sparsity %s, BSR from %s (lowest measured sparsity that beats dense).%n",
                b, fmt(r.csrCrossover(b)), fmt(r.bsrCrossover(b)))));
        return s.toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "none measured" : String.format(Locale.ROOT, "%.2f", v);
    }
}
