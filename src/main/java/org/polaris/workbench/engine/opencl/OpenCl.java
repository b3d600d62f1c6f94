package org.polaris.workbench.engine.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.jocl.CL.*;

/**
 * OpenCL device discovery through JOCL. Without an ICD loader, or with no platform installed, discovery returns no
 * devices and says why, so callers can show "no OpenCL device" (and tests can skip with that message).
 */
public final class OpenCl {

    /** The devices found, or none and the reason. */
    public record Discovery(List<ClDevice> devices, String problem) {
        public boolean available() {
            return !devices.isEmpty();
        }
    }

    private static volatile Discovery cached;

    private OpenCl() {
    }

    /** Discovers once per process (drivers do not change while it runs). */
    public static Discovery discover() {
        Discovery d = cached;
        if (d == null) {
            synchronized (OpenCl.class) {
                d = cached;
                if (d == null) {
                    d = scan();
                    cached = d;
                }
            }
        }
        return d;
    }

    private static Discovery scan() {
        JvmSignals.snapshot();
        try {
            return scanDevices();
        } finally {
            JvmSignals.restore();
        }
    }

    private static Discovery scanDevices() {
        try {
            CL.setExceptionsEnabled(true);
            int[] count = new int[1];
            try {
                clGetPlatformIDs(0, null, count);
            } catch (CLException e) {
                return new Discovery(List.of(), "no OpenCL platform is installed (" + e.getMessage() + ")");
            }
            if (count[0] == 0) {
                return new Discovery(List.of(), "no OpenCL platform is installed (the ICD loader found none)");
            }
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
            List<ClDevice> out = new ArrayList<>();
            for (cl_platform_id p : platforms) {
                String platform = platformString(p, CL_PLATFORM_NAME);
                int[] n = new int[1];
                try {
                    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
                } catch (CLException e) {
                    continue; // a platform without devices (CL_DEVICE_NOT_FOUND)
                }
                cl_device_id[] ids = new cl_device_id[n[0]];
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                for (cl_device_id id : ids) {
                    out.add(describe(out.size(), platform, id));
                }
            }
            return out.isEmpty() ? new Discovery(List.of(), "OpenCL platforms found, but no devices")
                    : new Discovery(List.copyOf(out), "");
        } catch (LinkageError e) {
            return new Discovery(List.of(), "the OpenCL library could not be loaded (install an ICD loader and a driver, "
                    + "e.g. ocl-icd-libopencl1 and pocl-opencl-icd): " + e.getMessage());
        } catch (CLException e) {
            return new Discovery(List.of(), "OpenCL failed while listing devices: " + e.getMessage());
        }
    }

    /** The driver handle of a discovered device (found again by its position in the discovery order). */
    static cl_device_id handle(ClDevice d) {
        JvmSignals.snapshot();
        int[] count = new int[1];
        clGetPlatformIDs(0, null, count);
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        clGetPlatformIDs(platforms.length, platforms, null);
        int at = 0;
        for (cl_platform_id p : platforms) {
            int[] n = new int[1];
            try {
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException e) {
                continue;
            }
            cl_device_id[] ids = new cl_device_id[n[0]];
            clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
            for (cl_device_id id : ids) {
                if (at++ == d.index()) {
                    return id;
                }
            }
        }
        throw new IllegalStateException("OpenCL device " + d.index() + " (" + d.name() + ") is gone");
    }

    static cl_platform_id platformOf(cl_device_id id) {
        cl_platform_id[] p = new cl_platform_id[1];
        clGetDeviceInfo(id, CL_DEVICE_PLATFORM, Sizeof.cl_platform_id, Pointer.to(p), null);
        return p[0];
    }

    private static ClDevice describe(int index, String platform, cl_device_id id) {
        long type = deviceLong(id, CL_DEVICE_TYPE);
        String t = (type & CL_DEVICE_TYPE_GPU) != 0 ? "gpu" : (type & CL_DEVICE_TYPE_CPU) != 0 ? "cpu"
                : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "accelerator" : "other";
        String ext = deviceString(id, CL_DEVICE_EXTENSIONS);
        List<String> extensions = Arrays.stream(ext.trim().split("\\s+")).filter(s -> !s.isEmpty()).sorted().toList();
        return new ClDevice(index, platform, deviceString(id, CL_DEVICE_NAME).trim(), deviceString(id, CL_DEVICE_VENDOR).trim(), t,
                deviceInt(id, CL_DEVICE_MAX_COMPUTE_UNITS), deviceInt(id, CL_DEVICE_MAX_CLOCK_FREQUENCY),
                deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE),
                deviceSize(id, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceString(id, CL_DEVICE_VERSION).trim(),
                deviceString(id, CL_DEVICE_OPENCL_C_VERSION).trim(), deviceString(id, CL_DRIVER_VERSION).trim(), extensions,
                extensions.contains("cl_khr_fp16"), extensions.contains("cl_khr_integer_dot_product"));
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] b = new byte[(int) Math.min(size[0], 1 << 16)];
        clGetPlatformInfo(p, param, b.length, Pointer.to(b), null);
        return cString(b).trim();
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) Math.min(size[0], 1 << 16)];
        clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private static int deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }
}
