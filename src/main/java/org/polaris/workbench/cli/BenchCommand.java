package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.inference.BenchResult;
import org.polaris.workbench.engine.inference.RuntimeRatio;
import org.polaris.workbench.engine.inference.Benchmark;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.CancellationToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code polaris-workbench bench}: latency percentiles and throughput per runtime, batch size and thread count. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark a model: warm-up, timed runs, p50/p90/p99 latency and throughput per configuration.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:measured", "2:usage error", "3:unreadable or invalid model", "5:the engine lacks an op the model uses"})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL")
    Path model;

    @Mixin
    EngineDeviceOption device = new EngineDeviceOption();

    @Option(names = "--runtime", split = ",", defaultValue = "ort", paramLabel = "ort|engine",
            description = "one or more runtimes, compared in the same run (default ort)")
    List<String> runtimes;

    @Bounds(min = 1, max = 4096)
    @Option(names = "--batch", split = ",", defaultValue = "1", paramLabel = "N", description = "batch sizes, e.g. 1,8,32")
    List<Integer> batches;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", split = ",", defaultValue = "1", paramLabel = "N", description = "thread counts")
    List<Integer> threads;

    @Bounds(min = 0, max = 100000)
    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N",
            description = "warm-up runs per configuration, at least (default: ${DEFAULT-VALUE})")
    int warmup;

    @Bounds(min = 0, max = 60)
    @Option(names = "--warmup-time", defaultValue = "1", paramLabel = "SECONDS",
            description = "warm up each configuration at least this long, then until its median settles (within "
                    + "5%% from one block of runs to the next, at most 10 s); timed runs of all configurations are "
                    + "interleaved in blocks of 10 (default: ${DEFAULT-VALUE})")
    double warmupTime;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--runs", defaultValue = "50", paramLabel = "N")
    int runs;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    InputOptions input = new InputOptions();

    @Override
    public Integer call() throws Exception {
        InferenceService service = new InferenceService(device.parse());
        if (runs < 1 || warmup < 0 || batches.stream().anyMatch(b -> b < 1) || threads.stream().anyMatch(t -> t < 1)) {
            throw new CliException("--runs, --batch and --threads must be positive", 2);
        }
        List<Runtimes.Kind> kinds = new ArrayList<>();
        for (String r : runtimes) {
            kinds.add(CliSupport.runtime(r));
        }
        List<BenchResult> results;
        try {
            long minNanos = (long) (warmupTime * 1e9);
            results = service.bench(model, kinds, batches, threads,
                    new Benchmark.Warmup(warmup, minNanos, Math.max(minNanos, 10_000_000_000L)), runs, input.spec(),
                    new ConsoleProgress(spec.commandLine().getErr()), CancellationToken.none());
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        var o = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> rows = results.stream().map(BenchResult::toJson).toList();
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", model.toString());
            doc.put("warmup", warmup);
            doc.put("warmupSeconds", warmupTime);
            doc.put("configurations", rows);
            doc.put("ratios", RuntimeRatio.of(results));
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        } else {
            o.printf("%-8s %6s %8s %10s %10s %10s %10s %14s %8s%n", "runtime", "batch", "threads", "p10 ms",
                    "p50 ms", "p90 ms", "p99 ms", "samples/s", "warm-up");
            for (BenchResult r : results) {
                o.printf(Locale.ROOT, "%-8s %6d %8d %10.3f %10.3f %10.3f %10.3f %14.1f %8d%n", r.runtime(), r.batch(),
                        r.threads(), r.p10Ms(), r.p50Ms(), r.p90Ms(), r.p99Ms(), r.throughputPerSec(), r.warmupRuns());
            }
            for (RuntimeRatio q : RuntimeRatio.of(results)) {
                o.println(q.line());
            }
        }
        o.flush();
        return 0;
    }
}
