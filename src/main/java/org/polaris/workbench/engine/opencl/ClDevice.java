package org.polaris.workbench.engine.opencl;

import java.util.List;

/**
 * One OpenCL device as its driver describes it. {@code type} is what the driver reports ({@code cpu}, {@code gpu},
 * {@code accelerator}): a CPU device (PoCL) is never presented as a GPU.
 *
 * @param index position in {@link OpenCl#discover()}'s list, stable for one machine and driver set
 * @param openclVersion the device's {@code CL_DEVICE_VERSION}, e.g. "OpenCL 1.2 AMD-APP (3188.4)"
 * @param openclC the OpenCL C version its compiler accepts
 * @param fp16 {@code cl_khr_fp16} present
 * @param int8Dot {@code cl_khr_integer_dot_product} present (Polaris has none)
 */
public record ClDevice(int index, String platform, String name, String vendor, String type, int computeUnits,
                       int maxClockMHz, long globalMemBytes, long localMemBytes, long maxWorkGroupSize,
                       String openclVersion, String openclC, String driverVersion, List<String> extensions,
                       boolean fp16, boolean int8Dot) {

    public ClDevice {
        extensions = List.copyOf(extensions);
    }

    /** Stable text for cache keys: the same device and driver give the same key. */
    public String cacheKey() {
        return platform + "|" + name + "|" + vendor + "|" + driverVersion + "|" + openclVersion;
    }

    /** The known card this device is, by name (RX 580 and friends), or null. */
    public KnownGpu known() {
        return KnownGpu.match(name, vendor);
    }
}
