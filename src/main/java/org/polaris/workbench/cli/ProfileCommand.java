package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.runtime.NodeTiming;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code polaris-workbench profile}: per-node and per-op-type times from the engine's timers or ORT's trace. */
@Command(name = "profile", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Profile a model: warmed up as bench does (at least a second, until the median settles), then each node's median time over 5 runs, per node and per op type.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:profiled", "2:usage error", "3:unreadable or invalid model", "5:the engine lacks an op the model uses"})
public final class ProfileCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL")
    Path model;

    @Option(names = "--runtime", defaultValue = "engine", paramLabel = "ort|engine", description = "default engine")
    String runtime;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N")
    int threads;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--top", defaultValue = "15", paramLabel = "N", description = "slowest nodes to list in text output")
    int top;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    InputOptions input = new InputOptions();

    @Override
    public Integer call() throws Exception {
        Runtimes.Kind kind = CliSupport.runtime(runtime);
        List<NodeTiming> nodes;
        try {
            nodes = new InferenceService().profile(model, kind, input.spec(), threads);
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        Map<String, long[]> byOp = new LinkedHashMap<>();
        for (NodeTiming t : nodes) {
            long[] acc = byOp.computeIfAbsent(t.opType(), k -> new long[3]);
            acc[0] += t.nanos();
            acc[1] += t.flops();
            acc[2]++;
        }
        long total = nodes.stream().mapToLong(NodeTiming::nanos).sum();
        var o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", model.toString());
            doc.put("runtime", kind.name().toLowerCase(Locale.ROOT));
            doc.put("totalMs", total / 1e6);
            List<Map<String, Object>> ns = new ArrayList<>();
            for (NodeTiming t : nodes) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("node", t.node());
                j.put("opType", t.opType());
                j.put("ms", t.nanos() / 1e6);
                j.put("flops", t.flops());
                j.put("bytes", t.bytes());
                ns.add(j);
            }
            doc.put("nodes", ns);
            Map<String, Object> ops = new LinkedHashMap<>();
            byOp.forEach((op, a) -> ops.put(op, Map.of("ms", a[0] / 1e6, "flops", a[1], "nodes", a[2])));
            doc.put("opTypes", ops);
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        } else {
            o.printf(Locale.ROOT, "%s on %s: %.3f ms in %d nodes%n%nBy op type:%n", model.getFileName(),
                    kind.name().toLowerCase(Locale.ROOT), total / 1e6, nodes.size());
            byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> o.printf(Locale.ROOT, "  %-24s %9.3f ms %5.1f%%  %3d nodes%n", e.getKey(),
                            e.getValue()[0] / 1e6, 100.0 * e.getValue()[0] / Math.max(1, total), e.getValue()[2]));
            o.printf("%nSlowest nodes:%n");
            nodes.stream().sorted(Comparator.comparingLong(NodeTiming::nanos).reversed()).limit(top)
                    .forEach(t -> o.printf(Locale.ROOT, "  %-40s %-18s %9.3f ms%s%n", t.node(), t.opType(),
                            t.nanos() / 1e6, t.flops() > 0 && kind == Runtimes.Kind.ENGINE
                                    ? String.format(Locale.ROOT, "  %.2f GFLOP/s", t.flops() / (double) Math.max(1, t.nanos()))
                                    : ""));
        }
        o.flush();
        return 0;
    }
}
