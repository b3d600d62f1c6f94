package org.polaris.workbench.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.testutil.TestData;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** A real server on loopback (a free port), real models on ONNX Runtime and the engine, a real HTTP client. */
class InferenceServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private InferenceServer server;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private static ServeOptions options(Map<String, Path> models) {
        return ServeOptions.defaults(models).withPort(0);
    }

    private InferenceServer start(ServeOptions o) throws Exception {
        server = InferenceServer.start(o, "test");
        return server;
    }

    /** Models counted by their file size: a budget the test can reason about (the real sizer measures memory). */
    private InferenceServer startSizedByFile(ServeOptions o) throws Exception {
        server = InferenceServer.start(o, "test", (m, growth) -> ModelCache.fileBytes(m.file()));
        return server;
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws Exception {
        return JSON.readTree(r.body());
    }

    private static float[] image(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return x;
    }

    private static byte[] inferJson(String input, float[] values, int batch, String id, String... outputs) throws Exception {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("name", input);
        in.put("shape", List.of(batch, 1, 28, 28));
        in.put("datatype", "FP32");
        in.put("data", values);
        Map<String, Object> req = new LinkedHashMap<>();
        if (id != null) req.put("id", id);
        req.put("inputs", List.of(in));
        if (outputs.length > 0) req.put("outputs", java.util.Arrays.stream(outputs).map(o -> Map.of("name", o)).toList());
        return JSON.writeValueAsBytes(req);
    }

    /** What ONNX Runtime in this process gives for the same input. */
    private static float[] inProcess(Path model, String input, float[] values, int batch) throws Exception {
        try (ModelRuntime rt = Runtimes.open(Runtimes.Kind.ORT, new OnnxModelReader().read(model), 1)) {
            Map<String, Tensor> out = rt.run(Map.of(input, Tensor.ofFloats(input, new long[] {batch, 1, 28, 28}, values)));
            return out.values().iterator().next().toFloats();
        }
    }

    private static float[] floats(JsonNode data) {
        float[] f = new float[data.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) data.get(i).asDouble();
        return f;
    }

    @Test
    void metadataHealthInferStatsAndMetricsOverHttp() throws Exception {
        start(options(Map.of("cnn", TestData.FASHION_CNN, "mnist", TestData.MNIST8)));
        JsonNode meta = json(get("/v2"));
        assertThat(meta.get("name").asText()).isEqualTo("polaris-workbench");
        assertThat(meta.get("extensions")).extracting(JsonNode::asText)
                .containsExactly("binary_tensor_data", "statistics", "model_repository");
        assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/v2/health/ready").statusCode()).isEqualTo(200);

        JsonNode cnn = json(get("/v2/models/cnn"));
        assertThat(cnn.get("inputs").get(0).get("name").asText()).isEqualTo("image");
        assertThat(cnn.get("inputs").get(0).get("datatype").asText()).isEqualTo("FP32");
        assertThat(cnn.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,1,28,28]");
        assertThat(cnn.get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,10]");
        assertThat(cnn.get("parameters").get("dynamic_batching").asBoolean()).isTrue();
        assertThat(get("/v2/models/cnn/versions/1").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cnn/versions/2").statusCode()).isEqualTo(404);
        assertThat(get("/v2/models/cnn/ready").statusCode()).isEqualTo(200);
        // a fixed batch dimension is not batched, and the metadata says why
        JsonNode mnist = json(get("/v2/models/mnist"));
        assertThat(mnist.get("parameters").get("dynamic_batching").asBoolean()).isFalse();
        assertThat(mnist.get("parameters").get("dynamic_batching_off_because").asText())
                .isEqualTo("input 'Input3' has a fixed first dimension of 1 (export it with a dynamic batch axis to batch requests)");

        // JSON tensors: equal to in-process inference, id echoed
        float[] x = image(1, 3);
        HttpResponse<byte[]> r = post("/v2/models/cnn/infer", inferJson("image", x, 3, "req-7"));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.get("id").asText()).isEqualTo("req-7");
        assertThat(body.get("model_name").asText()).isEqualTo("cnn");
        assertThat(body.get("outputs").get(0).get("shape").toString()).isEqualTo("[3,10]");
        assertThat(floats(body.get("outputs").get(0).get("data"))).containsExactly(inProcess(TestData.FASHION_CNN, "image", x, 3));

        // binary data both ways
        String header = "{\"inputs\":[{\"name\":\"image\",\"shape\":[2,1,28,28],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":6272}}],\"parameters\":{\"binary_data_output\":true}}";
        float[] y = image(2, 2);
        ByteBuffer raw = ByteBuffer.allocate(6272).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(y);
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.write(header.getBytes(StandardCharsets.UTF_8));
        req.write(raw.array());
        HttpResponse<byte[]> b = post("/v2/models/cnn/infer", req.toByteArray(), "Inference-Header-Content-Length",
                Integer.toString(header.length()), "Content-Type", "application/octet-stream");
        assertThat(b.statusCode()).isEqualTo(200);
        int hl = Integer.parseInt(b.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode bh = JSON.readTree(new String(b.body(), 0, hl, StandardCharsets.UTF_8));
        assertThat(bh.get("outputs").get(0).get("parameters").get("binary_data_size").asInt()).isEqualTo(80);
        float[] got = new float[20];
        ByteBuffer.wrap(b.body(), hl, 80).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got);
        assertThat(got).containsExactly(inProcess(TestData.FASHION_CNN, "image", y, 2));

        // statistics count what ran
        JsonNode stats = json(get("/v2/models/cnn/stats")).get("model_stats").get(0);
        assertThat(stats.get("inference_count").asLong()).isEqualTo(5);
        assertThat(stats.get("execution_count").asLong()).isEqualTo(2);
        assertThat(stats.get("inference_stats").get("success").get("count").asLong()).isEqualTo(2);
        assertThat(json(get("/v2/models/stats")).get("model_stats")).extracting(n -> n.get("name").asText())
                .containsExactly("cnn", "mnist");

        String metrics = new String(get("/metrics").body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("polaris_requests_total{code=\"200\",model=\"cnn\"} 2.0")
                .contains("polaris_batch_size_count{model=\"cnn\"} 2")
                .contains("polaris_models_loaded 2.0")
                .contains("polaris_model_memory_bytes{model=\"cnn\",version=\"1\"}")
                .contains("polaris_queue_duration_seconds_bucket{model=\"cnn\",le=\"1.0E-4\"}")
                .contains("polaris_compute_duration_seconds_count{model=\"cnn\"} 2")
                .contains("polaris_process_resident_memory_bytes{device=\"host\"}");
    }

    @Test
    void errorsAreTheProtocolsStatusesWithAMessageNamingTheProblem() throws Exception {
        start(new ServeOptions(Map.of("cnn", TestData.FASHION_CNN), null, 0, "127.0.0.1", 0, Runtimes.Kind.ORT,
                org.polaris.workbench.engine.exec.EngineSession.Device.CPU, 1, 8, 1_000_000, 1, Long.MAX_VALUE, Set.of(),
                null, 20_000, 8, Path.of("/")));
        HttpResponse<byte[]> r = post("/v2/models/cnn/infer", "{\"inputs\": [".getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).startsWith("malformed JSON");
        r = post("/v2/models/cnn/infer", inferJson("image", new float[783], 1, null));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).isEqualTo("input 'image': shape [1, 1, 28, 28] needs 784 values, 'data' has 783");
        r = post("/v2/models/cnn/infer", "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],\"datatype\":\"INT64\",\"data\":[0]}]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(json(r).get("error").asText()).isEqualTo("input 'image': shape [1, 1, 28, 28] needs 784 values, 'data' has 1");
        r = post("/v2/models/cnn/infer", "{\"inputs\":[{\"name\":\"image\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[0]}]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).isEqualTo("input 'image': datatype INT64, the model takes FP32");
        r = post("/v2/models/cnn/infer", inferJson("image", new float[784], 1, null, "nope"));
        assertThat(json(r).get("error").asText()).isEqualTo("output 'nope' is not an output of model 'cnn' (its outputs: [logits])");
        assertThat(post("/v2/models/missing/infer", inferJson("image", new float[784], 1, null)).statusCode()).isEqualTo(404);
        assertThat(get("/v2/nothing").statusCode()).isEqualTo(404);
        assertThat(get("/v2/models/cnn/infer").statusCode()).isEqualTo(405);
        // over --max-request-mb (here 20,000 bytes): 413 before the body is parsed
        r = post("/v2/models/cnn/infer", inferJson("image", image(3, 8), 8, null));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(json(r).get("error").asText()).isEqualTo("the request is larger than the server's limit of 20000 bytes");

        // a full queue (1 request) while the model is held: 503 with Retry-After, and the waiting requests still answered
        ServedModel m = server.cache().loaded("cnn");
        byte[] one = inferJson("image", image(4, 1), 1, "queued");
        List<CompletableFuture<HttpResponse<byte[]>>> waiting = new ArrayList<>();
        HttpResponse<byte[]> full = null;
        try (AutoCloseable held = m.hold()) {
            // the batch loop may take the first request and wait with it; the next fills the queue; then 503
            for (int i = 0; i < 3 && full == null; i++) {
                int before = m.inFlight();
                CompletableFuture<HttpResponse<byte[]>> f = client.sendAsync(HttpRequest.newBuilder(URI.create(server.url()
                        + "/v2/models/cnn/infer")).POST(HttpRequest.BodyPublishers.ofByteArray(one)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (m.inFlight() == before && !f.isDone() && System.nanoTime() < until) Thread.onSpinWait();
                if (f.isDone() || m.inFlight() == before) {
                    full = f.get(10, TimeUnit.SECONDS);
                } else {
                    waiting.add(f);
                }
            }
            assertThat(full).as("a request refused while the queue was full").isNotNull();
            assertThat(full.statusCode()).isEqualTo(503);
            assertThat(full.headers().firstValue("Retry-After")).contains("1");
            assertThat(json(full).get("error").asText()).isEqualTo("model 'cnn': the queue is full (1 requests waiting)");
            // every accepted request is still waiting (the loop may have taken one out of the queue to wait at the
            // gate since the refusal, so the queue's depth itself is not fixed here)
            assertThat(m.inFlight()).isEqualTo(waiting.size());
        }
        for (CompletableFuture<HttpResponse<byte[]>> f : waiting) {
            assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        String metrics = new String(get("/metrics").body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("polaris_requests_total{code=\"503\",model=\"cnn\"} 1.0")
                .contains("polaris_requests_total{code=\"413\",model=\"cnn\"} 1.0");
    }

    @Test
    void dynamicBatchingRunsQueuedRequestsOnceAndSplitsTheRows() throws Exception {
        start(options(Map.of("cnn", TestData.FASHION_CNN)));
        ServedModel m = server.cache().loaded("cnn");
        int n = 6;
        List<CompletableFuture<HttpResponse<byte[]>>> sent = new ArrayList<>();
        float[][] inputs = new float[n][];
        try (AutoCloseable held = m.hold()) {
            for (int i = 0; i < n; i++) {
                // request i carries a batch of 1 or 2 samples: 9 samples in all
                int batch = 1 + i % 2;
                inputs[i] = image(10 + i, batch);
                sent.add(client.sendAsync(HttpRequest.newBuilder(URI.create(server.url() + "/v2/models/cnn/infer"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(inferJson("image", inputs[i], batch, "r" + i))).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (m.inFlight() < n && System.nanoTime() < until) Thread.onSpinWait();
            assertThat(m.inFlight()).isEqualTo(n);
            // all wait: the loop holds at most the first, the rest are queued
            assertThat(m.queueDepth()).isBetween(n - 1, n);
        }
        for (int i = 0; i < n; i++) {
            JsonNode body = json(sent.get(i).get(30, TimeUnit.SECONDS));
            assertThat(body.get("id").asText()).isEqualTo("r" + i);
            float[] want = inProcess(TestData.FASHION_CNN, "image", inputs[i], 1 + i % 2);
            float[] got = floats(body.get("outputs").get(0).get("data"));
            assertThat(got).hasSize(want.length);
            for (int k = 0; k < want.length; k++) {
                assertThat(got[k]).isCloseTo(want[k], org.assertj.core.data.Offset.offset(1e-4f * Math.max(1, Math.abs(want[k]))));
            }
        }
        JsonNode stats = json(get("/v2/models/cnn/stats")).get("model_stats").get(0);
        assertThat(stats.get("execution_count").asLong()).isEqualTo(1);
        assertThat(stats.get("inference_count").asLong()).isEqualTo(9);
        assertThat(stats.get("batch_stats").get(0).get("batch_size").asLong()).isEqualTo(9);
    }

    @Test
    void theApiKeyIsRequiredAndANonLoopbackAddressNeedsOne() throws Exception {
        String key = "k3y-0123456789abcdef";
        ServeOptions o = options(Map.of("cnn", TestData.FASHION_CNN));
        start(new ServeOptions(o.models(), null, 0, "127.0.0.1", 0, o.runtime(), o.device(), 1, 8, 1_000_000, 16,
                Long.MAX_VALUE, Set.of(), key, 1 << 20, 8, Path.of("/")));
        assertThat(get("/v2/models/cnn").statusCode()).isEqualTo(401);
        assertThat(get("/metrics").statusCode()).isEqualTo(401);
        HttpResponse<byte[]> wrong = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/v2/models/cnn"))
                .header("Authorization", "Bearer not-the-key").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(wrong.statusCode()).isEqualTo(401);
        HttpResponse<byte[]> right = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/v2/models/cnn"))
                .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(right.statusCode()).isEqualTo(200);
        // probes carry no secret
        assertThat(get("/v2/health/ready").statusCode()).isEqualTo(200);

        ServeOptions open = new ServeOptions(o.models(), null, 0, "0.0.0.0", 0, o.runtime(), o.device(), 1, 8, 1_000_000,
                16, Long.MAX_VALUE, Set.of(), null, 1 << 20, 8, Path.of("/"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InferenceServer.start(open, "test"));
        assertThat(e.getMessage()).startsWith("binding 0.0.0.0 exposes the server beyond this machine");
    }

    @Test
    void memoryBudgetEvictsTheLeastRecentlyUsedUnpinnedModel() throws Exception {
        // three copies of the CNN: the budget holds two of them (each counts at least its 0.4 MB file)
        Map<String, Path> models = new LinkedHashMap<>();
        for (String n : List.of("a", "b", "c")) {
            models.put(n, Files.copy(TestData.FASHION_CNN, tmp.resolve(n + ".onnx")));
        }
        ServeOptions d = options(models);
        startSizedByFile(new ServeOptions(Map.of(), repositoryOf(models), 0, "127.0.0.1", 0, Runtimes.Kind.ENGINE, d.device(),
                1, 8, 1_000_000, 16, 2 * Files.size(TestData.FASHION_CNN) + 1000, Set.of("a"), null, 1 << 20, 8, Path.of("/")));
        ModelCache cache = server.cache();
        assertThat(cache.loaded("a")).isNotNull(); // pinned: loaded at start
        assertThat(post("/v2/models/b/infer", inferJson("image", image(5, 1), 1, null)).statusCode()).isEqualTo(200);
        assertThat(post("/v2/models/c/infer", inferJson("image", image(6, 1), 1, null)).statusCode()).isEqualTo(200);
        assertThat(cache.loadedModels()).extracting(ServedModel::name).containsExactlyInAnyOrder("a", "c");
        assertThat(cache.loaded("b")).as("least recently used, unpinned").isNull();
        JsonNode index = json(post("/v2/repository/index", new byte[0]));
        Map<String, String> reasons = new LinkedHashMap<>();
        index.forEach(n -> reasons.put(n.get("name").asText(), n.get("state").asText() + ": " + n.get("reason").asText()));
        assertThat(reasons.get("b")).startsWith("UNAVAILABLE: unloaded to stay within the memory budget");
        assertThat(reasons.get("a")).isEqualTo("READY: ");
        String metrics = new String(get("/metrics").body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("polaris_model_evictions_total{model=\"b\"} 1.0");
        // b comes back on demand, and c (now least recently used) makes room; a stays pinned
        assertThat(post("/v2/models/b/infer", inferJson("image", image(7, 1), 1, null)).statusCode()).isEqualTo(200);
        assertThat(cache.loadedModels()).extracting(ServedModel::name).containsExactlyInAnyOrder("a", "b");
    }

    private Path repositoryOf(Map<String, Path> models) throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        for (Map.Entry<String, Path> e : models.entrySet()) {
            Path v = Files.createDirectories(repo.resolve(e.getKey()).resolve("1"));
            Files.copy(e.getValue(), v.resolve("model.onnx"));
        }
        return repo;
    }

    @Test
    void repositoryLoadsOnDemandPicksUpNewVersionsAndKeepsTheOldOneWhenANewOneIsBroken() throws Exception {
        Path repo = repositoryOf(Map.of("cnn", TestData.FASHION_CNN));
        ServeOptions d = options(Map.of("x", TestData.FASHION_CNN));
        start(new ServeOptions(Map.of(), repo, 0, "127.0.0.1", 0, Runtimes.Kind.ORT, d.device(), 1, 8, 1_000_000, 16,
                Long.MAX_VALUE, Set.of(), null, 1 << 20, 8, Path.of("/")));
        assertThat(get("/v2/models/cnn/ready").statusCode()).isEqualTo(400);
        assertThat(json(post("/v2/repository/index", "{\"ready\": true}".getBytes(StandardCharsets.UTF_8)))).isEmpty();
        assertThat(post("/v2/models/cnn/infer", inferJson("image", image(8, 1), 1, null)).statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cnn/ready").statusCode()).isEqualTo(200);

        // version 2: the MLP under the same name; a poll switches to it
        Files.copy(TestData.FASHION_MLP, Files.createDirectories(repo.resolve("cnn/2")).resolve("model.onnx"));
        server.cache().poll();
        assertThat(server.cache().loaded("cnn").version()).isEqualTo("2");
        assertThat(json(get("/v2/models/cnn")).get("inputs").get(0).get("name").asText())
                .isEqualTo(new OnnxModelReader().read(TestData.FASHION_MLP).graph().feedInputs().get(0).name());
        // version 3 is not a model: version 2 keeps serving and the index says why
        Files.writeString(Files.createDirectories(repo.resolve("cnn/3")).resolve("model.onnx"), "not a model");
        server.cache().poll();
        assertThat(server.cache().loaded("cnn").version()).isEqualTo("2");
        JsonNode entry = json(post("/v2/repository/index", new byte[0])).get(0);
        assertThat(entry.get("reason").asText()).startsWith("version 3 failed to load (").endsWith("; still serving version 2");

        assertThat(post("/v2/repository/models/cnn/unload", new byte[0]).statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cnn/ready").statusCode()).isEqualTo(400);
        assertThat(post("/v2/repository/models/nope/load", new byte[0]).statusCode()).isEqualTo(404);
    }

    @Test
    void concurrentLoadUnloadAndInferNeverDeadlock() throws Exception {
        Map<String, Path> models = new LinkedHashMap<>();
        for (String n : List.of("a", "b", "c")) models.put(n, TestData.FASHION_CNN);
        ServeOptions d = options(models);
        // a budget of about one model: nearly every load evicts another
        startSizedByFile(new ServeOptions(Map.of(), repositoryOf(models), 0, "127.0.0.1", 0, Runtimes.Kind.ORT, d.device(), 1, 8,
                500_000, 64, Files.size(TestData.FASHION_CNN) + 1000, Set.of(), null, 1 << 20, 32, Path.of("/")));
        byte[] req = inferJson("image", image(9, 1), 1, null);
        float[] want = inProcess(TestData.FASHION_CNN, "image", image(9, 1), 1);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger unavailable = new AtomicInteger();
        List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                List<Future<?>> all = new ArrayList<>();
                for (int t = 0; t < 12; t++) {
                    int id = t;
                    all.add(pool.submit(() -> {
                        for (int i = 0; i < 25; i++) {
                            String model = List.of("a", "b", "c").get((id + i) % 3);
                            HttpResponse<byte[]> r = id % 4 == 3
                                    ? post("/v2/repository/models/" + model + (i % 2 == 0 ? "/unload" : "/load"), new byte[0])
                                    : post("/v2/models/" + model + "/infer", req);
                            if (r.statusCode() == 503) {
                                unavailable.incrementAndGet();
                            } else if (r.statusCode() != 200) {
                                wrong.add(r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                            } else if (id % 4 != 3) {
                                float[] got = floats(json(r).get("outputs").get(0).get("data"));
                                if (!java.util.Arrays.equals(got, want)) wrong.add("outputs differ");
                                ok.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : all) f.get();
            });
        } finally {
            pool.shutdownNow();
        }
        assertThat(wrong).isEmpty();
        assertThat(ok.get() + unavailable.get()).isEqualTo(9 * 25);
        assertThat(ok.get()).isGreaterThan(0);
        // the server still answers and every model can still be loaded
        for (String n : List.of("a", "b", "c")) {
            assertThat(post("/v2/models/" + n + "/infer", req).statusCode()).isEqualTo(200);
        }
    }

    private static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void aBoundedLoadTestHasNoErrorsAndFlatMemory() throws Exception {
        start(options(Map.of("cnn", TestData.FASHION_CNN)));
        byte[] req = inferJson("image", image(11, 1), 1, null);
        float[] want = inProcess(TestData.FASHION_CNN, "image", image(11, 1), 1);
        int threads = 8;
        int perThread = 500;
        AtomicInteger errors = new AtomicInteger();
        java.util.function.IntConsumer round = n -> {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < n; i++) {
                            HttpResponse<byte[]> r = post("/v2/models/cnn/infer", req);
                            if (r.statusCode() != 200) {
                                errors.incrementAndGet();
                                continue;
                            }
                            float[] got = floats(json(r).get("outputs").get(0).get("data"));
                            for (int k = 0; k < want.length; k++) {
                                if (Math.abs(got[k] - want[k]) > 1e-4f * Math.max(1, Math.abs(want[k]))) {
                                    errors.incrementAndGet();
                                    break;
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                pool.shutdownNow();
            }
        };
        round.accept(100); // warm-up: classes, JIT, connection pool
        long before = heapAfterGc();
        round.accept(perThread);
        long after = heapAfterGc();
        assertThat(errors.get()).isZero();
        assertThat(json(get("/v2/models/cnn/stats")).get("model_stats").get(0).get("inference_count").asLong())
                .isEqualTo(threads * (100L + perThread));
        // 4,000 requests later the heap holds what it held before (within 16 MB of noise)
        assertThat(after - before).as("heap growth over 4,000 requests, bytes").isLessThan(16L << 20);
    }

    @Test
    void gpuAndHostTelemetryAreGaugesLabelledByDevice() throws Exception {
        org.polaris.workbench.testutil.FakeSysfs fs = new org.polaris.workbench.testutil.FakeSysfs(tmp.resolve("root"));
        fs.rx580(0, true);
        fs.proc(100, 900, 300_000);
        ServeOptions d = options(Map.of("cnn", TestData.FASHION_CNN));
        start(new ServeOptions(d.models(), null, 0, "127.0.0.1", 0, d.runtime(), d.device(), 1, 8, 0, 16, Long.MAX_VALUE,
                Set.of(), null, 1 << 20, 8, fs.root()));
        String metrics = new String(get("/metrics").body(), StandardCharsets.UTF_8);
        // the sysfs fixture of an RX 580: 37% busy, 1.5 GiB of 8 GiB VRAM, 64 C, 121.5 W, 1300/2000 MHz
        assertThat(metrics).contains("polaris_gpu_busy_ratio{device=\"card0\"} 0.37")
                .contains("polaris_gpu_memory_busy_ratio{device=\"card0\"} 0.12")
                .contains("polaris_gpu_vram_used_bytes{device=\"card0\"} 1.610612736E9")
                .contains("polaris_gpu_vram_total_bytes{device=\"card0\"} 8.589934592E9")
                .contains("polaris_gpu_gtt_used_bytes{device=\"card0\"} 6.7108864E7")
                .contains("polaris_gpu_temperature_celsius{device=\"card0\"} 64.0")
                .contains("polaris_gpu_power_watts{device=\"card0\"} 121.5")
                .contains("polaris_gpu_shader_clock_hertz{device=\"card0\"} 1.3E9")
                .contains("polaris_gpu_memory_clock_hertz{device=\"card0\"} 2.0E9")
                .contains("polaris_process_resident_memory_bytes{device=\"host\"} 3.072E8");
        // a GPU metric the device does not report has no sample (the fixture has no fan speed metric exported)
        assertThat(metrics).doesNotContain("polaris_gpu_busy_ratio{device=\"host\"}");
    }
}
