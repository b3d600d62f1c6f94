package org.polaris.workbench.bench;

import org.polaris.workbench.cli.CorpusIT;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole real-model corpus on the engine's OpenCL executor ({@code --device gpu}, PoCL here): for each model, how
 * many nodes ran on the device, its largest difference from ONNX Runtime, and the ops left on the CPU with the
 * placement reason. Part of {@code exec:exec@bench-gpu}.
 */
public final class GpuCorpus {

    private GpuCorpus() {
    }

    /** The corpus table in markdown; models not exported are listed as such. */
    public static String table() throws Exception {
        List<CorpusIT.Case> all = new ArrayList<>(CorpusIT.CASES);
        all.addAll(CorpusCoverage.FULL);
        StringBuilder t = new StringBuilder("| model | nodes on OpenCL | max rel. error vs ORT | CPU engine time in nodes left "
                + "on the CPU | ops left on the CPU that take at least 0.5% of it (nodes, share of CPU time: reason) | other nodes "
                + "left on the CPU |\n"
                + "|---|---:|---:|---:|---|---:|\n");
        for (CorpusIT.Case c : all) {
            Path model = Path.of("target/corpus-models").resolve(c.model() + ".onnx");
            if (!Files.exists(model)) {
                t.append("| ").append(c.model()).append(" | not exported | | |\n");
                continue;
            }
            OnnxModel m = new OnnxModelReader().read(model);
            Map<String, Tensor> feeds = DataSources.open(null, CorpusIT.request(c.flags()), 1, m.graph().feedInputs())
                    .feeds(0, 1, m.graph().feedInputs());
            Map<String, Tensor> expected = OrtSessions.run(Files.readAllBytes(model), feeds);
            Map<String, Long> cpuNanos = cpuProfile(m, feeds);
            long total = cpuNanos.values().stream().mapToLong(Long::longValue).sum();
            try (EngineSession s = EngineSession.load(m, EnginePool.shared(), EngineSession.Device.GPU)) {
                Map<String, Tensor> got = s.run(feeds, false);
                double worst = 0;
                for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                    if (e.getValue().dataType() != DataType.FLOAT) continue;
                    worst = Math.max(worst, relError(e.getValue().toDoubles(), got.get(e.getKey()).toDoubles()));
                }
                List<EngineSession.Placement> placed = s.lastPlacement();
                long on = placed.stream().filter(p -> p.device() == EngineSession.Unit.OPENCL).count();
                // nodes left on the CPU by op and reason: count and CPU nanoseconds
                Map<String, long[]> left = new TreeMap<>();
                long leftNanos = 0;
                for (EngineSession.Placement p : placed) {
                    if (p.device() == EngineSession.Unit.OPENCL) continue;
                    long ns = cpuNanos.getOrDefault(p.node(), 0L);
                    leftNanos += ns;
                    long[] a = left.computeIfAbsent(p.op() + ": " + p.reason(), k -> new long[2]);
                    a[0]++;
                    a[1] += ns;
                }
                // the ones that matter are named (at least 0.5% of the CPU time); the rest (mostly shape and index
                // arithmetic on a few integers) are counted
                StringBuilder l = new StringBuilder();
                long others = 0;
                for (Map.Entry<String, long[]> e : left.entrySet()) {
                    long[] v = e.getValue();
                    if (v[1] * 200 < total) {
                        others += v[0];
                        continue;
                    }
                    String k = e.getKey();
                    l.append(l.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT, "%dx %s, %.1f%%: %s", v[0],
                            k.substring(0, k.indexOf(':')), 100.0 * v[1] / Math.max(1, total), k.substring(k.indexOf(':') + 2)));
                }
                t.append(String.format(Locale.ROOT, "| %s | %d of %d | %.1e | %.1f%% | %s | %d |%n", c.model(), on, placed.size(), worst,
                        100.0 * leftNanos / Math.max(1, total), l.toString().replace("|", "\\|"), others));
            }
        }
        return t.toString();
    }

    /** Each node's CPU engine time (median of five profiled runs after five warm-up runs), by node id. */
    private static Map<String, Long> cpuProfile(OnnxModel m, Map<String, Tensor> feeds) throws Exception {
        Map<String, List<Long>> runs = new TreeMap<>();
        try (EngineSession s = EngineSession.load(m, EnginePool.shared())) {
            for (int i = 0; i < 10; i++) {
                s.run(feeds, i >= 5);
                if (i >= 5) {
                    s.lastProfile().forEach(t -> runs.computeIfAbsent(t.node(), k -> new ArrayList<>()).add(t.nanos()));
                }
            }
        }
        Map<String, Long> median = new TreeMap<>();
        runs.forEach((k, v) -> {
            v.sort(null);
            median.put(k, v.get(v.size() / 2));
        });
        return median;
    }

    private static double relError(double[] x, double[] y) {
        double scale = 1e-12;
        double diff = 0;
        for (int i = 0; i < x.length; i++) {
            scale = Math.max(scale, Math.abs(x[i]));
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
        }
        return diff / scale;
    }

    /** The section text for docs/benchmarks.md. */
    public static String section() throws Exception {
        return "### The real-model corpus on the OpenCL executor\n\n"
                + "Every corpus model (exported by `bench-corpus`, inputs as in the corpus table) with `--device gpu`: every node "
                + "the device can run placed there (PoCL here), the outputs compared with ONNX Runtime on the same inputs "
                + "(largest difference over the largest magnitude). The CPU-time column is the share of the CPU engine's "
                + "profiled time (median of five runs) spent in the nodes the device leaves to the CPU; ops that "
                + "take at least 0.5% of it are named with the placement reason, the other nodes (mostly shape and index "
                + "arithmetic on a few integers: Shape, Gather of dims, Cast, ...) only counted. If/Loop bodies run on the CPU.\n\n" + table();
    }

    public static void main(String[] args) throws Exception {
        System.out.println(section());
    }
}
