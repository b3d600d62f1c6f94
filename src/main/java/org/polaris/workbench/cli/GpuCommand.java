package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.opencl.ClDevice;
import org.polaris.workbench.engine.opencl.GpuBench;
import org.polaris.workbench.engine.opencl.KnownGpu;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.engine.opencl.SgemmTuner;
import org.polaris.workbench.engine.telemetry.Sample;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code polaris-workbench gpu}: OpenCL devices, live telemetry, and what a device computes on this machine. */
@Command(name = "gpu", mixinStandardHelpOptions = true,
        description = "OpenCL devices (list), GPU and host telemetry (monitor), SGEMM and bandwidth per device (bench).",
        subcommands = {GpuCommand.ListCmd.class, GpuCommand.Check.class, GpuCommand.Monitor.class, GpuCommand.Bench.class})
public final class GpuCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Prints why there is no OpenCL device; the exit code for commands that need one. */
    private static int noDevice(PrintWriter out, OpenCl.Discovery d) {
        out.println("No OpenCL device: " + d.problem());
        out.flush();
        return 6;
    }

    private static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "OpenCL devices as their drivers describe them",
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:listed (possibly none: the reason is printed)"})
    static final class ListCmd implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "print one JSON object")
        boolean json;

        @Override
        public Integer call() throws Exception {
            OpenCl.Discovery d = OpenCl.discover();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                List<Map<String, Object>> ds = new ArrayList<>();
                for (ClDevice c : d.devices()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("index", c.index());
                    m.put("name", c.name());
                    m.put("vendor", c.vendor());
                    m.put("type", c.type());
                    m.put("platform", c.platform());
                    m.put("computeUnits", c.computeUnits());
                    m.put("maxClockMHz", c.maxClockMHz());
                    m.put("globalMemBytes", c.globalMemBytes());
                    m.put("localMemBytes", c.localMemBytes());
                    m.put("openclVersion", c.openclVersion());
                    m.put("openclC", c.openclC());
                    m.put("driver", c.driverVersion());
                    m.put("fp16", c.fp16());
                    m.put("int8Dot", c.int8Dot());
                    KnownGpu k = c.known();
                    if (k != null) {
                        m.put("roofline", Map.of("card", k.name(), "peakGflops", k.peakGflops(), "bandwidthGBs", k.bandwidthGBs()));
                    }
                    ds.add(m);
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("devices", ds);
                if (!d.available()) j.put("problem", d.problem());
                out.println(json().writeValueAsString(j));
            } else if (!d.available()) {
                out.println("No OpenCL device: " + d.problem());
            } else {
                for (ClDevice c : d.devices()) {
                    out.printf(Locale.ROOT, "[%d] %s (%s, %s)%n", c.index(), c.name(), c.type(), c.vendor());
                    out.printf(Locale.ROOT, "    %s; %s; driver %s; platform %s%n", c.openclVersion(), c.openclC(),
                            c.driverVersion(), c.platform());
                    out.printf(Locale.ROOT, "    %d compute units at %d MHz, %.1f GiB global, %d KiB local, work-group <= %d; "
                                    + "fp16 %s, int8 dot %s%n", c.computeUnits(), c.maxClockMHz(), c.globalMemBytes() / 1073741824.0,
                            c.localMemBytes() / 1024, c.maxWorkGroupSize(), c.fp16() ? "yes" : "no", c.int8Dot() ? "yes" : "no");
                    KnownGpu k = c.known();
                    if (k != null) {
                        out.printf(Locale.ROOT, "    roofline: %s, %.0f GFLOPS FP32, %.0f GB/s (ridge %.1f FLOP/byte)%n",
                                k.name(), k.peakGflops(), k.bandwidthGBs(), k.ridge());
                    }
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Run every OpenCL kernel on each device against a plain-Java computation of the same thing",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:every kernel matches on every device", "4:a kernel disagrees", "6:no OpenCL device"})
    static final class Check implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--markdown", description = "a markdown report with the SGEMM tuning and bandwidth too (for docs)")
        boolean markdown;

        @Bounds(min = 0, max = 16384)
        @Option(names = "--size", defaultValue = "0", paramLabel = "N", description = "SGEMM size for --markdown (default 1024 on GPUs, 512 otherwise)")
        int size;

        @Override
        public Integer call() {
            OpenCl.Discovery d = OpenCl.discover();
            PrintWriter out = spec.commandLine().getOut();
            if (!d.available()) {
                return noDevice(out, d);
            }
            if (markdown) {
                String md = org.polaris.workbench.engine.opencl.DeviceReport.markdown(size, true);
                out.print(md);
                out.flush();
                return md.contains("| FAIL |") ? 4 : 0;
            }
            boolean ok = true;
            for (ClDevice c : d.devices()) {
                out.printf(Locale.ROOT, "[%d] %s (%s)%n", c.index(), c.name(), c.type());
                for (org.polaris.workbench.engine.opencl.KernelCheck.Check x : org.polaris.workbench.engine.opencl.KernelCheck.run(c)) {
                    out.printf(Locale.ROOT, "    %-4s %-32s %s%n", x.ok() ? "ok" : "FAIL", x.kernel(), x.detail());
                    ok &= x.ok();
                }
            }
            out.flush();
            return ok ? 0 : 4;
        }
    }

    @Command(name = "monitor", mixinStandardHelpOptions = true,
            description = "Sample AMD (sysfs), NVIDIA (nvidia-smi) and host telemetry as CSV rows",
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:sampled", "2:usage error (options, --csv exists)",
                    "8:an output could not be written (full disk, I/O error); nothing was left in place"})
    static final class Monitor implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Bounds(min = 10, max = 10000)
        @Option(names = "--interval", defaultValue = "1000", paramLabel = "MS", description = "sampling interval, 10..10000 ms (default 1000)")
        long interval;

        @Bounds(min = 0.01, max = 86400)
        @Option(names = "--duration", defaultValue = "10", paramLabel = "S", description = "seconds to sample (default 10)")
        double duration;

        @Option(names = "--csv", paramLabel = "OUT", description = "write the rows to OUT (atomically, at the end) instead of stdout")
        Path csv;

        @Option(names = "--sysfs-root", paramLabel = "DIR", description = "read sys/ and proc/ under DIR instead of / (tests)")
        Path root;

        @Option(names = "--force", description = "replace --csv OUT if it exists")
        boolean force;

        @Override
        public Integer call() throws Exception {
            if (interval < 10 || interval > 10_000 || !(duration > 0 && duration <= 86_400)) {
                throw new CliException("--interval must be 10..10000 ms and --duration in (0, 86400] s", 2);
            }
            Path r = root != null ? root : Path.of("/");
            if (root != null && !Files.isDirectory(root)) {
                throw new CliException("--sysfs-root " + root + " is not a folder", 2);
            }
            OutputPolicy policy = OutputPolicy.of(force);
            policy.preflight(csv);
            PrintWriter out = spec.commandLine().getOut();
            StringBuilder rows = new StringBuilder(TelemetrySampler.csvHeader()).append('\n');
            if (csv == null) {
                out.println(TelemetrySampler.csvHeader());
            }
            long samples = Math.max(1, Math.round(duration * 1000 / interval));
            try (TelemetrySampler s = new TelemetrySampler(r, 16, root == null, System::currentTimeMillis)) {
                long next = System.currentTimeMillis();
                for (long i = 0; i < samples; i++) {
                    for (Sample x : s.sampleOnce()) {
                        String row = TelemetrySampler.csvRow(x);
                        if (csv == null) {
                            out.println(row);
                        } else {
                            rows.append(row).append('\n');
                        }
                    }
                    out.flush();
                    next += interval;
                    long wait = next - System.currentTimeMillis();
                    if (i + 1 < samples && wait > 0) {
                        Thread.sleep(wait);
                    }
                }
            }
            if (csv != null) {
                try (OutputSet o = new OutputSet(policy)) {
                    o.write(csv, rows.toString().getBytes(StandardCharsets.UTF_8));
                    o.commit();
                }
                out.printf("Wrote %d samples to %s%n", samples, csv);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "SGEMM (naive vs auto-tuned, checked against each other) and copy bandwidth per OpenCL device, "
                    + "against the card's roofline when it is known",
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:measured", "2:usage error", "6:no OpenCL device"})
    static final class Bench implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Bounds(min = 0, max = 255)
        @Option(names = "--device", paramLabel = "N", description = "device index from `gpu list` (default: every device)")
        Integer device;

        @Bounds(min = 0, max = 16384)
        @Option(names = "--size", defaultValue = "0", paramLabel = "N", description = "square SGEMM size (default 1024 on GPUs, 512 otherwise)")
        int size;

        @Option(names = "--json", description = "print one JSON object")
        boolean json;

        @Override
        public Integer call() throws Exception {
            OpenCl.Discovery d = OpenCl.discover();
            PrintWriter out = spec.commandLine().getOut();
            if (!d.available()) {
                return noDevice(out, d);
            }
            if (size < 0 || size > 8192 || (device != null && (device < 0 || device >= d.devices().size()))) {
                throw new CliException("--device must be 0.." + (d.devices().size() - 1) + " and --size 0..8192", 2);
            }
            List<ClDevice> which = device == null ? d.devices() : List.of(d.devices().get(device));
            List<Map<String, Object>> results = new ArrayList<>();
            for (ClDevice c : which) {
                GpuBench.Result r = GpuBench.run(c, size, json ? (f, m) -> { } : new ConsoleProgress(spec.commandLine().getErr()),
                        CancellationToken.none());
                results.add(r.toJson());
                if (!json) {
                    SgemmTuner.Result t = r.tuning();
                    out.printf(Locale.ROOT, "[%d] %s (%s)%n", c.index(), c.name(), c.type());
                    out.printf(Locale.ROOT, "    SGEMM %d^3: naive %.1f GFLOPS, tuned (%s) %.1f GFLOPS, %.1fx%n", r.size(),
                            t.naiveGflops(), t.best(), t.bestGflops(), t.speedup());
                    out.printf(Locale.ROOT, "    copy bandwidth %.1f GB/s%n", r.bandwidthGBs());
                    if (r.known() != null) {
                        out.printf(Locale.ROOT, "    roofline %s: %.0f%% of %.0f GFLOPS, %.0f%% of %.0f GB/s%n", r.known().name(),
                                100 * r.peakFraction(), r.known().peakGflops(), 100 * r.bandwidthFraction(), r.known().bandwidthGBs());
                    }
                }
            }
            if (json) {
                out.println(json().writeValueAsString(Map.of("results", results)));
            }
            out.flush();
            return 0;
        }
    }
}
