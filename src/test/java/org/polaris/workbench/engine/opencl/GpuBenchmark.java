package org.polaris.workbench.engine.opencl;

/**
 * Writes the OpenCL section of docs/benchmarks.md for this machine's devices (PoCL on the CPU here):
 * {@code ./mvnw -q test-compile exec:exec@bench-gpu}. Real GPUs are recorded in their own section from
 * {@code scripts/gpu-check.sh} runs.
 */
public final class GpuBenchmark {

    private GpuBenchmark() {
    }

    /** The Fashion CNN through the engine on the CPU, on OpenCL (every supported node), and through ONNX Runtime. */
    private static String engineRows() throws Exception {
        if (!OpenCl.discover().available()) {
            return "";
        }
        StringBuilder s = new StringBuilder("### The engine's OpenCL backend on a whole model\n\n");
        s.append("Fashion-MNIST CNN, whole `run()` calls, median ms after 2 s of warm-up; the engine and ONNX Runtime on one ")
                .append("thread (PoCL uses every core); OpenCL = `--device gpu` (every supported node on the first OpenCL device, PoCL here).\n\n");
        s.append("| batch | engine CPU | engine OpenCL | ONNX Runtime | nodes on OpenCL |\n|---:|---:|---:|---:|---:|\n");
        var m = new org.polaris.workbench.engine.model.OnnxModelReader().read(org.polaris.workbench.testutil.TestData.FASHION_CNN);
        byte[] bytes = java.nio.file.Files.readAllBytes(org.polaris.workbench.testutil.TestData.FASHION_CNN);
        int cores = 1; // one CPU thread each for the engine and ONNX Runtime; PoCL itself uses every core
        for (int batch : new int[] {1, 32}) {
            var x = org.polaris.workbench.engine.data.IdxDataset.open(org.polaris.workbench.testutil.TestData.SAMPLES
                    .resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"), org.polaris.workbench.engine.data.Preprocessing.unitScale(), batch)
                    .batch(0, batch).withName("image");
            var feed = java.util.Map.of("image", x);
            try (var pool = new org.polaris.workbench.engine.job.EnginePool(cores);
                 var ort = org.polaris.workbench.engine.onnx.OrtModelSession.open(bytes, new org.polaris.workbench.engine.onnx.OrtModelSession.Config(
                         cores, org.polaris.workbench.engine.onnx.OrtModelSession.Optimization.ALL, null))) {
                var cpu = org.polaris.workbench.engine.exec.EngineSession.load(m, pool);
                var gpu = org.polaris.workbench.engine.exec.EngineSession.load(m, pool, org.polaris.workbench.engine.exec.EngineSession.Device.GPU);
                try {
                    double c = org.polaris.workbench.bench.BenchDocAccess.medianMs(() -> cpu.run(feed, false), 20, 50, 2);
                    double g = org.polaris.workbench.bench.BenchDocAccess.medianMs(() -> gpu.run(feed, false), 5, 20, 2);
                    double o = org.polaris.workbench.bench.BenchDocAccess.medianMs(() -> ort.run(feed), 20, 50, 2);
                    long on = gpu.lastPlacement().stream().filter(p -> p.device() == org.polaris.workbench.engine.exec.EngineSession.Unit.OPENCL).count();
                    s.append(String.format(java.util.Locale.ROOT, "| %d | %.3f | %.3f | %.3f | %d of %d |%n", batch, c, g, o, on,
                            gpu.lastPlacement().size()));
                } finally {
                    gpu.close();
                }
            }
        }
        s.append("\nOn PoCL every kernel launch costs about a millisecond and the \"device\" is the same two cores, so the ")
                .append("OpenCL path is slower here by design; it exists for real GPUs (see the real-GPU section).\n");
        return s.toString();
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
        doc.append(engineRows());
        if (OpenCl.discover().available()) {
            doc.append('\n').append(org.polaris.workbench.bench.GpuCorpus.section());
        }
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("gpu", doc.toString());
        System.out.println(doc);
    }
}
