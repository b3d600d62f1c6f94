package org.polaris.workbench.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code polaris-workbench} command; without a subcommand the launcher opens the GUI instead. */
@Command(name = "polaris-workbench",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Inspect, compress and run neural networks locally. Run without arguments to open the workbench.",
        subcommands = {InspectCommand.class, QuantizeCommand.class, RunCommand.class, BenchCommand.class,
                ProfileCommand.class, PruneCommand.class, SparseBenchCommand.class, GpuCommand.class, SnnCommand.class,
                GraphCommand.class, DiffCommand.class, ServeCommand.class, TrainCommand.class, SearchCommand.class, BatchCommand.class,
                picocli.CommandLine.HelpCommand.class})
public final class WorkbenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand");
    }
}
