package org.polaris.workbench.engine.opencl;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

import java.util.List;
import java.util.Locale;

/**
 * A markdown report of every OpenCL device: description, kernel checks against Java, tuned SGEMM and bandwidth.
 * What {@code gpu check --markdown} prints and what docs/benchmarks.md records for real GPUs (scripts/gpu-check.sh).
 */
public final class DeviceReport {

    private DeviceReport() {
    }

    public static String markdown(int sgemmSize, boolean bench) {
        OpenCl.Discovery d = OpenCl.discover();
        StringBuilder s = new StringBuilder();
        if (!d.available()) {
            return s.append("No OpenCL device: ").append(d.problem()).append('\n').toString();
        }
        for (ClDevice c : d.devices()) {
            s.append(String.format(Locale.ROOT, "#### [%d] %s (%s, %s)%n%n", c.index(), c.name(), c.type(), c.vendor()));
            s.append(String.format(Locale.ROOT, "%s; %s; driver %s; %d compute units at %d MHz; %.1f GiB; fp16 %s, int8 dot %s%n%n",
                    c.openclVersion(), c.openclC(), c.driverVersion(), c.computeUnits(), c.maxClockMHz(),
                    c.globalMemBytes() / 1073741824.0, c.fp16() ? "yes" : "no", c.int8Dot() ? "yes" : "no"));
            List<KernelCheck.Check> checks = KernelCheck.run(c);
            long failed = checks.stream().filter(x -> !x.ok()).count();
            s.append(String.format(Locale.ROOT, "Kernel checks against Java: %d of %d pass.%n%n", checks.size() - failed, checks.size()));
            s.append("| kernel | result | max relative error | detail |\n|---|---|---:|---|\n");
            for (KernelCheck.Check x : checks) {
                s.append(String.format(Locale.ROOT, "| %s | %s | %.2g | %s |%n", x.kernel(), x.ok() ? "pass" : "FAIL", x.maxError(), x.detail()));
            }
            if (bench && failed == 0) {
                GpuBench.Result r = GpuBench.run(c, sgemmSize, ProgressSink.NONE, CancellationToken.none());
                s.append(String.format(Locale.ROOT, "%nSGEMM %d^3: naive %.1f GFLOPS, tuned (%s) %.1f GFLOPS (%.1fx); copy "
                                + "bandwidth %.1f GB/s%s.%n%n", r.size(), r.tuning().naiveGflops(), r.tuning().best(),
                        r.tuning().bestGflops(), r.tuning().speedup(), r.bandwidthGBs(),
                        r.known() == null ? "" : String.format(Locale.ROOT, "; roofline %s: %.0f%% of peak FP32, %.0f%% of bandwidth",
                                r.known().name(), 100 * r.peakFraction(), 100 * r.bandwidthFraction())));
                s.append("| tile | per thread | ms | GFLOPS |\n|---:|---:|---:|---:|\n");
                for (SgemmTuner.Trial t : r.tuning().trials()) {
                    s.append(String.format(Locale.ROOT, "| %d | %d | %.3f | %.1f |%n", t.params().tile(), t.params().workPerThread(), t.ms(), t.gflops()));
                }
            }
            s.append('\n');
        }
        return s.toString();
    }
}
