package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Samples that name their tensors: a folder of {@code .npz} files (one array per input name, an optional
 * {@code label}), or ONNX {@code test_data_set_*} folders ({@code input_K.pb} for the model's K-th input). One
 * sample is read at a time.
 */
public final class NamedSamples implements InputData {

    private static final int MAX_SAMPLES = 1_000_000;

    private final List<Path> samples;
    private final boolean npz;
    private final List<String> inputOrder;
    private final Path root;
    private final Set<String> names;
    private int cachedIndex = -1;
    private Map<String, Tensor> cached;

    private NamedSamples(Path root, List<Path> samples, boolean npz, List<String> inputOrder) throws DataException {
        this.root = root;
        this.samples = samples;
        this.npz = npz;
        this.inputOrder = inputOrder;
        this.names = new LinkedHashSet<>(load(0).keySet());
        names.remove("label");
    }

    /** Whether {@code dir} holds {@code .npz} files or {@code test_data_set_*} folders (or is one). */
    public static boolean handles(Path dir) {
        return Files.isDirectory(dir) && (!list(dir, ".npz").isEmpty() || isTestSet(dir) || !testSets(dir).isEmpty());
    }

    /**
     * @param dir a folder of samples, one {@code .npz} file (one sample), or one {@code test_data_set_*} folder
     * @param inputOrder the model's input names, which {@code input_K.pb} refers to by position */
    public static NamedSamples open(Path dir, List<String> inputOrder, int limit) throws DataException {
        List<Path> npz = Files.isRegularFile(dir) ? List.of(dir) : list(dir, ".npz");
        List<Path> sets = npz.isEmpty() && isTestSet(dir) ? List.of(dir) : testSets(dir);
        List<Path> chosen = npz.isEmpty() ? sets : npz;
        if (chosen.isEmpty()) {
            throw new DataException(dir + ": no .npz files or test_data_set_* folders");
        }
        if (chosen.size() > MAX_SAMPLES) {
            throw new DataException(dir + ": over " + MAX_SAMPLES + " samples");
        }
        return new NamedSamples(dir, chosen.subList(0, Math.min(chosen.size(), Math.max(1, limit))), !npz.isEmpty(),
                inputOrder);
    }

    /** The input names the samples hold. */
    public Set<String> names() {
        return Set.copyOf(names);
    }

    private static boolean isTestSet(Path dir) {
        return dir.getFileName() != null && dir.getFileName().toString().startsWith("test_data_set")
                && Files.isRegularFile(dir.resolve("input_0.pb"));
    }

    private static List<Path> testSets(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(NamedSamples::isTestSet).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(suffix)
                    && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private Map<String, Tensor> load(int i) throws DataException {
        if (i == cachedIndex) {
            return cached;
        }
        Path p = samples.get(i);
        Map<String, Tensor> m;
        if (npz) {
            m = NumpyFiles.readNpz(p);
        } else {
            m = new LinkedHashMap<>();
            OnnxModelReader reader = new OnnxModelReader();
            for (int k = 0; k < inputOrder.size(); k++) {
                Path pb = p.resolve("input_" + k + ".pb");
                if (!Files.isRegularFile(pb)) {
                    break;
                }
                try {
                    m.put(inputOrder.get(k), reader.readTensor(pb));
                } catch (ModelLoadException e) {
                    throw new DataException(e.getMessage());
                }
            }
        }
        cached = m;
        cachedIndex = i;
        return m;
    }

    @Override
    public int size() {
        return samples.size();
    }

    @Override
    public Map<String, Tensor> feeds(int start, int count, List<ValueInfo> inputs) {
        if (count != 1) {
            throw new IllegalArgumentException("named samples are read one at a time");
        }
        Map<String, Tensor> m;
        try {
            m = load(start);
        } catch (DataException e) {
            throw new DataFileException(e.getMessage());
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (ValueInfo v : inputs) {
            Tensor t = m.get(v.name());
            if (t == null) {
                throw new DataFileException(samples.get(start) + ": holds no '" + v.name() + "' (it holds "
                        + String.join(", ", m.keySet()) + "); give it with --input " + v.name() + "=SOURCE");
            }
            try {
                out.put(v.name(), TensorFit.fit(t, v, 1));
            } catch (DataFileException e) {
                throw new DataFileException(samples.get(start) + ": " + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public int label(int i) {
        if (!npz) {
            return -1;
        }
        try {
            Tensor l = load(i).get("label");
            return l == null || l.elementCount() != 1 ? -1 : (int) l.toDoubles()[0];
        } catch (DataException e) {
            throw new DataFileException(e.getMessage());
        }
    }

    @Override
    public String description() {
        return root + ": " + samples.size() + (npz ? " .npz samples" : " ONNX test data sets") + " of "
                + String.join(", ", names);
    }

    @Override
    public List<Path> files() {
        return new ArrayList<>(List.of(root));
    }

    @Override
    public int maxBatch() {
        return 1;
    }
}
