package org.polaris.workbench.cli;

import picocli.CommandLine.Option;

/** {@code --cluster local|spark} and {@code --master URL}, for the commands that can run their pieces on a cluster. */
final class ClusterOptions {

    @Option(names = "--cluster", defaultValue = "local", paramLabel = "local|spark",
            description = "where the job's pieces run: in this process (default) or on Apache Spark")
    String cluster;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (with --cluster spark)")
    String master;

    /** Refuses what this build cannot run; {@code command} names the caller in the message. */
    void requireLocal(String command) throws CliException {
        if (!cluster.equals("local")) {
            throw new CliException(cluster.equals("spark") ? "--cluster spark: the Spark runner is not part of this build "
                    + "yet; " + command + " runs in-process (--cluster local)" : "--cluster must be local or spark, not "
                    + cluster, 2);
        }
        if (master != null) throw new CliException("--master needs --cluster spark", 2);
    }
}
