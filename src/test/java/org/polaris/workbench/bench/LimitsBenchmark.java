package org.polaris.workbench.bench;

import org.polaris.workbench.engine.io.ArgFiles;
import org.polaris.workbench.engine.model.OnnxModelReader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The "limits" section of docs/benchmarks.md: peak memory over model size for the samples and a large synthetic
 * model (each command in its own JVM, as a user runs it), and how long reading graphs of 100k and 1M nodes takes.
 * Run: {@code ./mvnw -q test-compile exec:exec@bench-limits}.
 */
public final class LimitsBenchmark {

    private static final int REPEATS = 3;

    private LimitsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        Path work = Files.createTempDirectory("polaris-limits");
        Path data = samples.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
        Path big = wideMlp(work.resolve("synthetic-mlp-4096x4096x4.onnx"), 4096, 4);
        StringBuilder t = new StringBuilder();
        t.append("Each row is one command in a fresh JVM with `-Xmx2g`, median of ").append(REPEATS)
                .append(" runs: peak Java heap (the largest the heap's pools were; with room to spare the JVM collects ")
                .append("late, so this overstates the need) and peak resident memory (`VmHWM`: the JVM itself, ONNX ")
                .append("Runtime and its arena included). For models over 64 MiB the last column is the smallest heap, ")
                .append("at 2, 3, 4, 5, 6 or 8 times the file, with which the command succeeds. Small models are ")
                .append("dominated by the JVM's own ~80 MiB.\n\n");
        t.append("Machine: ").append(BenchDoc.machine()).append(".\n");
        t.append("Command: `./mvnw -q test-compile exec:exec@bench-limits` (rewrites this section).\n\n");
        t.append("| model | file | command | exit | wall (s) | peak heap (MiB) | heap / file | peak RSS (MiB) | smallest -Xmx that runs it |\n");
        t.append("|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
        List<Object[]> rows = new ArrayList<>();
        for (String m : List.of("zoo/mnist-8/mnist-8.onnx", "fashion-mnist/fashion_mlp.onnx",
                "fashion-mnist/fashion_cnn.onnx", "zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx")) {
            rows.add(new Object[] {samples.resolve(m), List.of("inspect", "--weights")});
        }
        for (String m : List.of("fashion-mnist/fashion_mlp.onnx", "fashion-mnist/fashion_cnn.onnx")) {
            rows.add(new Object[] {samples.resolve(m), List.of("quantize", "-o", work.resolve("q.onnx").toString(), "--force",
                    "--calib-data", data.toString(), "--eval-samples", "500", "--latency-runs", "20")});
            rows.add(new Object[] {samples.resolve(m), List.of("prune", "-o", work.resolve("p.onnx").toString(), "--force",
                    "--eval-data", data.toString(), "--eval-samples", "500", "--latency-runs", "20")});
        }
        rows.add(new Object[] {big, List.of("inspect", "--weights")});
        rows.add(new Object[] {big, List.of("prune", "-o", work.resolve("p.onnx").toString(), "--force",
                "--eval-samples", "50", "--latency-runs", "5")});
        rows.add(new Object[] {big, List.of("quantize", "-o", work.resolve("q.onnx").toString(), "--force",
                "--mode", "weight-only", "--eval-samples", "50", "--latency-runs", "5")});
        for (Object[] r : rows) {
            Path model = (Path) r[0];
            @SuppressWarnings("unchecked")
            List<String> cmd = (List<String>) r[1];
            List<String> full = new ArrayList<>();
            full.add(cmd.get(0));
            full.add(model.toString());
            full.addAll(cmd.subList(1, cmd.size()));
            long[][] m = new long[REPEATS][];
            for (int i = 0; i < REPEATS; i++) {
                m[i] = probe(work, full);
            }
            long wall = median(m, 1);
            long heap = median(m, 2);
            long rss = median(m, 3);
            long size = Files.size(model);
            String smallest = size < (64L << 20) ? "" : smallestHeap(work, full, size);
            t.append(String.format(Locale.ROOT, "| %s | %,d B | `%s` | %d | %.2f | %.0f | %.1fx | %.0f | %s |%n",
                    model.getFileName(), size, String.join(" ", cmd.stream().map(a -> a.startsWith(work.toString())
                            ? Path.of(a).getFileName().toString() : a.startsWith(samples.toString()) ? "DATA" : a)
                            .toList()).replace(data.toString(), "DATA"), median(m, 0),
                    wall / 1000.0, heap / 1048576.0, (double) heap / size, rss / 1024.0, smallest));
            System.err.println("measured " + model.getFileName() + " " + cmd.get(0));
        }
        t.append("\nThe synthetic model is four 4096x4096 float32 Gemm layers with random weights (a fixed seed), ")
                .append("256 MiB on disk. `quantize --mode weight-only` and `prune` evaluate it on random inputs.\n\n");

        t.append("### Graphs with many nodes\n\n");
        t.append("A chain of Relu nodes (34 bytes a node on disk). `read` is `OnnxModelReader.read` in one JVM (median of ")
                .append(REPEATS).append("); `inspect` is the whole command in a fresh JVM with `-Xmx2g`. Above 100,000 nodes ")
                .append("`inspect` does not load the graph into ONNX Runtime, whose loader grows faster than linearly ")
                .append("(its column); the reader refuses a graph whose objects would not fit ")
                .append("in the heap (about 1 KB a node) before building it.\n\n");
        t.append("| nodes | file | read (s) | ONNX Runtime session, no optimization (s) | inspect (s) | inspect peak heap (MiB) |\n"
                + "|---:|---:|---:|---:|---:|---:|\n");
        for (int n : new int[] {100_000, 300_000, 1_000_000}) {
            Path chain = chain(work.resolve("chain-" + n + ".onnx"), n);
            double[] reads = new double[REPEATS];
            for (int i = 0; i < REPEATS; i++) {
                long t0 = System.nanoTime();
                new OnnxModelReader().read(chain);
                reads[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(reads);
            // ONNX Runtime's loader once (a 1M-node graph would take many minutes)
            String ort = "not measured (minutes)";
            if (n <= 300_000) {
                long t0 = System.nanoTime();
                try (var session = org.polaris.workbench.engine.onnx.OrtModelSession.open(chain,
                        org.polaris.workbench.engine.onnx.OrtModelSession.Config.singleThread(
                                org.polaris.workbench.engine.onnx.OrtModelSession.Optimization.NONE))) {
                    ort = String.format(Locale.ROOT, "%.2f", (System.nanoTime() - t0) / 1e9);
                }
            }
            long[] p = probe(work, List.of("inspect", chain.toString()));
            if (p[0] != 0) {
                throw new IllegalStateException("inspect of " + n + " nodes exited " + p[0]);
            }
            t.append(String.format(Locale.ROOT, "| %,d | %,d B | %.2f | %s | %.2f | %.0f |%n", n, Files.size(chain),
                    reads[REPEATS / 2], ort, p[1] / 1000.0, p[2] / 1048576.0));
        }
        t.append("\nDefault limits: model file 2 GiB (protobuf's limit; larger weights go in external data), 1,000,000 ")
                .append("nodes, rank 64, subgraphs 32 deep, external data 16 GiB and at most three quarters of the heap, ")
                .append("sparse initializers densifying to at most 256 times the file (at least 64 MiB), images ")
                .append(String.format(Locale.ROOT, "%,d", org.polaris.workbench.engine.data.ImageFolderDataset.MAX_PIXELS))
                .append(" pixels. How to raise them: docs/user-guide.md, \"What the tool never does to your files\".\n");
        BenchDoc.replaceSection("limits", "## Limits: memory and load time (`bench-limits`)\n\n" + t);
        try (var s = Files.walk(work)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /**
     * The peak heap above overstates what a command needs (a 2 GiB heap is collected lazily): this runs it with -Xmx
     * at growing multiples of the model's size and reports the first that succeeds.
     */
    private static String smallestHeap(Path work, List<String> cli, long size) throws Exception {
        for (double f : new double[] {2, 3, 4, 5, 6, 8}) {
            long mib = (long) Math.ceil(f * size / 1048576.0);
            if (probe(work, cli, mib + "m")[0] == 0) {
                return String.format(Locale.ROOT, "%,d MiB (%.0fx)", mib, f);
            }
        }
        return "over 8x";
    }

    /** Runs one CLI command in a fresh JVM; returns {exit, wallMillis, peakHeapBytes, peakRssKiB}. */
    private static long[] probe(Path work, List<String> cli) throws Exception {
        return probe(work, cli, "2g");
    }

    private static long[] probe(Path work, List<String> cli, String heap) throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + heap, "--add-modules=jdk.incubator.vector",
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), LimitsProbe.class.getName()));
        jvm.addAll(cli);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                ArgFiles.write(work.resolve("probe.args"), jvm)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        String[] f = out.lines().reduce((a, b) -> b).orElse("").split(" ");
        if (f.length != 4) {
            throw new IllegalStateException("probe printed: " + out);
        }
        return Arrays.stream(f).mapToLong(Long::parseLong).toArray();
    }

    private static long median(long[][] m, int col) {
        long[] v = Arrays.stream(m).mapToLong(r -> r[col]).sorted().toArray();
        return v[v.length / 2];
    }

    private static Path wideMlp(Path file, int width, int layers) throws Exception {
        Files.write(file, org.polaris.workbench.testutil.Protos.wideMlp(width, layers, 7).toByteArray());
        return file;
    }

    private static Path chain(Path file, int n) throws Exception {
        Files.write(file, org.polaris.workbench.testutil.Protos.reluChain(n).toByteArray());
        return file;
    }
}
