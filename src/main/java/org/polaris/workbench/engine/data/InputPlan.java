package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one mechanism that decides what every model input gets: its shape (declared, fixed by {@code --shape}, taken
 * from a tensor or audio file, or the batch dimension defaulted to 1) and its source (a file, a generator, or a data
 * set). CLI commands and panes build one from an {@link Request}; everything that runs a model is fed through it.
 */
public final class InputPlan {

    /**
     * What the user asked for.
     *
     * @param sampleRate audio files must have this rate (Hz), or 0 to accept any
     */
    public record Request(List<ShapeSpec> shapes, List<InputSource.Binding> sources, Preprocessing preprocessing,
                          int sampleRate) implements java.io.Serializable {
        public Request {
            shapes = List.copyOf(shapes);
            sources = List.copyOf(sources);
            if (sampleRate < 0 || sampleRate > 1_000_000) {
                throw new IllegalArgumentException("sample rate must be 0..1000000 Hz, not " + sampleRate);
            }
        }

        public static Request of(Preprocessing pre) {
            return new Request(List.of(), List.of(), pre, 0);
        }
    }

    /**
     * One input as planned.
     *
     * @param shape resolved shape with the batch dimension at 1, or {@code null} when a data set decides
     * @param source where its values come from, or {@code null} when a data set feeds it
     */
    public record Planned(ValueInfo info, long[] shape, InputSource source) {
        public String name() {
            return info.name();
        }

        public DataType type() {
            DataType t = info.type().elementType();
            return t == null || t == DataType.UNDEFINED ? DataType.FLOAT : t;
        }

        /** True when the declared first dimension is not fixed: samples stack along it. */
        public boolean batched() {
            List<Dim> s = info.type().shape();
            return s != null && !s.isEmpty() && !s.get(0).isFixed();
        }

        @Override
        public long[] shape() {
            return shape == null ? null : shape.clone();
        }
    }

    private final List<Planned> inputs;
    private final Preprocessing pre;
    private final Map<String, Tensor> loaded;

    private InputPlan(List<Planned> inputs, Preprocessing pre, Map<String, Tensor> loaded) {
        this.inputs = List.copyOf(inputs);
        this.pre = pre;
        this.loaded = loaded;
    }

    public List<Planned> inputs() {
        return inputs;
    }

    public Preprocessing preprocessing() {
        return pre;
    }

