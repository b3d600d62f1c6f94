package org.polaris.workbench.cli;

import org.polaris.workbench.engine.batch.BatchInference;
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.JobRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code polaris-workbench batch}: a model over a whole data set, in resumable shards. */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a model over every sample of a data set with ONNX Runtime and write its outputs in shards: "
                + "DIR/shard-NNNNN.npz (one array per output), for class scores DIR/topk.csv, and DIR/summary.json. "
                + "A shard already written is skipped, so an interrupted run resumes where it stopped."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every shard written", "2:usage error (options, data, a folder holding other files or another job)",
                "3:unreadable or invalid model", "7:out of memory", "8:an output could not be written",
                "9:a shard failed on the Spark cluster after its retries (--cluster spark)"})
public final class BatchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "ONNX model")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "D", description = "the data set (as for run and quantize)")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for the shards (created; an "
            + "earlier run of the same job resumes)")
    Path out;

    @Bounds(min = 0, max = 100_000_000)
    @Option(names = "--samples", defaultValue = "0", paramLabel = "N", description = "the first N samples (0: all)")
    int samples;

    @Bounds(min = 1, max = BatchInference.MAX_SHARD)
    @Option(names = "--shard-size", defaultValue = "1000", paramLabel = "N")
    int shardSize;

    @Bounds(min = 1, max = 4096)
    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "samples per run")
    int batch;

    @Bounds(min = 1, max = 100)
    @Option(names = "--top-k", defaultValue = "5", paramLabel = "K")
    int topK;

    @Bounds(min = 1, max = 64)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "shards run at once")
    int threads;

    @Mixin
    ClusterOptions cluster = new ClusterOptions();

    @Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    @Mixin
    ModelInputOptions inputs = new ModelInputOptions();

    @Override
    public Integer call() throws Exception {
        DataRef d;
        try {
            d = DataRef.of(data, inputs.request(pre.toPreprocessing()), samples);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        BatchInference.Summary s;
        try (JobRunner runner = cluster.runner("batch", threads)) {
            s = new BatchInference().run(new BatchInference.Request(model, d, out, samples, shardSize, batch, topK), runner,
                    new ConsoleProgress(spec.commandLine().getErr()), CancellationToken.none());
        } catch (BatchInference.BatchException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "%d samples in %d shards (%d already done) in %.1f s, %.0f samples/s: %s%s%n", s.samples(),
                s.shards(), s.skipped(), s.seconds(), s.samplesPerSecond(), out,
                s.topK() ? " (topk.csv, summary.json)" : " (summary.json)");
        w.flush();
        return 0;
    }
}
