package org.polaris.workbench.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.FakeSysfs;
import org.polaris.workbench.testutil.TestData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reliability suite: hostile models, data files, output targets and options, generated here from a fixed seed
 * and run through the real CLI in one child JVM capped at 512 MiB. Every case must end with its documented exit
 * code and one error line naming the user's file, no stack trace, its folder holding exactly what it held before
 * (plus the outputs of a success), every input byte for byte unchanged, and no temporary file anywhere.
 */
class ReliabilityIT {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /** Kept when a case fails, so the generated files and the child's log can be looked at. */
    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path base;

    /** One hostile invocation and what it must leave behind. */
    record Case(String name, List<String> args, int code, String mustName, Path folder, Set<String> outputs) {
    }

    private static final List<Case> CASES = new ArrayList<>();
    private static final Map<String, JsonNode> RESULTS = new LinkedHashMap<>();
    private static final Map<Path, String> HASHES = new TreeMap<>();
    private static final List<String> SKIPPED = new ArrayList<>();
    private static final List<Path> MOUNTS = new ArrayList<>();
    private static Path childTmp;
    private static String childLog = "";
    private static HostileFiles gen;

    private static final String DATA = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz")
            .toAbsolutePath().toString();
    private static final String[] QUICK_Q = {"--calib-samples", "20", "--eval-samples", "20", "--latency-runs", "2"};
    private static final String[] QUICK_P = {"--eval-samples", "20", "--latency-runs", "2"};

