package org.polaris.workbench.cli;

import org.polaris.workbench.engine.inference.Runtimes;

/** Small option parsers shared by commands. */
final class CliSupport {

    private CliSupport() {
    }

    private static final java.util.concurrent.atomic.AtomicBoolean KERNELS_TOLD = new java.util.concurrent.atomic.AtomicBoolean();

    /** Parses a runtime name; the first time a command picks the engine, says on stderr which kernels it uses. */
    static Runtimes.Kind runtime(String s) throws CliException {
        Runtimes.Kind k;
        try {
            k = Runtimes.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        if (k == Runtimes.Kind.ENGINE && KERNELS_TOLD.compareAndSet(false, true)) {
            System.err.println("engine: " + org.polaris.workbench.engine.exec.EngineSession.kernelPath());
        }
        return k;
    }
}
