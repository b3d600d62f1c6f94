package org.polaris.workbench.engine.data;

import java.nio.file.Path;
import java.util.Locale;

/** Where one model input's values come from: a file, or a generator. */
public sealed interface InputSource extends java.io.Serializable {

    /** A {@code .npy}, ONNX {@code TensorProto} {@code .pb}, image (png/jpg/bmp/gif) or {@code .wav} file. */
    record File(Path path) implements InputSource {
        /** A path is not serializable: it travels (to a cluster's workers) as its text. */
        private Object writeReplace() {
            return new FileText(path.toString());
        }

        public Kind kind() {
            String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".npy")) return Kind.NPY;
            if (n.endsWith(".pb")) return Kind.TENSOR_PROTO;
            if (n.endsWith(".wav")) return Kind.WAV;
            if (n.matches(".*\\.(png|jpe?g|bmp|gif)")) return Kind.IMAGE;
            return Kind.UNKNOWN;
        }
    }

    /** How a {@link File} travels. */
    record FileText(String path) implements java.io.Serializable {
        private Object readResolve() {
            return new File(Path.of(path));
        }
    }

    /** What a file source holds, by its extension. */
    enum Kind { NPY, TENSOR_PROTO, IMAGE, WAV, UNKNOWN }

    /** All zeros (state tensors, masks). */
    record Zeros() implements InputSource {
    }

    /** Seeded values: Gaussian for float inputs, 0..9 for integers, 0/1 for bool. Flagged as synthetic. */
    record Random(long seed) implements InputSource {
    }

    /** Every element set to one value ({@code sr=value:16000}). */
    record Value(double value) implements InputSource {
        public Value {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("value: needs a finite number");
            }
        }
    }

    /** One {@code --input} argument: the input it names, or {@code null} for "the model's only/primary input". */
    record Binding(String input, InputSource source) implements java.io.Serializable {
    }

    /** How it is written on the command line. */
    default String text() {
        if (this instanceof File f) {
            return f.path().toString();
        }
        if (this instanceof Value v) {
            double x = v.value();
            return "value:" + (x == Math.rint(x) && Math.abs(x) < 1e15 ? String.valueOf((long) x) : String.valueOf(x));
        }
        return this instanceof Zeros ? "zeros" : "random";
    }

    default boolean isSynthetic() {
        return this instanceof Random;
    }

    /** {@code zeros}, {@code random}, {@code value:V}, or a file path. */
    static InputSource parse(String text) {
        String t = text.trim();
        if (t.equals("zeros")) {
            return new Zeros();
        }
        if (t.equals("random")) {
            return new Random(42);
        }
        if (t.startsWith("value:")) {
            try {
                return new Value(Double.parseDouble(t.substring(6).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--input " + text + ": value: needs a number, e.g. value:16000");
            }
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("--input needs a file or zeros, random, value:V");
        }
        return new File(Path.of(t));
    }

    /**
     * Parses {@code NAME=SOURCE}, or a bare source for the model's only input. A text naming an existing file is
     * always a bare source (a path may hold '='); which names exist is checked when the plan is resolved.
     */
    static Binding parseBinding(String text) {
        String t = text.trim();
        int eq = t.indexOf('=');
        if (eq > 0 && !java.nio.file.Files.exists(Path.of(t))) {
            return new Binding(t.substring(0, eq), parse(t.substring(eq + 1)));
        }
        return new Binding(null, parse(t));
    }
}