    @BeforeAll
    static void runEveryCaseInOneSmallChildJvm() throws Exception {
        gen = new HostileFiles(Files.createDirectories(base.resolve("gen")));
        hostileModels();
        largeModel();
        hostileData();
        hostileOutputs();
        absurdOptions();
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
                HASHES.put(p, sha(p));
            }
        }
        HASHES.put(Path.of(DATA), sha(Path.of(DATA)));
        childTmp = Files.createDirectories(base.resolve("child-tmp"));
        Path casesFile = base.resolve("cases.json");
        List<CliBatch.Invocation> inv = CASES.stream().map(c -> new CliBatch.Invocation(c.name(), c.args())).toList();
        new ObjectMapper().writeValue(casesFile.toFile(), inv);
        Path results = base.resolve("results.jsonl");
        Path started = base.resolve("started.txt");
        // through an argument file: ONNX Runtime crashes a process whose command line is over about 4 KB
        Process p = new ProcessBuilder(javaBin(), org.polaris.workbench.engine.io.ArgFiles.write(base.resolve("jvm.args"),
                List.of("-Xmx512m", "-XX:ErrorFile=" + Path.of("target/hs_err_pid%p.log").toAbsolutePath(),
                        "-Djava.io.tmpdir=" + childTmp, "-Djava.awt.headless=true", "-cp",
                        System.getProperty("java.class.path"), CliBatch.class.getName(), casesFile.toString(),
                        results.toString(), started.toString())))
                .directory(base.toFile()).redirectErrorStream(true).redirectOutput(base.resolve("child.log").toFile())
                .start();
        boolean done = p.waitFor(240, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        childLog = Files.readString(base.resolve("child.log"));
        String last = Files.exists(started) ? Files.readString(started) : "(none)";
        assertThat(done).as("the batch hung in case %s", last).isTrue();
        assertThat(p.exitValue()).as("child JVM exit; last case %s; log:%n%s", last, childLog).isZero();
        for (String line : Files.readAllLines(results)) {
            JsonNode j = new ObjectMapper().readTree(line);
            RESULTS.put(j.get("name").asText(), j);
        }
    }

    @AfterAll
    static void unmount() throws Exception {
        for (Path m : MOUNTS) {
            new ProcessBuilder("umount", m.toString()).inheritIO().start().waitFor();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path folder(String name) throws IOException {
        return Files.createDirectories(base.resolve("cases").resolve(name));
    }

    private static void add(String name, int code, String mustName, Path folder, Set<String> outputs, String... args) {
        CASES.add(new Case(name, List.of(args), code, mustName, folder, outputs));
    }

    private static Path copy(Path from, Path dir, String name) throws IOException {
        return Files.copy(from, dir.resolve(name));
    }

    // ---------------------------------------------------------------- generators, one per class

    private static void hostileModels() throws Exception {
        Map<String, Path> bad = new LinkedHashMap<>();
        bad.put("declared-without-data", gen.declaredWithoutData());
        bad.put("overflowing-dims", gen.overflowingDims());
        bad.put("sparse-bomb", gen.sparseBomb());
        bad.put("external-dotdot", gen.externalData("ext-dotdot.onnx", "../secret.bin", 16));
        bad.put("external-absolute", gen.externalData("ext-abs.onnx", "/etc/passwd", 16));
        Path devzero = gen.externalData("ext-devzero.onnx", "zero.bin", 1 << 20);
        Files.createSymbolicLink(devzero.resolveSibling("zero.bin"), Path.of("/dev/zero"));
        bad.put("external-dev-zero", devzero);
        Path outside = Files.writeString(Files.createDirectories(base.resolve("outside")).resolve("secret.bin"), "x".repeat(64));
        Path linkOut = gen.externalData("ext-link.onnx", "side.bin", 16);
        Files.createSymbolicLink(linkOut.resolveSibling("side.bin"), outside);
        bad.put("external-link-out", linkOut);
        Path shortExt = gen.externalData("ext-short.onnx", "short.bin", 1 << 20);
        Files.write(shortExt.resolveSibling("short.bin"), new byte[100]);
        bad.put("external-too-short", shortExt);
        bad.put("truncated", gen.truncated(TestData.FASHION_MLP, 5000));
        bad.put("garbage", gen.garbage("garbage.onnx", 4096));
        bad.put("empty", Files.write(base.resolve("gen/empty.onnx"), new byte[0]));
        bad.put("folder", Files.createDirectories(base.resolve("gen/folder.onnx")));
        bad.put("fifo", HostileFiles.fifo(base.resolve("gen/fifo.onnx")));
        bad.put("deep-subgraphs", gen.deepSubgraphs(40));
        // 1M nodes: 34 MB on disk, about 1 GB of objects; a 512 MiB JVM must refuse it, not run out of memory
        bad.put("million-nodes", gen.manyNodes(1_000_000));
        for (Map.Entry<String, Path> e : bad.entrySet()) {
            String m = e.getValue().toString();
            add("inspect-" + e.getKey(), 3, m, null, Set.of(), "inspect", m);
        }
        for (String k : List.of("declared-without-data", "sparse-bomb", "external-dev-zero", "truncated", "fifo")) {
            String m = bad.get(k).toString();
            Path q = folder("quantize-" + k);
            add("quantize-" + k, 3, m, q, Set.of(), "quantize", m, "-o", q.resolve("out.onnx").toString());
            Path pr = folder("prune-" + k);
            add("prune-" + k, 3, m, pr, Set.of(), "prune", m, "-o", pr.resolve("out.onnx").toString());
            add("run-" + k, 3, m, null, Set.of(), "run", m);
        }
        // a model ONNX Runtime cannot load (a node reads a tensor nobody produces): the model's problem, exit 3
        Path dangling = Files.write(base.resolve("gen/dangling.onnx"), org.polaris.workbench.testutil.Protos.model(
                ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("g")
                        .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("MatMul").addInput("nowhere")
                                .addInput("w").addOutput("y"))
                        .addInitializer(org.polaris.workbench.testutil.Protos.floats("w", new long[] {4, 4}, new float[16]))
                        .addInput(org.polaris.workbench.testutil.Protos.tensorValue("x", 1, 1, 4))
                        .addOutput(org.polaris.workbench.testutil.Protos.tensorValue("y", 1, 1, 4)).build(), 13).toByteArray());
        Path dq = folder("quantize-not-loadable");
        add("quantize-not-loadable", 3, dangling.toString(), dq, Set.of(), "quantize", dangling.toString(), "-o",
                dq.resolve("out.onnx").toString());

        // NaN weights: no agreement can be computed, so nothing is written and the run fails (exit 4)
        Path nan = folder("quantize-nan-weights");
        Path nanModel = copy(gen.withNaNWeight(TestData.FASHION_MLP), nan, "nan-weights.onnx");
        List<String> args = new ArrayList<>(List.of("quantize", nanModel.toString(), "-o", nan.resolve("q.onnx").toString(),
                "--calib-data", DATA));
        args.addAll(List.of(QUICK_Q));
        CASES.add(new Case("quantize-nan-weights", args, 4, "NaN", nan, Set.of()));

        // control characters in the file name and in metadata never reach the terminal raw
        Path ctl = folder("inspect-control-characters");
        Path evil = gen.withControlCharacters(TestData.FASHION_MLP, "evil\u001b[2Jname.onnx");
        Path evilCopy = Files.move(evil, ctl.resolve(evil.getFileName()));
        add("inspect-control-characters", 0, null, ctl, Set.of(), "inspect", evilCopy.toString());
        add("inspect-control-characters-missing", 3, "\\x1b[2J", null, Set.of(), "inspect",
                ctl.resolve("gone\u001b[2J.onnx").toString());

        // TorchScript: a stored tensor cut to 4 bytes (libtorch read past it and crashed, or wrote foreign memory)
        Path pt = TestData.SAMPLES.resolve("fashion-mnist/fashion_mlp.pt");
        Path cut = gen.torchScript(pt, "cut.pt", false);
        Path bomb = gen.torchScript(pt, "pickle-bomb.pt", true);
        add("inspect-torch-cut-storage", 3, cut.toString(), null, Set.of(), "inspect", cut.toString());
        add("inspect-torch-pickle-bomb", 3, bomb.toString(), null, Set.of(), "inspect", bomb.toString());
        add("inspect-torch-garbage", 3, "garbage.pt", null, Set.of(), "inspect",
                gen.garbage("garbage.pt", 2048).toString());
        Path tq = folder("quantize-torch-cut-storage");
        add("quantize-torch-cut-storage", 3, cut.toString(), tq, Set.of(), "quantize", cut.toString(), "-o",
                tq.resolve("q.pt").toString(), "--mode", "weight-only", "--eval-data", DATA, "--eval-samples", "10");
        Path tp = folder("prune-torch-cut-storage");
        add("prune-torch-cut-storage", 3, cut.toString(), tp, Set.of(), "prune", cut.toString(), "-o",
                tp.resolve("p.pt").toString(), "--eval-data", DATA, "--eval-samples", "10", "--scope", "layer");
    }

    /**
     * The memory ceiling with a real-sized model: 64 MiB of weights must open and prune in the 512 MiB child
     * (measured peaks: docs/benchmarks.md, limits).
     */
    private static void largeModel() throws Exception {
        Path f = folder("large-model-prune");
        Path big = Files.move(gen.wideMlp("wide-64MiB.onnx", 2048, 4), f.resolve("wide-64MiB.onnx"));
        add("large-model-inspect", 0, null, f, Set.of("pruned.onnx", "pruned.onnx.report.json"), "inspect", "--weights",
                big.toString());
        add("large-model-prune", 0, null, f, Set.of("pruned.onnx", "pruned.onnx.report.json"), "prune", big.toString(),
                "-o", f.resolve("pruned.onnx").toString(), "--eval-samples", "20", "--latency-runs", "2");
    }

    private static void hostileData() throws Exception {
        String mlp = TestData.FASHION_MLP.toAbsolutePath().toString();
        Path lying = gen.lyingIdx(2_700_000);
        Path cutGz = gen.truncatedGzip(Path.of(DATA));
        Path fifo = HostileFiles.fifo(base.resolve("gen/fifo-images-idx3-ubyte"));
        for (Map.Entry<String, Path> e : Map.of("lying-idx", lying, "truncated-gzip", cutGz, "fifo", fifo).entrySet()) {
            for (String opt : List.of("--calib-data", "--eval-data")) {
                String name = "quantize" + opt + "-" + e.getKey();
                Path f = folder(name);
                add(name, 2, e.getValue().toString(), f, Set.of(), "quantize", mlp, "-o", f.resolve("q.onnx").toString(),
                        opt, e.getValue().toString());
            }
            add("run-data-" + e.getKey(), 2, e.getValue().toString(), null, Set.of(), "run", mlp, "--data",
                    e.getValue().toString(), "--index", "1999");
        }
        Path pf = folder("prune-eval-data-fifo");
        add("prune-eval-data-fifo", 2, fifo.toString(), pf, Set.of(), "prune", mlp, "-o", pf.resolve("p.onnx").toString(),
                "--eval-data", fifo.toString());
        // a 30000x30000 PNG (its header only): refused from the header, never decoded
        String mobilenet = TestData.MOBILENET.toAbsolutePath().toString();
        Path images = base.resolve("gen/huge-images");
        Path huge = gen.pngHeader(images, "huge.png", 30_000, 30_000);
        Path hq = folder("quantize-calib-huge-png");
        add("quantize-calib-huge-png", 2, huge.toString(), hq, Set.of(), "quantize", mobilenet, "-o",
                hq.resolve("q.onnx").toString(), "--calib-data", images.toString(), "--calib-samples", "5",
                "--eval-samples", "5", "--latency-runs", "2", "--scale", "1/127.5", "--mean", "1");
        add("run-input-huge-png", 2, huge.toString(), null, Set.of(), "run", mobilenet, "--input", huge.toString());
        Path fifoPng = HostileFiles.fifo(base.resolve("gen/fifo.png"));
        add("run-input-fifo-png", 2, fifoPng.toString(), null, Set.of(), "run", mobilenet, "--input", fifoPng.toString());
        Path notPng = Files.writeString(base.resolve("gen/not-an-image.png"), "hello");
        add("run-input-not-an-image", 2, notPng.toString(), null, Set.of(), "run", mobilenet, "--input", notPng.toString());
        // a FIFO among the sysfs files: sampling reads regular files only and finishes
        FakeSysfs fs = new FakeSysfs(Files.createDirectories(base.resolve("gen/sysfs")));
        Path card = fs.rx580(0, false);
        Files.delete(card.resolve("gpu_busy_percent"));
        HostileFiles.fifo(card.resolve("gpu_busy_percent"));
        fs.proc(1, 1, 1024);
        add("gpu-monitor-fifo-in-sysfs", 0, null, null, Set.of(), "gpu", "monitor", "--sysfs-root",
                fs.root().toString(), "--interval", "10", "--duration", "0.05");
    }

    private static void hostileOutputs() throws Exception {
        // existing output without --force: refused, untouched
        Path ex = folder("output-exists");
        Path model = copy(TestData.FASHION_MLP, ex, "model.onnx");
        Path taken = Files.writeString(ex.resolve("taken.onnx"), "user data");
        quantize("output-exists", 2, taken.toString(), ex, Set.of(), model, taken);
        // --report naming the input model
        Path rin = folder("report-is-input");
        Path m2 = copy(TestData.FASHION_MLP, rin, "model.onnx");
        quantize("report-is-input", 2, m2.toString(), rin, Set.of(), m2, rin.resolve("q.onnx"), "--report", m2.toString(),
                "--force");
        // -o reaching the input through a symlinked folder, with --force
        Path sym = folder("output-is-input-via-symlink");
        Path m3 = copy(TestData.FASHION_MLP, sym, "model.onnx");
        Files.createSymbolicLink(sym.resolve("link"), sym);
        quantize("output-is-input-via-symlink", 2, "link", sym, Set.of(), m3, sym.resolve("link/model.onnx"), "--force");
        // -o a device node, with --force (root: /dev/null would have become a regular file)
        Path dev = folder("output-device-node");
        Path m4 = copy(TestData.FASHION_MLP, dev, "model.onnx");
        quantize("output-device-node", 2, "/dev/null", dev, Set.of(), m4, Path.of("/dev/null"), "--force");
        // -o a symbolic link to another file, with --force
        Path sl = folder("output-symlink");
        Path m5 = copy(TestData.FASHION_MLP, sl, "model.onnx");
        Path other = Files.writeString(sl.resolve("other.txt"), "keep me");
        Files.createSymbolicLink(sl.resolve("out.onnx"), other);
        quantize("output-symlink", 2, "out.onnx", sl, Set.of(), m5, sl.resolve("out.onnx"), "--force");
        // --report is a folder; --report equals -o
        Path rf = folder("report-is-folder");
        Path m6 = copy(TestData.FASHION_MLP, rf, "model.onnx");
        Files.createDirectories(rf.resolve("r.json"));
        quantize("report-is-folder", 2, "r.json", rf, Set.of(), m6, rf.resolve("q.onnx"), "--report",
                rf.resolve("r.json").toString());
        Path rs = folder("report-equals-output");
        Path m7 = copy(TestData.FASHION_MLP, rs, "model.onnx");
        quantize("report-equals-output", 2, "q.onnx", rs, Set.of(), m7, rs.resolve("q.onnx"), "--report",
                rs.resolve("q.onnx").toString());
        // output folder missing
        Path nf = folder("output-folder-missing");
        Path m8 = copy(TestData.FASHION_MLP, nf, "model.onnx");
        quantize("output-folder-missing", 2, "no-such-folder", nf, Set.of(), m8, nf.resolve("no-such-folder/q.onnx"));
        // prune and the other writers follow the same rule
        Path pe = folder("prune-output-exists");
        Path m9 = copy(TestData.FASHION_MLP, pe, "model.onnx");
        Path taken2 = Files.writeString(pe.resolve("taken.onnx"), "user data");
        add("prune-output-exists", 2, taken2.toString(), pe, Set.of(), "prune", m9.toString(), "-o", taken2.toString());
        Path sr = folder("snn-raster-exists");
        Path raster = Files.writeString(sr.resolve("raster.csv"), "user data");
        add("snn-raster-exists", 2, raster.toString(), sr, Set.of(), "snn", "run", "--steps", "5", "--neurons", "10",
                "--raster", raster.toString());
        Path gc = folder("gpu-monitor-csv-exists");
        Path csv = Files.writeString(gc.resolve("t.csv"), "user data");
        add("gpu-monitor-csv-exists", 2, csv.toString(), gc, Set.of(), "gpu", "monitor", "--duration", "0.02",
                "--interval", "10", "--csv", csv.toString());
        // a success writes the model and its report with the usual permissions; --force keeps a replaced file's
        Path ok = folder("success-permissions");
        Path m10 = copy(TestData.FASHION_MLP, ok, "model.onnx");
        Path keep = Files.writeString(ok.resolve("q.onnx"), "old");
        Files.setPosixFilePermissions(keep, PosixFilePermissions.fromString("rw-------"));
        quantize("success-permissions", 0, null, ok, Set.of("q.onnx.report.json"), m10, keep, "--force");

        if (!ROOT) {
            SKIPPED.add("read-only folder and full disk: need root to mount a small tmpfs (running as "
                    + System.getProperty("user.name") + ")");
            return;
        }
        // a read-only folder (a read-only tmpfs: root may write anywhere else) and a full disk (a 64 KiB tmpfs)
        Path ro = mount("ro-mount", "ro,size=64k");
        Path rom = folder("output-read-only-folder");
        Path m11 = copy(TestData.FASHION_MLP, rom, "model.onnx");
        quantize("output-read-only-folder", 2, ro.toString(), rom, Set.of(), m11, ro.resolve("q.onnx"));
        Path rrm = folder("report-read-only-folder");
        Path m12 = copy(TestData.FASHION_MLP, rrm, "model.onnx");
        quantize("report-read-only-folder", 2, ro.toString(), rrm, Set.of(), m12, rrm.resolve("q.onnx"), "--report",
                ro.resolve("r.json").toString());
        Path full = mount("full-mount", "size=64k");
        Path fm = folder("output-full-disk");
        Path m13 = copy(TestData.FASHION_MLP, fm, "model.onnx");
        quantize("output-full-disk", 8, full.resolve("q.onnx").toString(), fm, Set.of(), m13, full.resolve("q.onnx"));
        Path fr = folder("report-full-disk");
        Path m14 = copy(TestData.FASHION_MLP, fr, "model.onnx");
        // the model fits elsewhere, the report does not fit on the full disk: neither may appear
        fill(full.resolve("filler.bin"));
        quantize("report-full-disk", 8, full.resolve("r.json").toString(), fr, Set.of(), m14, fr.resolve("q.onnx"),
                "--report", full.resolve("r.json").toString());
    }

    /** Writes zeros until the file system is full. */
    private static void fill(Path file) throws IOException {
        try (var out = Files.newOutputStream(file)) {
            byte[] page = new byte[1024];
            for (int i = 0; i < 1 << 20; i++) {
                out.write(page);
                out.flush();
            }
        } catch (IOException e) {
            // full: what was written stays
        }
    }

    private static Path mount(String name, String options) throws Exception {
        Path m = Files.createDirectories(base.resolve(name));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", m.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("mount tmpfs on %s", m).isZero();
        MOUNTS.add(m);
        return m;
    }

    private static void quantize(String name, int code, String mustName, Path folder, Set<String> outputs, Path model,
                                 Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("quantize", model.toString(), "-o", out.toString(), "--calib-data", DATA));
        args.addAll(List.of(QUICK_Q));
        args.addAll(List.of(more));
        Set<String> all = new LinkedHashSet<>(outputs);
        CASES.add(new Case(name, args, code, mustName, folder, all));
    }

    private static void absurdOptions() throws IOException {
        String mlp = TestData.FASHION_MLP.toAbsolutePath().toString();
        Path f = folder("absurd-options");
        String out = f.resolve("x.onnx").toString();
        String[][] cases = {
                {"--threads", "bench", mlp, "--threads", "100000"},
                {"--threads", "run", mlp, "--threads", "0"},
                {"--threads", "quantize", mlp, "-o", out, "--threads", "100000"},
                {"--batch", "bench", mlp, "--batch", "1000000"},
                {"--runs", "bench", mlp, "--runs", "0"},
                {"--min-cosine", "quantize", mlp, "-o", out, "--min-cosine", "NaN"},
                {"--calib-samples", "quantize", mlp, "-o", out, "--calib-samples", "-1"},
                {"--latency-batch", "quantize", mlp, "-o", out, "--latency-batch", "999999"},
                {"scale", "quantize", mlp, "-o", out, "--scale", "1/0"},
                {"--mean", "run", mlp, "--mean", "NaN"},
                {"--crop", "run", mlp, "--crop", "1000000"},
                {"--sparsity", "prune", mlp, "-o", out, "--sparsity", "2"},
                {"--eval-samples", "prune", mlp, "-o", out, "--eval-samples", "2000000000"},
                {"--interval", "gpu", "monitor", "--interval", "0"},
                {"--neurons", "snn", "bench", "--neurons", "99999999"},
                {"--top", "profile", mlp, "--top", "0"},
                {"--index", "run", mlp, "--data", DATA, "--index", "-5"},
        };
        int i = 0;
        for (String[] c : cases) {
            add("option-" + (i++) + "-" + c[1] + c[0], 2, c[0], f, Set.of(), java.util.Arrays.copyOfRange(c, 1, c.length));
        }
    }

    // ---------------------------------------------------------------- the checks

    @TestFactory
    Stream<DynamicTest> everyCaseFailsCleanly() {
        return CASES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) throws IOException {
        JsonNode r = RESULTS.get(c.name());
        assertThat(r).as("result of %s", c.name()).isNotNull();
        String err = r.get("err").asText();
        String out = r.get("out").asText();
        String what = c.name() + " " + c.args() + "\nstdout: " + out + "\nstderr: " + err;
        assertThat(r.get("code").asInt()).as(what).isEqualTo(c.code());
        assertThat(err).as(what).doesNotContain("\tat ", "Exception in thread", "internal error");
        assertThat(out + err).as("no raw control characters: " + what).doesNotContainPattern("[\\x00-\\x08\\x0b-\\x1f\\x7f\\u202e]");
        List<String> errors = err.lines().filter(l -> l.startsWith("error:")).toList();
        if (c.code() != 0) {
            assertThat(errors).as(what).hasSize(1);
            if (c.mustName() != null) {
                assertThat(errors.get(0)).as(what).contains(c.mustName());
            }
        } else {
            assertThat(errors).as(what).isEmpty();
        }
        if (c.folder() != null) {
            Set<String> expected = new TreeSet<>(c.outputs());
            HASHES.keySet().stream().filter(p -> p.getParent().equals(c.folder()))
                    .forEach(p -> expected.add(p.getFileName().toString()));
            try (Stream<Path> s = Files.list(c.folder())) {
                Set<String> now = new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
                now.removeIf(n -> Files.isSymbolicLink(c.folder().resolve(n)) || Files.isDirectory(c.folder().resolve(n)));
                assertThat(now).as("files left in %s: %s", c.folder(), what).isEqualTo(expected);
            }
        }
    }

    @Test
    void everyInputIsByteForByteUnchanged() throws Exception {
        for (Map.Entry<Path, String> e : HASHES.entrySet()) {
            if (e.getKey().getFileName().toString().equals("q.onnx") && e.getKey().getParent().endsWith("success-permissions")) {
                continue;
            }
            assertThat(sha(e.getKey())).as("%s changed", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(Files.isRegularFile(Path.of("/dev/null"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(base.resolve("cases/output-symlink/other.txt"))).isEqualTo("keep me");
    }

    @Test
    void nothingIsLeftInTheTemporaryFolderAndNoCrashReport() throws Exception {
        try (Stream<Path> s = Files.walk(childTmp)) {
            assertThat(s.filter(p -> !p.equals(childTmp)).map(Path::toString).toList()).isEmpty();
        }
        try (Stream<Path> s = Files.walk(base)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hs_err") || n.endsWith(".tmp")
                    || n.startsWith("polaris-input")).toList()).isEmpty();
        }
        assertThat(childLog).doesNotContain("Exception", "\tat ");
        for (Path m : MOUNTS) {
            try (Stream<Path> s = Files.list(m)) {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).as("left on %s", m)
                        .isSubsetOf(List.of("filler.bin"));
            }
        }
    }

    @Test
    void aSuccessWritesTheUsualPermissionsAndKeepsAReplacedFilesMode() throws Exception {
        Path dir = base.resolve("cases/success-permissions");
        assertThat(Files.getPosixFilePermissions(dir.resolve("q.onnx"))).as("replaced with --force keeps its mode")
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Set<PosixFilePermission> report = Files.getPosixFilePermissions(dir.resolve("q.onnx.report.json"));
        assertThat(report).as("a new file gets 0666 & ~umask, not 0600").isEqualTo(umaskDefault());
        assertThat(new org.polaris.workbench.engine.model.OnnxModelReader().read(dir.resolve("q.onnx")).graph().nodes())
                .isNotEmpty();
    }

    @Test
    void casesThatNeedRootAreSkippedWithTheReason() {
        Assumptions.assumeTrue(SKIPPED.isEmpty(), String.join("; ", SKIPPED));
        assertThat(CASES).extracting(Case::name).contains("output-full-disk", "output-read-only-folder");
    }

    private static Set<PosixFilePermission> umaskDefault() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "umask").start();
        int mask = Integer.parseInt(new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim(), 8);
        p.waitFor();
        int mode = 0666 & ~mask;
        Set<PosixFilePermission> s = new LinkedHashSet<>();
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < 9; bit++) {
            if ((mode & (1 << bit)) != 0) {
                s.add(order[bit]);
            }
        }
        return s;
    }

    static String sha(Path p) throws Exception {
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return "not a regular file";
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
