package org.polaris.workbench.engine.inference;

/**
 * Latency percentiles and throughput of one runtime/batch/threads configuration, with the spread (p10..p90) and
 * how many warm-up runs the time-based warm-up took.
 */
public record BenchResult(String runtime, int batch, int threads, int runs, double p50Ms, double p90Ms, double p99Ms,
                          double meanMs, double throughputPerSec, double[] samplesMs, double p10Ms, int warmupRuns) {

    /** The JSON object of one configuration, as {@code bench --json} and the pane's export write it. */
    public java.util.Map<String, Object> toJson() {
        java.util.Map<String, Object> j = new java.util.LinkedHashMap<>();
        j.put("runtime", runtime);
        j.put("batch", batch);
        j.put("threads", threads);
        j.put("runs", runs);
        j.put("warmupRuns", warmupRuns);
        java.util.Map<String, Object> lat = new java.util.LinkedHashMap<>();
        lat.put("p10", p10Ms);
        lat.put("p50", p50Ms);
        lat.put("p90", p90Ms);
        lat.put("p99", p99Ms);
        lat.put("mean", meanMs);
        j.put("latencyMs", lat);
        j.put("throughputPerSec", throughputPerSec);
        return j;
    }
}
