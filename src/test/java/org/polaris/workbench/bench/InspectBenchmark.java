package org.polaris.workbench.bench;

import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelSummarizer;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.onnx.OrtSessions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times what opening a model in the Models pane costs, against ONNX Runtime loading the same file in the same
 * run, and writes the table to docs/benchmarks.md. Run: {@code ./mvnw -q test-compile exec:exec@bench}.
 */
public final class InspectBenchmark {

    private static final int WARMUP = 50;
    private static final int RUNS = 51;

    private InspectBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        List<Path> models = List.of(samples.resolve("zoo/mnist-8/mnist-8.onnx"),
                samples.resolve("fashion-mnist/fashion_mlp.onnx"), samples.resolve("fashion-mnist/fashion_cnn.onnx"),
                samples.resolve("zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx"));
        OnnxModelReader reader = new OnnxModelReader();
        ModelSummarizer summarizer = new ModelSummarizer();
        ModelInspector inspector = new ModelInspector();
        StringBuilder table = new StringBuilder();
        table.append("| model | file | read IR (ms) | weight stats (ms) | ORT session load (ms) | full inspect (ms) | read / ORT load |\n");
        table.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Path m : models) {
            double read = median(() -> reader.read(m));
            OnnxModel model = reader.read(m);
            double stats = median(() -> summarizer.summarize(model, ProgressSink.NONE, CancellationToken.none()));
            double ort = median(() -> OrtSessions.describe(m));
            double full = median(() -> inspector.inspect(m, ProgressSink.NONE, CancellationToken.none()));
            table.append(String.format(Locale.ROOT, "| %s | %,d B | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
                    m.getFileName(), Files.size(m), read, stats, ort, full, read / ort));
            System.out.println("measured " + m.getFileName());
        }
        String doc = "## Opening a model (Models pane, `inspect`)\n\n"
                + "Median wall time of " + RUNS + " runs after " + WARMUP + " warm-up runs, one thread, in one JVM;"
                + " ONNX Runtime (session creation without graph optimization, as `inspect` does it) measured in the"
                + " same run. \"Full inspect\" is read + ORT load + weight statistics. Absolute times on a shared"
                + " 2-core machine are noisy; the ratio column is what to compare.\n\n"
                + "Machine: " + BenchDoc.machine() + ".\n"
                + "Command: `./mvnw -q test-compile exec:exec@bench` (rewrites this section).\n\n" + table;
        BenchDoc.replaceSection("inspect", doc);
        System.out.println(doc);
    }

    private interface Work {
        Object run() throws Exception;
    }

    private static double median(Work w) throws Exception {
        for (int i = 0; i < WARMUP; i++) {
            w.run();
        }
        double[] ms = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            Object result = w.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (result == null) {
                throw new IllegalStateException("benchmark step returned nothing");
            }
        }
        Arrays.sort(ms);
        return ms[RUNS / 2];
    }
}
