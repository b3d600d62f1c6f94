package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.InputSource;
import org.polaris.workbench.engine.data.NumpyFiles;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.ShapeSpec;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.engine.quant.QuantMath;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.CorpusModels;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14's corpus through every command, as a user types them: models exported here with Debian's
 * PyTorch/torchvision (dynamic image sizes, a segmenter, a transformer with dynamic sequence length, LSTM and GRU
 * models with state inputs, a two-input model, a detector taking one [3,H,W] image and giving a variable number of
 * detections). Each runs and benchmarks with shapes from flags, quantizes
 * weight-only without data and static with an .npz calibration folder, and prunes at 50%; every written model is
 * re-loaded in a fresh ONNX Runtime session and compared with the original.
 */
public class CorpusIT {

    /** A corpus model and the flags that fix its inputs. */
    public record Case(String model, List<String> flags) {
    }

    public static final List<Case> CASES = List.of(
            new Case("mobilenet_v3_small", List.of("--shape", "image=1x3x160x192")),
            new Case("shufflenet_v2_x0_5", List.of("--shape", "1x3x128x128")),
            new Case("lraspp_mobilenet_v3", List.of("--shape", "image=1x3x128x160")),
            new Case("transformer_encoder", List.of("--shape", "tokens=1x9")),
            new Case("lstm_state", List.of("--shape", "features=1x25x40", "--input", "h=zeros", "--input", "c=zeros")),
            new Case("gru_state", List.of("--shape", "features=1x25x40", "--input", "h=zeros")),
            new Case("two_inputs", List.of("--shape", "image=1x3x40x56", "--input", "gain=value:0.5")),
            new Case("ssdlite320_mobilenet_v3", List.of("--shape", "image=3x240x320")));

    @TempDir
    Path tmp;

