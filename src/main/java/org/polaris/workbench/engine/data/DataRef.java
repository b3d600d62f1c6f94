package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.ValueInfo;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;

/**
 * Data a job's pieces open where they run: in this process, or on a cluster's executors. {@link AtPath} travels with
 * a task (its path must be readable wherever the task runs); {@link Open} is data already open in this process,
 * which only the in-process runner can use.
 */
public sealed interface DataRef extends Serializable {

    /** Opens the data as feeds for a model with these inputs. */
    InputData open(List<ValueInfo> inputs) throws DataException;

    /** The files the data reads (a job's outputs must never replace them). */
    List<Path> files();

    /** What the data is, for reports and manifests. */
    String name();

    /** The data at a file or folder, fed as the {@code --shape}/{@code --input}/preprocessing request says. */
    static DataRef of(Path path, InputPlan.Request request, int samples) {
        return new AtPath(path.toString(), request, samples);
    }

    /** Data already open here (tests, generated feeds): runs in-process only. */
    static DataRef of(InputData data) {
        return new Open(data);
    }

    /** A path every worker can read; opened again by each task (cheap next to what a task does with it). */
    record AtPath(String path, InputPlan.Request request, int samples) implements DataRef {
        public AtPath {
            if (path == null || path.isEmpty()) throw new IllegalArgumentException("the data needs a path");
            if (samples < 0) throw new IllegalArgumentException("samples must not be negative");
        }

        @Override
        public InputData open(List<ValueInfo> inputs) throws DataException {
            return DataSources.open(Path.of(path), request, samples, inputs);
        }

        @Override
        public List<Path> files() {
            return List.of(Path.of(path));
        }

        @Override
        public String name() {
            return path;
        }
    }

    /** Open data; serializing it fails, so a cluster runner refuses it. */
    record Open(InputData data) implements DataRef {
        @Override
        public InputData open(List<ValueInfo> inputs) {
            return data;
        }

        @Override
        public List<Path> files() {
            return data.files();
        }

        @Override
        public String name() {
            return data.description();
        }
    }
}
