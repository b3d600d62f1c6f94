package org.polaris.workbench.engine.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.Schedulers;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The inference server: the Open Inference Protocol (KServe v2) over HTTP/JSON with the binary-data, statistics and
 * model-repository extensions, and Prometheus metrics, on the JDK's HTTP server. Every model runs on ONNX Runtime or
 * the engine in this process, batched per model ({@link ServedModel}) and held in a memory-sized cache
 * ({@link ModelCache}).
 */
public final class InferenceServer implements AutoCloseable {

    static {
        // without TCP_NODELAY every keep-alive response waits for the client's delayed ACK (~40 ms, Nagle)
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** The server's name and version as {@code GET /v2} reports them. */
    public static final String NAME = "polaris-workbench";
    private static final List<String> EXTENSIONS = List.of("binary_tensor_data", "statistics", "model_repository");
    private static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    private static final Pattern MODEL_PATH = Pattern.compile(
            "/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer|/stats)?/?");
    private static final Pattern REPOSITORY_PATH = Pattern.compile("/v2/repository/models/([^/]+)/(load|unload)/?");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ServeOptions options;
    private final String version;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final ModelCache cache;
    private final ServeMetrics metrics;
    private final TelemetrySampler telemetry;
    private final ScheduledExecutorService poller;
    private final byte[] key;
    private final TrafficLog traffic = new TrafficLog();

    private InferenceServer(ServeOptions options, String version, ModelCache.Sizer sizer) throws IOException {
        this.options = options;
        this.version = version;
        this.key = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.telemetry = new TelemetrySampler(options.telemetryRoot(), 1, true, System::currentTimeMillis);
        ModelCache[] holder = new ModelCache[1];
        this.metrics = new ServeMetrics(() -> holder[0] == null ? List.of() : holder[0].loadedModels(), telemetry);
        this.cache = new ModelCache(new ModelSource(options.models(), options.repository()), this::open,
                options.memoryBudgetBytes(), options.pinned(), metrics, sizer);
        holder[0] = cache;
        this.handlers = Schedulers.pool("serve-http", options.httpThreads());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 256);
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
        this.poller = options.repository() != null && options.pollSeconds() > 0 ? Schedulers.single("serve-repository-poll") : null;
    }

    /**
     * Starts a server: refuses a non-loopback address without an API key, loads the models given as files and the
     * pinned ones (so a broken file fails the start, not the first request), then listens.
     */
    public static InferenceServer start(ServeOptions options, String version) throws IOException, ServeException {
        return start(options, version, ModelCache.Sizer.MEASURED);
    }

    /** As {@link #start(ServeOptions, String)}, models counted against the budget by {@code sizer}. */
    static InferenceServer start(ServeOptions options, String version, ModelCache.Sizer sizer) throws IOException, ServeException {
        if (!options.loopback() && options.apiKey() == null) {
            throw new IllegalArgumentException("binding " + options.host() + " exposes the server beyond this machine: "
                    + "give --api-key-file F (clients send Authorization: Bearer KEY), or bind 127.0.0.1");
        }
        InferenceServer s = new InferenceServer(options, version, sizer);
        try {
            for (String name : options.models().keySet()) s.cache.acquire(name);
            for (String name : options.pinned()) s.cache.acquire(name);
        } catch (ServeException | RuntimeException e) {
            s.close();
            throw e;
        }
        s.http.start();
        if (s.poller != null) {
            s.poller.scheduleWithFixedDelay(s.cache::poll, options.pollSeconds(), options.pollSeconds(), TimeUnit.SECONDS);
        }
        return s;
    }

    private ServedModel open(ModelSource.Available a) throws Exception {
        OnnxModel m = new OnnxModelReader().read(a.file());
        ModelRuntime rt = Runtimes.open(options.runtime(), m, options.threads(), options.device());
        try {
            return new ServedModel(a.name(), a.version(), a.file(), m, rt, options.maxBatch(), options.maxQueueDelayNanos(),
                    options.maxQueue(), 0, statsOf(a.name()), metrics);
        } catch (RuntimeException e) {
            rt.close();
            throw e;
        }
    }

