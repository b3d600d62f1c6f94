package org.polaris.workbench.cli;

import org.polaris.workbench.engine.opencl.DeviceReport;

/**
 * The real-GPU check without the desktop application's dependencies (only JOCL and Jackson on the class path), for
 * machines that get a copy of the build rather than an install: {@code scripts/gpu-check.sh} runs it. Prints the
 * markdown report of {@code gpu check --markdown}; exit 4 when a kernel disagrees with Java, 6 without a device.
 */
public final class GpuCheckMain {

    private GpuCheckMain() {
    }

    public static void main(String[] args) {
        String md = DeviceReport.markdown(args.length > 0 ? Integer.parseInt(args[0]) : 0, true);
        System.out.print(md);
        System.out.flush();
        System.exit(md.startsWith("No OpenCL device") ? 6 : md.contains("| FAIL |") ? 4 : 0);
    }
}
