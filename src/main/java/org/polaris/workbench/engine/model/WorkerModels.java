package org.polaris.workbench.engine.model;

import org.polaris.workbench.engine.util.Hashes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a worker (this process, or a Spark executor) loads once and shares between the tasks it runs: a job's model,
 * read from its path and checked against the SHA-256 the job was started with, so a worker that sees another file
 * under that path fails the task instead of computing on the wrong model.
 */
public final class WorkerModels {

    /** Models kept per worker. */
    static final int MAX_MODELS = 4;

    /** A model as the job's tasks use it: parsed, and as the bytes ONNX Runtime loads. */
    public record Loaded(OnnxModel model, byte[] bytes, String sha256) {
    }

    private static final Map<String, Loaded> MODELS = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Loaded> eldest) {
            return size() > MAX_MODELS;
        }
    };

    private WorkerModels() {
    }

    /** Reads a model as the driver did ({@link #load}), for the SHA-256 a job's tasks will check. */
    public static Loaded load(Path path) throws IOException, ModelLoadException {
        OnnxModel m = new OnnxModelReader().read(path);
        byte[] bytes = OnnxModelWriter.toBytes(m);
        return new Loaded(m, bytes, Hashes.sha256Hex(bytes));
    }

    /** The model at {@code path}, loaded once per worker; it must have the job's SHA-256. */
    public static Loaded model(String path, String sha256) throws IOException, ModelLoadException {
        String key = sha256 + " " + path;
        synchronized (MODELS) {
            Loaded l = MODELS.get(key);
            if (l != null) return l;
        }
        Loaded l = load(Path.of(path));
        if (!l.sha256().equals(sha256)) {
            throw new IOException(path + ": on this worker it is not the model the job was started with (SHA-256 "
                    + l.sha256().substring(0, 12) + "..., expected " + sha256.substring(0, 12) + "...); every worker "
                    + "must read the same file");
        }
        synchronized (MODELS) {
            MODELS.put(key, l);
        }
        return l;
    }
}
