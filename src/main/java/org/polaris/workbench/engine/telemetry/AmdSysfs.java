package org.polaris.workbench.engine.telemetry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * AMD cards through the Linux {@code amdgpu} sysfs files under {@code ROOT/sys/class/drm/cardN/device}. Only
 * {@code cardN} entries (not connector entries such as {@code card0-DP-1}) whose PCI vendor is 0x1002 count. Every
 * file is optional: a missing, unreadable or malformed file means that metric is not available, never an error.
 * Power is read from {@code power1_average} or, on kernels 6.6 and later for Polaris, {@code power1_input}.
 */
public final class AmdSysfs {

    private static final Pattern CARD = Pattern.compile("card[0-9]+");
    /** Reads at most this much of any sysfs file (they are a few bytes; a hostile tree cannot make us read more). */
    private static final int MAX_FILE = 4096;

    /** One AMD card: {@code id} is the drm name (card0), {@code model} a readable name from the PCI device id. */
    public record Card(String id, String pciDevice, String model, Path device) {
    }

    private final Path root;

    /** @param root filesystem root to read from ({@code /} normally; a temporary tree in tests) */
    public AmdSysfs(Path root) {
        this.root = root;
    }

    public List<Card> cards() {
        Path drm = root.resolve("sys/class/drm");
        List<Card> out = new ArrayList<>();
        if (!Files.isDirectory(drm)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(drm)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!CARD.matcher(name).matches()) continue;
                Path dev = p.resolve("device");
                String vendor = read(dev.resolve("vendor"));
                if (vendor == null || !vendor.trim().equalsIgnoreCase("0x1002")) continue;
                String pci = read(dev.resolve("device"));
                pci = pci == null ? "" : pci.trim().toLowerCase(Locale.ROOT);
                out.add(new Card(name, pci, model(pci), dev));
            }
        } catch (IOException e) {
            return out;
        }
        out.sort((a, b) -> Integer.compare(Integer.parseInt(a.id().substring(4)), Integer.parseInt(b.id().substring(4))));
        return out;
    }

    static String model(String pci) {
        return switch (pci) {
            case "0x67df" -> "Polaris 10/20 (RX 470/480/570/580)";
            case "0x67ef" -> "Polaris 11 (RX 460/560)";
            case "0x67ff" -> "Polaris 21 (RX 560/550)";
            case "0x699f" -> "Polaris 12 (RX 540/550)";
            default -> "AMD GPU " + pci;
        };
    }

    /** One reading of {@code card}; metrics the card does not expose stay NaN. */
    public double[] read(Card card) {
        double[] v = Sample.empty();
        Path d = card.device();
        v[Metric.BUSY_PCT.ordinal()] = number(d.resolve("gpu_busy_percent"), 1);
        v[Metric.MEM_BUSY_PCT.ordinal()] = number(d.resolve("mem_busy_percent"), 1);
        v[Metric.VRAM_USED_MB.ordinal()] = number(d.resolve("mem_info_vram_used"), 1.0 / (1 << 20));
        v[Metric.VRAM_TOTAL_MB.ordinal()] = number(d.resolve("mem_info_vram_total"), 1.0 / (1 << 20));
        v[Metric.GTT_USED_MB.ordinal()] = number(d.resolve("mem_info_gtt_used"), 1.0 / (1 << 20));
        v[Metric.GTT_TOTAL_MB.ordinal()] = number(d.resolve("mem_info_gtt_total"), 1.0 / (1 << 20));
        v[Metric.SCLK_LEVEL.ordinal()] = activeLevel(d.resolve("pp_dpm_sclk"));
        v[Metric.MCLK_LEVEL.ordinal()] = activeLevel(d.resolve("pp_dpm_mclk"));
        Path hwmon = hwmon(d);
        if (hwmon != null) {
            v[Metric.TEMP_C.ordinal()] = number(hwmon.resolve("temp1_input"), 1e-3);
            double avg = number(hwmon.resolve("power1_average"), 1e-6);
            v[Metric.POWER_W.ordinal()] = !Double.isNaN(avg) ? avg : number(hwmon.resolve("power1_input"), 1e-6);
            v[Metric.FAN_RPM.ordinal()] = number(hwmon.resolve("fan1_input"), 1);
            v[Metric.SCLK_MHZ.ordinal()] = number(hwmon.resolve("freq1_input"), 1e-6);
            v[Metric.MCLK_MHZ.ordinal()] = number(hwmon.resolve("freq2_input"), 1e-6);
            v[Metric.VOLTAGE_MV.ordinal()] = number(hwmon.resolve("in0_input"), 1);
        }
        return v;
    }

    private static Path hwmon(Path device) {
        Path dir = device.resolve("hwmon");
        if (!Files.isDirectory(dir)) return null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "hwmon*")) {
            for (Path p : ds) return p;
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** The index of the line ending in {@code *} in a {@code pp_dpm_*} file ("2: 1366Mhz *"), or NaN. */
    static double activeLevel(Path file) {
        String s = read(file);
        if (s == null) return Double.NaN;
        for (String line : s.split("\n")) {
            String t = line.trim();
            int colon = t.indexOf(':');
            if (t.endsWith("*") && colon > 0) {
                try {
                    return Integer.parseInt(t.substring(0, colon).trim());
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            }
        }
        return Double.NaN;
    }

    private static double number(Path file, double scale) {
        String s = read(file);
        if (s == null) return Double.NaN;
        try {
            return Long.parseLong(s.trim()) * scale;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String read(Path file) {
        // sysfs reports every attribute as 4096 bytes long, so bound the read itself, not the reported size
        // a FIFO or device planted under the root would block or stream forever: regular files only
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(MAX_FILE), StandardCharsets.US_ASCII);
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }
}
