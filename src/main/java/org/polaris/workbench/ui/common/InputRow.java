package org.polaris.workbench.ui.common;

import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ValueInfo;

/**
 * One model input in the Inputs table: name, element type and declared shape as the model states them, and the
 * shape and source the user set (blank: the declared shape with batch 1, and the pane's data or random values).
 */
public final class InputRow {

    private final ValueInfo info;
    private final StringProperty shape = new SimpleStringProperty("");
    private final StringProperty source = new SimpleStringProperty("");

    public InputRow(ValueInfo info) {
        this.info = info;
    }

    public ValueInfo info() {
        return info;
    }

    public String name() {
        return info.name();
    }

    public String dtype() {
        return info.type().elementType() == null ? "?" : info.type().elementType().displayName();
    }

    public String declared() {
        return Dim.format(info.type().shape());
    }

    /** True when some dimension other than the first is not fixed: the shape column needs a value. */
    public boolean needsShape() {
        var s = info.type().shape();
        return s == null || s.stream().skip(1).anyMatch(d -> !d.isFixed());
    }

    /** e.g. {@code 1x3x640x640}. */
    public StringProperty shapeProperty() {
        return shape;
    }

    /** A file path, {@code zeros}, {@code random} or {@code value:V}. */
    public StringProperty sourceProperty() {
        return source;
    }
}
