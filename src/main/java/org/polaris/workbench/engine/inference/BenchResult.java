package org.polaris.workbench.engine.inference;

/** Latency percentiles and throughput of one runtime/batch/threads configuration. */
public record BenchResult(String runtime, int batch, int threads, int runs, double p50Ms, double p90Ms, double p99Ms,
                          double meanMs, double throughputPerSec, double[] samplesMs) {
}
