package org.polaris.workbench.cli;

import org.polaris.workbench.engine.job.ClusterRunners;
import org.polaris.workbench.engine.job.JobRunner;
import picocli.CommandLine.Option;

/** {@code --cluster local|spark} and {@code --master URL}, for the commands that can run their pieces on a cluster. */
final class ClusterOptions {

    @Option(names = "--cluster", defaultValue = "local", paramLabel = "local|spark",
            description = "where the job's pieces run: in this process (default) or on Apache Spark (start this jar's "
                    + "Spark build with spark-submit; see the user guide)")
    String cluster;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master with --cluster spark: local[N], "
            + "local[N,ATTEMPTS], spark://HOST:PORT or k8s://https://HOST:PORT (default: spark-submit's, else local[*])")
    String master;

    boolean spark() {
        return cluster.equals("spark");
    }

    /** The runner the options ask for: in-process with {@code threads}, or Spark; {@code command} names the caller. */
    JobRunner runner(String command, int threads) throws CliException {
        if (!cluster.equals("local") && !cluster.equals("spark")) {
            throw new CliException("--cluster must be local or spark, not " + cluster, 2);
        }
        if (!spark()) {
            if (master != null) throw new CliException("--master needs --cluster spark", 2);
            return JobRunner.local(threads);
        }
        if (master != null && !master.matches("local(\\[(\\*|\\d{1,4})(,\\d{1,3})?])?|spark://.+|k8s://.+|yarn")) {
            throw new CliException("--master " + master + ": use local[N], local[N,ATTEMPTS], spark://HOST:PORT, "
                    + "k8s://https://HOST:PORT or yarn", 2);
        }
        try {
            return ClusterRunners.spark(master, "polaris-workbench " + command);
        } catch (ClusterRunners.ClusterException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
