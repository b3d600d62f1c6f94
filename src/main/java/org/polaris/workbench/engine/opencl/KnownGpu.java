package org.polaris.workbench.engine.opencl;

import java.util.List;
import java.util.Locale;

/**
 * Published peak numbers of cards the workbench is built for, for a roofline: peak FP32 (boost clock x 2 FLOP x
 * shaders) and memory bandwidth. The AMD driver often names Polaris cards "Ellesmere" (Polaris 10/20, the RX 470 to
 * 580) or "Baffin" (Polaris 11, RX 460/560); those match the largest card of the family, and say so.
 */
public record KnownGpu(String name, double peakGflops, double bandwidthGBs, int computeUnits, String note) {

    private static final List<KnownGpu> TABLE = List.of(
            new KnownGpu("Radeon RX 580", 6170, 256, 36, "Polaris 20, 2304 shaders at 1340 MHz, 8 GB GDDR5"),
            new KnownGpu("Radeon RX 570", 5100, 224, 32, "Polaris 20, 2048 shaders at 1244 MHz"),
            new KnownGpu("Radeon RX 480", 5830, 256, 36, "Polaris 10, 2304 shaders at 1266 MHz"),
            new KnownGpu("Radeon RX 470", 4940, 211, 32, "Polaris 10, 2048 shaders at 1206 MHz"),
            new KnownGpu("Radeon RX 560", 2600, 112, 16, "Polaris 21, 1024 shaders at 1275 MHz"));

    public static List<KnownGpu> all() {
        return TABLE;
    }

    /** Ridge point of the roofline: FLOP per byte above which a kernel can be compute-bound. */
    public double ridge() {
        return peakGflops / bandwidthGBs;
    }

    static KnownGpu match(String deviceName, String vendor) {
        String n = deviceName.toLowerCase(Locale.ROOT);
        for (KnownGpu g : TABLE) {
            String model = g.name.toLowerCase(Locale.ROOT).replace("radeon ", "");
            if (n.contains(model) || n.contains(model.replace(" ", ""))) {
                return g;
            }
        }
        boolean amd = vendor.toLowerCase(Locale.ROOT).contains("advanced micro devices") || vendor.toLowerCase(Locale.ROOT).contains("amd");
        if (amd && n.contains("ellesmere")) {
            return new KnownGpu("Polaris 10/20 (Ellesmere)", TABLE.get(0).peakGflops, TABLE.get(0).bandwidthGBs, 36,
                    "driver name Ellesmere: RX 470/480/570/580; RX 580 peaks assumed");
        }
        if (amd && n.contains("baffin")) {
            return new KnownGpu("Polaris 11/21 (Baffin)", TABLE.get(4).peakGflops, TABLE.get(4).bandwidthGBs, 16,
                    "driver name Baffin: RX 460/560; RX 560 peaks assumed");
        }
        return null;
    }
}
