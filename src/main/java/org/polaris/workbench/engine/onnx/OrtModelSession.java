package org.polaris.workbench.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One open ONNX Runtime session over a serialized model: the engine's handle for calibration, evaluation and
 * latency measurement. Close it (try-with-resources) to free the native session.
 */
public final class OrtModelSession implements AutoCloseable {

    static {
        OrtNatives.prepare();
    }

    /** Graph optimization level, as ONNX Runtime names them. */
    public enum Optimization { NONE, BASIC, EXTENDED, ALL }

    /**
     * @param threads intra-op threads (1 for batch-1 latency comparisons)
     * @param optimizedModelPath where ONNX Runtime should dump the optimized graph, or {@code null}
     */
    public record Config(int threads, Optimization optimization, Path optimizedModelPath) {
        public static Config singleThread(Optimization o) {
            return new Config(1, o, null);
        }
    }

    private final OrtSession session;
    private final OrtSession.SessionOptions options;

    private OrtModelSession(OrtSession session, OrtSession.SessionOptions options) {
        this.session = session;
        this.options = options;
    }

    /**
     * Fails with a {@link org.polaris.workbench.engine.model.ModelLoadException} naming {@code file} when ONNX
     * Runtime cannot load the model: a broken input is the user's model's problem (exit 3), not a failure of the
     * job that was asked of it.
     */
    public static void requireLoads(java.nio.file.Path file, byte[] model)
            throws org.polaris.workbench.engine.model.ModelLoadException {
        try (OrtModelSession ignored = open(model, Config.singleThread(Optimization.BASIC))) {
            // loading is the check
        } catch (RuntimeFailure e) {
            throw new org.polaris.workbench.engine.model.ModelLoadException(file,
                    org.polaris.workbench.engine.model.ModelLoadException.Problem.RUNTIME_REJECTED,
                    String.valueOf(e.getMessage()).replaceAll("\\s+", " "), e);
        }
    }

    public static OrtModelSession open(byte[] model, Config config) throws RuntimeFailure {
        return open(model, null, config);
    }

    /**
     * A session over a model file, loaded by ONNX Runtime itself from disk: external data resolves beside the file,
     * as it will for anyone who uses the file.
     */
    public static OrtModelSession open(java.nio.file.Path model, Config config) throws RuntimeFailure {
        return open(null, model, config);
    }

    private static OrtModelSession open(byte[] model, java.nio.file.Path file, Config config) throws RuntimeFailure {
        try (OrtCalls.Held held = OrtCalls.held()) {
            return openHeld(model, file, config);
        }
    }

    private static OrtModelSession openHeld(byte[] model, java.nio.file.Path file, Config config) throws RuntimeFailure {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        try {
            opts.setOptimizationLevel(switch (config.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            opts.setIntraOpNumThreads(Math.max(1, config.threads()));
            opts.setInterOpNumThreads(1);
            opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            if (config.optimizedModelPath() != null) {
                opts.setOptimizedModelFilePath(config.optimizedModelPath().toString());
            }
            return new OrtModelSession(model != null ? OrtSessions.env().createSession(model, opts)
                    : OrtSessions.env().createSession(file.toString(), opts), opts);
        } catch (OrtException | RuntimeException e) {
            opts.close();
            throw new RuntimeFailure("ONNX Runtime cannot load the model: " + oneLine(e), e);
        }
    }

    public List<String> inputNames() {
        return List.copyOf(session.getInputNames());
    }

    public List<String> outputNames() {
        return List.copyOf(session.getOutputNames());
    }

    /** Runs once and returns every output that is a tensor, in the session's output order. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) throws RuntimeFailure {
        try (OrtCalls.Held held = OrtCalls.held()) {
            return runHeld(inputs);
        }
    }

    private Map<String, Tensor> runHeld(Map<String, Tensor> inputs) throws RuntimeFailure {
        OrtEnvironment env = OrtSessions.env();
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                feeds.put(e.getKey(), OrtSessions.toOrt(env, e.getValue()));
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            try (OrtSession.Result result = session.run(feeds)) {
                for (Map.Entry<String, OnnxValue> e : result) {
                    if (e.getValue() instanceof OnnxTensor t) {
                        out.put(e.getKey(), OrtSessions.fromOrt(e.getKey(), t));
                    }
                }
            }
            return out;
        } catch (OrtException | RuntimeException e) {
            throw new RuntimeFailure("ONNX Runtime failed to run the model: " + oneLine(e), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /** Runs once and returns the wall time in nanoseconds, outputs discarded (inputs converted beforehand). */
    public long timeRun(Map<String, Tensor> inputs) throws RuntimeFailure {
        try (OrtCalls.Held held = OrtCalls.held()) {
            return timeRunHeld(inputs);
        }
    }

    private long timeRunHeld(Map<String, Tensor> inputs) throws RuntimeFailure {
        OrtEnvironment env = OrtSessions.env();
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                feeds.put(e.getKey(), OrtSessions.toOrt(env, e.getValue()));
            }
            long t0 = System.nanoTime();
            try (OrtSession.Result ignored = session.run(feeds)) {
                return System.nanoTime() - t0;
            }
        } catch (OrtException | RuntimeException e) {
            throw new RuntimeFailure("ONNX Runtime failed to run the model: " + oneLine(e), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    static String oneLine(Exception e) {
        String m = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").trim();
        return m.length() > 400 ? m.substring(0, 400) + "…" : m;
    }

    @Override
    public void close() {
        OrtCalls.enter();
        try {
            session.close();
        } catch (OrtException ignored) {
            // closing a session that failed half-way; nothing to recover
        } finally {
            options.close();
            OrtCalls.exit();
        }
    }

    /** ONNX Runtime could not load or run a model; the message says why in one line. */
    public static final class RuntimeFailure extends Exception {
        private static final long serialVersionUID = 1L;

        public RuntimeFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
