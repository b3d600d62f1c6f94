package org.polaris.workbench.cli;

import org.polaris.workbench.engine.model.ModelLoadException;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;

/** Entry point for headless use: parses the command line and returns the process exit code. */
public final class Main {

    /** Exit code for an unreadable or invalid model. */
    public static final int EXIT_BAD_MODEL = 3;
    /** Exit code for a quantization that failed or failed its own verification; nothing was written. */
    public static final int EXIT_QUANTIZATION_FAILED = 4;
    /** Exit code when the engine lacks an op the model uses. */
    public static final int EXIT_UNSUPPORTED_OP = 5;

    private Main() {
    }

    public static int execute(String[] args) {
        return execute(args, System.out, System.err);
    }

    public static int execute(String[] args, PrintStream out, PrintStream err) {
        PrintWriter errWriter = new PrintWriter(err, true);
        CommandLine cmd = new CommandLine(new WorkbenchCommand())
                .setOut(new PrintWriter(out, true))
                .setErr(errWriter)
                .setExecutionExceptionHandler((ex, line, parsed) -> {
                    if (ex instanceof ModelLoadException mle) {
                        errWriter.println("error: " + mle.getMessage());
                        return EXIT_BAD_MODEL;
                    }
                    if (ex instanceof org.polaris.workbench.engine.quant.QuantizationException qe) {
                        errWriter.println("error: " + qe.getMessage());
                        return EXIT_QUANTIZATION_FAILED;
                    }
                    if (ex instanceof org.polaris.workbench.engine.exec.UnsupportedOpsException ue) {
                        errWriter.println("error: " + ue.getMessage());
                        return EXIT_UNSUPPORTED_OP;
                    }
                    if (ex instanceof CliException ce) {
                        errWriter.println("error: " + ce.getMessage());
                        return ce.exitCode();
                    }
                    errWriter.println("internal error: " + ex);
                    return 1;
                });
        return cmd.execute(args);
    }
}
