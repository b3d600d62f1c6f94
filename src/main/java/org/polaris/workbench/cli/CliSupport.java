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
}
