package org.polaris.workbench.cli;

import org.polaris.workbench.engine.io.ArgFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * ONNX Runtime 1.29 reads {@code /proc/self/cmdline} into a fixed buffer when it starts and crashes the process
 * (SIGSEGV) when the command line is over about 4 KB, which a long {@code --exclude} list or a long class path
 * reaches. When this process's command line is that long, it runs itself again with the same arguments passed
 * through an argument file (the {@code java} launcher's {@code @file}, or picocli's for the installed launcher), so
 * the new process's command line is short, and returns its exit code.
 */
public final class ShortCommandLine {

    /** Below ONNX Runtime's buffer, with room for what the relaunch adds. */
    static final int LIMIT = 3000;
    private static final String MARK = "polaris.relaunched";

    private ShortCommandLine() {
    }

    /** The JVM option that gives the engine its SIMD kernels. */
    static final String VECTOR_OPTION = "--add-modules=jdk.incubator.vector";

    /** True when this JVM has the Vector API module the engine's fast kernels need. */
    public static boolean hasVectorModule() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The exit code of the relaunched process, or empty when this one may go on itself. Besides a long command
     * line, a JVM started by {@code java} without the Vector API module ({@code java -jar polaris-workbench.jar})
     * is relaunched with {@value #VECTOR_OPTION}, so the engine gets its vector kernels however it is started
     * ({@code -Dpolaris.scalar=true} keeps the scalar ones on purpose).
     */
    public static OptionalInt relaunchIfLong(String[] userArgs) {
        Path self = Path.of("/proc/self/cmdline");
        if (System.getProperty(MARK) != null || !Files.isReadable(self)) {
            return OptionalInt.empty();
        }
        List<String> argv;
        boolean longLine;
        try {
            byte[] raw = Files.readAllBytes(self);
            longLine = raw.length > LIMIT;
            argv = split(raw);
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        if (argv.isEmpty()) {
            return OptionalInt.empty();
        }
        String exe = argv.get(0);
        boolean javaLauncher = Path.of(exe).getFileName().toString().equals("java");
        boolean addVector = javaLauncher && !hasVectorModule() && !Boolean.getBoolean("polaris.scalar");
        if (!longLine && !addVector) {
            return OptionalInt.empty();
        }
        Path argFile = null;
        try {
            argFile = Files.createTempFile("polaris-args", ".txt",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            List<String> cmd = new ArrayList<>();
            if (javaLauncher) {
                // the java launcher expands @file itself: every JVM option and argument, as given; when only the
                // Vector API module is missing, the JVM's own view (argument files already expanded, which a
                // nested @file would not be) rebuilds the command
                List<String> rest;
                try {
                    rest = longLine ? new ArrayList<>(argv.subList(1, argv.size())) : jvmView(userArgs);
                } catch (LinkageError noManagement) { // a runtime image without java.management
                    rest = new ArrayList<>(argv.subList(1, argv.size()));
                }
                rest.add(0, "-D" + MARK + "=true");
                if (addVector) {
                    rest.add(0, VECTOR_OPTION);
                }
                Files.writeString(argFile, ArgFiles.quote(rest), StandardCharsets.UTF_8);
                cmd.add(javaExecutable(exe));
                cmd.add("@" + argFile);
            } else {
                // a native launcher (jpackage) starts its JVM in-process from its own config: picocli expands @file
                Files.writeString(argFile, ArgFiles.quote(List.of(userArgs)), StandardCharsets.UTF_8);
                cmd.add(exe);
                cmd.add("@" + argFile);
            }
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "polaris-relaunch-stop"));
            Interrupts.onInterrupt(() -> {
                p.destroy();
                try {
                    p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return OptionalInt.of(p.waitFor());
        } catch (IOException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.of(130);
        } finally {
            if (argFile != null) {
                try {
                    Files.deleteIfExists(argFile);
                } catch (IOException e) {
                    // a leftover argument file in the temp folder is harmless
                }
            }
        }
    }

    /** JVM options, class path, the launcher class and the user's arguments, as this JVM received them. */
    private static List<String> jvmView(String[] userArgs) {
        List<String> out = new ArrayList<>(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        out.add("-cp");
        out.add(System.getProperty("java.class.path"));
        out.add("org.polaris.workbench.ui.app.Launcher");
        out.addAll(List.of(userArgs));
        return out;
    }

    private static String javaExecutable(String argv0) {
        Path p = Path.of(argv0);
        return p.isAbsolute() ? argv0 : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static List<String> split(byte[] raw) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                out.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < raw.length) {
            out.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

}
