package org.polaris.workbench.engine.job;

/**
 * The runners a job can take besides the in-process one. The Spark runner lives in its own source folder
 * ({@code src/spark}) and jar, against a Spark the user provides ({@code spark-submit}, or Spark's jars on the class
 * path); this class finds it by name, so the desktop build needs neither.
 */
public final class ClusterRunners {

    /** The Spark runner's class; it has {@code public static JobRunner start(String master, String appName)}. */
    public static final String SPARK_RUNNER = "org.polaris.workbench.spark.SparkJobRunner";

    /** How to get a Spark runner when this process has none. */
    public static final String HOW_TO_GET_SPARK = "build the Spark jar with `./mvnw -q -DskipTests package "
            + "assembly:single@spark-jar` and start it with spark-submit: `spark-submit --class org.polaris.workbench.cli.Main "
            + "target/polaris-workbench-spark.jar COMMAND ... --cluster spark` (see \"Running on a cluster\" in the user guide)";

    private ClusterRunners() {
    }

    /** The cluster could not be used; the message says why and what to do. */
    public static final class ClusterException extends Exception {
        public ClusterException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Connects to Spark.
     *
     * @param master {@code local[N]}, {@code local[N,F]} (F attempts per task), {@code spark://HOST:PORT},
     *               {@code k8s://https://HOST:PORT}, or null for the one spark-submit set (else {@code local[*]})
     */
    public static JobRunner spark(String master, String appName) throws ClusterException {
        try {
            Class.forName("org.apache.spark.SparkContext", false, ClusterRunners.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ClusterException("--cluster spark: Apache Spark is not on this program's class path; "
                    + HOW_TO_GET_SPARK, e);
        }
        Class<?> runner;
        try {
            runner = Class.forName(SPARK_RUNNER, true, ClusterRunners.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ClusterException("--cluster spark: this jar has no Spark runner (the desktop build leaves it out); "
                    + HOW_TO_GET_SPARK, e);
        }
        try {
            return (JobRunner) runner.getMethod("start", String.class, String.class).invoke(null, master, appName);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable c = e.getCause();
            throw new ClusterException("--cluster spark: Spark did not start (" + Messages.firstLine(c) + ")", c);
        } catch (ReflectiveOperationException e) {
            throw new ClusterException("--cluster spark: the Spark runner does not match this build (" + e + ")", e);
        }
    }
}
