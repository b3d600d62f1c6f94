package org.polaris.workbench.engine.sparsity;

import java.util.Locale;

/**
 * How weights are chosen for removal. Weights are seen as a matrix with one row per output channel and the
 * input side (input channels x kernel taps) along the row.
 *
 * <ul>
 *   <li>{@code magnitude}: the smallest |w| individually (unstructured)</li>
 *   <li>{@code nm:N:M}: in every run of M consecutive weights along a row, all but the N largest (fixed sparsity
 *       1 - N/M, the 2:4 pattern sparse tensor cores use)</li>
 *   <li>{@code block:RxC}: R x C tiles with the smallest L2 norm</li>
 *   <li>{@code channel} ({@code channel:l2}), {@code channel:l1}: whole output channels with the smallest norm; for ONNX
 *       models they are removed from the file and the graph rewired ({@link ChannelPruner})</li>
 * </ul>
 */
public record PruneMethod(Kind kind, int n, int m, int blockRows, int blockCols) implements java.io.Serializable {

    public enum Kind { MAGNITUDE, NM, BLOCK, CHANNEL }

    public static PruneMethod parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.equals("magnitude")) {
                return new PruneMethod(Kind.MAGNITUDE, 0, 0, 0, 0);
            }
            if (t.equals("channel") || t.equals("channel:l2")) {
                return new PruneMethod(Kind.CHANNEL, 0, 0, 0, 0);
            }
            if (t.equals("channel:l1")) {
                return new PruneMethod(Kind.CHANNEL, 1, 0, 0, 0);
            }
            if (t.startsWith("nm:")) {
                String[] p = t.substring(3).split(":");
                int n = Integer.parseInt(p[0]);
                int m = Integer.parseInt(p[1]);
                if (p.length != 2 || n < 1 || m < 2 || n >= m || m > 64) {
                    throw new IllegalArgumentException();
                }
                return new PruneMethod(Kind.NM, n, m, 0, 0);
            }
            if (t.startsWith("block:")) {
                String[] p = t.substring(6).split("x");
                int r = Integer.parseInt(p[0]);
                int c = Integer.parseInt(p[1]);
                if (p.length != 2 || r < 1 || c < 1 || r * c < 2 || r > 256 || c > 256) {
                    throw new IllegalArgumentException();
                }
                return new PruneMethod(Kind.BLOCK, 0, 0, r, c);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad pruning method '" + text
                    + "': use magnitude, nm:N:M (N < M <= 64, e.g. nm:2:4), block:RxC (e.g. block:4x4), channel or channel:l1");
        }
        throw new IllegalArgumentException("unknown pruning method '" + text
                + "': use magnitude, nm:N:M, block:RxC, channel or channel:l1");
    }

    /** Channel pruning ranks channels by L1 norm instead of L2. */
    public boolean l1() {
        return kind == Kind.CHANNEL && n == 1;
    }

    /** The sparsity this method imposes regardless of the requested one, or NaN when the request decides. */
    public double fixedSparsity() {
        return kind == Kind.NM ? 1.0 - (double) n / m : Double.NaN;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case MAGNITUDE -> "magnitude";
            case CHANNEL -> n == 1 ? "channel:l1" : "channel";
            case NM -> "nm:" + n + ":" + m;
            case BLOCK -> "block:" + blockRows + "x" + blockCols;
        };
    }
}
