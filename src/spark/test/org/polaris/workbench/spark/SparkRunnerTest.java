package org.polaris.workbench.spark;

import org.apache.spark.TaskContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.batch.BatchInference;
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ClusterJobException;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.search.Candidate;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.engine.search.SearchSpace;
import org.polaris.workbench.testutil.TestData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The Spark runner in local mode ({@code local[2,2]}: two task threads, two attempts per task), on the same search
 * and batch jobs as the in-process runner: the same candidates, frontier and choice; the same shards, byte for byte;
 * a task whose first attempt fails is retried and changes nothing.
 */
class SparkRunnerTest {

    static final Path T10K = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    /** Task attempts seen in this JVM (local mode runs executors here): "partition/attempt/outcome". */
    static final ConcurrentLinkedQueue<String> ATTEMPTS = new ConcurrentLinkedQueue<>();

    private static SparkJobRunner spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = (SparkJobRunner) SparkJobRunner.start("local[2,2]", "polaris-test");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.close();
    }

    /** Fails the first attempt of the job's first piece, on the executor, before the piece does anything. */
    record FailFirstAttempt<I, O>(JobRunner.Task<I, O> task) implements JobRunner.Task<I, O> {
        @Override
        public O run(I item, CancellationToken cancel) throws Exception {
            TaskContext t = TaskContext.get();
            if (t.partitionId() == 0 && t.attemptNumber() == 0) {
                ATTEMPTS.add(t.partitionId() + "/0/injected failure");
                throw new IOException("injected failure of the first attempt");
            }
            O o = task.run(item, cancel);
            ATTEMPTS.add(t.partitionId() + "/" + t.attemptNumber() + "/ok");
            return o;
        }
    }

    /** The Spark runner with every job's first piece failing once. */
    record Flaky(JobRunner inner, AtomicInteger jobs) implements JobRunner {
        @Override
        public <I, O> List<O> map(List<I> items, Task<I, O> task, ProgressSink progress, CancellationToken cancel)
                throws Exception {
            jobs.incrementAndGet();
            return inner.map(items, new FailFirstAttempt<>(task), progress, cancel);
        }

        @Override
        public String describe() {
            return inner.describe();
        }
    }

    private static DataRef t10k(int samples) {
        return DataRef.of(T10K, InputPlan.Request.of(Preprocessing.unitScale()), samples);
    }

    private CompressionSearch.Request search(Path out) {
        SearchSpace space = new SearchSpace(List.of(Candidate.Kind.FP16, Candidate.Kind.WEIGHT_INT8, Candidate.Kind.STATIC_INT8,
                Candidate.Kind.PRUNE), List.of(0.5, 0.8), List.of("minmax"), false);
        return new CompressionSearch.Request(TestData.FASHION_MLP, out, false, null, 100, t10k(500), 500, 1.0,
                CompressionSearch.Objective.SIZE, 0, space, null, 1, 5);
    }

    private static CompressionSearch.Report report(CompressionSearch c, CompressionSearch.Request r, JobRunner runner)
            throws Exception {
        try {
            return c.run(r, runner, x -> { }, ProgressSink.NONE, CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            return e.report();
        }
    }

    /** What must not depend on the runner: everything but timings. */
    private static List<String> outcome(CompressionSearch.Report r) {
        List<String> out = new ArrayList<>();
        out.add("chosen " + r.chosen() + ", original " + r.originalAccuracy() + ", " + r.quality());
        out.add("signals " + r.signals().layers() + " " + r.signals().pruning() + " " + r.signals().notes());
        for (CompressionSearch.CandidateResult c : r.candidates()) {
            out.add(String.join(" ", c.id(), c.status().name(), String.valueOf(c.reason()), String.valueOf(c.accuracy()),
                    String.valueOf(c.agreement()), String.valueOf(c.bytes()), String.valueOf(c.sizeRatio()),
                    String.valueOf(c.withinTolerance()), String.valueOf(c.onFrontier())));
        }
        return out;
    }

    @Test
    void searchOnSparkFindsTheSameCandidatesFrontierAndChoiceEvenWhenATaskFailsOnce() throws Exception {
        CompressionSearch.Report local;
        try (JobRunner inProcess = JobRunner.local(1)) {
            local = report(new CompressionSearch(), search(tmp.resolve("local.onnx")), inProcess);
        }
        ATTEMPTS.clear();
        AtomicInteger jobs = new AtomicInteger();
        CompressionSearch.Report onSpark = report(new CompressionSearch(), search(tmp.resolve("spark.onnx")),
                new Flaky(spark, jobs));

        assertThat(outcome(onSpark)).isEqualTo(outcome(local));
        assertThat(onSpark.candidates().stream().map(CompressionSearch.CandidateResult::id).filter(id -> !id.contains("keep")))
                .containsExactly("fp16", "weight-int8", "static-int8-minmax", "static-int8-minmax-per-tensor", "static-int8-minmax-s8",
                        "prune-50", "prune-80");
        assertThat(onSpark.signals().layers()).hasSize(3);
        assertThat(onSpark.candidates().stream().filter(c -> c.status() == CompressionSearch.Status.EVALUATED)).isNotEmpty();
        assertThat(onSpark.runner()).isEqualTo("Spark local[2,2]");
        assertThat(local.runner()).isEqualTo("in-process, 1 thread");
        // each job's first piece failed once and was retried (attempt 1), and only that piece
        List<String> failures = ATTEMPTS.stream().filter(a -> a.endsWith("injected failure")).toList();
        assertThat(failures).hasSize(jobs.get()).containsOnly("0/0/injected failure");
        assertThat(ATTEMPTS.stream().filter(a -> a.startsWith("0/") && a.endsWith("/ok"))).containsOnly("0/1/ok").hasSize(jobs.get());
        if (local.chosen() != null) {
            assertThat(Files.readAllBytes(tmp.resolve("spark.onnx"))).isEqualTo(Files.readAllBytes(tmp.resolve("local.onnx")));
        }
    }

    @Test
    void batchOnSparkWritesTheSameShardsAsInProcessAndARetriedShardChangesNothing() throws Exception {
        Path local = tmp.resolve("local");
        Path remote = tmp.resolve("spark");
        BatchInference.Summary a;
        try (JobRunner inProcess = JobRunner.local(2)) {
            a = new BatchInference().run(new BatchInference.Request(TestData.FASHION_CNN, t10k(2000), local, 700, 200, 64, 3),
                    inProcess, ProgressSink.NONE, CancellationToken.none());
        }
        ATTEMPTS.clear();
        AtomicInteger jobs = new AtomicInteger();
        BatchInference.Summary b = new BatchInference().run(new BatchInference.Request(TestData.FASHION_CNN, t10k(2000), remote,
                700, 200, 64, 3), new Flaky(spark, jobs), ProgressSink.NONE, CancellationToken.none());
        assertThat(jobs.get()).isEqualTo(1);
        assertThat(ATTEMPTS).containsExactlyInAnyOrder("0/0/injected failure", "0/1/ok", "1/0/ok", "2/0/ok", "3/0/ok");
        assertThat(b.shards()).isEqualTo(4);
        assertThat(b.runner()).isEqualTo("Spark local[2,2]");
        assertThat(a.runner()).isEqualTo("in-process, 2 threads");
        assertThat(names(remote)).isEqualTo(names(local));
        for (String f : names(local)) {
            if (f.equals("summary.json")) continue; // times and the runner differ
            assertThat(Files.readAllBytes(remote.resolve(f))).as(f).isEqualTo(Files.readAllBytes(local.resolve(f)));
        }
    }

    @Test
    void dataOpenedInThisProcessIsRefusedWithTheReason() throws Exception {
        IdxDataset open = IdxDataset.open(T10K, Preprocessing.unitScale(), 100);
        Path out = tmp.resolve("out");
        ClusterJobException e = assertThrows(ClusterJobException.class, () -> new BatchInference().run(
                new BatchInference.Request(TestData.FASHION_CNN, DataRef.of(open), out, 100, 50, 64, 3), spark,
                ProgressSink.NONE, CancellationToken.none()));
        assertThat(e.getMessage()).startsWith("Spark cannot send this job to its executors (")
                .contains("IdxDataset").endsWith("data opened in this process runs in-process only; give the data by path");
        assertThat(out).doesNotExist();
    }

    @Test
    void aPieceThatFailsEveryAttemptEndsTheJobWithItsError() {
        JobRunner.Task<Integer, Integer> broken = (i, c) -> {
            if (i == 2) throw new IOException("shard " + i + " is unreadable");
            return i;
        };
        ClusterJobException e = assertThrows(ClusterJobException.class, () -> spark.map(List.of(1, 2, 3), broken,
                ProgressSink.NONE, CancellationToken.none()));
        // the host is the executor's (in local mode this machine's address)
        assertThat(e.getMessage()).matches("a piece of the job failed 2 times on Spark \\(last on [^ ]+ executor driver\\): "
                + "java\\.io\\.IOException: shard 2 is unreadable");
    }

    @Test
    void cancellingTheTokenCancelsTheSparkJob() throws Exception {
        CancellationToken cancel = new CancellationToken();
        JobRunner.Task<Integer, Integer> slow = (i, c) -> {
            while (!c.isCancelled()) Thread.onSpinWait();
            return i;
        };
        // the first progress report comes while both pieces spin; cancelling then must end them
        ProgressSink cancelOnFirstReport = (f, m) -> cancel.cancel();
        assertThrows(org.polaris.workbench.engine.job.CancelledException.class,
                () -> spark.map(List.of(1, 2), slow, cancelOnFirstReport, cancel));
        // the context is still usable afterwards
        assertThat(spark.map(List.of(4, 5, 6), (i, c) -> i * 2, ProgressSink.NONE, CancellationToken.none())).containsExactly(8, 10, 12);
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