    public static List<String> args(Object... parts) {
        List<String> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> l) {
                l.forEach(x -> out.add(x.toString()));
            } else {
                out.add(p.toString());
            }
        }
        return out;
    }

    private static CliRun cli(List<String> args) {
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void everyCorpusModelRunsBenchmarksQuantizesAndPrunesFromTheCli() throws Exception {
        Map<String, String> failures = new LinkedHashMap<>();
        for (Case c : CASES) {
            Path model = CorpusModels.get(c.model());
            OnnxModel m = new OnnxModelReader().read(model);
            Path outputs = tmp.resolve(c.model() + "-outputs.npz");
            CliRun run = cli(args("run", model, c.flags(), "--json", "--save-outputs", outputs));
            check(failures, c, "run", run);
            if (run.code() == 0) {
                assertThat(NumpyFiles.readNpz(outputs).keySet()).as(c.model())
                        .containsExactlyElementsOf(m.graph().outputs().stream().map(v -> v.name()).toList());
                assertThat(run.out()).contains("\"outputs\"");
            }
            check(failures, c, "bench", cli(args("bench", model, c.flags(), "--warmup", "2", "--runs", "3")));
            Path w8 = tmp.resolve(c.model() + "-w8.onnx");
            check(failures, c, "weight-only", cli(args("quantize", model, "-o", w8, "--mode", "weight-only",
                    c.flags(), "--eval-samples", "4", "--latency-runs", "3")));
            Path calib = calibrationFolder(tmp, m, c);
            Path s8 = tmp.resolve(c.model() + "-s8.onnx");
            check(failures, c, "static", cli(args("quantize", model, "-o", s8, "--calib-data", calib, "--calib-samples",
                    "4", "--eval-samples", "4", "--latency-runs", "3", "--no-speed-check", "--min-cosine", "0.5",
                    c.flags().contains("--input") ? inputsOnly(c.flags()) : List.of())));
            Path pruned = tmp.resolve(c.model() + "-p50.onnx");
            check(failures, c, "prune", cli(args("prune", model, "-o", pruned, "--sparsity", "0.5", c.flags(),
                    "--eval-samples", "4", "--latency-runs", "3")));
            for (Path written : List.of(w8, s8, pruned)) {
                if (Files.exists(written)) {
                    compareInFreshSession(model, written, c, 0.5);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    /** The state inputs' generators; the .npz samples hold the data inputs. */
    public static List<String> inputsOnly(List<String> flags) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < flags.size() - 1; i++) {
            if (flags.get(i).equals("--input")) {
                out.add("--input");
                out.add(flags.get(i + 1));
            }
        }
        return out;
    }

    private static void check(Map<String, String> failures, Case c, String step, CliRun r) {
        if (r.code() != 0) {
            failures.put(c.model() + " " + step, r.code() + ": " + r.err().lines().filter(l -> !l.startsWith("["))
                    .reduce((a, b) -> b).orElse(""));
        }
    }

    /** Four samples for the inputs the flags do not give a generator, written as one .npz each. */
    public static Path calibrationFolder(Path tmp, OnnxModel m, Case c) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(c.model() + "-calib"));
        InputData d = DataSources.open(null, request(c.flags()), 4, m.graph().feedInputs());
        List<String> generated = new ArrayList<>();
        for (int i = 0; i < c.flags().size() - 1; i++) {
            if (c.flags().get(i).equals("--input")) {
                generated.add(c.flags().get(i + 1).split("=")[0]);
            }
        }
        for (int i = 0; i < 4; i++) {
            Map<String, Tensor> sample = new LinkedHashMap<>(d.feeds(i, 1, m.graph().feedInputs()));
            generated.forEach(sample::remove);
            try (OutputStream out = Files.newOutputStream(dir.resolve("sample" + i + ".npz"))) {
                NumpyFiles.writeNpz(sample, out);
            }
        }
        return dir;
    }

    public static InputPlan.Request request(List<String> flags) {
        List<ShapeSpec> shapes = new ArrayList<>();
        List<InputSource.Binding> sources = new ArrayList<>();
        for (int i = 0; i < flags.size() - 1; i += 2) {
            if (flags.get(i).equals("--shape")) {
                shapes.add(ShapeSpec.parse(flags.get(i + 1)));
            } else {
                sources.add(InputSource.parseBinding(flags.get(i + 1)));
            }
        }
        return new InputPlan.Request(shapes, sources, Preprocessing.unitScale(), 0);
    }

    /**
     * A written model in a fresh ONNX Runtime session: every output present with the original's rank, and close to
     * the original's where the shapes agree (a detector may keep a different number of detections).
     */
    private static void compareInFreshSession(Path original, Path written, Case c, double minCosine) throws Exception {
        OnnxModel m = new OnnxModelReader().read(original);
        Map<String, Tensor> feeds = DataSources.open(null, request(c.flags()), 1, m.graph().feedInputs())
                .feeds(0, 1, m.graph().feedInputs());
        Map<String, Tensor> a = OrtSessions.run(Files.readAllBytes(original), feeds);
        Map<String, Tensor> b = OrtSessions.run(Files.readAllBytes(written), feeds);
        assertThat(b.keySet()).as(written.toString()).containsExactlyElementsOf(a.keySet());
        for (String k : a.keySet()) {
            assertThat(b.get(k).rank()).as("%s %s", written, k).isEqualTo(a.get(k).rank());
            if (!java.util.Arrays.equals(b.get(k).dims(), a.get(k).dims())) {
                assertThat(k).as("%s: only detection outputs may change shape", written).isIn("boxes", "scores", "labels");
                continue;
            }
            assertThat(b.get(k).dataType()).as("%s %s", written, k).isEqualTo(a.get(k).dataType());
            if (a.get(k).dataType() != org.polaris.workbench.engine.model.DataType.FLOAT) {
                continue; // integer outputs (here a detector's class ids) may change when scores move
            }
            assertThat(QuantMath.cosine(a.get(k).toFloats(), b.get(k).toFloats())).as("%s %s", written, k)
                    .isGreaterThan(minCosine);
        }
    }

    /**
     * The ONNX conformance sets through the same data path: each model runs on its own {@code test_data_set_0}
     * (inputs by position from {@code input_K.pb}) and its saved outputs match {@code output_K.pb}; models with
     * Conv/Gemm/MatMul weights also quantize weight-only without data and prune at 50% on that data.
     */
    @Test
    void conformanceModelsRunOnTheirTestDataQuantizeAndPrune() throws Exception {
        Map<String, String> failures = new java.util.TreeMap<>();
        int ran = 0;
        int compressed = 0;
        for (String set : List.of("pytorch-converted", "pytorch-operator", "simple")) {
            for (Path model : org.polaris.workbench.testutil.TestData.conformanceModels(set)) {
                Path dir = model.getParent();
                Path data = dir.resolve("test_data_set_0");
                if (!Files.isDirectory(data)) {
                    continue;
                }
                String id = set + "/" + dir.getFileName();
                Path saved = tmp.resolve(dir.getFileName() + ".npz");
                CliRun r = cli(args("run", model, "--data", data, "--save-outputs", saved));
                if (r.code() != 0) {
                    failures.put(id + " run", firstLine(r));
                    continue;
                }
                ran++;
                OnnxModel m = new OnnxModelReader().read(model);
                Map<String, Tensor> got = NumpyFiles.readNpz(saved);
                for (int k = 0; k < m.graph().outputs().size(); k++) {
                    Path expected = data.resolve("output_" + k + ".pb");
                    Tensor want = new OnnxModelReader().readTensor(expected);
                    Tensor have = got.get(m.graph().outputs().get(k).name());
                    if (want.dataType() == org.polaris.workbench.engine.model.DataType.STRING) {
                        assertThat(have.strings().stream().map(String::new).toList()).as(id)
                                .isEqualTo(want.strings().stream().map(String::new).toList());
                        continue;
                    }
                    double[] a = want.toDoubles();
                    double[] b = have.toDoubles();
                    assertThat(b.length).as(id).isEqualTo(a.length);
                    for (int j = 0; j < a.length; j++) {
                        if (Double.isNaN(a[j]) || Double.isInfinite(a[j])) {
                            assertThat(Double.valueOf(b[j])).as("%s output %d [%d]", id, k, j).isEqualTo(Double.valueOf(a[j]));
                            continue;
                        }
                        assertThat(Math.abs(a[j] - b[j])).as("%s output %d [%d]", id, k, j)
                                .isLessThanOrEqualTo(1e-3 + 1e-3 * Math.abs(a[j]));
                    }
                }
                boolean weighted = m.graph().nodes().stream().anyMatch(n -> List.of("Conv", "Gemm", "MatMul")
                        .contains(n.opType()) && n.inputs().size() > 1
                        && m.graph().initializers().stream().anyMatch(t -> t.name().equals(n.inputs().get(1))));
                if (!weighted) {
                    continue;
                }
                compressed++;
                Path w8 = tmp.resolve(dir.getFileName() + "-w8.onnx");
                CliRun q = cli(args("quantize", model, "-o", w8, "--mode", "weight-only", "--eval-data", data,
                        "--latency-runs", "3", "--min-cosine", "0.5"));
                if (q.code() != 0) {
                    failures.put(id + " weight-only", firstLine(q));
                }
                Path p50 = tmp.resolve(dir.getFileName() + "-p50.onnx");
                CliRun p = cli(args("prune", model, "-o", p50, "--sparsity", "0.5", "--eval-data", data,
                        "--latency-runs", "3"));
                if (p.code() != 0) {
                    failures.put(id + " prune", firstLine(p));
                }
            }
        }
        // What cannot be done, each for a reason outside the workbench, with exit code and message naming it:
        // ONNX Runtime 1.29 has no kernels for opset-1/6 versions of these ops, no training Gradient op, and needs
        // the en_US.UTF-8 locale for StringNormalizer. The opset-6 models with weights (27) are raised to opset 7
        // for weight-only INT8 (Cast and Mul instead of DequantizeLinear) and all compress.
        Map<String, Integer> why = new java.util.TreeMap<>();
        failures.forEach((k, v) -> why.merge(v.startsWith("3: ") && v.contains("Could not find an implementation for")
                ? "ORT has no kernel for the old opset" : v.startsWith("3: ") && v.contains("Gradient")
                ? "training op" : v.startsWith("3: ") && v.contains("locale") ? "locale missing" : k + " " + v, 1,
                Integer::sum));
        System.out.println("conformance: " + ran + " ran, " + compressed + " compressed; " + why);
        assertThat(ran).isEqualTo(100);
        assertThat(compressed).isEqualTo(27);
        assertThat(why).containsOnlyKeys("ORT has no kernel for the old opset", "training op", "locale missing");
    }

    private static String firstLine(CliRun r) {
        return r.code() + ": " + r.err().lines().filter(l -> !l.startsWith("[")).reduce((a, b) -> b).orElse("");
    }
}
