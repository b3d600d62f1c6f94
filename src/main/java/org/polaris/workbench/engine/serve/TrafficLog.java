package org.polaris.workbench.engine.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * The server's recent traffic, second by second, in a fixed ring (10 minutes): requests, errors, latency quantiles
 * from a log-scale histogram, mean queue time and mean batch size. Filled as requests finish, so the Serve pane's
 * charts read history without a timer of their own running in the server.
 */
public final class TrafficLog {

    /** One second of traffic; quantiles and means are NaN in a second without successful requests. */
    public record Second(long epochSecond, long requests, long errors, double p50Ms, double p99Ms, double queueMeanMs,
                         double batchMean) {
    }

    /** Seconds kept. */
    public static final int CAPACITY = 600;
    /** Histogram bucket upper bounds in ms: 10 µs to 10 s, 8 per decade. */
    private static final double[] BOUNDS = new double[49];

    static {
        for (int i = 0; i < BOUNDS.length; i++) BOUNDS[i] = 0.01 * Math.pow(10, i / 8.0);
    }

    private final long[] second = new long[CAPACITY];
    private final long[] count = new long[CAPACITY];
    private final long[] errors = new long[CAPACITY];
    private final long[][] histogram = new long[CAPACITY][BOUNDS.length + 1];
    private final long[] queueNs = new long[CAPACITY];
    private final long[] batches = new long[CAPACITY];
    private final long[] batchSum = new long[CAPACITY];

    private int slot(long epochSecond) {
        int i = (int) Math.floorMod(epochSecond, (long) CAPACITY);
        if (second[i] != epochSecond) {
            second[i] = epochSecond;
            count[i] = 0;
            errors[i] = 0;
            java.util.Arrays.fill(histogram[i], 0);
            queueNs[i] = 0;
            batches[i] = 0;
            batchSum[i] = 0;
        }
        return i;
    }

    /** A finished request: its status, total time, and for a success its queue time and the batch it ran in. */
    public synchronized void record(long epochMillis, int status, long latencyNs, long queueNanos, int batch) {
        int i = slot(Math.floorDiv(epochMillis, 1000));
        if (status != 200) {
            errors[i]++;
            return;
        }
        count[i]++;
        double ms = latencyNs / 1e6;
        int b = 0;
        while (b < BOUNDS.length && ms > BOUNDS[b]) b++;
        histogram[i][b]++;
        queueNs[i] += queueNanos;
        if (batch > 0) {
            batches[i]++;
            batchSum[i] += batch;
        }
    }

    /** The last {@code seconds} seconds up to {@code nowMillis}'s (still running) second, oldest first, empty ones included. */
    public synchronized List<Second> last(int seconds, long nowMillis) {
        int n = Math.min(seconds, CAPACITY - 1);
        long now = Math.floorDiv(nowMillis, 1000);
        List<Second> out = new ArrayList<>(n);
        for (long s = now - n + 1; s <= now; s++) {
            int i = (int) Math.floorMod(s, (long) CAPACITY);
            if (second[i] != s) {
                out.add(new Second(s, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
                continue;
            }
            out.add(new Second(s, count[i], errors[i], quantile(histogram[i], count[i], 0.5),
                    quantile(histogram[i], count[i], 0.99), count[i] == 0 ? Double.NaN : queueNs[i] / 1e6 / count[i],
                    batches[i] == 0 ? Double.NaN : (double) batchSum[i] / batches[i]));
        }
        return out;
    }

    private static double quantile(long[] h, long total, double q) {
        if (total == 0) return Double.NaN;
        long want = (long) Math.ceil(q * total);
        long seen = 0;
        for (int b = 0; b < h.length; b++) {
            seen += h[b];
            if (seen >= want) return b < BOUNDS.length ? BOUNDS[b] : BOUNDS[BOUNDS.length - 1];
        }
        return BOUNDS[BOUNDS.length - 1];
    }
}