    private final Map<String, ModelStats> stats = new java.util.concurrent.ConcurrentHashMap<>();

    private ModelStats statsOf(String name) {
        return stats.computeIfAbsent(name, n -> new ModelStats());
    }

    /** The port listened on (the one chosen when the options said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8000}. */
    public String url() {
        String h = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + h + ":" + port();
    }

    public ModelCache cache() {
        return cache;
    }

    /** The last minutes of inference traffic, second by second. */
    public TrafficLog traffic() {
        return traffic;
    }

    public ServeOptions options() {
        return options;
    }

    /** Statistics of every model that was ever served, as {@code GET /v2/models/stats} gives them. */
    public List<ModelStats.Snapshot> statistics() {
        List<ModelStats.Snapshot> out = new ArrayList<>();
        Map<String, String> versions = new LinkedHashMap<>();
        cache.index().forEach(e -> versions.put(e.name(), e.version()));
        new java.util.TreeMap<>(stats).forEach((n, s) -> out.add(s.snapshot(n, versions.getOrDefault(n, ""))));
        return out;
    }

    private void handle(HttpExchange x) throws IOException {
        long start = System.nanoTime();
        String model = null;
        int status = 500;
        ServedModel.Result[] result = new ServedModel.Result[1];
        try {
            URI uri = x.getRequestURI();
            String path = uri.getRawPath();
            String method = x.getRequestMethod();
            if (!path.startsWith("/v2/health/") && !authorized(x)) {
                status = send(x, 401, "application/json", ResponseWriter.error("missing or wrong API key: send "
                        + "Authorization: Bearer KEY"), -1, 0);
                return;
            }
            Matcher mm = MODEL_PATH.matcher(path);
            if (mm.matches() && "/infer".equals(mm.group(3))) {
                model = decode(mm.group(1));
                status = infer(x, model, mm.group(2) == null ? null : decode(mm.group(2)), method, result);
                return;
            }
            status = route(x, path, method, mm);
        } catch (ServeException e) {
            status = e.status().code();
            if (e.status() == ServeException.Status.TOO_LARGE) {
                // the unread body is not drained: the connection closes after this answer, and says so
                x.getResponseHeaders().set("Connection", "close");
            }
            sendQuietly(x, status, ResponseWriter.error(e.getMessage()), e.retryAfterSeconds());
        } catch (IOException e) {
            status = 499; // the client went away
        } catch (RuntimeException | OutOfMemoryError e) {
            status = 500;
            sendQuietly(x, 500, ResponseWriter.error("internal error: " + ModelCache.message(e)), 0);
        } finally {
            // closed only here: a try-with-resources would close the exchange before the error is sent
            x.close();
            if (model != null) {
                long took = System.nanoTime() - start;
                metrics.request(model, status, took);
                ServedModel.Result r = result[0];
                traffic.record(System.currentTimeMillis(), status, took, r == null ? 0 : r.queueNanos(),
                        r == null ? 0 : r.batchSize());
            }
        }
    }

