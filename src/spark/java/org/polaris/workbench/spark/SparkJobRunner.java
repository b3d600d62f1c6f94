package org.polaris.workbench.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.job.ClusterJobException;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.job.Messages;
import org.polaris.workbench.engine.job.ProgressSink;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a job's pieces as Apache Spark tasks: one partition per piece, so Spark schedules, retries and (with
 * speculation) duplicates pieces on its executors; the results come back to the driver in input order. Tasks open
 * their model and data by path ({@code engine.model.WorkerModels} loads a model once per executor JVM). Cancelling the
 * token cancels the Spark job (interrupting running tasks); progress is the finished share of the job's tasks.
 */
public final class SparkJobRunner implements JobRunner {

    private static final AtomicLong JOBS = new AtomicLong();
    private static final Pattern LAST_FAILURE = Pattern.compile(
            "failed (\\d+) times?, most recent failure: Lost task \\S+ in stage \\S+ \\(TID \\d+\\) \\(([^)]*)\\): ([^\\n]*)");

    private final JavaSparkContext sc;

    private SparkJobRunner(JavaSparkContext sc) {
        this.sc = sc;
    }

    /**
     * Starts (or joins, under spark-submit) the Spark application.
     *
     * @param master {@code local[N]}, {@code local[N,F]}, {@code spark://...}, {@code k8s://...}, {@code yarn}, or null
     *               for spark-submit's ({@code local[*]} when run without it)
     */
    public static JobRunner start(String master, String appName) {
        // spark-submit passes its settings (master, deploy mode, auth, encryption) as system properties
        SparkConf conf = new SparkConf();
        conf.setIfMissing("spark.app.name", appName);
        if (master != null) conf.setMaster(master);
        conf.setIfMissing("spark.master", "local[*]");
        if (conf.get("spark.master").startsWith("local")) {
            // local mode: nothing listens beyond loopback, and no web UI
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        return new SparkJobRunner(new JavaSparkContext(conf));
    }

    /** The Spark context (tests listen to its task events). */
    public JavaSparkContext context() {
        return sc;
    }

    @Override
    public <I, O> List<O> map(List<I> items, Task<I, O> task, ProgressSink progress, CancellationToken cancel)
            throws Exception {
        if (items.isEmpty()) return List.of();
        String group = "polaris-" + JOBS.incrementAndGet();
        sc.setJobGroup(group, items.size() + " pieces", true);
        try {
            JavaFutureAction<List<O>> f;
            try {
                f = sc.parallelize(items, items.size()).map(new Call<>(task)).collectAsync();
            } catch (Exception e) {
                // Scala throws SparkException ("Task not serializable") undeclared
                if (e instanceof SparkException se) throw notShippable(se);
                throw e;
            }
            int lastDone = -1;
            while (true) {
                try {
                    return f.get(200, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (cancel.isCancelled()) {
                        sc.cancelJobGroup(group);
                        f.cancel(true);
                        throw new CancelledException();
                    }
                    int done = finishedTasks(f);
                    if (done != lastDone) {
                        lastDone = done;
                        progress.progress((double) done / items.size(), done + " of " + items.size() + " on Spark");
                    }
                } catch (ExecutionException e) {
                    throw failure(e.getCause() == null ? e : e.getCause());
                }
            }
        } finally {
            sc.clearJobGroup();
        }
    }

    private int finishedTasks(JavaFutureAction<?> f) {
        int done = 0;
        for (int id : f.jobIds()) {
            SparkJobInfo job = sc.statusTracker().getJobInfo(id);
            if (job == null) continue;
            for (int stage : job.stageIds()) {
                SparkStageInfo s = sc.statusTracker().getStageInfo(stage);
                if (s != null) done += s.numCompletedTasks();
            }
        }
        return done;
    }

    /** A task that cannot be serialized holds something only this process has (data opened here, not by path). */
    private static Exception notShippable(SparkException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        Throwable c = e.getCause();
        if (m.contains("Task not serializable") || c instanceof java.io.NotSerializableException) {
            return new ClusterJobException("Spark cannot send this job to its executors (" + (c == null ? m : c) + "): "
                    + "data opened in this process runs in-process only; give the data by path", e);
        }
        return new ClusterJobException("Spark refused the job: " + Messages.firstLine(m), e);
    }

    /** A Spark job failure as one line: how often the piece failed and its last error, without Spark's stack trace. */
    static ClusterJobException failure(Throwable t) {
        if (t instanceof CancelledException c) throw c;
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        if (m.contains("Task not serializable")) {
            return new ClusterJobException("Spark cannot send this job to its executors (" + Messages.firstLine(m) + "): data "
                    + "opened in this process runs in-process only; give the data by path", t);
        }
        Matcher x = LAST_FAILURE.matcher(m);
        if (x.find()) {
            return new ClusterJobException(String.format(Locale.ROOT, "a piece of the job failed %s time%s on Spark (last on %s): %s",
                    x.group(1), x.group(1).equals("1") ? "" : "s", x.group(2), x.group(3).strip()), t);
        }
        return new ClusterJobException("the Spark job failed: " + Messages.firstLine(m), t);
    }

    @Override
    public String describe() {
        return "Spark " + sc.master();
    }

    @Override
    public void close() {
        sc.stop();
    }

    /** Runs the piece in an executor; the token reports the task being killed (job cancelled, speculation lost). */
    private record Call<I, O>(Task<I, O> task) implements Function<I, O> {
        @Override
        public O call(I item) throws Exception {
            TaskContext ctx = TaskContext.get();
            return task.run(item, CancellationToken.polling(() -> ctx != null && ctx.isInterrupted()));
        }
    }
}
