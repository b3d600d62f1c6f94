package org.polaris.workbench.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds sysfs and /proc trees like a Linux machine with AMD (and other) cards, for telemetry tests. */
public final class FakeSysfs {

    private final Path root;

    public FakeSysfs(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    private void file(Path p, String content) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, content + "\n");
    }

    /**
     * An RX 580 as {@code cardN}: {@code newKernel} reports power as power1_input (kernels >= 6.6), else
     * power1_average. Values are fixed so tests can check the conversion of every file.
     */
    public Path rx580(int n, boolean newKernel) throws IOException {
        Path d = root.resolve("sys/class/drm/card" + n + "/device");
        file(d.resolve("vendor"), "0x1002");
        file(d.resolve("device"), "0x67df");
        file(d.resolve("gpu_busy_percent"), "37");
        file(d.resolve("mem_busy_percent"), "12");
        file(d.resolve("mem_info_vram_total"), Long.toString(8L << 30));
        file(d.resolve("mem_info_vram_used"), Long.toString(1536L << 20));
        file(d.resolve("mem_info_gtt_total"), Long.toString(12L << 30));
        file(d.resolve("mem_info_gtt_used"), Long.toString(64L << 20));
        file(d.resolve("pp_dpm_sclk"), "0: 300Mhz\n1: 600Mhz\n2: 900Mhz\n3: 1145Mhz\n4: 1215Mhz\n5: 1257Mhz\n6: 1300Mhz *\n7: 1366Mhz");
        file(d.resolve("pp_dpm_mclk"), "0: 300Mhz\n1: 1000Mhz\n2: 2000Mhz *");
        Path h = d.resolve("hwmon/hwmon" + (3 + n));
        file(h.resolve("temp1_input"), "64000");
        file(h.resolve(newKernel ? "power1_input" : "power1_average"), "121500000");
        file(h.resolve("fan1_input"), "1650");
        file(h.resolve("freq1_input"), "1300000000");
        file(h.resolve("freq2_input"), "2000000000");
        file(h.resolve("in0_input"), "1150");
        // the connector entries beside every card are not cards
        file(root.resolve("sys/class/drm/card" + n + "-DP-1/status"), "disconnected");
        return d;
    }

    /** An Intel iGPU (vendor 0x8086) that telemetry must ignore. */
    public void intel(int n) throws IOException {
        Path d = root.resolve("sys/class/drm/card" + n + "/device");
        file(d.resolve("vendor"), "0x8086");
        file(d.resolve("device"), "0x3e92");
        file(d.resolve("gpu_busy_percent"), "99");
    }

    /** /proc/stat with the given cumulative busy and idle jiffies, and a process status with VmRSS. */
    public void proc(long busy, long idle, long rssKb) throws IOException {
        file(root.resolve("proc/stat"), "cpu  " + busy + " 0 0 " + idle + " 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0");
        file(root.resolve("proc/self/status"), "Name:\tjava\nVmRSS:\t" + rssKb + " kB\nThreads:\t40");
    }
}