    public Planned input(String name) {
        return inputs.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * Resolves every input. Inputs in {@code fedByData} may keep unresolved dimensions (the data decides) and need
     * no source; every other input gets its {@code --input} source or seeded random values.
     */
    public static InputPlan resolve(List<ValueInfo> feeds, Request request, Set<String> fedByData) throws DataException {
        Map<String, ValueInfo> byName = new LinkedHashMap<>();
        feeds.forEach(v -> byName.put(v.name(), v));
        Map<String, long[]> shapes = new HashMap<>();
        for (ShapeSpec s : request.shapes()) {
            String name = target(s.input(), byName, "--shape " + s.text());
            if (shapes.put(name, s.dims()) != null) {
                throw new DataException("--shape is given twice for input '" + name + "'");
            }
        }
        Map<String, InputSource> sources = new HashMap<>();
        for (InputSource.Binding b : request.sources()) {
            String name = target(b.input(), byName, "--input " + b.source().text());
            if (sources.put(name, b.source()) != null) {
                throw new DataException("--input is given twice for input '" + name + "'");
            }
        }
        List<Planned> out = new ArrayList<>();
        Map<String, Tensor> loaded = new HashMap<>();
        Map<String, InputSource> chosen = new LinkedHashMap<>();
        Map<String, long[]> fixed = new HashMap<>();
        // Pass 1: shapes the user gave or files carry; their symbolic dims name sizes other inputs share.
        Map<String, Long> symbols = new HashMap<>();
        for (ValueInfo v : feeds) {
            InputSource src = sources.get(v.name());
            boolean data = fedByData.contains(v.name()) && src == null;
            if (src == null && !data) {
                src = new InputSource.Random(42);
            }
            chosen.put(v.name(), src);
            long[] shape = shapes.get(v.name());
            if (shape != null) {
                checkAgainstDeclared(v, shape, "--shape");
            } else if (src instanceof InputSource.File f) {
                shape = fileShape(v, f, request, loaded);
            }
            if (shape != null) {
                fixed.put(v.name(), shape);
                learn(v, shape, symbols);
            }
        }
        // A dynamic first dimension is the batch: 1 unless a given shape named its symbol ("batch") otherwise.
        for (ValueInfo v : feeds) {
            List<Dim> s = v.type().shape();
            if (!fixed.containsKey(v.name()) && s != null && !s.isEmpty() && s.get(0).isSymbolic()) {
                symbols.putIfAbsent(s.get(0).param(), 1L);
            }
        }
        // Pass 2: declared shapes with the known sizes filled in.
        List<String> unresolved = new ArrayList<>();
        for (ValueInfo v : feeds) {
            InputSource src = chosen.get(v.name());
            boolean data = src == null;
            long[] shape = fixed.get(v.name());
            if (shape == null) {
                shape = declared(v, request.preprocessing(), src, symbols);
                if (shape == null && !data) {
                    unresolved.add(v.name() + " " + Dim.format(v.type().shape()) + " (pass --shape " + flag(v) + ")");
                }
            }
            out.add(new Planned(v, shape, src));
        }
        if (!unresolved.isEmpty()) {
            throw new DataException("dynamic dimensions need a size: " + String.join("; ", unresolved));
        }
        return new InputPlan(out, request.preprocessing(), loaded);
    }

    /** Records the sizes a resolved shape gives its declared symbolic dimensions. */
    private static void learn(ValueInfo v, long[] shape, Map<String, Long> symbols) {
        List<Dim> s = v.type().shape();
        if (s == null || s.size() != shape.length) {
            return;
        }
        for (int i = 0; i < shape.length; i++) {
            if (s.get(i).isSymbolic()) {
                symbols.putIfAbsent(s.get(i).param(), shape[i]);
            }
        }
    }

    private static String target(String name, Map<String, ValueInfo> byName, String what) throws DataException {
        if (name == null) {
            if (byName.size() != 1) {
                throw new DataException(what + ": the model has " + byName.size() + " inputs ("
                        + String.join(", ", byName.keySet()) + "); name one as NAME=...");
            }
            return byName.keySet().iterator().next();
        }
        if (!byName.containsKey(name)) {
            throw new DataException(what + ": the model has no input named '" + name + "' (inputs: "
                    + String.join(", ", byName.keySet()) + ")");
        }
        return name;
    }

    /**
     * The declared shape with a dynamic batch dimension at 1 and symbolic dimensions another input fixed, or
     * {@code null} when a dimension stays unknown.
     */
    private static long[] declared(ValueInfo v, Preprocessing pre, InputSource src, Map<String, Long> symbols) {
        List<Dim> s = v.type().shape();
        if (s == null) {
            return null;
        }
        long[] out = new long[s.size()];
        for (int i = 0; i < out.length; i++) {
            Dim d = s.get(i);
            if (d.isFixed()) {
                out[i] = d.value();
            } else if (d.isSymbolic() && symbols.containsKey(d.param())) {
                out[i] = symbols.get(d.param());
            } else if (i == 0) {
                out[i] = 1;
            } else if (pre.crop() > 0 && src instanceof InputSource.File f && f.kind() == InputSource.Kind.IMAGE
                    && out.length == 4) {
                out[i] = imageDim(s, i, pre);
                if (out[i] < 0) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return out;
    }

    /** {@code --crop N} fixes the height and width of an image input whose channel dimension is fixed. */
    private static long imageDim(List<Dim> s, int i, Preprocessing pre) {
        boolean nchw = s.get(1).isFixed();
        boolean spatial = nchw ? i >= 2 : i <= 2;
        return spatial ? pre.crop() : -1;
    }

    /** The exact flag that fixes every dimension, with the known ones filled in. */
    static String flag(ValueInfo v) {
        List<Dim> s = v.type().shape();
        if (s == null) {
            return v.name() + "=D1xD2x...";
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            Dim d = s.get(i);
            parts.add(d.isFixed() ? Long.toString(d.value()) : i == 0 ? "1"
                    : d.isSymbolic() ? "<" + d.param() + ">" : "<d" + i + ">");
        }
        return v.name() + "=" + String.join("x", parts);
    }

    private static void checkAgainstDeclared(ValueInfo v, long[] shape, String what) throws DataException {
        List<Dim> s = v.type().shape();
        if (s == null) {
            return;
        }
        if (s.size() != shape.length) {
            throw new DataException(what + " gives input '" + v.name() + "' " + shape.length + " dimensions "
                    + Arrays.toString(shape) + ", but it has " + s.size() + " " + Dim.format(s));
        }
        for (int i = 0; i < shape.length; i++) {
            if (s.get(i).isFixed() && s.get(i).value() != shape[i]) {
                throw new DataException(what + " gives input '" + v.name() + "' " + Arrays.toString(shape)
                        + ", but its dimension " + i + " is fixed at " + s.get(i).value() + " " + Dim.format(s));
            }
        }
    }

    /** A tensor or audio file fixes its input's shape; images and the rest follow the declared shape. */
    private static long[] fileShape(ValueInfo v, InputSource.File f, Request r, Map<String, Tensor> loaded)
            throws DataException {
        Tensor t = switch (f.kind()) {
            case NPY -> NumpyFiles.readNpy(f.path());
            case TENSOR_PROTO -> readProto(f);
            case WAV -> audio(v, f, r.sampleRate());
            case IMAGE -> null;
            case UNKNOWN -> throw new DataException(f.path() + ": not a known input file (.npy, .pb, .wav, "
                    + ".png/.jpg/.bmp/.gif) or generator (zeros, random, value:V)");
        };
        if (t == null) {
            return null;
        }
        try {
            t = TensorFit.fit(t, v, (int) Math.max(1, t.rank() == 0 ? 1 : t.dims()[0]));
        } catch (DataFileException e) {
            throw new DataException(f.path() + ": " + e.getMessage());
        }
        loaded.put(v.name(), t);
        return t.dims();
    }

    private static Tensor readProto(InputSource.File f) throws DataException {
        try {
            return new OnnxModelReader().readTensor(f.path());
        } catch (ModelLoadException e) {
            throw new DataException(e.getMessage());
        }
    }

    private static Tensor audio(ValueInfo v, InputSource.File f, int sampleRate) throws DataException {
        WavFiles.Audio a = WavFiles.read(f.path());
        if (sampleRate > 0 && a.sampleRate() != sampleRate) {
            throw new DataException(f.path() + ": sampled at " + a.sampleRate() + " Hz, not the " + sampleRate
                    + " Hz given with --sample-rate");
        }
        int rank = v.type().shape() == null ? 2 : v.type().shape().size();
        if (rank != 1 && rank != 2) {
            throw new DataException(f.path() + ": audio feeds a [n] or [1, n] input, but '" + v.name() + "' is "
                    + Dim.format(v.type().shape()));
        }
        long n = a.samples().length;
        return Tensor.ofFloats(v.name(), rank == 1 ? new long[] {n} : new long[] {1, n}, a.samples());
    }

    /** One tensor per input for a run of {@code batch} samples (sources only; data-fed inputs are left out). */
    public Map<String, Tensor> feeds(int batch) throws DataException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Planned p : inputs) {
            if (p.source() != null) {
                out.put(p.name(), tensor(p, batch, 0));
            }
        }
        return out;
    }

    /** True when any input's values are generated at random. */
    public boolean isSynthetic() {
        return inputs.stream().anyMatch(p -> p.source() != null && p.source().isSynthetic());
    }

    /** The value of input {@code p} for {@code batch} samples starting at sample {@code start} (random sources vary). */
    Tensor tensor(Planned p, int batch, int start) throws DataException {
        long[] dims = p.shape();
        int b = p.batched() ? batch : 1;
        if (p.batched() && dims.length > 0) {
            dims[0] = b;
        }
        InputSource src = p.source();
        if (src instanceof InputSource.File f) {
            Tensor one = loaded.get(p.name());
            if (one == null) {
                ImageGeometry g = geometry(p, f);
                one = TensorFit.fit(ImageFolderDataset.ofFile(f.path(), pre, g).batch(0, 1), p.info(), 1);
            }
            return b == 1 ? one : repeat(one, b);
        }
        return Generators.make(p.name(), p.type(), dims, src, start);
    }

    private ImageGeometry geometry(Planned p, InputSource.File f) throws DataException {
        try {
            return ImageGeometry.of(p.shape(), p.batched(), pre.layout());
        } catch (IllegalArgumentException e) {
            throw new DataException(f.path() + ": input '" + p.name() + "' " + Arrays.toString(p.shape())
                    + " does not take an image: " + e.getMessage());
        }
    }

    /** {@code one} (batch 1) stacked {@code batch} times along the first dimension. */
    static Tensor repeat(Tensor one, int batch) {
        byte[] raw = one.raw();
        byte[] all = new byte[Math.multiplyExact(raw.length, batch)];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(raw, 0, all, i * raw.length, raw.length);
        }
        long[] dims = one.dims();
        dims[0] = batch;
        return new Tensor(one.name(), one.dataType(), dims, all, List.of(), null, "");
    }
}
