package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.graph.DiffReport;
import org.polaris.workbench.engine.graph.GraphDiff;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code polaris-workbench diff}: two versions of a model compared node by node (the Compare view's twin). */
@Command(name = "diff", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare two versions of a model (original and quantized, pruned or re-exported): pair their "
                + "nodes by name, then by structure; run both on the engine on the same input and report, per pair, "
                + "op, weight dtype, bytes, zeros, the output difference (cosine, max |error|) and the time in each.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:compared", "2:usage error or unusable input data", "3:unreadable or invalid model"})
public final class DiffCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A.onnx", description = "the original")
    Path a;

    @Parameters(index = "1", paramLabel = "B.onnx", description = "the other version")
    Path b;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N")
    int threads;

    @Option(names = "--json", description = "print the report as one JSON object")
    boolean json;

    @Mixin
    InputOptions input = new InputOptions();

    @Override
    public Integer call() throws Exception {
        OnnxModelReader reader = new OnnxModelReader();
        OnnxModel ma = reader.read(a);
        OnnxModel mb = reader.read(b);
        DiffReport r;
        try (EnginePool pool = new EnginePool(threads)) {
            InputSpec.Sample s = input.spec().sample(ma);
            r = GraphDiff.compare(a.getFileName().toString(), ma, b.getFileName().toString(), mb, s.feeds(), s.source(),
                    pool, ProgressSink.NONE, CancellationToken.none());
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        } else {
            print(out, r);
        }
        out.flush();
        return 0;
    }

    static void print(PrintWriter out, DiffReport r) {
        out.printf(Locale.ROOT, "%s: %d operators; %s: %d operators%n", r.modelA(), r.operatorsA(), r.modelB(), r.operatorsB());
        out.printf(Locale.ROOT, "Matched %d by name, %d by structure; %d only in %s (removed), %d only in %s (added)%n",
                r.matchedByName(), r.matchedByStructure(), r.removed(), r.modelA(), r.added(), r.modelB());
        out.printf("Input: %s%n", r.input());
        if (!r.note().isEmpty()) out.printf("Note: %s%n", r.note());
        out.printf(Locale.ROOT, "%n%-32s %-32s %-9s %-20s %-17s %-19s %-13s %-9s %-10s %-9s %s%n", "node A", "node B", "match",
                "op", "dtype", "bytes", "zeros", "cosine", "max |err|", "ms A", "ms B");
        for (DiffReport.Row x : r.rows()) {
            out.printf(Locale.ROOT, "%-32s %-32s %-9s %-20s %-17s %-19s %-13s %-9s %-10s %-9s %s%s%n", cut(x.nodeA()), cut(x.nodeB()),
                    x.match().name().toLowerCase(Locale.ROOT), pair(x.opA(), x.opB()), pair(x.dtypeA(), x.dtypeB()),
                    x.nodeA() == null ? x.bytesB() : x.nodeB() == null ? x.bytesA() : x.bytesA() + " > " + x.bytesB(),
                    pair(pct(x.sparsityA()), pct(x.sparsityB())), num(x.cosine(), "%.6f"), num(x.maxAbsError(), "%.4g"),
                    num(x.msA(), "%.3f"), num(x.msB(), "%.3f"), x.remark().isEmpty() ? "" : "  (" + x.remark() + ")");
        }
        r.largestError().ifPresent(w -> out.printf(Locale.ROOT, "%nLargest output change: %s (relative %.3g, cosine %.6f); "
                + "largest added by one node: %s%n", w.nodeA(), w.relativeError(), w.cosine(),
                r.largestAddedError().map(DiffReport.Row::nodeA).orElse("-")));
    }

    private static String cut(String s) {
        if (s == null) return "-";
        return s.length() <= 32 ? s : "…" + s.substring(s.length() - 31);
    }

    private static String pair(String x, String y) {
        if (x == null || x.isEmpty()) return y == null || y.isEmpty() ? "-" : y;
        if (y == null || y.isEmpty() || x.equals(y)) return x;
        return x + " > " + y;
    }

    private static String pct(Double d) {
        return d == null ? null : String.format(Locale.ROOT, "%.0f%%", 100 * d);
    }

    private static String num(Double d, String fmt) {
        return d == null ? "-" : String.format(Locale.ROOT, fmt, d);
    }
}
