package org.polaris.workbench.engine.opencl;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.io.ArgFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PoCL's LLVM replaces the JVM's SIGSEGV (and other) handlers when it compiles a kernel; the next JVM-internal fault
 * then killed the test JVM with exit 139 and no crash report. After every OpenCL call that can compile, the JVM's
 * handlers must be back. The test JVM itself runs with the JDK's libjsig preloaded (the pom), which keeps the
 * handlers in place anyway, so the guard is checked in a child JVM without it.
 */
class JvmSignalsTest {

    @TempDir
    Path tmp;

    /** Child side: builds and runs kernels, then prints how many handlers the guard put back and how many differ. */
    public static void main(String[] args) {
        OpenCl.Discovery d = OpenCl.discover();
        if (!d.available()) {
            System.out.println("none " + d.problem());
            return;
        }
        ClDevice dev = d.devices().get(0);
        try (ClRuntime rt = ClRuntime.open(dev)) {
            new ClKernels(rt);
        }
        // the JVM still handles its own faults: implicit null checks and a full GC after the driver ran
        long n = 0;
        int[][] arrays = new int[1000][];
        for (int i = 0; i < 2_000_000; i++) {
            int[] a = arrays[i % 1000];
            try {
                n += a[0];
            } catch (NullPointerException e) {
                n--;
            }
        }
        System.gc();
        System.out.println(dev.platform() + "|" + JvmSignals.active() + "|" + JvmSignals.restoredTotal() + "|"
                + JvmSignals.replaced() + "|" + n);
    }

    @Test
    void theJvmsHandlersAreBackAfterKernelsAreBuiltAndRun() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                ArgFiles.write(tmp.resolve("args"), List.of("-Xmx256m", "-Dpolaris.cache.dir=" + tmp.resolve("cache"),
                        "-cp", System.getProperty("java.class.path"), JvmSignalsTest.class.getName())));
        pb.environment().remove("LD_PRELOAD");
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String last = out.lines().reduce((a, b) -> b).orElse("");
        Assumptions.assumeFalse(last.startsWith("none "), "no OpenCL device: " + last);
        String[] f = last.split("\\|");
        assertThat(f).as(out).hasSize(5);
        assertThat(f[1]).as("guard active").isEqualTo("true");
        assertThat(f[3]).as("handlers left replaced after building and running kernels").isEqualTo("0");
        assertThat(f[4]).isEqualTo("-2000000");
        if (f[0].contains("Portable Computing Language")) {
            // PoCL's LLVM did install its handlers (a fresh kernel cache makes it compile): what the guard is for
            assertThat(Integer.parseInt(f[2])).isPositive();
        }
    }
}
