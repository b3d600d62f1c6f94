package org.polaris.workbench.engine.opencl;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one OpenCL device does on this machine: SGEMM (naive and auto-tuned, checked against each other) and copy
 * bandwidth, set against the device's roofline when it is a card the workbench knows.
 */
public final class GpuBench {

    public record Result(ClDevice device, int size, SgemmTuner.Result tuning, double bandwidthGBs, KnownGpu known) {

        /** Share of the card's peak FP32 the tuned SGEMM reaches, or NaN for unknown devices. */
        public double peakFraction() {
            return known == null ? Double.NaN : tuning.bestGflops() / known.peakGflops();
        }

        public double bandwidthFraction() {
            return known == null ? Double.NaN : bandwidthGBs / known.bandwidthGBs();
        }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("device", device.name());
            j.put("type", device.type());
            j.put("driver", device.driverVersion());
            j.put("size", size);
            j.put("naiveGflops", tuning.naiveGflops());
            j.put("tunedGflops", tuning.bestGflops());
            j.put("tunedParams", Map.of("tile", tuning.best().tile(), "workPerThread", tuning.best().workPerThread()));
            j.put("speedupOverNaive", tuning.speedup());
            j.put("copyBandwidthGBs", bandwidthGBs);
            if (known != null) {
                j.put("roofline", Map.of("card", known.name(), "peakGflops", known.peakGflops(),
                        "bandwidthGBs", known.bandwidthGBs(), "ridgeFlopPerByte", known.ridge()));
                j.put("peakFraction", peakFraction());
                j.put("bandwidthFraction", bandwidthFraction());
            }
            return j;
        }
    }

    private GpuBench() {
    }

    /** @param size square SGEMM size; 0 picks 1024 for GPUs, 512 otherwise */
    public static Result run(ClDevice d, int size, ProgressSink progress, CancellationToken cancel) {
        int n = size > 0 ? size : d.type().equals("gpu") ? 1024 : 512;
        try (ClRuntime rt = ClRuntime.open(d)) {
            ClKernels k = new ClKernels(rt);
            SgemmTuner.Result t = SgemmTuner.tune(k, n, 3, (f, m) -> progress.progress(0.9 * f, m), cancel);
            progress.progress(0.92, "copy bandwidth");
            long floats = Math.min(d.globalMemBytes() / 16, 64L << 20);
            double bw = k.copyBandwidth((int) floats, 5);
            progress.progress(1, "done");
            return new Result(d, n, t, bw, d.known());
        }
    }
}
