package org.polaris.workbench.bench;

import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.serve.InferenceServer;
import org.polaris.workbench.engine.serve.ServeOptions;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./mvnw -q test-compile exec:exec@bench-serve} rewrites the serving section of docs/benchmarks.md:
 * <ol>
 * <li>overhead of a request over loopback HTTP against the same model run in-process on ONNX Runtime (the Fashion
 * CNN at batch 1, batching off so no request waits for company), JSON and binary tensors, after a time-based warm-up,
 * the three paths interleaved in blocks;</li>
 * <li>throughput with and without dynamic batching at concurrency 1, 8 and 32 for the Fashion CNN (JSON requests)
 * and MobileNetV2 (binary requests): two servers side by side, configurations interleaved in rounds.</li>
 * </ol>
 * Client and server share this machine's cores, as they would on a user's desktop.
 */
public final class ServeBenchmark {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ServeBenchmark() {
    }

    /** One model's request: the tensor, its JSON and binary encodings. */
    private record Request(String model, Tensor tensor, byte[] json, byte[] binary, int binaryHeader) {
        static Request of(String model, String input, long[] shape, long seed) {
            int n = (int) Tensor.elementCount(shape);
            float[] x = new float[n];
            Random r = new Random(seed);
            for (int i = 0; i < n; i++) x[i] = r.nextFloat();
            String dims = Arrays.toString(shape).replace(" ", "");
            StringBuilder json = new StringBuilder(n * 12).append("{\"inputs\":[{\"name\":\"").append(input)
                    .append("\",\"shape\":").append(dims).append(",\"datatype\":\"FP32\",\"data\":[");
            for (int i = 0; i < n; i++) json.append(i == 0 ? "" : ",").append(x[i]);
            json.append("]}]}");
            String header = "{\"inputs\":[{\"name\":\"" + input + "\",\"shape\":" + dims + ",\"datatype\":\"FP32\","
                    + "\"parameters\":{\"binary_data_size\":" + n * 4 + "}}],\"parameters\":{\"binary_data_output\":true}}";
            byte[] h = header.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(h.length + n * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.put(h);
            for (float v : x) b.putFloat(v);
            return new Request(model, Tensor.ofFloats(input, shape, x), json.toString().getBytes(StandardCharsets.UTF_8),
                    b.array(), h.length);
        }

        byte[] raw(RawHttpClient c, boolean binary) {
            String path = "/v2/models/" + model + "/infer";
            return binary ? c.post(path, this.binary, "Inference-Header-Content-Length: " + binaryHeader)
                    : c.post(path, json, "Content-Type: application/json");
        }
    }

    private static long send(RawHttpClient c, byte[] request) throws Exception {
        long t = System.nanoTime();
        c.exchange(request);
        return System.nanoTime() - t;
    }

    /** Latency percentiles of {@code GET /v2/health/live} through the JDK's HttpClient and through {@link RawHttpClient}. */
    private static String clientNote(InferenceServer s) throws Exception {
        HttpRequest live = HttpRequest.newBuilder(URI.create(s.url() + "/v2/health/live")).GET().build();
        long[] jdk = new long[3000];
        long[] raw = new long[3000];
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", s.port())) {
            byte[] get = ("GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int warm = 0; warm < 2; warm++) {
                for (int i = 0; i < jdk.length; i++) {
                    long t = System.nanoTime();
                    CLIENT.send(live, HttpResponse.BodyHandlers.ofByteArray());
                    jdk[i] = System.nanoTime() - t;
                    raw[i] = send(c, get);
                }
            }
        }
        return String.format(Locale.ROOT, "Client: a minimal keep-alive HTTP/1.1 client on one socket per thread "
                + "(`RawHttpClient`). The JDK's `java.net.http.HttpClient` hands each exchange between its own threads: "
                + "`GET /v2/health/live` through it takes p50 %.3f ms, p99 %.3f ms, against p50 %.3f ms, p99 %.3f ms "
                + "through the minimal client, measured in this run.%n%n", pct(jdk, 50) / 1e6, pct(jdk, 99) / 1e6,
                pct(raw, 50) / 1e6, pct(raw, 99) / 1e6);
    }

    private static ServeOptions server(Map<String, Path> models, int maxBatch) {
        ServeOptions d = ServeOptions.defaults(models);
        return new ServeOptions(models, null, 0, "127.0.0.1", 0, Runtimes.Kind.ORT, EngineSession.Device.CPU, 1, maxBatch,
                0, 1024, Long.MAX_VALUE, Set.of(), null, 64L << 20, 64, d.telemetryRoot());
    }