    private int route(HttpExchange x, String path, String method, Matcher mm) throws IOException, ServeException {
        switch (path) {
            case "/v2", "/v2/" -> {
                get(method);
                return json(x, Map.of("name", NAME, "version", version, "extensions", EXTENSIONS));
            }
            case "/v2/health/live" -> {
                get(method);
                return json(x, Map.of("live", true));
            }
            case "/v2/health/ready" -> {
                get(method);
                return json(x, Map.of("ready", true));
            }
            case "/v2/models/stats", "/v2/models/stats/" -> {
                get(method);
                return json(x, Map.of("model_stats", statistics()));
            }
            case "/v2/repository/index", "/v2/repository/index/" -> {
                post(method);
                Boolean ready = readyFilter(body(x));
                List<Map<String, Object>> out = new ArrayList<>();
                for (ModelCache.Entry e : cache.index()) {
                    if (ready != null && ready != (e.state() == ModelCache.State.READY)) continue;
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", e.name());
                    m.put("version", e.version());
                    m.put("state", e.state().name());
                    m.put("reason", e.reason());
                    out.add(m);
                }
                return json(x, out);
            }
            case "/metrics" -> {
                get(method);
                ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
                metrics.write(out);
                return send(x, 200, metrics.contentType(), out.toByteArray(), -1, 0);
            }
            default -> {
            }
        }
        Matcher rm = REPOSITORY_PATH.matcher(path);
        if (rm.matches()) {
            post(method);
            body(x);
            String name = decode(rm.group(1));
            if (rm.group(2).equals("load")) cache.load(name);
            else cache.unload(name);
            return json(x, Map.of());
        }
        if (mm.matches()) {
            get(method);
            String name = decode(mm.group(1));
            String v = mm.group(2) == null ? null : decode(mm.group(2));
            String tail = mm.group(3);
            if ("/ready".equals(tail)) {
                if (!cache.knows(name)) throw new ServeException(ServeException.Status.NOT_FOUND, "unknown model '" + name + "'");
                ServedModel m = cache.loaded(name);
                boolean ready = m != null && (v == null || v.equals(m.version()));
                if (!ready) {
                    throw new ServeException(ServeException.Status.BAD_REQUEST, "model '" + name + "'"
                            + (v == null ? "" : " version " + v) + " is not ready");
                }
                return json(x, Map.of("name", name, "ready", true));
            }
            ServedModel m = version(cache.acquire(name), v);
            if ("/stats".equals(tail)) {
                return json(x, Map.of("model_stats", List.of(statsOf(name).snapshot(name, m.version()))));
            }
            return json(x, metadata(m));
        }
        throw new ServeException(ServeException.Status.NOT_FOUND, "no such endpoint: " + method + " " + path);
    }

    private int infer(HttpExchange x, String name, String v, String method, ServedModel.Result[] out)
            throws IOException, ServeException {
        post(method);
        version(cache.acquire(name), v);
        byte[] body = body(x);
        String hl = x.getRequestHeaders().getFirst(HEADER_LENGTH);
        int headerLength = -1;
        if (hl != null) {
            try {
                headerLength = Integer.parseInt(hl.trim());
            } catch (NumberFormatException e) {
                throw RequestParser.bad(HEADER_LENGTH + " must be a number, got '" + hl + "'");
            }
            if (headerLength < 0) throw RequestParser.bad(HEADER_LENGTH + " must not be negative");
        }
        InferRequest r = RequestParser.parse(body, headerLength);
        long start = System.nanoTime();
        ServedModel m = null;
        ServedModel.Result res;
        try {
            java.util.concurrent.CompletableFuture<ServedModel.Result> f = null;
            // the model may be unloaded between finding it and queuing: then its next instance takes the request
            for (int attempt = 0; f == null; attempt++) {
                m = version(cache.acquire(name), v);
                try {
                    f = m.submit(r);
                } catch (ServeException e) {
                    if (m.isOpen() || attempt == 3) throw e;
                }
            }
            res = f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(ServeException.Status.UNAVAILABLE, "interrupted", 1);
        } catch (ExecutionException e) {
            statsOf(name).failure(System.nanoTime() - start);
            if (e.getCause() instanceof ServeException se) throw se;
            throw new ServeException(ServeException.Status.INTERNAL, ModelCache.message(e.getCause()));
        } catch (java.util.concurrent.CancellationException e) {
            throw new ServeException(ServeException.Status.UNAVAILABLE, "model '" + name + "': request dropped", 1);
        }
        statsOf(name).success(System.nanoTime() - start, r.batch());
        out[0] = res;
        ResponseWriter.Encoded enc = ResponseWriter.infer(m, r, res.outputs());
        return send(x, 200, enc.binary() ? "application/octet-stream" : "application/json", enc.body(), enc.headerLength(), 0);
    }

    private static ServedModel version(ServedModel m, String v) throws ServeException {
        if (v != null && !v.equals(m.version())) {
            throw new ServeException(ServeException.Status.NOT_FOUND, "model '" + m.name() + "' has no version '" + v
                    + "' being served (serving version " + m.version() + ")");
        }
        return m;
    }

