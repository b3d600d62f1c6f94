package org.polaris.workbench.ui.common;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.CancelledException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkspaceTest {

    private final Workspace ws = new Workspace();
    private final Path a = Path.of("/m/a.onnx");
    private final Path b = Path.of("/m/b.onnx");
    private final Path c = Path.of("/m/c.onnx");

    @Test
    void addingSelectsAndClosingSelectsTheNeighbour() {
        ws.add(a);
        ws.add(b);
        ws.add(c);
        assertThat(ws.openModels()).containsExactly(a, b, c);
        assertThat(ws.current()).isEqualTo(c);
        ws.select(a);
        ws.add(a); // already open: selected, not listed twice
        assertThat(ws.openModels()).containsExactly(a, b, c);
        ws.remove(a);
        assertThat(ws.current()).isEqualTo(b);
        ws.remove(c); // not current: selection stays
        assertThat(ws.current()).isEqualTo(b);
        ws.remove(b);
        assertThat(ws.current()).isNull();
        assertThat(ws.openModels()).isEmpty();
    }

    @Test
    void aSelectionOutsideTheOpenModelsIsIgnored() {
        ws.add(a);
        ws.select(null);
        ws.select(b);
        assertThat(ws.current()).isEqualTo(a);
        assertThatThrownBy(() -> ws.openModels().add(b)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void perModelValuesFollowTheSelectionAndGoWithTheirModel() {
        PerModel<String> results = new PerModel<>(ws);
        ws.add(a);
        results.put(a, "result of a");
        ws.add(b);
        assertThat(results.get()).isNull(); // b has none: never a's
        results.putCurrent("result of b");
        ws.select(a);
        assertThat(results.get()).isEqualTo("result of a");
        results.put(b, "newer result of b"); // arrives while a is shown: kept, not shown
        assertThat(results.get()).isEqualTo("result of a");
        ws.select(b);
        assertThat(results.get()).isEqualTo("newer result of b");
        ws.remove(a);
        results.put(a, "late result of a closed model");
        ws.add(a);
        assertThat(results.get()).isNull();
    }

    @Test
    void closingAModelCancelsItsJobAndDropsItsCallbacks() {
        InlineTaskRunner tasks = new InlineTaskRunner();
        ws.add(a);
        ws.add(b);
        List<String> calls = new ArrayList<>();
        boolean[] sawCancel = {false};
        ws.submit(tasks, a, "job on a", (progress, cancel) -> {
            ws.remove(a); // the user closes the model while its job runs
            try {
                cancel.throwIfCancelled();
            } catch (CancelledException e) {
                sawCancel[0] = true;
                throw e;
            }
            return "written";
        }, calls::add, ex -> calls.add("failed: " + ex));
        assertThat(sawCancel[0]).isTrue();
        assertThat(calls).isEmpty();
        // a job on another model is not touched
        ws.submit(tasks, b, "job on b", (progress, cancel) -> {
            cancel.throwIfCancelled();
            return "b done";
        }, calls::add, ex -> calls.add("failed: " + ex));
        assertThat(calls).containsExactly("b done");
    }
}
