package org.polaris.workbench.cli;

import org.polaris.workbench.engine.inference.Runtimes;

/** Small option parsers shared by commands. */
final class CliSupport {

    private CliSupport() {
    }

    static Runtimes.Kind runtime(String s) throws CliException {
        try {
            return Runtimes.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    /**
     * Runs {@code body} with the engine's device ({@code --device cpu|gpu|auto}) set for this call only: the option
     * becomes {@code -Dpolaris.device}, which {@code Runtimes} reads, and is restored afterwards.
     */
    static Integer withEngineDevice(String device, java.util.concurrent.Callable<Integer> body) throws Exception {
        String d;
        try {
            d = org.polaris.workbench.engine.exec.EngineSession.Device.parse(device).name().toLowerCase(java.util.Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        String before = System.getProperty("polaris.device");
        System.setProperty("polaris.device", d);
        try {
            return body.call();
        } finally {
            if (before == null) {
                System.clearProperty("polaris.device");
            } else {
                System.setProperty("polaris.device", before);
            }
        }
    }
}
