package org.polaris.workbench.engine.serve;

import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.inference.Runtimes;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How a server runs: what it serves, where it listens, how it batches and how much memory its models may take.
 *
 * @param models name to model file (served as version 1)
 * @param repository a Triton-style model repository ({@code DIR/NAME/VERSION/model.onnx}), or null
 * @param pollSeconds how often the repository is rescanned for new versions (0: never)
 * @param host address to bind; anything but loopback needs an API key
 * @param port TCP port (0: any free port)
 * @param runtime ONNX Runtime or the engine
 * @param device where the engine places nodes (ONNX Runtime runs on the CPU)
 * @param threads threads per model's runtime
 * @param maxBatch largest batch dynamic batching forms (1: off)
 * @param maxQueueDelayNanos how long the first request of a batch waits for more
 * @param maxQueue requests a model's queue holds before answering 503
 * @param memoryBudgetBytes what loaded models may take together ({@code Long.MAX_VALUE}: unlimited)
 * @param pinned models never unloaded for memory
 * @param apiKey the key clients must send as {@code Authorization: Bearer KEY}, or null
 * @param maxRequestBytes largest request body accepted (larger: 413)
 * @param httpThreads threads answering HTTP requests (each waits for its batch)
 * @param telemetryRoot filesystem root for the GPU and host gauges ({@code /}; a fixture in tests)
 */
public record ServeOptions(Map<String, Path> models, Path repository, int pollSeconds, String host, int port,
                           Runtimes.Kind runtime, EngineSession.Device device, int threads, int maxBatch,
                           long maxQueueDelayNanos, int maxQueue, long memoryBudgetBytes, Set<String> pinned,
                           String apiKey, long maxRequestBytes, int httpThreads, Path telemetryRoot) {

    public ServeOptions {
        models = new LinkedHashMap<>(models);
        pinned = Set.copyOf(pinned);
        if (runtime == Runtimes.Kind.TORCH) throw new IllegalArgumentException("the server runs ONNX models: --runtime ort or engine");
        if (models.isEmpty() && repository == null) {
            throw new IllegalArgumentException("nothing to serve: give MODEL.onnx files, --model NAME=PATH or --model-repository DIR");
        }
    }

    /**
     * Defaults for {@code models}: loopback:8000, ONNX Runtime, batches of up to 32 formed from what queued while the
     * previous batch ran (no added delay: a lone request runs at once).
     */
    public static ServeOptions defaults(Map<String, Path> models) {
        return new ServeOptions(models, null, 5, "127.0.0.1", 8000, Runtimes.Kind.ORT, EngineSession.Device.CPU, 1, 32,
                0L, 256, Long.MAX_VALUE, Set.of(), null, 64L << 20, 64, Path.of("/"));
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(models, repository, pollSeconds, host, p, runtime, device, threads, maxBatch,
                maxQueueDelayNanos, maxQueue, memoryBudgetBytes, pinned, apiKey, maxRequestBytes, httpThreads, telemetryRoot);
    }

    /** Whether {@code host} names only this machine (a loopback address). */
    public boolean loopback() {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) return false;
            }
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
