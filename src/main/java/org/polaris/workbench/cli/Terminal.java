package org.polaris.workbench.cli;

/**
 * Text bound for a terminal: control characters (C0, DEL, C1, and the bidirectional overrides that reorder what is
 * shown) are written as visible escapes, so a file name or a model's metadata cannot move the cursor, clear the
 * screen or disguise itself.
 */
final class Terminal {

    private Terminal() {
    }

    static String safe(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean keep = c == '\n' || c == '\t' || !(c < 0x20 || (c >= 0x7f && c < 0xa0)
                    || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069));
            if (keep) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            b.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
        }
        return b == null ? s : b.toString();
    }

    /** One line: as {@link #safe}, with line breaks escaped too. */
    static String line(String s) {
        return safe(s).replace("\n", "\\n").replace("\t", " ");
    }
}
