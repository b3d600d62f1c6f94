package org.polaris.workbench.engine.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import org.polaris.workbench.engine.telemetry.Metric;
import org.polaris.workbench.engine.telemetry.Sample;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics, in a registry of its own (two servers in one process do not share counters):
 * requests by model and status, request/queue/compute durations and batch sizes, queue depth, loaded models and
 * their memory, evictions, and the telemetry the GPU pane reads (AMD sysfs, NVIDIA via nvidia-smi, the host) as
 * gauges labelled by device, read when scraped (at most once a second).
 */
public final class ServeMetrics implements ServedModel.Observer {

    private static final double[] SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 0.5, 1, 2.5, 5, 10};
    private static final double[] BATCHES = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    private static final double NANOS = 1e9;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Histogram requestSeconds;
    private final Histogram queueSeconds;
    private final Histogram computeSeconds;
    private final Histogram batchSize;
    private final Counter evictions;
    private final Counter loads;
    private final TelemetrySampler telemetry;
    private List<Sample> lastSamples = List.of();
    private long lastSampleNanos;

    /** @param models what is loaded now (read at each scrape) */
    public ServeMetrics(Supplier<List<ServedModel>> models, TelemetrySampler telemetry) {
        this.telemetry = telemetry;
        requests = Counter.builder().name("polaris_requests_total")
                .help("Inference requests answered, by model and HTTP status").labelNames("model", "code").register(registry);
        requestSeconds = Histogram.builder().name("polaris_request_duration_seconds").unit(Unit.SECONDS)
                .help("Time from receiving an inference request to its response, by model").labelNames("model")
                .classicOnly().classicUpperBounds(SECONDS).register(registry);
        queueSeconds = Histogram.builder().name("polaris_queue_duration_seconds").unit(Unit.SECONDS)
                .help("Time a request waited in its model's queue before its batch ran").labelNames("model")
                .classicOnly().classicUpperBounds(SECONDS).register(registry);
        computeSeconds = Histogram.builder().name("polaris_compute_duration_seconds").unit(Unit.SECONDS)
                .help("Time one execution (a batch) took in the runtime").labelNames("model")
                .classicOnly().classicUpperBounds(SECONDS).register(registry);
        batchSize = Histogram.builder().name("polaris_batch_size")
                .help("Samples per execution (1 without dynamic batching)").labelNames("model")
                .classicOnly().classicUpperBounds(BATCHES).register(registry);
        evictions = Counter.builder().name("polaris_model_evictions_total")
                .help("Models unloaded to stay within the memory budget").labelNames("model").register(registry);
        loads = Counter.builder().name("polaris_model_loads_total")
                .help("Model loads, by model and result (ok, failed)").labelNames("model", "result").register(registry);
        GaugeWithCallback.builder().name("polaris_queue_depth").help("Requests waiting in a model's queue")
                .labelNames("model").callback(cb -> models.get().forEach(m -> cb.call(m.queueDepth(), m.name())))
                .register(registry);
        GaugeWithCallback.builder().name("polaris_queue_capacity").help("Requests a model's queue holds before answering 503")
                .labelNames("model").callback(cb -> models.get().forEach(m -> cb.call(m.queueCapacity(), m.name())))
                .register(registry);
        GaugeWithCallback.builder().name("polaris_models_loaded").help("Models loaded and serving")
                .callback(cb -> cb.call(models.get().size())).register(registry);
        GaugeWithCallback.builder().name("polaris_model_memory_bytes").unit(Unit.BYTES)
                .help("Memory a loaded model took, measured when it was loaded").labelNames("model", "version")
                .callback(cb -> models.get().forEach(m -> cb.call(m.residentBytes(), m.name(), m.version())))
                .register(registry);
        device("polaris_gpu_busy_ratio", "GPU busy share (AMD gpu_busy_percent, NVIDIA utilization)", Metric.BUSY_PCT, 0.01);
        device("polaris_gpu_memory_busy_ratio", "GPU memory controller busy share", Metric.MEM_BUSY_PCT, 0.01);
        device("polaris_gpu_vram_used_bytes", "VRAM in use", Metric.VRAM_USED_MB, 1 << 20);
        device("polaris_gpu_vram_total_bytes", "VRAM size", Metric.VRAM_TOTAL_MB, 1 << 20);
        device("polaris_gpu_gtt_used_bytes", "GTT (system memory mapped for the GPU) in use", Metric.GTT_USED_MB, 1 << 20);
        device("polaris_gpu_temperature_celsius", "GPU edge temperature", Metric.TEMP_C, 1);
        device("polaris_gpu_power_watts", "GPU power draw", Metric.POWER_W, 1);
        device("polaris_gpu_shader_clock_hertz", "GPU shader clock", Metric.SCLK_MHZ, 1e6);
        device("polaris_gpu_memory_clock_hertz", "GPU memory clock", Metric.MCLK_MHZ, 1e6);
        device("polaris_host_cpu_ratio", "Host CPU busy share since the previous scrape", Metric.CPU_PCT, 0.01);
        device("polaris_process_resident_memory_bytes", "This process's resident memory", Metric.PROCESS_RSS_MB, 1 << 20);
    }

    private void device(String name, String help, Metric metric, double scale) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("device").callback(cb -> {
            for (Sample s : samples()) {
                if (s.has(metric)) cb.call(s.get(metric) * scale, s.device());
            }
        }).register(registry);
    }

    private synchronized List<Sample> samples() {
        if (telemetry == null) return List.of();
        long now = System.nanoTime();
        if (lastSamples.isEmpty() || now - lastSampleNanos > 1_000_000_000L) {
            lastSamples = telemetry.sampleOnce();
            lastSampleNanos = now;
        }
        return lastSamples;
    }

    public void request(String model, int status, long nanos) {
        requests.labelValues(model, Integer.toString(status)).inc();
        requestSeconds.labelValues(model).observe(nanos / NANOS);
    }

    @Override
    public void queued(String model, long nanos) {
        queueSeconds.labelValues(model).observe(nanos / NANOS);
    }

    @Override
    public void executed(String model, long batch, long nanos) {
        computeSeconds.labelValues(model).observe(nanos / NANOS);
        batchSize.labelValues(model).observe(batch);
    }

    public void evicted(String model) {
        evictions.labelValues(model).inc();
    }

    public void loaded(String model, boolean ok) {
        loads.labelValues(model, ok ? "ok" : "failed").inc();
    }

    public String contentType() {
        return writer.getContentType();
    }

    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
