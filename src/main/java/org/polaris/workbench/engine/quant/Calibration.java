package org.polaris.workbench.engine.quant;

import java.util.Locale;

/**
 * How activation ranges are chosen from what calibration saw.
 *
 * @param percentile for {@link Method#PERCENTILE}, the share of values kept inside the range (default 99.99)
 */
public record Calibration(Method method, double percentile) implements java.io.Serializable {

    public enum Method { MINMAX, PERCENTILE, ENTROPY, MSE }

    public static final double DEFAULT_PERCENTILE = 99.99;

    public Calibration {
        if (!(percentile > 50 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (50, 100], got " + percentile);
        }
    }

    /** Parses {@code minmax}, {@code percentile}, {@code percentile:99.9}, {@code entropy} or {@code mse}. */
    public static Calibration parse(String s) {
        String[] parts = s.trim().toLowerCase(Locale.ROOT).split(":", 2);
        Method m = switch (parts[0]) {
            case "minmax", "min-max" -> Method.MINMAX;
            case "percentile" -> Method.PERCENTILE;
            case "entropy", "kl" -> Method.ENTROPY;
            case "mse" -> Method.MSE;
            default -> throw new IllegalArgumentException(
                    "unknown calibration '" + s + "': use minmax, percentile[:P], entropy or mse");
        };
        double p = DEFAULT_PERCENTILE;
        if (parts.length == 2) {
            if (m != Method.PERCENTILE) {
                throw new IllegalArgumentException("only percentile takes a parameter: " + s);
            }
            try {
                p = Double.parseDouble(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("percentile '" + parts[1] + "' is not a number");
            }
        }
        return new Calibration(m, p);
    }

    public boolean needsHistogram() {
        return method != Method.MINMAX;
    }

    @Override
    public String toString() {
        return method == Method.PERCENTILE ? "percentile:" + percentile : method.name().toLowerCase(Locale.ROOT);
    }
}
