package org.polaris.workbench.ui.app;

import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Labeled;
import javafx.scene.text.Text;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds text the user cannot read in full: a shown {@link Labeled} whose rendered text (the skin's {@code Text}
 * node) is shorter than its text, with no tooltip to read the rest. Call on the FX thread after a layout pass.
 */
final class TextFit {

    private TextFit() {
    }

    static List<String> cutWithoutTooltip(Parent root) {
        List<String> out = new ArrayList<>();
        visit(root, out);
        return out;
    }

    private static void visit(Node n, List<String> out) {
        if (!n.isVisible()) {
            return;
        }
        if (n instanceof Labeled l && l.getText() != null && !l.getText().isEmpty() && !hasTooltip(l)) {
            Text shown = renderedText(l);
            // a mnemonic's underscore is not shown: "_File" reads "File"
            String full = l.isMnemonicParsing() ? l.getText().replaceFirst("_", "") : l.getText();
            if (shown != null && !shown.getText().equals(full)) {
                out.add(describe(l) + ": \"" + l.getText() + "\" shows as \"" + shown.getText() + "\"");
            }
        }
        if (n instanceof Parent p) {
            for (Node c : p.getChildrenUnmodifiable()) {
                visit(c, out);
            }
        }
    }

    /** A tooltip on the label or on the control it is part of (a choice box's label) shows on hover too. */
    private static boolean hasTooltip(Node n) {
        for (Node p = n; p != null; p = p.getParent()) {
            if (p instanceof javafx.scene.control.Control c && c.getTooltip() != null) {
                return true;
            }
        }
        return false;
    }

    private static Text renderedText(Labeled l) {
        for (Node c : l.getChildrenUnmodifiable()) {
            if (c instanceof Text t) {
                return t;
            }
        }
        return null;
    }

    private static String describe(Node n) {
        StringBuilder s = new StringBuilder(n.getClass().getSimpleName());
        for (Node p = n; p != null; p = p.getParent()) {
            if (p.getId() != null) {
                s.append(" in #").append(p.getId());
                break;
            }
        }
        return s.toString();
    }
}