    public static void main(String[] args) throws Exception {
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        Path cnn = samples.resolve("fashion-mnist/fashion_cnn.onnx");
        Path mnv2 = Path.of("target/bench-models/mobilenet_v2.onnx");
        if (!Files.exists(mnv2)) {
            Process p = new ProcessBuilder("/usr/bin/python3", "src/bench/python/make_bench_models.py", "target/bench-models")
                    .inheritIO().start();
            if (p.waitFor() != 0) throw new IllegalStateException("cannot export MobileNetV2 (needs python3-torchvision)");
        }
        StringBuilder doc = new StringBuilder("## Serving: overhead and dynamic batching\n\n");
        doc.append("Machine: ").append(BenchDoc.machine()).append(". Command: `./mvnw -q test-compile exec:exec@bench-serve`. ")
                .append("Server and client in one JVM on loopback (JDK HTTP server with TCP_NODELAY, HTTP/1.1 keep-alive), "
                        + "sharing the machine's 2 cores; ONNX Runtime with 1 thread per model.\n\n");
        overhead(cnn, doc);
        if (Boolean.getBoolean("polaris.bench.overheadOnly")) {
            System.out.print(doc);
            System.exit(0);
        }
        throughput(cnn, mnv2, doc);
        BenchDoc.replaceSection("serve", doc.toString());
        System.out.print(doc);
        System.exit(0);
    }

