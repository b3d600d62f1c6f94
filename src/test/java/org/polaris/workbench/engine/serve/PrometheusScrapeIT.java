package org.polaris.workbench.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.TestData;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped Prometheus configuration, alert rules and Grafana dashboard against the real {@code prometheus} and
 * {@code promtool} from Debian: Prometheus scrapes a running server on loopback with the API key, the test queries
 * the samples back, and every dashboard expression evaluates. Skipped where Prometheus is not installed, except in
 * CI ({@code CI=true}), which installs it.
 */
class PrometheusScrapeIT {

    private static final Path CONTAINER = Path.of("installers/container");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    private static boolean installed(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int run(Path log, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return p.exitValue();
    }

    private JsonNode query(int port, String promql) throws Exception {
        String url = "http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** Polls Prometheus (bounded) until {@code done} holds for the query's answer. */
    private JsonNode awaitQuery(int port, String promql, Predicate<JsonNode> done) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode last = null;
        while (System.nanoTime() < until) {
            try {
                last = query(port, promql);
                if (done.test(last)) return last;
            } catch (IOException e) {
                // Prometheus is still starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Prometheus never answered " + promql + " as expected; last answer " + last);
    }

    private static String value(JsonNode answer) {
        JsonNode r = answer.path("data").path("result");
        return r.size() == 1 ? r.get(0).get("value").get(1).asText() : "";
    }

    @Test
    void prometheusScrapesTheServerWithTheShippedConfigAndEveryDashboardQueryEvaluates() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        Assumptions.assumeTrue(ci || installed("prometheus") && installed("promtool"),
                "skipped: prometheus/promtool not installed (apt-get install prometheus)");

        assertThat(run(tmp.resolve("rules.log"), "promtool", "test", "rules",
                CONTAINER.resolve("prometheus/alerts_test.yml").toString()))
                .as(Files.exists(tmp.resolve("rules.log")) ? Files.readString(tmp.resolve("rules.log")) : "").isZero();

        String key = "scrape-key-0123456789";
        ServeOptions d = ServeOptions.defaults(Map.of("cnn", TestData.FASHION_CNN));
        try (InferenceServer server = InferenceServer.start(new ServeOptions(d.models(), null, 0, "127.0.0.1", 0, d.runtime(),
                d.device(), 1, 8, 1_000_000, 16, Long.MAX_VALUE, java.util.Set.of(), key, 1 << 20, 8, Path.of("/")), "test")) {
            String body = "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":"
                    + java.util.Arrays.toString(new float[784]) + "}]}";
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/v2/models/cnn/infer"))
                        .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }

            // the shipped configuration, pointed at this server, this key and a fast scrape
            Path conf = Files.createDirectories(tmp.resolve("conf"));
            Path keyFile = Files.writeString(conf.resolve("polaris_api_key"), key + "\n");
            String yml = Files.readString(CONTAINER.resolve("prometheus/prometheus.yml"))
                    .replace("/etc/prometheus/polaris_api_key", keyFile.toString())
                    .replace("polaris:8000", "127.0.0.1:" + server.port())
                    .replace("scrape_interval: 15s", "scrape_interval: 1s")
                    .replace("evaluation_interval: 15s", "evaluation_interval: 1s");
            assertThat(yml).contains(keyFile.toString()).contains("127.0.0.1:" + server.port());
            Path config = Files.writeString(conf.resolve("prometheus.yml"), yml);
            Files.copy(CONTAINER.resolve("prometheus/alerts.yml"), conf.resolve("alerts.yml"));
            assertThat(run(tmp.resolve("check.log"), "promtool", "check", "config", config.toString()))
                    .as(Files.readString(tmp.resolve("check.log"))).isZero();

            int port = freePort();
            Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                    "--storage.tsdb.path=" + tmp.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
            try {
                awaitQuery(port, "up{job=\"polaris\"}", a -> value(a).equals("1"));
                JsonNode ok = awaitQuery(port, "polaris_requests_total{job=\"polaris\",model=\"cnn\",code=\"200\"}",
                        a -> !value(a).isEmpty());
                assertThat(Double.parseDouble(value(ok))).isEqualTo(3.0);
                assertThat(value(query(port, "polaris_models_loaded{job=\"polaris\"}"))).isEqualTo("1");
                assertThat(value(query(port, "polaris_batch_size_count{job=\"polaris\",model=\"cnn\"}"))).isEqualTo("3");

                // every expression of the Grafana dashboard is valid PromQL over these series
                JsonNode dashboard = JSON.readTree(CONTAINER.resolve("grafana/dashboards/polaris-serve.json").toFile());
                List<String> exprs = new ArrayList<>();
                dashboard.get("panels").forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
                assertThat(exprs).hasSize(21);
                for (String e : exprs) {
                    assertThat(query(port, e).get("status").asText()).as(e).isEqualTo("success");
                }
                // the alert rules are loaded and evaluate without errors
                JsonNode rules = awaitQuery(port, "up", a -> true);
                assertThat(rules.get("status").asText()).isEqualTo("success");
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/rules")).GET().build(), HttpResponse.BodyHandlers.ofString());
                JsonNode group = JSON.readTree(r.body()).get("data").get("groups").get(0);
                List<String> names = new ArrayList<>();
                group.get("rules").forEach(x -> names.add(x.get("name").asText()));
                assertThat(names).containsExactly("PolarisServerDown", "PolarisHighErrorRate", "PolarisHighP99Latency",
                        "PolarisQueueFull", "PolarisGpuHot");
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(10, TimeUnit.SECONDS)) prometheus.destroyForcibly();
            }
        }
    }
}
