package org.polaris.workbench.bench;

import org.polaris.workbench.cli.Main;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child side of {@link LimitsBenchmark}: runs one CLI command in this JVM and prints one line
 * {@code exit wallMillis peakHeapBytes peakRssKiB}: the peak of every heap pool (what the run's Java objects needed
 * at most) and the process's high-water resident set ({@code VmHWM}, natives and the JVM itself included).
 */
public final class LimitsProbe {

    private LimitsProbe() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        long t0 = System.nanoTime();
        int code = Main.execute(args, quiet, quiet);
        long wall = (System.nanoTime() - t0) / 1_000_000;
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peak += p.getPeakUsage().getUsed();
            }
        }
        long hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM:"))
                .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(-1L);
        System.out.println(code + " " + wall + " " + peak + " " + hwm);
    }
}
