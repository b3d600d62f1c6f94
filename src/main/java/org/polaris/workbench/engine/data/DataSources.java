package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns what a user points at (an IDX file, a folder of images, audio, {@code .npz} samples or ONNX test data sets,
 * or nothing) plus the {@code --shape}/{@code --input} request into the feeds of a model's inputs.
 */
public final class DataSources {

    private DataSources() {
    }

    /**
     * The feeds for a model: {@code path} covers the inputs it holds (by name for {@code .npz} and test data sets;
     * single-tensor data feeds the first input without an {@code --input} source), every other input takes its
     * source; without {@code path} every input takes its source (seeded random by default, flagged synthetic).
     *
     * @param samples how many samples the caller will use (image folders yield extra crops to reach it)
     */
    public static Feeds open(Path path, InputPlan.Request request, int samples, List<ValueInfo> inputs)
            throws DataException {
        if (inputs.isEmpty()) {
            throw new DataException("the model has no inputs to feed");
        }
        if (path == null) {
            return new Feeds(InputPlan.resolve(inputs, request, Set.of()), null, samples);
        }
        if (!Files.exists(path)) {
            throw new DataException(path + ": no such file or folder");
        }
        List<String> names = inputs.stream().map(ValueInfo::name).toList();
        if (NamedSamples.handles(path) || path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz")) {
            NamedSamples d = NamedSamples.open(path, names, samples);
            Set<String> covered = new HashSet<>(d.names());
            covered.retainAll(names);
            if (covered.isEmpty()) {
                throw new DataException(path + ": holds " + String.join(", ", d.names()) + ", none of the model's inputs ("
                        + String.join(", ", names) + ")");
            }
            return new Feeds(InputPlan.resolve(inputs, request, covered), d, samples);
        }
        Set<String> bound = new HashSet<>();
        for (InputSource.Binding b : request.sources()) {
            bound.add(b.input() == null ? names.get(0) : b.input());
        }
        String primary = names.stream().filter(n -> !bound.contains(n)).findFirst()
                .orElseThrow(() -> new DataException(path + ": every model input already has an --input source"));
        InputPlan plan = InputPlan.resolve(inputs, request, Set.of(primary));
        InputPlan.Planned p = plan.input(primary);
        Dataset d;
        if (Files.isDirectory(path) && WavFolderDataset.handles(path)) {
            d = WavFolderDataset.open(path, request.sampleRate(), p.info().type().shape() != null
                    && p.info().type().shape().size() == 1, samples);
        } else if (Files.isDirectory(path)) {
            d = ImageFolderDataset.open(path, squareDefaults(plan.preprocessing(), p), Math.max(1, samples / 5),
                    imageGeometry(path, p, plan.preprocessing()));
        } else {
            d = IdxDataset.open(path, plan.preprocessing(), samples);
        }
        return new Feeds(plan, d, samples);
    }

    private static ImageGeometry imageGeometry(Path path, InputPlan.Planned p, Preprocessing pre) throws DataException {
        if (p.shape() == null) {
            throw new DataException(path + ": images for input '" + p.name() + "' " + Dim.format(p.info().type().shape())
                    + " need its height and width: pass --shape " + InputPlan.flag(p.info()));
        }
        try {
            return ImageGeometry.of(p.shape(), p.batched(), pre.layout());
        } catch (IllegalArgumentException e) {
            throw new DataException(path + ": input '" + p.name() + "' does not take images: " + e.getMessage());
        }
    }

    /** Square image inputs resize the shorter side to 8/7 of the input (256 for 224) before the center crop. */
    private static Preprocessing squareDefaults(Preprocessing pre, InputPlan.Planned p) {
        if (pre.resize() > 0 || p.shape() == null || p.shape().length < 3) {
            return pre;
        }
        long[] s = p.shape();
        long side = Math.max(s[s.length - 1], s[s.length - 2]);
        return new Preprocessing(pre.scale(), pre.mean(), pre.std(), (int) Math.min(8192, side * 8 / 7), pre.crop(),
                pre.layout());
    }

    /**
     * @param path an IDX images file (labels beside it are picked up), a folder of images, or {@code null} for
     *             seeded random inputs shaped like the model's input (flagged as synthetic)
     * @param samples how many samples the caller will use (image folders yield extra crops to reach it)
     */
    public static Dataset open(Path path, Preprocessing pre, int samples, ValueType modelInput) throws DataException {
        if (path == null) {
            return new RandomDataset(sampleShape(modelInput), Math.max(1, samples), 42);
        }
        if (!Files.exists(path)) {
            throw new DataException(path + ": no such file or folder");
        }
        if (Files.isDirectory(path)) {
            Preprocessing p = pre.crop() > 0 ? pre : withModelCrop(pre, modelInput);
            return ImageFolderDataset.open(path, p, Math.max(1, samples / 5));
        }
        return IdxDataset.open(path, pre, samples);
    }

    /** Fills in crop (the model's input height) and resize (crop * 8/7) when they were left at 0. */
    public static Preprocessing withModelCrop(Preprocessing pre, ValueType input) {
        int side = pre.crop();
        if (side == 0 && input != null && input.shape() != null && input.shape().size() == 4) {
            Dim h = input.shape().get(pre.layout().equals("NCHW") ? 2 : 1);
            side = h.isFixed() ? (int) h.value() : 0;
        }
        int resize = pre.resize() > 0 ? pre.resize() : side * 8 / 7;
        return new Preprocessing(pre.scale(), pre.mean(), pre.std(), resize, side, pre.layout());
    }

    private static long[] sampleShape(ValueType input) throws DataException {
        if (input == null || input.shape() == null || input.shape().isEmpty()
                || input.shape().stream().skip(1).anyMatch(d -> !d.isFixed())) {
            throw new DataException("random inputs need a model input with fixed non-batch dimensions; "
                    + "give calibration data instead");
        }
        return input.shape().stream().skip(1).mapToLong(Dim::value).toArray();
    }

    /** Parses a pixel multiplier written as a number or a fraction ("1/255"). */
    public static double parseScale(String s) {
        String[] parts = s.trim().split("/");
        try {
            double v = parts.length == 2 ? Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]) : Double.parseDouble(s.trim());
            if (!Double.isFinite(v) || v == 0 || Math.abs(v) > 1e6) {
                throw new IllegalArgumentException("scale must be a finite, non-zero number up to 1e6, not " + s);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("scale must be a number or a fraction like 1/255, not " + s);
        }
    }

    /** Parses comma-separated per-channel values ("0.485,0.456,0.406"). */
    public static double[] parseList(String s, String what) {
        String[] parts = s.trim().split("\\s*,\\s*");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " must be numbers separated by commas, not " + s);
            }
        }
        return out;
    }
}
