package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's feeds from an {@link InputPlan}: the inputs a data set covers come from it, every other input from its
 * planned source (a file or a generator). Without a data set every input comes from its source.
 */
public final class Feeds implements InputData {

    private final InputPlan plan;
    private final InputData data;
    private final int size;

    /** @param data feeds the plan's inputs that have no source, or {@code null} when every input has one */
    public Feeds(InputPlan plan, InputData data, int samples) {
        this.plan = plan;
        this.data = data;
        this.size = data != null ? data.size() : Math.max(1, samples);
    }

    public InputPlan plan() {
        return plan;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Map<String, Tensor> feeds(int start, int count, List<ValueInfo> inputs) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<ValueInfo> fromData = new ArrayList<>();
        for (ValueInfo v : inputs) {
            InputPlan.Planned p = plan.input(v.name());
            if (p == null || p.source() == null) {
                fromData.add(v);
            }
        }
        Map<String, Tensor> d = data == null || fromData.isEmpty() ? Map.of() : data.feeds(start, count, fromData);
        for (ValueInfo v : inputs) {
            InputPlan.Planned p = plan.input(v.name());
            if (p != null && p.source() != null) {
                try {
                    out.put(v.name(), plan.tensor(p, count, start));
                } catch (DataException e) {
                    throw new DataFileException(e.getMessage());
                }
            } else if (d.containsKey(v.name())) {
                out.put(v.name(), d.get(v.name()));
            } else {
                throw new DataFileException("input '" + v.name() + "' has no source: the data ("
                        + (data == null ? "none" : data.description()) + ") does not hold it; pass --input "
                        + v.name() + "=SOURCE (a file, zeros, random or value:V)");
            }
        }
        return out;
    }

    @Override
    public int label(int i) {
        return data == null ? -1 : data.label(i);
    }

    @Override
    public String description() {
        List<String> generated = new ArrayList<>();
        for (InputPlan.Planned p : plan.inputs()) {
            if (p.source() != null) {
                generated.add(p.name() + "=" + p.source().text());
            }
        }
        if (data == null) {
            return size + (size == 1 ? " sample of " : " samples of ") + String.join(", ", generated)
                    + (plan.isSynthetic() ? " (random: no accuracy meaning)" : "");
        }
        return data.description() + (generated.isEmpty() ? "" : " with " + String.join(", ", generated));
    }

    @Override
    public List<Path> files() {
        List<Path> out = new ArrayList<>(data == null ? List.of() : data.files());
        for (InputPlan.Planned p : plan.inputs()) {
            if (p.source() instanceof InputSource.File f) {
                out.add(f.path());
            }
        }
        return out;
    }

    @Override
    public boolean isSynthetic() {
        return plan.isSynthetic() || (data != null && data.isSynthetic());
    }

    @Override
    public int maxBatch() {
        boolean stackable = plan.inputs().stream().allMatch(InputPlan.Planned::batched);
        return Math.min(stackable ? Integer.MAX_VALUE : 1, data == null ? Integer.MAX_VALUE : data.maxBatch());
    }
}
