package org.polaris.workbench.reliability;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.polaris.workbench.engine.io.ArgFiles;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ctrl-C and SIGTERM while the output is half-written: the real launcher in a child JVM is signalled once its
 * temporary output exists, and must leave nothing behind (no temporary file beside the output, none in the
 * temporary folder) with the conventional exit code.
 */
class InterruptIT {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} during {1}")
    @CsvSource({"INT, quantize, 130", "TERM, prune, 143", "INT, prune, 130", "TERM, quantize, 143"})
    void anInterruptLeavesNothingBehind(String signal, String command, int exitCode) throws Exception {
        Path model = Files.copy(TestData.FASHION_MLP, dir.resolve("model.onnx"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        String data = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toAbsolutePath().toString();
        List<String> args = new ArrayList<>(List.of("-Xmx512m", "--add-modules=jdk.incubator.vector",
                "-Djava.io.tmpdir=" + tmp, "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), "org.polaris.workbench.ui.app.Launcher", command,
                model.toString(), "-o", dir.resolve("out.onnx").toString(), "--eval-data", data,
                // long enough to be interrupted after the output is staged: timing runs come after verification
                "--latency-runs", "100000"));
        if (command.equals("quantize")) {
            args.addAll(List.of("--calib-data", data, "--calib-samples", "20", "--eval-samples", "20"));
        } else {
            args.addAll(List.of("--eval-samples", "20"));
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                ArgFiles.write(dir.resolve("jvm.args"), args))
                .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (stagedFiles().isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(stagedFiles()).as("the run staged its output; %s; log:%n%s",
                p.isAlive() ? "still running" : "exited " + p.exitValue(), Files.readString(dir.resolve("log.txt")))
                .isNotEmpty();
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit; log:%n%s", Files.readString(dir.resolve("log.txt"))).isEqualTo(exitCode);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(f -> f.getFileName().toString()).sorted().toList())
                    .containsExactly("jvm.args", "log.txt", "model.onnx", "tmp");
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(Files.readAllBytes(model)).isEqualTo(Files.readAllBytes(TestData.FASHION_MLP));
    }

    /**
     * Temporary outputs holding bytes: the output folder's write probe (an empty file of the same name pattern,
     * deleted at once before any work) does not count.
     */
    private List<Path> stagedFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith(".out.onnx.")).filter(f -> {
                try {
                    return Files.size(f) > 0;
                } catch (java.io.IOException gone) {
                    return false;
                }
            }).toList();
        }
    }
}
