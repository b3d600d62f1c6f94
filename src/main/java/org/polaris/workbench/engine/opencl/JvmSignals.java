package org.polaris.workbench.engine.opencl;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.util.Arrays;

/**
 * Keeps the JVM's signal handlers in place around OpenCL drivers. LLVM-based drivers (PoCL here; Mesa and ROCm
 * compile with LLVM too) install their own handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGINT, SIGTERM and more
 * when they compile a kernel. The JVM uses SIGSEGV itself (safepoint polls, implicit null checks), so the next such
 * fault after a kernel build killed the process with no crash report, and Ctrl-C no longer ran the shutdown hooks
 * that remove temporary files. The JVM's handlers are read once before the first OpenCL call and put back after
 * every call that can reach the compiler. Linux x86-64 only; elsewhere (or without JNA) this does nothing, and
 * preloading the JDK's {@code libjsig.so} has the same effect.
 */
final class JvmSignals {

    /** SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGUSR2, SIGTERM, SIGXCPU, SIGXFSZ, SIGSYS. */
    private static final int[] SIGNALS = {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 24, 25, 31};
    /** glibc's struct sigaction on x86-64: handler 8, mask 128, flags 4 (+4 padding), restorer 8. */
    private static final int SIGACTION_BYTES = 152;

    interface LibC extends Library {
        int sigaction(int signum, Pointer act, Pointer oldact);
    }

    private static LibC libc;
    private static Memory[] saved;
    private static boolean unavailable;
    private static int restoredTotal;

    private JvmSignals() {
    }

    /** Reads the JVM's handlers; call before the first OpenCL call. Later calls do nothing. */
    static synchronized void snapshot() {
        if (saved != null || unavailable) {
            return;
        }
        try {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")
                    || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
                unavailable = true;
                return;
            }
            libc = Native.load("c", LibC.class);
            Memory[] s = new Memory[SIGNALS.length];
            for (int i = 0; i < SIGNALS.length; i++) {
                s[i] = new Memory(SIGACTION_BYTES);
                s[i].clear();
                if (libc.sigaction(SIGNALS[i], null, s[i]) != 0) {
                    unavailable = true;
                    return;
                }
            }
            saved = s;
        } catch (LinkageError | RuntimeException e) {
            unavailable = true;
        }
    }

    /** Puts back every handler a driver replaced since {@link #snapshot}; returns how many it restored. */
    static int restore() {
        return check(true);
    }

    /** How many handlers were put back since start (for tests). */
    static synchronized int restoredTotal() {
        return restoredTotal;
    }

    /** Whether the handlers were read (Linux x86-64 with JNA). */
    static synchronized boolean active() {
        return saved != null;
    }

    /** How many handlers differ from the JVM's right now (for tests). */
    static int replaced() {
        return check(false);
    }

    private static synchronized int check(boolean putBack) {
        if (saved == null) {
            return 0;
        }
        int changed = 0;
        try (Memory now = new Memory(SIGACTION_BYTES)) {
            for (int i = 0; i < SIGNALS.length; i++) {
                now.clear();
                libc.sigaction(SIGNALS[i], null, now);
                if (!Arrays.equals(now.getByteArray(0, 16), saved[i].getByteArray(0, 16))) {
                    if (putBack) {
                        libc.sigaction(SIGNALS[i], saved[i], null);
                        restoredTotal++;
                    }
                    changed++;
                }
            }
        }
        return changed;
    }
}
