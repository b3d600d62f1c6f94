package org.polaris.workbench.cli;

import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.onnx.OrtCalls;
import sun.misc.Signal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Ctrl-C and SIGTERM for headless commands. The JVM's default would run every shutdown hook at once, and ONNX
 * Runtime's Java binding has one that releases its native environment while the main thread may still be inside a
 * call: the process then aborted (exit 134). Here the signal removes the temporary files, waits for the native call
 * in flight, runs what was registered (a relaunched child to stop), and halts with 128 + the signal's number, the
 * shell's convention (130, 143). The GUI keeps the JVM's default.
 */
public final class Interrupts {

    private static final List<Runnable> ACTIONS = new CopyOnWriteArrayList<>();

    private Interrupts() {
    }

    /** Takes over SIGINT and SIGTERM for this process. */
    public static void install() {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), s -> stop(128 + s.getNumber()));
            } catch (IllegalArgumentException e) {
                // the signal is not available here (or reserved by the VM): the JVM's default stays
            }
        }
    }

    /** Runs {@code action} when the process is interrupted, before it halts. */
    static void onInterrupt(Runnable action) {
        ACTIONS.add(action);
    }

    private static void stop(int code) {
        ACTIONS.forEach(Runnable::run);
        TempFiles.cleanUpAtExit();
        OrtCalls.quiesce();
        Runtime.getRuntime().halt(code);
    }
}
