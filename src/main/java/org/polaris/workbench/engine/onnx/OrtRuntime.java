package org.polaris.workbench.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** ONNX Runtime behind the common runtime interface; profiles come from its own per-node trace. */
public final class OrtRuntime implements ModelRuntime {

    static {
        OrtNatives.prepare();
    }

    private final byte[] model;
    private final int threads;
    private final OrtModelSession session;

    public OrtRuntime(byte[] model, int threads) throws OrtModelSession.RuntimeFailure {
        this.model = model;
        this.threads = threads;
        this.session = OrtModelSession.open(model, new OrtModelSession.Config(threads, OrtModelSession.Optimization.ALL, null));
    }

    @Override
    public String name() {
        return "ort";
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        try {
            return session.run(inputs);
        } catch (OrtModelSession.RuntimeFailure e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** A profiling session of its own (profiling is a session option), run once after one warm-up run. */
    @Override
    public List<NodeTiming> profile(Map<String, Tensor> inputs) {
        return profile(inputs, 1);
    }

    /** One profiling session: a warm-up run, then {@code runs} traced runs; each node's median over those. */
    @Override
    public List<NodeTiming> profile(Map<String, Tensor> inputs, int runs) {
        try (OrtCalls.Held held = OrtCalls.held()) {
            return profileHeld(inputs, runs);
        }
    }

    private List<NodeTiming> profileHeld(Map<String, Tensor> inputs, int runs) {
        Path dir = null;
        try {
            dir = org.polaris.workbench.engine.io.TempFiles.createFolder("polaris-ort-profile");
            OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
            opts.setIntraOpNumThreads(threads);
            opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            opts.enableProfiling(dir.resolve("trace").toString());
            String trace;
            try (opts; OrtSession s = OrtSessions.env().createSession(model, opts)) {
                Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                        feeds.put(e.getKey(), OrtSessions.toOrt(OrtSessions.env(), e.getValue()));
                    }
                    for (int i = 0; i <= Math.max(1, runs); i++) {
                        s.run(feeds).close();
                    }
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
                trace = s.endProfiling();
            }
            List<List<NodeTiming>> all = parseRuns(Path.of(trace));
            return NodeTiming.median(all.size() > 1 ? all.subList(1, all.size()) : all);
        } catch (OrtException | IOException e) {
            throw new IllegalStateException("ONNX Runtime profiling failed: " + e.getMessage(), e);
        } finally {
            org.polaris.workbench.engine.io.TempFiles.delete(dir);
        }
    }

    /** Kernel events of the last run in the trace, one per node. */
    static List<NodeTiming> parse(Path trace) throws IOException {
        List<List<NodeTiming>> runs = parseRuns(trace);
        return runs.isEmpty() ? List.of() : runs.get(runs.size() - 1);
    }

    /** Kernel events per run, in trace order: the i-th event of a node belongs to run i. */
    static List<List<NodeTiming>> parseRuns(Path trace) throws IOException {
        JsonNode events = new ObjectMapper().readTree(trace.toFile());
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<List<NodeTiming>> runs = new ArrayList<>();
        for (JsonNode e : events) {
            String name = e.path("name").asText();
            if (!"Node".equals(e.path("cat").asText()) || !name.endsWith("_kernel_time")) {
                continue;
            }
            String node = name.substring(0, name.length() - "_kernel_time".length());
            String op = e.path("args").path("op_name").asText();
            long nanos = e.path("dur").asLong() * 1000;
            long bytes = e.path("args").path("output_size").asLong() + e.path("args").path("activation_size").asLong()
                    + e.path("args").path("parameter_size").asLong();
            int run = seen.merge(node, 1, Integer::sum) - 1;
            while (runs.size() <= run) {
                runs.add(new ArrayList<>());
            }
            runs.get(run).add(new NodeTiming(node, op, nanos, 0, bytes));
        }
        return runs;
    }


    @Override
    public void close() {
        session.close();
    }
}
