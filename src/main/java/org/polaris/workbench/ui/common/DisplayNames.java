package org.polaris.workbench.ui.common;

import javafx.util.StringConverter;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.sparsity.Allocation;

import java.util.Locale;
import java.util.function.Function;

/** What the GUI calls the engine's enums (never their Java names). */
public final class DisplayNames {

    private DisplayNames() {
    }

    public static String runtime(Runtimes.Kind k) {
        return switch (k) {
            case ORT -> "ONNX Runtime";
            case ENGINE -> "Polaris engine";
            case TORCH -> "PyTorch (DJL)";
        };
    }

    /** A runtime as the engine's results name it ("ORT", "engine"). */
    public static String runtime(String name) {
        try {
            return runtime(Runtimes.parse(name));
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    public static String calibration(Calibration.Method m) {
        return switch (m) {
            case MINMAX -> "min/max";
            case PERCENTILE -> "percentile";
            case ENTROPY -> "entropy (KL divergence)";
            case MSE -> "least squared error";
        };
    }

    public static String allocation(Allocation.Strategy s) {
        return switch (s) {
            case UNIFORM -> "uniform";
            case ERK -> "ERK (by layer shape)";
            case SENSITIVITY -> "by measured sensitivity";
        };
    }

    /** Fallback for enums without a name here: "WEIGHT_ONLY" reads "weight only". */
    public static String of(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /** A converter for choice boxes that shows {@code f}'s names (choice boxes never parse text back). */
    public static <T> StringConverter<T> converter(Function<T, String> f) {
        return new StringConverter<>() {
            @Override
            public String toString(T t) {
                return t == null ? "" : f.apply(t);
            }

            @Override
            public T fromString(String s) {
                throw new UnsupportedOperationException("choice boxes are not editable");
            }
        };
    }
}
