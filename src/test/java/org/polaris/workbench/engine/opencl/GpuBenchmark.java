package org.polaris.workbench.engine.opencl;

/**
 * Writes the OpenCL section of docs/benchmarks.md for this machine's devices (PoCL on the CPU here):
 * {@code ./mvnw -q test-compile exec:exec@bench-gpu}. Real GPUs are recorded in their own section from
 * {@code scripts/gpu-check.sh} runs.
 */
public final class GpuBenchmark {

    private GpuBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        StringBuilder doc = new StringBuilder("## OpenCL kernels on this machine (GPU pane, `gpu check`, `gpu bench`)\n\n");
        doc.append("Every kernel against its Java reference, then the SGEMM auto-tuner (every tile configuration the ")
                .append("device can run, each checked against the naive kernel; median of 3) and device copy bandwidth. ")
                .append("PoCL runs OpenCL on the CPU: a correctness target, not a speed one.\n\n");
        doc.append("Machine: ").append(org.polaris.workbench.bench.BenchDocAccess.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-gpu` (rewrites this section); ad hoc: ")
                .append("`polaris-workbench gpu check --markdown`.\n\n");
        doc.append(DeviceReport.markdown(512, true).replace("#### ", "### "));
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("gpu", doc.toString());
        System.out.println(doc);
    }
}
