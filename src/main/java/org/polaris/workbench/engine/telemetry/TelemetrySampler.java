package org.polaris.workbench.engine.telemetry;

import org.polaris.workbench.engine.job.Schedulers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples every AMD card (sysfs), every NVIDIA card ({@code nvidia-smi}) and the host (CPU %, process memory) into a
 * fixed-size ring per device: memory is allocated once, so a sampler left running for days stays flat. Runs on its
 * own daemon thread at a configurable rate; {@link #sampleOnce} is the same step for callers with their own clock.
 * Markers (inference started, benchmark done) go into a ring of their own on the same timeline.
 */
public final class TelemetrySampler implements AutoCloseable {

    /** The host (CPU and process) pseudo-device. */
    public static final String HOST = "host";

    public record Marker(long epochMillis, String label) {
    }

    /** A bounded ring of samples for one device. */
    public static final class Ring {
        private final long[] times;
        private final double[][] values;
        private int next;
        private int size;

        Ring(int capacity) {
            times = new long[capacity];
            values = new double[capacity][Metric.values().length];
        }

        synchronized void add(long t, double[] v) {
            times[next] = t;
            System.arraycopy(v, 0, values[next], 0, v.length);
            next = (next + 1) % times.length;
            size = Math.min(size + 1, times.length);
        }

        public synchronized int size() {
            return size;
        }

        public int capacity() {
            return times.length;
        }

        /** Samples oldest first. */
        public synchronized List<Sample> snapshot(String device) {
            List<Sample> out = new ArrayList<>(size);
            int start = (next - size + times.length) % times.length;
            for (int i = 0; i < size; i++) {
                int at = (start + i) % times.length;
                out.add(new Sample(times[at], device, values[at].clone()));
            }
            return out;
        }
    }

    private final AmdSysfs amd;
    private final NvidiaSmi nvidia;
    private final HostMetrics host;
    private final int capacity;
    private final LongSupplier clock;
    private final Map<String, Ring> rings = new LinkedHashMap<>();
    private final Map<String, String> names = new LinkedHashMap<>();
    private final Ring markerTimes;
    private final String[] markerLabels;
    private int markerNext;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> task;
    /** Held while a scheduled sample runs, so {@link #stop} can wait for it. */
    private final Object sampling = new Object();
    /** Bumped by every start and stop; a scheduled run from an older start does nothing. */
    private long generation;

    /**
     * @param root filesystem root for sysfs and /proc ({@code /}; a temporary tree in tests)
     * @param capacity samples kept per device (10 minutes at 10 Hz is 6,000)
     * @param useNvidiaSmi also ask {@code nvidia-smi} when it is installed
     */
    public TelemetrySampler(Path root, int capacity, boolean useNvidiaSmi, LongSupplier clock) {
        if (capacity < 1 || capacity > 1_000_000) {
            throw new IllegalArgumentException("ring capacity must be 1..1,000,000 samples, got " + capacity);
        }
        this.amd = new AmdSysfs(root);
        this.nvidia = useNvidiaSmi ? new NvidiaSmi() : null;
        this.host = new HostMetrics(root);
        this.capacity = capacity;
        this.clock = clock;
        this.markerTimes = new Ring(256);
        this.markerLabels = new String[256];
    }

    public static TelemetrySampler system() {
        return new TelemetrySampler(Path.of("/"), 6000, true, System::currentTimeMillis);
    }

    /** Devices seen so far, id to readable name, host first. */
    public synchronized Map<String, String> devices() {
        return new LinkedHashMap<>(names);
    }

    /** Reads every source once and appends to the rings; returns this round's samples. */
    public List<Sample> sampleOnce() {
        long t = clock.getAsLong();
        List<Sample> round = new ArrayList<>();
        remember(HOST, "CPU and this process");
        round.add(new Sample(t, HOST, host.read()));
        for (AmdSysfs.Card c : amd.cards()) {
            round.add(new Sample(t, c.id(), amd.read(c)));
            remember(c.id(), c.model());
        }
        if (nvidia != null && nvidia.available()) {
            for (NvidiaSmi.Gpu g : nvidia.read()) {
                round.add(new Sample(t, g.id(), g.values()));
                remember(g.id(), g.name());
            }
        }
        for (Sample s : round) {
            ring(s.device()).add(t, s.values());
        }
        return round;
    }

    private synchronized void remember(String id, String name) {
        names.putIfAbsent(id, name);
    }

    private synchronized Ring ring(String device) {
        return rings.computeIfAbsent(device, d -> new Ring(capacity));
    }

    public synchronized Ring ringOf(String device) {
        return rings.get(device);
    }

    /** Puts a labelled marker on the timeline (at most 256 kept). */
    public synchronized void mark(String label) {
        markerTimes.add(clock.getAsLong(), Sample.empty());
        markerLabels[markerNext] = label;
        markerNext = (markerNext + 1) % markerLabels.length;
    }

    public synchronized List<Marker> markers() {
        List<Sample> ts = markerTimes.snapshot("");
        List<Marker> out = new ArrayList<>();
        int n = ts.size();
        for (int i = 0; i < n; i++) {
            int at = (markerNext - n + i + markerLabels.length) % markerLabels.length;
            out.add(new Marker(ts.get(i).epochMillis(), markerLabels[at]));
        }
        return out;
    }

    /** Samples every {@code intervalMillis} (10 ms to 10 s) on a daemon thread until {@link #stop}. */
    public void start(long intervalMillis) {
        if (intervalMillis < 10 || intervalMillis > 10_000) {
            throw new IllegalArgumentException("sampling interval must be 10 ms to 10 s, got " + intervalMillis);
        }
        stop();
        synchronized (this) {
            if (scheduler == null) {
                scheduler = Schedulers.single("polaris-telemetry");
            }
            long mine = ++generation;
            task = scheduler.scheduleAtFixedRate(() -> {
                // lock order: sampling, then this (sampleOnce's bookkeeping); stop() never holds both
                synchronized (sampling) {
                    if (generation() != mine) {
                        return;
                    }
                    try {
                        sampleOnce();
                    } catch (RuntimeException e) {
                        // one bad reading must not end sampling
                    }
                }
            }, 0, intervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    private synchronized long generation() {
        return generation;
    }

    public synchronized boolean running() {
        return task != null && !task.isDone();
    }

    /**
     * Stops sampling and returns only after a sample in flight has been written: once it returns, the rings no
     * longer change until the next {@link #start}.
     */
    public void stop() {
        synchronized (this) {
            generation++;
            if (task != null) {
                task.cancel(false);
                task = null;
            }
        }
        synchronized (sampling) {
            // waits for the scheduled sample in flight, if any; later runs see a newer generation and skip
        }
    }

    @Override
    public void close() {
        stop();
        synchronized (this) {
            if (scheduler != null) {
                scheduler.shutdownNow();
                scheduler = null;
            }
        }
    }

    /** CSV header for {@link #csvRow}. */
    public static String csvHeader() {
        StringBuilder s = new StringBuilder("timestamp,device");
        for (Metric m : Metric.values()) s.append(',').append(m.column());
        return s.toString();
    }

    /** A CSV row; metrics that are not available are empty fields. */
    public static String csvRow(Sample s) {
        StringBuilder b = new StringBuilder();
        b.append(java.time.Instant.ofEpochMilli(s.epochMillis())).append(',').append(s.device());
        for (Metric m : Metric.values()) {
            b.append(',');
            double v = s.get(m);
            if (!Double.isNaN(v)) {
                b.append(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.3f", v));
            }
        }
        return b.toString();
    }
}
