package org.polaris.workbench.engine.opencl;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PoCL's LLVM replaces the JVM's SIGSEGV (and other) handlers when it compiles a kernel; the next JVM-internal fault
 * then killed the test JVM with exit 139 and no crash report. After every OpenCL call that can compile, the JVM's
 * handlers must be back.
 */
class JvmSignalsTest {

    @Test
    void theJvmsHandlersAreBackAfterKernelsAreBuiltAndRun() {
        OpenCl.Discovery d = OpenCl.discover();
        Assumptions.assumeTrue(d.available(), "no OpenCL device: " + d.problem());
        assertThat(JvmSignals.active()).isTrue();
        ClDevice dev = d.devices().get(0);
        try (ClRuntime rt = ClRuntime.open(dev)) {
            ClKernels k = new ClKernels(rt);
            assertThat(k.runtime()).isSameAs(rt);
            assertThat(JvmSignals.replaced()).as("handlers left replaced after building kernels").isZero();
            if (dev.platform().contains("Portable Computing Language")) {
                // PoCL's LLVM did install its handlers: this is what the guard is for
                assertThat(JvmSignals.restoredTotal()).isPositive();
            }
        }
        // the JVM still handles its own faults: many implicit null checks and a full GC after the driver ran
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
        assertThat(n).isEqualTo(-2_000_000);
    }
}