    private Map<String, Object> metadata(ServedModel m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.name());
        out.put("versions", List.of(m.version()));
        out.put("platform", "onnx");
        out.put("inputs", m.inputs().stream().map(InferenceServer::tensor).toList());
        out.put("outputs", m.outputs().stream().map(InferenceServer::tensor).toList());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("runtime", m.runtimeName());
        params.put("dynamic_batching", m.batching().enabled());
        params.put("max_batch_size", m.batching().maxBatch());
        if (!m.batching().enabled()) params.put("dynamic_batching_off_because", m.batching().reason());
        params.put("memory_bytes", m.residentBytes());
        out.put("parameters", params);
        return out;
    }

    private static Map<String, Object> tensor(ServedModel.Signature s) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", s.name());
        t.put("datatype", s.datatype().name());
        t.put("shape", s.shape());
        return t;
    }

    private static Boolean readyFilter(byte[] body) throws ServeException {
        if (body.length == 0) return null;
        try {
            var n = MAPPER.readTree(body);
            return n != null && n.has("ready") && n.get("ready").isBoolean() ? n.get("ready").asBoolean() : null;
        } catch (IOException e) {
            throw RequestParser.bad("malformed JSON: " + e.getMessage());
        }
    }

    private boolean authorized(HttpExchange x) {
        if (key == null) return true;
        String h = x.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(key, h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private byte[] body(HttpExchange x) throws IOException, ServeException {
        long limit = options.maxRequestBytes();
        String cl = x.getRequestHeaders().getFirst("Content-Length");
        if (cl != null) {
            try {
                if (Long.parseLong(cl.trim()) > limit) throw tooLarge(limit);
            } catch (NumberFormatException e) {
                throw RequestParser.bad("Content-Length must be a number");
            }
        }
        try (InputStream in = x.getRequestBody()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (b.length > limit) throw tooLarge(limit);
            return b;
        }
    }

    private static ServeException tooLarge(long limit) {
        return new ServeException(ServeException.Status.TOO_LARGE, "the request is larger than the server's limit of "
                + (limit >= 1 << 20 ? limit / (1 << 20) + " MB (--max-request-mb)" : limit + " bytes"));
    }

    private static void get(String method) throws ServeException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new ServeException(ServeException.Status.METHOD_NOT_ALLOWED, method + " is not allowed here: use GET");
        }
    }

    private static void post(String method) throws ServeException {
        if (!method.equals("POST")) {
            throw new ServeException(ServeException.Status.METHOD_NOT_ALLOWED, method + " is not allowed here: use POST");
        }
    }

    private static String decode(String segment) {
        return java.net.URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static int json(HttpExchange x, Object value) throws IOException {
        return send(x, 200, "application/json", MAPPER.writeValueAsBytes(value), -1, 0);
    }

    private static int send(HttpExchange x, int status, String type, byte[] body, int headerLength, int retryAfter)
            throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        if (headerLength >= 0) x.getResponseHeaders().set(HEADER_LENGTH, Integer.toString(headerLength));
        if (retryAfter > 0) x.getResponseHeaders().set("Retry-After", Integer.toString(retryAfter));
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream o = x.getResponseBody()) {
                o.write(body);
            }
        }
        return status;
    }

    private static void sendQuietly(HttpExchange x, int status, byte[] body, int retryAfter) {
        // an unread body is drained by the server up to a limit, past which it closes the connection (a 413)
        try {
            send(x, status, "application/json", body, -1, retryAfter);
        } catch (IOException | IllegalStateException e) {
            // headers already sent or the client is gone: nothing more to say
        }
    }

    /** Stops listening (in-flight requests get up to a second), unloads every model and stops the poller. */
    @Override
    public void close() {
        if (poller != null) poller.shutdownNow();
        http.stop(1);
        cache.close();
        handlers.shutdownNow();
        telemetry.close();
    }
}
