package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.exec.UnsupportedOpsException;
import org.polaris.workbench.engine.io.OutputException;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.quant.QuantizationException;
import picocli.CommandLine;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Entry point for headless use: parses the command line and returns the process exit code. Every failure ends as
 * one line on stderr that names the user's file and the problem, with control characters escaped, and one of the
 * documented exit codes; never a stack trace.
 */
public final class Main {

    /** Exit code for a failure the tool did not foresee (a bug); the line still says what happened. */
    public static final int EXIT_INTERNAL = 1;
    /** Exit code for a usage error: options, data files, an output the tool will not write. */
    public static final int EXIT_USAGE = 2;
    /** Exit code for an unreadable or invalid model. */
    public static final int EXIT_BAD_MODEL = 3;
    /** Exit code for a quantization or pruning that failed or failed its own verification; nothing was written. */
    public static final int EXIT_QUANTIZATION_FAILED = 4;
    /** Exit code when the engine lacks an op the model uses. */
    public static final int EXIT_UNSUPPORTED_OP = 5;
    /** Exit code of {@code gpu check} and {@code gpu bench} when no OpenCL device is found. */
    public static final int EXIT_NO_OPENCL_DEVICE = 6;
    /** Exit code when an output could not be written (full disk, I/O error); nothing was left in place. */
    public static final int EXIT_WRITE_FAILED = 8;
    /** Exit code when a job's piece failed on the cluster after its retries (search and batch on Spark). */
    public static final int EXIT_CLUSTER_FAILED = 9;
    /** Exit code when memory ran out; nothing was written. */
    public static final int EXIT_OUT_OF_MEMORY = 7;

    private Main() {
    }

    /**
     * The command line without the desktop: what the Spark jar runs under {@code spark-submit} (the desktop jar's
     * {@code Launcher} starts the window without arguments and comes here with them).
     */
    public static void main(String[] args) {
        Interrupts.install();
        System.exit(execute(args));
    }

    public static int execute(String[] args) {
        return execute(args, System.out, System.err);
    }

    public static int execute(String[] args, PrintStream out, PrintStream err) {
        PrintWriter errWriter = new PrintWriter(err, true);
        CommandLine cmd = new CommandLine(new WorkbenchCommand())
                .setOut(new PrintWriter(new java.io.OutputStreamWriter(new SafeStream(out), StandardCharsets.UTF_8), true))
                .setErr(errWriter)
                .setExecutionExceptionHandler((ex, line, parsed) -> {
                    Failure f = classify(ex);
                    errWriter.println(f.prefix() + Terminal.line(f.message()));
                    return f.code();
                });
        cmd.setExecutionStrategy(OptionBounds::execute);
        cmd.setParameterExceptionHandler(new CommandLine.IParameterExceptionHandler() {
            @Override
            public int handleParseException(CommandLine.ParameterException ex, String[] a) {
                CommandLine c = ex.getCommandLine();
                errWriter.println("error: " + Terminal.line(ex.getMessage()));
                errWriter.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
                return EXIT_USAGE;
            }
        });
        try {
            return cmd.execute(args);
        } catch (OutOfMemoryError e) {
            Failure f = classify(e);
            errWriter.println(f.prefix() + f.message());
            return f.code();
        }
    }

    /** The exit code and line for an exception a command threw. */
    record Failure(int code, String prefix, String message) {
    }

    static Failure classify(Throwable ex) {
        // a known failure wrapped by a worker or a library still gets its own code and message
        for (Throwable c = ex; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof ModelLoadException || c instanceof UnsupportedOpsException || c instanceof QuantizationException
                    || c instanceof OutputException
                    || c instanceof DataException || c instanceof org.polaris.workbench.engine.data.DataFileException
                    || c instanceof CliException || c instanceof OutOfMemoryError
                    || c instanceof org.polaris.workbench.engine.job.ClusterJobException) {
                ex = c;
                break;
            }
        }
        if (ex instanceof org.polaris.workbench.engine.data.DataFileException e) {
            return new Failure(EXIT_USAGE, "error: ", e.getMessage());
        }
        if (ex instanceof ModelLoadException e) {
            return new Failure(EXIT_BAD_MODEL, "error: ", e.getMessage());
        }
        if (ex instanceof QuantizationException e) {
            return new Failure(EXIT_QUANTIZATION_FAILED, "error: ", e.getMessage());
        }
        if (ex instanceof UnsupportedOpsException e) {
            return new Failure(EXIT_UNSUPPORTED_OP, "error: ", e.getMessage());
        }
        if (ex instanceof OutputException e) {
            return new Failure(e.reason().refusal() ? EXIT_USAGE : EXIT_WRITE_FAILED, "error: ", e.getMessage());
        }
        if (ex instanceof DataException e) {
            return new Failure(EXIT_USAGE, "error: ", e.getMessage());
        }
        if (ex instanceof org.polaris.workbench.engine.job.ClusterJobException e) {
            return new Failure(EXIT_CLUSTER_FAILED, "error: ", e.getMessage());
        }
        if (ex instanceof CliException e) {
            return new Failure(e.exitCode(), "error: ", e.getMessage());
        }
        if (ex instanceof OutOfMemoryError) {
            return new Failure(EXIT_OUT_OF_MEMORY, "error: ", "out of memory (" + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB heap); nothing was written; raise it with -Xmx or use a smaller input");
        }
        if (ex instanceof java.io.IOException e) {
            return new Failure(EXIT_USAGE, "error: ", e instanceof java.nio.file.NoSuchFileException n
                    ? n.getFile() + ": no such file" : String.valueOf(e.getMessage()));
        }
        String m = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
        return new Failure(EXIT_INTERNAL, "internal error: ", m);
    }

    /** Command output with control characters escaped; picocli's help and the reports go through it. */
    private static final class SafeStream extends OutputStream {
        private final PrintStream out;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        SafeStream(PrintStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                flushLine();
            }
        }

        @Override
        public void flush() {
            flushLine();
            out.flush();
        }

        private void flushLine() {
            if (line.size() > 0) {
                out.print(Terminal.safe(line.toString(StandardCharsets.UTF_8)));
                line.reset();
            }
        }
    }
}
