package org.polaris.workbench.cli;

/** A failure the CLI reports as one line on stderr with its own exit code. */
public class CliException extends Exception {

    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
