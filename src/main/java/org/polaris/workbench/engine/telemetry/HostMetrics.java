package org.polaris.workbench.engine.telemetry;

import java.nio.file.Path;

/**
 * CPU utilization (from the deltas of the {@code cpu} line of {@code ROOT/proc/stat}) and this process's resident
 * memory ({@code VmRSS} in {@code ROOT/proc/self/status}, else the JVM's used heap). The first CPU reading has no
 * delta yet and is NaN.
 */
public final class HostMetrics {

    private final Path root;
    private long lastBusy = -1;
    private long lastTotal = -1;

    public HostMetrics(Path root) {
        this.root = root;
    }

    public double[] read() {
        double[] v = Sample.empty();
        v[Metric.CPU_PCT.ordinal()] = cpu();
        v[Metric.PROCESS_RSS_MB.ordinal()] = rss();
        return v;
    }

    private double cpu() {
        String s = AmdSysfs.read(root.resolve("proc/stat"));
        if (s == null) return Double.NaN;
        for (String line : s.split("\n")) {
            if (!line.startsWith("cpu ")) continue;
            String[] f = line.trim().split("\\s+");
            try {
                long total = 0;
                for (int i = 1; i < f.length; i++) total += Long.parseLong(f[i]);
                long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
                long busy = total - idle;
                double pct = Double.NaN;
                if (lastTotal >= 0 && total > lastTotal) {
                    pct = 100.0 * (busy - lastBusy) / (total - lastTotal);
                }
                lastBusy = busy;
                lastTotal = total;
                return pct;
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private double rss() {
        String s = AmdSysfs.read(root.resolve("proc/self/status"));
        if (s != null) {
            for (String line : s.split("\n")) {
                if (line.startsWith("VmRSS:")) {
                    try {
                        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) / 1024.0;
                    } catch (NumberFormatException e) {
                        break;
                    }
                }
            }
        }
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) / (1024.0 * 1024.0);
    }
}
