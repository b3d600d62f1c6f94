package org.polaris.workbench.cli;

import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.serve.ApiKeys;
import org.polaris.workbench.engine.serve.InferenceServer;
import org.polaris.workbench.engine.serve.ModelCache;
import org.polaris.workbench.engine.serve.ModelSource;
import org.polaris.workbench.engine.serve.ServeException;
import org.polaris.workbench.engine.serve.ServeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code polaris-workbench serve}: the inference server (Open Inference Protocol / KServe v2) until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve models over HTTP with the Open Inference Protocol (KServe v2): JSON and binary tensors, "
                + "dynamic batching, a memory-sized model cache, statistics and Prometheus metrics at /metrics.",
                "Runs until Ctrl-C (exit 130) or SIGTERM (exit 143)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"2:usage error (options, key file, address in use, a non-loopback address without a key)",
                "3:a model given could not be read or loaded", "5:the engine lacks an op a model uses",
                "130, 143:stopped by SIGINT / SIGTERM"})
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL.onnx", arity = "0..*", description = "served under the file name without .onnx")
    List<Path> files = new ArrayList<>();

    @Option(names = "--model", paramLabel = "NAME=PATH", description = "serve PATH as NAME (repeatable)")
    List<String> named = new ArrayList<>();

    @Option(names = "--model-repository", paramLabel = "DIR", description = "DIR/NAME/VERSION/model.onnx; the highest "
            + "version is served, loaded on its first request, and the folder is polled for new versions")
    Path repository;

    @Bounds(min = 0, max = 3600)
    @Option(names = "--poll-seconds", defaultValue = "5", paramLabel = "S", description = "repository rescans (0: never)")
    int pollSeconds;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "address to bind (default loopback; any other needs --api-key-file)")
    String host;

    @Bounds(min = 0, max = 65535)
    @Option(names = "--port", defaultValue = "8000", paramLabel = "PORT", description = "0 picks a free port")
    int port;

    @Option(names = "--runtime", defaultValue = "ort", paramLabel = "ort|engine", description = "default ort")
    String runtime;

    @Mixin
    EngineDeviceOption device = new EngineDeviceOption();

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "threads per model's runtime")
    int threads;

    @Bounds(min = 1, max = 4096)
    @Option(names = "--max-batch", defaultValue = "32", paramLabel = "N",
            description = "largest batch dynamic batching forms (1 turns it off)")
    int maxBatch;

    @Bounds(min = 0, max = 1000)
    @Option(names = "--max-queue-delay-ms", defaultValue = "0", paramLabel = "F",
            description = "how long the first request of a batch waits for more (0..1000; default 0: a batch takes "
                    + "what queued while the previous one ran)")
    double maxQueueDelayMs;

    @Bounds(min = 1, max = 100000)
    @Option(names = "--max-queue", defaultValue = "256", paramLabel = "N",
            description = "requests a model's queue holds; more get 503 with Retry-After")
    int maxQueue;

    @Bounds(min = 1, max = 16777216)
    @Option(names = "--memory-budget", paramLabel = "MB", description = "memory the loaded models may take together "
            + "(least recently used unpinned models are unloaded beyond it); default unlimited")
    Integer memoryBudgetMb;

    @Option(names = "--pin", paramLabel = "NAME", description = "never unload NAME for memory (repeatable; loaded at start)")
    List<String> pins = new ArrayList<>();

    @Option(names = "--api-key-file", paramLabel = "F", description = "a file holding one key; clients send "
            + "Authorization: Bearer KEY")
    Path apiKeyFile;

    @Bounds(min = 1, max = 2047)
    @Option(names = "--max-request-mb", defaultValue = "64", paramLabel = "N", description = "larger requests get 413")
    int maxRequestMb;

    @Bounds(min = 1, max = 1024)
    @Option(names = "--http-threads", defaultValue = "64", paramLabel = "N",
            description = "requests handled at once (each waits for its batch)")
    int httpThreads;

    @Override
    public Integer call() throws Exception {
        Map<String, Path> models = new LinkedHashMap<>();
        for (Path f : files) add(models, ModelSource.nameOf(f), f);
        for (String s : named) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) throw new CliException("--model takes NAME=PATH, not '" + s + "'", 2);
            add(models, s.substring(0, eq), Path.of(s.substring(eq + 1)));
        }
        if (repository != null && !Files.isDirectory(repository)) {
            throw new CliException(repository + ": --model-repository is not a folder", 2);
        }
        ServeOptions o;
        try {
            o = new ServeOptions(models, repository, pollSeconds, host, port, CliSupport.runtime(runtime), device.parse(),
                    threads, maxBatch, Math.round(maxQueueDelayMs * 1e6), maxQueue,
                    memoryBudgetMb == null ? Long.MAX_VALUE : memoryBudgetMb * 1_000_000L, Set.copyOf(pins), apiKey(),
                    (long) maxRequestMb << 20, httpThreads, Path.of("/"));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        InferenceServer server;
        try {
            server = InferenceServer.start(o, versionString());
        } catch (BindException e) {
            throw new CliException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), 2);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        } catch (ServeException e) {
            if (e.getCause() instanceof Exception c) throw c; // a model's own failure: its exit code and line
            throw new CliException(e.getMessage(), 3);
        }
        Interrupts.onInterrupt(server::close);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Serving at %s (Open Inference Protocol v2; metrics at %s/metrics)%s%n", server.url(), server.url(),
                o.apiKey() == null ? "" : "; API key required");
        for (ModelCache.Entry e : server.cache().index()) {
            out.println("  " + describe(e));
        }
        out.println("Stop with Ctrl-C.");
        out.flush();
        new CountDownLatch(1).await();
        return 0;
    }

    static String describe(ModelCache.Entry e) {
        String state = switch (e.state()) {
            case READY -> String.format(Locale.ROOT, "ready, %.1f MB%s, %s", e.residentBytes() / 1e6,
                    e.pinned() ? ", pinned" : "", e.batching().enabled()
                            ? "batched up to " + e.batching().maxBatch() : "not batched: " + e.batching().reason());
            case LOADING -> "loading";
            case UNAVAILABLE -> e.reason();
        };
        return e.name() + " (version " + e.version() + "): " + state;
    }

    private static void add(Map<String, Path> models, String name, Path file) throws CliException {
        if (!ModelSource.NAME.matcher(name).matches()) {
            throw new CliException("model name '" + name + "' must be 1-128 letters, digits, '_', '.' or '-'", 2);
        }
        if (models.put(name, file) != null) {
            throw new CliException("two models are named '" + name + "': use --model NAME=PATH for one of them", 2);
        }
        if (!Files.isRegularFile(file)) throw new CliException(file + ": not a regular file", 3);
    }

    private String apiKey() throws CliException {
        try {
            return apiKeyFile == null ? null : ApiKeys.read(apiKeyFile);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    private static String versionString() {
        String v = WorkbenchCommand.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
