package org.polaris.workbench.engine.telemetry;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** NVIDIA cards through {@code nvidia-smi} when it is on the PATH; otherwise none. Fields it reports as N/A stay NaN. */
public final class NvidiaSmi {

    public record Gpu(String id, String name, double[] values) {
    }

    private final String exe;

    public NvidiaSmi() {
        this.exe = find();
    }

    public boolean available() {
        return exe != null;
    }

    private static String find() {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, "nvidia-smi");
            if (f.canExecute()) return f.getPath();
        }
        return null;
    }

    public List<Gpu> read() {
        List<Gpu> out = new ArrayList<>();
        if (exe == null) return out;
        try {
            Process p = new ProcessBuilder(exe, "--query-gpu=index,name,utilization.gpu,utilization.memory,memory.used,"
                    + "memory.total,temperature.gpu,power.draw,clocks.sm,clocks.mem", "--format=csv,noheader,nounits")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(3, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return out;
            }
            String text = new String(p.getInputStream().readNBytes(1 << 16), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                Gpu g = parse(line);
                if (g != null) out.add(g);
            }
        } catch (IOException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    static Gpu parse(String line) {
        String[] f = line.split(",");
        if (f.length < 10) return null;
        double[] v = Sample.empty();
        v[Metric.BUSY_PCT.ordinal()] = num(f[2]);
        v[Metric.MEM_BUSY_PCT.ordinal()] = num(f[3]);
        v[Metric.VRAM_USED_MB.ordinal()] = num(f[4]);
        v[Metric.VRAM_TOTAL_MB.ordinal()] = num(f[5]);
        v[Metric.TEMP_C.ordinal()] = num(f[6]);
        v[Metric.POWER_W.ordinal()] = num(f[7]);
        v[Metric.SCLK_MHZ.ordinal()] = num(f[8]);
        v[Metric.MCLK_MHZ.ordinal()] = num(f[9]);
        return new Gpu("nvidia" + f[0].trim(), f[1].trim(), v);
    }

    private static double num(String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