    private static void overhead(Path cnn, StringBuilder doc) throws Exception {
        Request req = Request.of("fashion_cnn", "image", new long[] {1, 1, 28, 28}, 1);
        try (InferenceServer s = InferenceServer.start(server(Map.of("fashion_cnn", cnn), 1), "bench");
             ModelRuntime ort = Runtimes.open(Runtimes.Kind.ORT, new OnnxModelReader().read(cnn), 1);
             RawHttpClient client = new RawHttpClient("127.0.0.1", s.port())) {
            doc.append(clientNote(s));
            Map<String, Tensor> feeds = Map.of("image", req.tensor());
            byte[] json = req.raw(client, false);
            byte[] bin = req.raw(client, true);
            long until = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < until) {
                ort.run(feeds);
                send(client, json);
                send(client, bin);
            }
            int blocks = 30;
            int per = 200;
            long[][] all = new long[3][blocks * per];
            double[][] blockP50 = new double[3][blocks];
            for (int b = 0; b < blocks; b++) {
                for (int path = 0; path < 3; path++) {
                    long[] t = new long[per];
                    for (int i = 0; i < per; i++) {
                        if (path == 0) {
                            long s0 = System.nanoTime();
                            ort.run(feeds);
                            t[i] = System.nanoTime() - s0;
                        } else {
                            t[i] = send(client, path == 1 ? json : bin);
                        }
                    }
                    System.arraycopy(t, 0, all[path], b * per, per);
                    blockP50[path][b] = pct(t, 50);
                }
            }
            String[] names = {"in-process (ONNX Runtime, same tensor)", "served, JSON tensors", "served, binary tensors"};
            doc.append("### Overhead at batch 1 (Fashion CNN, dynamic batching off)\n\n")
                    .append(String.format(Locale.ROOT, "Time-based warm-up of 5 s, then %d blocks of %d requests per path, "
                            + "the three paths interleaved block by block. Overhead = served minus in-process at the same "
                            + "percentile; its spread is the quartiles of the per-block p50 differences. Goal: p50 under 1 ms, "
                            + "p99 under 3 ms.%n%n", blocks, per))
                    .append("| path | p50 ms | p90 ms | p99 ms | overhead p50 ms (block quartiles) | overhead p99 ms |\n")
                    .append("|---|---:|---:|---:|---|---:|\n");
            for (int p = 0; p < 3; p++) {
                String over = "";
                String over99 = "";
                if (p > 0) {
                    double[] d = new double[blocks];
                    for (int b = 0; b < blocks; b++) d[b] = blockP50[p][b] - blockP50[0][b];
                    Arrays.sort(d);
                    over = String.format(Locale.ROOT, "%.3f (%.3f-%.3f)", (pct(all[p], 50) - pct(all[0], 50)) / 1e6,
                            d[blocks / 4] / 1e6, d[3 * blocks / 4] / 1e6);
                    over99 = String.format(Locale.ROOT, "%.3f", (pct(all[p], 99) - pct(all[0], 99)) / 1e6);
                }
                doc.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %s | %s |%n", names[p],
                        pct(all[p], 50) / 1e6, pct(all[p], 90) / 1e6, pct(all[p], 99) / 1e6, over, over99));
            }
            doc.append('\n');
        }
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    /**
     * How much cheaper per sample the model itself runs in a batch of {@code batch} than alone, in-process on ONNX
     * Runtime with one thread (as the servers run it): after a 2 s warm-up, 10 interleaved blocks of each, the ratio
     * of the median per-sample times.
     */
    private static double batchGain(Path model, String input, long[] sample, int batch) throws Exception {
        long[] one = sample.clone();
        long[] many = sample.clone();
        many[0] = batch;
        Map<String, Tensor> f1 = Map.of(input, random(input, one));
        Map<String, Tensor> fb = Map.of(input, random(input, many));
        try (ModelRuntime ort = Runtimes.open(Runtimes.Kind.ORT, new OnnxModelReader().read(model), 1)) {
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until) {
                ort.run(f1);
                ort.run(fb);
            }
            int blocks = 10;
            int per = 10;
            long[] t1 = new long[blocks * per];
            long[] tb = new long[blocks * per];
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < per; i++) {
                    long s0 = System.nanoTime();
                    ort.run(f1);
                    t1[b * per + i] = System.nanoTime() - s0;
                }
                for (int i = 0; i < per; i++) {
                    long s0 = System.nanoTime();
                    ort.run(fb);
                    tb[b * per + i] = System.nanoTime() - s0;
                }
            }
            return pct(t1, 50) / (pct(tb, 50) / batch);
        }
    }

    private static Tensor random(String name, long[] shape) {
        float[] x = new float[(int) Tensor.elementCount(shape)];
        Random r = new Random(9);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return Tensor.ofFloats(name, shape, x);
    }

    private static void throughput(Path cnn, Path mnv2, StringBuilder doc) throws Exception {
        Request small = Request.of("fashion_cnn", "image", new long[] {1, 1, 28, 28}, 2);
        Request big = Request.of("mobilenet_v2", "input", new long[] {1, 3, 224, 224}, 3);
        Map<String, Path> models = Map.of("fashion_cnn", cnn, "mobilenet_v2", mnv2);
        int[] concurrency = {1, 8, 32};
        int rounds = 3;
        double[] gain = {batchGain(cnn, "image", new long[] {1, 1, 28, 28}, 32),
                batchGain(mnv2, "input", new long[] {1, 3, 224, 224}, 8)};
        int[] gainBatch = {32, 8};
        // [model][concurrency][batching] -> requests/s per round, and the model's compute time per request (µs)
        double[][][][] rps = new double[2][concurrency.length][2][rounds];
        double[][][][] computeUs = new double[2][concurrency.length][2][rounds];
        try (InferenceServer batched = InferenceServer.start(server(models, 32), "bench");
             InferenceServer single = InferenceServer.start(server(models, 1), "bench")) {
            for (int round = 0; round < rounds; round++) {
                for (int m = 0; m < 2; m++) {
                    for (int c = 0; c < concurrency.length; c++) {
                        for (int mode = 0; mode < 2; mode++) {
                            InferenceServer s = mode == 0 ? single : batched;
                            Request r = m == 0 ? small : big;
                            long[] before = compute(s, r.model());
                            rps[m][c][mode][round] = load(s, r, m == 1, concurrency[c], 1_000, m == 0 ? 3_000 : 4_000);
                            long[] after = compute(s, r.model());
                            computeUs[m][c][mode][round] = (after[0] - before[0]) / 1e3 / Math.max(1, after[1] - before[1]);
                            System.out.printf(Locale.ROOT, "round %d %s c=%d %s: %.0f req/s%n", round, r.model(),
                                    concurrency[c], mode == 0 ? "single" : "batched", rps[m][c][mode][round]);
                        }
                    }
                }
            }
        }
        doc.append("### Throughput with and without dynamic batching\n\n")
                .append("Each configuration: C client threads sending requests back to back for 3 s (MobileNetV2: 4 s) "
                        + "after a 1 s warm-up; both servers run side by side (batching off: `--max-batch 1`; on: "
                        + "`--max-batch 32 --max-queue-delay-ms 0`, so a batch takes whatever queued while the previous "
                        + "one ran), configurations interleaved over " + rounds + " rounds; median of the rounds (min-max). "
                        + "Fashion CNN requests are JSON (784 values), MobileNetV2 requests binary (1x3x224x224). Goal: at "
                        + "least 3x at concurrency 32 for the small model.\n\n")
                .append("Model time per request = the runtime's compute time over the samples it served (server statistics), "
                        + "warm-up included. Ceiling = what batching could give at most if it took the model's whole time "
                        + "away: with every core busy (concurrency 8 and 32; client and server share the "
                        + CORES + " cores), a request costs " + CORES + " / (req/s) of CPU time without batching, of which "
                        + "the model is the last column's first number; the rest (HTTP, JSON or binary tensors, the "
                        + "client, the queue) stays, so the ceiling is that cost over that cost less the model's time. "
                        + "And batching takes only part of the model's time away on a CPU: in-process on ONNX Runtime "
                        + "(1 thread, interleaved after a warm-up) ")
                .append(String.format(Locale.ROOT, "the Fashion CNN runs %.2fx cheaper per sample at batch %d than alone "
                        + "and MobileNetV2 %.2fx at batch %d.%n%n", gain[0], gainBatch[0], gain[1], gainBatch[1]))
                .append("| model | concurrency | batching off, req/s | batching on, req/s | speed-up | ceiling | model time "
                        + "per request, off / on µs |\n|---|---:|---:|---:|---:|---:|---|\n");
        String[] names = {"Fashion CNN", "MobileNetV2"};
        double smallCeiling = 0;
        for (int m = 0; m < 2; m++) {
            for (int c = 0; c < concurrency.length; c++) {
                double off = median(rps[m][c][0]);
                double on = median(rps[m][c][1]);
                double modelUs = median(computeUs[m][c][0]);
                double requestUs = CORES * 1e6 / off;
                double bound = requestUs / Math.max(1e-9, requestUs - modelUs);
                String ceiling = concurrency[c] < CORES * 4 ? "" // not every core is busy
                        : String.format(Locale.ROOT, "%.2fx", bound);
                if (m == 0 && c == concurrency.length - 1) {
                    smallCeiling = bound;
                }
                doc.append(String.format(Locale.ROOT, "| %s | %d | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.2fx | %s | %.0f / %.0f |%n",
                        names[m], concurrency[c], off, min(rps[m][c][0]), max(rps[m][c][0]), on, min(rps[m][c][1]),
                        max(rps[m][c][1]), on / off, ceiling, modelUs, median(computeUs[m][c][1])));
            }
        }
        doc.append(String.format(Locale.ROOT, "%nSo at concurrency %d batching can raise the Fashion CNN's throughput "
                + "by %.2fx at most on this machine, whatever the batcher does: the 3x goal needs requests whose cost is "
                + "mostly the model, on hardware that runs a batch much cheaper per sample than single samples (a GPU; "
                + "on this CPU MobileNetV2, whose requests are mostly model time, gains nothing from a batch).%n%n",
                concurrency[concurrency.length - 1], smallCeiling));
    }

    /** The model's total compute nanoseconds and samples served so far. */
    private static long[] compute(InferenceServer s, String model) {
        return s.statistics().stream().filter(x -> x.name().equals(model)).findFirst()
                .map(x -> new long[] {x.inference_stats().get("compute_infer").ns(), x.inference_count()})
                .orElse(new long[2]);
    }

    /** Requests per second that {@code threads} clients sustain after {@code warmMillis}, over {@code millis}. */
    private static double load(InferenceServer s, Request r, boolean binary, int threads, long warmMillis, long millis)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    try (RawHttpClient c = new RawHttpClient("127.0.0.1", s.port())) {
                        byte[] req = r.raw(c, binary);
                        while (!stop.get()) {
                            send(c, req);
                            if (counting.get()) done.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(warmMillis);
            long start = System.nanoTime();
            counting.set(true);
            Thread.sleep(millis);
            counting.set(false);
            double rate = done.get() / ((System.nanoTime() - start) / 1e9);
            stop.set(true);
            for (Future<?> f : fs) f.get();
            return rate;
        } finally {
            pool.shutdownNow();
        }
    }

    private static double pct(long[] v, double p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(p / 100.0 * s.length))];
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
