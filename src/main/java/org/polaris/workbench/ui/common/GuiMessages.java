package org.polaris.workbench.ui.common;

import org.polaris.workbench.engine.job.CancelledException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Engine messages in the GUI's words. The engine speaks to the CLI ("pass --calib-data"); in a pane the user needs
 * the control to use, and never a Java exception's text or an ONNX Runtime error code.
 */
public final class GuiMessages {

    private static final Map<String, String> PHRASES = new LinkedHashMap<>();

    static {
        PHRASES.put("Pass --calib-data.", "Choose calibration data (Calibration > Data).");
        PHRASES.put("Pass --eval-data.", "Choose evaluation data (Evaluation > Data).");
        PHRASES.put("(--exclude)", "(tick Keep FP32 for them in the layer table)");
        PHRASES.put("(try --latency-batch 32 to see throughput)", "(benchmark larger batches in the Inference pane)");
        PHRASES.put("use --mode weight-only", "choose Mode: weight-only");
        PHRASES.put("use --int4-format dq", "choose 4-bit blocks: DequantizeLinear");
        PHRASES.put("use --int4-format nbits", "choose 4-bit blocks: MatMulNBits");
        PHRASES.put("use --per-tensor", "untick Weights: per channel");
        PHRASES.put("use it with --method magnitude", "use it with Method: magnitude");
        PHRASES.put("--scope layer and --method magnitude or block", "Scope: layer and Method: magnitude or block");
        PHRASES.put("pass --force to replace it", "choose another name with Save as…");
        PHRASES.put("give calibration data instead", "choose calibration data instead");
    }

    private static final Pattern ORT_CODE = Pattern.compile("(?:ai\\.onnxruntime\\.OrtException: )?Error code - "
            + "ORT_[A-Z_]+ - message: ");
    private static final Pattern FLAG = Pattern.compile("(^|[\\s(])--[a-z][a-z0-9-]*");

    private GuiMessages() {
    }

    /** What to show for a failed job. */
    public static String of(Throwable ex) {
        Throwable t = ex;
        while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.io.UncheckedIOException
                || t.getClass() == RuntimeException.class) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof CancelledException) {
            return "Cancelled.";
        }
        if (t instanceof OutOfMemoryError) {
            return "The workbench ran out of memory: use fewer samples or a smaller batch, or start it with more "
                    + "memory (-Xmx).";
        }
        if (t instanceof IndexOutOfBoundsException || t instanceof NullPointerException || t instanceof ClassCastException
                || t instanceof ArithmeticException || t instanceof IllegalStateException && t.getMessage() == null) {
            // a bug, not the user's doing: say so, and keep the detail for the report
            return "The workbench failed on this model (internal error: " + t.getClass().getSimpleName()
                    + "). Please report it with the log file.";
        }
        String m = t.getMessage();
        return text(m == null || m.isBlank() ? t.getClass().getSimpleName() : m);
    }

    /** An engine message or warning in the GUI's words. */
    public static String text(String message) {
        if (message == null) {
            return "";
        }
        String s = message;
        for (Map.Entry<String, String> e : PHRASES.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        Matcher m = ORT_CODE.matcher(s);
        if (m.find()) {
            s = m.replaceAll("ONNX Runtime: ");
        }
        return s;
    }

    /** True when {@code message} still names a command-line flag (for tests of the GUI's wording). */
    public static boolean namesFlag(String message) {
        return FLAG.matcher(message).find();
    }
}
