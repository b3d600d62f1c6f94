package org.polaris.workbench.engine.onnx;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Opens ONNX Runtime sessions: the reference for what a model is and what it computes. */
public final class OrtSessions {

    static {
        OrtNatives.prepare();
    }

    private OrtSessions() {
    }

    /** The process's ONNX Runtime environment, asked for once (see {@link #env}). */
    private static volatile OrtEnvironment environment;

    /**
     * The environment, created with our name and the fatal-only log level on first use and kept: ONNX Runtime has one
     * per process, and asking again with a name or level that differs from the first caller's (a benchmark that
     * called {@code getEnvironment()} first) logged a warning on every call, 30,000 lines a second from the
     * per-run input conversion of a small model.
     */
    static OrtEnvironment env() {
        OrtEnvironment env = environment;
        if (env == null) {
            synchronized (OrtSessions.class) {
                env = environment;
                if (env == null) {
                    env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "polaris-workbench");
                    OrtNatives.trackTempFolder();
                    environment = env;
                }
            }
        }
        return env;
    }

    /** Loads the model in a real session and reports its inputs and outputs. */
    public static RuntimeView describe(Path model) throws ModelLoadException {
        try (OrtCalls.Held held = OrtCalls.held();
             OrtSession.SessionOptions opts = options(OrtSession.SessionOptions.OptLevel.NO_OPT);
             OrtSession session = env().createSession(model.toString(), opts)) {
            return new RuntimeView(env().getVersion(), values(session.getInputInfo()),
                    values(session.getOutputInfo()));
        } catch (OrtException | RuntimeException e) {
            throw rejected(model, e);
        }
    }

    /**
     * Runs one inference of the serialized model on {@code inputs} and returns every graph output as a tensor.
     * Optimizations are off so that results reflect the graph as written.
     */
    public static Map<String, Tensor> run(byte[] model, Map<String, Tensor> inputs) throws OrtModelSession.RuntimeFailure {
        try (OrtModelSession s = OrtModelSession.open(model,
                OrtModelSession.Config.singleThread(OrtModelSession.Optimization.NONE))) {
            return s.run(inputs);
        }
    }

    private static OrtSession.SessionOptions options(OrtSession.SessionOptions.OptLevel level) throws OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setOptimizationLevel(level);
        opts.setIntraOpNumThreads(1);
        opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
        return opts;
    }

    private static ModelLoadException rejected(Path model, Exception e) {
        return new ModelLoadException(model, ModelLoadException.Problem.RUNTIME_REJECTED,
                "ONNX Runtime rejects the model: " + OrtModelSession.oneLine(e), e);
    }

    private static List<RuntimeValue> values(Map<String, NodeInfo> infos) {
        List<RuntimeValue> out = new ArrayList<>();
        infos.forEach((name, info) -> out.add(value(name, info.getInfo())));
        return out;
    }

    private static RuntimeValue value(String name, ValueInfo info) {
        if (info instanceof TensorInfo t) {
            DataType type = dataType(t);
            long[] shape = t.getShape();
            String[] names = t.getDimensionNames();
            List<Dim> dims = new ArrayList<>(shape.length);
            for (int i = 0; i < shape.length; i++) {
                String sym = names != null && i < names.length ? names[i] : "";
                dims.add(sym != null && !sym.isEmpty() ? Dim.symbolic(sym) : shape[i] >= 0 ? Dim.of(shape[i]) : Dim.unknown());
            }
            String desc = type + dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
            return new RuntimeValue(name, type, dims, desc);
        }
        if (info instanceof SequenceInfo s) {
            return new RuntimeValue(name, null, null, "seq(" + s + ")");
        }
        if (info instanceof MapInfo m) {
            return new RuntimeValue(name, null, null, "map(" + m + ")");
        }
        return new RuntimeValue(name, null, null, String.valueOf(info));
    }

    static DataType dataType(TensorInfo t) {
        String n = t.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "");
        try {
            return DataType.valueOf(n);
        } catch (IllegalArgumentException e) {
            return DataType.UNDEFINED;
        }
    }

    static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        long[] shape = t.dims();
        if (t.dataType() == DataType.STRING) {
            String[] s = t.strings().stream().map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8))
                    .toArray(String[]::new);
            return OnnxTensor.createTensor(env, s, shape);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(t.raw().length).order(ByteOrder.nativeOrder());
        buf.put(ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN)).flip();
        return OnnxTensor.createTensor(env, buf, shape, javaType(t.dataType()));
    }

    private static OnnxJavaType javaType(DataType t) {
        return switch (t) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOL -> OnnxJavaType.BOOL;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            default -> throw new IllegalArgumentException("ONNX Runtime Java cannot take " + t + " inputs");
        };
    }

    static Tensor fromOrt(String name, OnnxTensor t) throws OrtException {
        TensorInfo info = t.getInfo();
        DataType type = dataType(info);
        if (type == DataType.STRING) {
            String[] flat = flattenStrings(t.getValue());
            return new Tensor(name, type, info.getShape(),
                    new byte[0], java.util.Arrays.stream(flat)
                    .map(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toList(), null, "");
        }
        ByteBuffer src = t.getByteBuffer().order(ByteOrder.nativeOrder());
        byte[] raw = new byte[src.remaining()];
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            src.get(raw);
        } else {
            throw new UnsupportedOperationException("big-endian hosts are not supported");
        }
        return new Tensor(name, type, info.getShape(), raw, List.of(), null, "");
    }

    private static String[] flattenStrings(Object value) {
        List<String> out = new ArrayList<>();
        flatten(value, out);
        return out.toArray(String[]::new);
    }

    private static void flatten(Object v, List<String> out) {
        if (v instanceof String s) {
            out.add(s);
        } else if (v instanceof Object[] arr) {
            for (Object o : arr) {
                flatten(o, out);
            }
        }
    }
}
