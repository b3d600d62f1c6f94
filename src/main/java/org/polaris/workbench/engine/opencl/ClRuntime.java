package org.polaris.workbench.engine.opencl;

import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.polaris.workbench.engine.util.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.jocl.CL.*;

/**
 * A context and in-order queue on one device, programs built from the kernel sources shipped in this package
 * (compiled binaries cached on disk, keyed by device, driver, build options and a hash of the source), and typed
 * buffers. Not thread-safe: one runtime per worker.
 */
public final class ClRuntime implements AutoCloseable {

    /** A device buffer; closing releases it. */
    public static final class Buffer implements AutoCloseable {
        final cl_mem mem;
        final long bytes;

        Buffer(cl_mem mem, long bytes) {
            this.mem = mem;
            this.bytes = bytes;
        }

        public long bytes() {
            return bytes;
        }

        @Override
        public void close() {
            clReleaseMemObject(mem);
        }
    }

    private final ClDevice device;
    private final cl_device_id id;
    private final cl_context context;
    private final cl_command_queue queue;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private int builtFromSource;
    private int loadedFromCache;

    private ClRuntime(ClDevice device) {
        this.device = device;
        this.id = OpenCl.handle(device);
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, OpenCl.platformOf(id));
        this.context = clCreateContext(props, 1, new cl_device_id[] {id}, null, null, null);
        JvmSignals.restore();
        this.queue = clCreateCommandQueue(context, id, 0, null);
    }

    public static ClRuntime open(ClDevice device) {
        try {
            return new ClRuntime(device);
        } catch (CLException e) {
            throw new IllegalStateException("cannot open OpenCL device " + device.name() + ": " + e.getMessage(), e);
        }
    }

    public ClDevice device() {
        return device;
    }

    /** Programs compiled here, and programs loaded from the binary cache, since this runtime opened. */
    public int[] buildCounts() {
        return new int[] {builtFromSource, loadedFromCache};
    }

    /** Where compiled programs are kept: {@code -Dpolaris.cache.dir}, else the XDG cache folder. */
    public static Path cacheDir() {
        return org.polaris.workbench.engine.util.CacheFolder.root().resolve("opencl");
    }

    static String source(String resource) {
        try (InputStream in = ClRuntime.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + resource + " is missing from the application");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernel source " + resource, e);
        }
    }

    /** A kernel from {@code resource} (a {@code .cl} file beside this class) built with {@code options}. */
    public cl_kernel kernel(String resource, String options, String name) {
        String key = resource + "|" + options + "|" + name;
        cl_kernel k = kernels.get(key);
        if (k == null) {
            k = clCreateKernel(program(resource, options), name, null);
            kernels.put(key, k);
        }
        return k;
    }

    private cl_program program(String resource, String options) {
        String key = resource + "|" + options;
        cl_program p = programs.get(key);
        if (p != null) {
            return p;
        }
        String src = source(resource);
        String hash = sha256(device.cacheKey() + "\n" + options + "\n" + src);
        Path cached = cacheDir().resolve(hash + ".bin");
        p = fromCache(cached, options);
        if (p == null) {
            p = clCreateProgramWithSource(context, 1, new String[] {src}, null, null);
            build(p, options, resource);
            builtFromSource++;
            store(p, cached);
        } else {
            loadedFromCache++;
        }
        programs.put(key, p);
        return p;
    }

    private cl_program fromCache(Path file, String options) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            byte[] bin = Files.readAllBytes(file);
            int[] status = new int[1];
            cl_program p = clCreateProgramWithBinary(context, 1, new cl_device_id[] {id}, new long[] {bin.length},
                    new byte[][] {bin}, status, null);
            clBuildProgram(p, 1, new cl_device_id[] {id}, options, null, null);
            return p;
        } catch (IOException | CLException e) {
            // a stale or damaged binary: build from source and replace it
            return null;
        } finally {
            JvmSignals.restore();
        }
    }

    private void store(cl_program p, Path file) {
        try {
            long[] size = new long[1];
            clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
            if (size[0] <= 0 || size[0] > 64L << 20) {
                return;
            }
            byte[] bin = new byte[(int) size[0]];
            clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(new Pointer[] {Pointer.to(bin)}), null);
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, bin, true);
        } catch (IOException | CLException e) {
            // the cache is an optimisation: a read-only home folder must not stop the kernels
        }
    }

    private void build(cl_program p, String options, String resource) {
        try {
            clBuildProgram(p, 1, new cl_device_id[] {id}, options, null, null);
        } catch (CLException e) {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, id, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) Math.min(size[0], 1 << 16)];
            clGetProgramBuildInfo(p, id, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            throw new IllegalStateException("OpenCL build of " + resource + " (" + options + ") failed on " + device.name()
                    + ":\n" + new String(log, StandardCharsets.UTF_8).trim(), e);
        } finally {
            JvmSignals.restore();
        }
    }

    private static String sha256(String s) {
        return org.polaris.workbench.engine.util.Hashes.sha256Hex(s.getBytes(StandardCharsets.UTF_8));
    }

    public Buffer upload(float[] v) {
        return new Buffer(clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 4L * Math.max(1, v.length),
                Pointer.to(v.length == 0 ? new float[1] : v), null), 4L * v.length);
    }

    /** The first {@code n} floats of {@code v} (arena arrays can be longer than the tensor). */
    public Buffer upload(float[] v, int n) {
        Buffer b = allocate(4L * n);
        if (n > 0) {
            clEnqueueWriteBuffer(queue, b.mem, CL_TRUE, 0, 4L * n, Pointer.to(v), 0, null, null);
        }
        return b;
    }

    /** Device-to-device copy of {@code bytes}. */
    public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
        if (bytes > 0) {
            clEnqueueCopyBuffer(queue, src.mem, dst.mem, srcOffset, dstOffset, bytes, 0, null, null);
        }
    }

    /** Reads {@code n} floats into {@code out} (which may be longer). */
    public void readInto(Buffer b, float[] out, int n) {
        if (n > 0) {
            clEnqueueReadBuffer(queue, b.mem, CL_TRUE, 0, 4L * n, Pointer.to(out), 0, null, null);
        }
    }

    public Buffer upload(int[] v) {
        return new Buffer(clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 4L * Math.max(1, v.length),
                Pointer.to(v.length == 0 ? new int[1] : v), null), 4L * v.length);
    }

    public Buffer upload(byte[] v) {
        return new Buffer(clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, Math.max(1, v.length),
                Pointer.to(v.length == 0 ? new byte[1] : v), null), v.length);
    }

    /** A device buffer of {@code bytes} (read-write, contents undefined). */
    public Buffer allocate(long bytes) {
        return new Buffer(clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(4, bytes), null, null), bytes);
    }

    public void write(Buffer b, float[] v) {
        clEnqueueWriteBuffer(queue, b.mem, CL_TRUE, 0, 4L * v.length, Pointer.to(v), 0, null, null);
    }

    public float[] readFloats(Buffer b, int n) {
        float[] out = new float[n];
        clEnqueueReadBuffer(queue, b.mem, CL_TRUE, 0, 4L * n, Pointer.to(out), 0, null, null);
        return out;
    }

    public void writeFloats(Buffer b, float[] v, int n) {
        if (n > 0) {
            clEnqueueWriteBuffer(queue, b.mem, CL_TRUE, 0, 4L * n, Pointer.to(v), 0, null, null);
        }
    }

    public void readIntsInto(Buffer b, int[] out, int n) {
        if (n > 0) {
            clEnqueueReadBuffer(queue, b.mem, CL_TRUE, 0, 4L * n, Pointer.to(out), 0, null, null);
        }
    }

    public int[] readInts(Buffer b, int n) {
        int[] out = new int[n];
        clEnqueueReadBuffer(queue, b.mem, CL_TRUE, 0, 4L * n, Pointer.to(out), 0, null, null);
        return out;
    }

    /** Sets the kernel's arguments: Buffers, Integers, Floats, in order. */
    public static void args(cl_kernel k, Object... args) {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Buffer b) {
                clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(b.mem));
            } else if (a instanceof Integer v) {
                clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
            } else if (a instanceof Float v) {
                clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " of type " + a.getClass());
            }
        }
    }

    /** Enqueues a kernel over {@code global} (rounded up to {@code local} by the caller) and waits for it. */
    public void run(cl_kernel k, long[] global, long[] local) {
        clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null);
        clFinish(queue);
        // drivers may compile a work-group function for a new local size at the first enqueue
        JvmSignals.restore();
    }

    @Override
    public void close() {
        kernels.values().forEach(org.jocl.CL::clReleaseKernel);
        programs.values().forEach(org.jocl.CL::clReleaseProgram);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
