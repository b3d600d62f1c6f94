package org.polaris.workbench.engine.serve;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A served model's counters in the shape of the statistics extension ({@code GET /v2/models/{m}/stats}, as Triton
 * reports them): successes and failures with their total time, time queued and computing, and executions per batch
 * size. Thread-safe; never reset while the server runs (a reload keeps counting).
 */
public final class ModelStats {

    /** A count and the nanoseconds it took in total. */
    public record Duration(long count, long ns) {
    }

    /** The statistics extension's record for one model version. */
    public record Snapshot(String name, String version, long last_inference, long inference_count, long execution_count,
                           Map<String, Duration> inference_stats, java.util.List<BatchStat> batch_stats) {
    }

    /** Executions of one batch size and their compute time. */
    public record BatchStat(long batch_size, Duration compute_infer) {
    }

    private final LongAdder successCount = new LongAdder();
    private final LongAdder successNs = new LongAdder();
    private final LongAdder failCount = new LongAdder();
    private final LongAdder failNs = new LongAdder();
    private final LongAdder queueCount = new LongAdder();
    private final LongAdder queueNs = new LongAdder();
    private final LongAdder computeCount = new LongAdder();
    private final LongAdder computeNs = new LongAdder();
    private final LongAdder inferences = new LongAdder();
    private final LongAdder executions = new LongAdder();
    private final AtomicLong last = new AtomicLong();
    private final Map<Long, long[]> byBatch = new TreeMap<>();

    void success(long nanos, long samples) {
        successCount.increment();
        successNs.add(nanos);
        inferences.add(samples);
        last.set(System.currentTimeMillis());
    }

    void failure(long nanos) {
        failCount.increment();
        failNs.add(nanos);
    }

    void queued(long nanos) {
        queueCount.increment();
        queueNs.add(nanos);
    }

    void executed(long batchSize, long nanos) {
        executions.increment();
        computeCount.increment();
        computeNs.add(nanos);
        synchronized (byBatch) {
            long[] c = byBatch.computeIfAbsent(batchSize, b -> new long[2]);
            c[0]++;
            c[1] += nanos;
        }
    }

    public Snapshot snapshot(String name, String version) {
        java.util.List<BatchStat> batches = new java.util.ArrayList<>();
        synchronized (byBatch) {
            byBatch.forEach((b, c) -> batches.add(new BatchStat(b, new Duration(c[0], c[1]))));
        }
        Map<String, Duration> stats = new java.util.LinkedHashMap<>();
        stats.put("success", new Duration(successCount.sum(), successNs.sum()));
        stats.put("fail", new Duration(failCount.sum(), failNs.sum()));
        stats.put("queue", new Duration(queueCount.sum(), queueNs.sum()));
        stats.put("compute_input", new Duration(0, 0));
        stats.put("compute_infer", new Duration(computeCount.sum(), computeNs.sum()));
        stats.put("compute_output", new Duration(0, 0));
        return new Snapshot(name, version, last.get(), inferences.sum(), executions.sum(), stats, batches);
    }
}
