package org.polaris.workbench.engine.data;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shape resolution and generated inputs: one mechanism behind --shape/--input and the Inputs table. */
class InputPlanTest {

    /** A voice-activity detector's inputs: input[batch,sequence], sr int64[], h/c [2,batch,64]. */
    private static final List<ValueInfo> VAD = List.of(
            in("input", DataType.FLOAT, Dim.symbolic("batch"), Dim.symbolic("sequence")),
            in("sr", DataType.INT64),
            in("h", DataType.FLOAT, Dim.of(2), Dim.symbolic("batch"), Dim.of(64)),
            in("c", DataType.FLOAT, Dim.of(2), Dim.symbolic("batch"), Dim.of(64)));
    private static final List<ValueInfo> DETECTOR = List.of(
            in("x", DataType.FLOAT, Dim.unknown(), Dim.of(3), Dim.unknown(), Dim.unknown()));

    private static ValueInfo in(String name, DataType t, Dim... dims) {
        return new ValueInfo(name, ValueType.tensor(t, List.of(dims)), "");
    }

    private static InputPlan.Request req(List<String> shapes, List<String> inputs) {
        return new InputPlan.Request(shapes.stream().map(ShapeSpec::parse).toList(),
                inputs.stream().map(InputSource::parseBinding).toList(), Preprocessing.unitScale(), 0);
    }

    @Test
    void dynamicDimsOtherThanBatchNeedAShapeAndTheErrorGivesTheExactFlag() {
        assertThatThrownBy(() -> InputPlan.resolve(DETECTOR, req(List.of(), List.of()), Set.of()))
                .isInstanceOf(DataException.class)
                .hasMessage("dynamic dimensions need a size: x [?,3,?,?] (pass --shape x=1x3x<d2>x<d3>)");
        assertThatThrownBy(() -> InputPlan.resolve(VAD, req(List.of(), List.of()), Set.of()))
                .hasMessage("dynamic dimensions need a size: input [batch,sequence] (pass --shape input=1x<sequence>)");
    }

    @Test
    void aBareShapeFixesTheOnlyInputAndFixedDimsMustMatch() throws Exception {
        InputPlan p = InputPlan.resolve(DETECTOR, req(List.of("1x3x48x192"), List.of()), Set.of());
        assertThat(p.input("x").shape()).containsExactly(1, 3, 48, 192);
        assertThatThrownBy(() -> InputPlan.resolve(DETECTOR, req(List.of("1x4x48x192"), List.of()), Set.of()))
                .hasMessageContaining("dimension 1 is fixed at 3");
        assertThatThrownBy(() -> InputPlan.resolve(DETECTOR, req(List.of("1x3x48"), List.of()), Set.of()))
                .hasMessageContaining("3 dimensions [1, 3, 48], but it has 4");
        assertThatThrownBy(() -> InputPlan.resolve(VAD, req(List.of("1x100"), List.of()), Set.of()))
                .hasMessageContaining("the model has 4 inputs (input, sr, h, c); name one");
        assertThatThrownBy(() -> InputPlan.resolve(VAD, req(List.of("audio=1x100"), List.of()), Set.of()))
                .hasMessageContaining("no input named 'audio'");
    }

    @Test
    void sharedSymbolsAndTheBatchResolveEveryStateInput() throws Exception {
        InputPlan p = InputPlan.resolve(VAD, req(List.of("input=1x512"),
                List.of("sr=value:16000", "h=zeros", "c=zeros")), Set.of());
        Map<String, Tensor> feeds = p.feeds(1);
        assertThat(feeds.keySet()).containsExactly("input", "sr", "h", "c");
        assertThat(feeds.get("input").dims()).containsExactly(1, 512);
        assertThat(feeds.get("sr").dataType()).isEqualTo(DataType.INT64);
        assertThat(feeds.get("sr").dims()).isEmpty();
        assertThat(feeds.get("sr").toDoubles()).containsExactly(16000);
        assertThat(feeds.get("h").dims()).containsExactly(2, 1, 64);
        assertThat(Arrays.stream(feeds.get("c").toDoubles()).allMatch(v -> v == 0)).isTrue();
        assertThat(p.isSynthetic()).isTrue();
        // the batch symbol a given shape names carries over to the state inputs
        InputPlan four = InputPlan.resolve(VAD, req(List.of("input=4x512"), List.of("sr=value:8000")), Set.of());
        assertThat(four.input("h").shape()).containsExactly(2, 4, 64);
    }

    @Test
    void everyInputTypeCanBeGenerated() throws Exception {
        for (DataType t : List.of(DataType.FLOAT, DataType.FLOAT16, DataType.INT64, DataType.INT32, DataType.INT8,
                DataType.UINT8, DataType.BOOL)) {
            List<ValueInfo> one = List.of(in("v", t, Dim.symbolic("n"), Dim.of(5)));
            Tensor r = InputPlan.resolve(one, req(List.of(), List.of()), Set.of()).feeds(3).get("v");
            assertThat(r.dataType()).isEqualTo(t);
            assertThat(r.dims()).containsExactly(3, 5);
            double[] v = r.toDoubles();
            if (t == DataType.BOOL) {
                assertThat(Arrays.stream(v).allMatch(x -> x == 0 || x == 1)).isTrue();
            } else if (t != DataType.FLOAT && t != DataType.FLOAT16) {
                assertThat(Arrays.stream(v).allMatch(x -> x >= 0 && x <= 9 && x == Math.rint(x))).isTrue();
            }
            Tensor seven = InputPlan.resolve(one, req(List.of(), List.of("value:7")), Set.of()).feeds(1).get("v");
            assertThat(seven.toDoubles()).containsOnly(t == DataType.BOOL ? 1 : 7);
        }
    }

    @Test
    void randomInputsMatchTheSeededRandomDataSet() throws Exception {
        List<ValueInfo> cnn = List.of(in("image", DataType.FLOAT, Dim.symbolic("batch"), Dim.of(1), Dim.of(28), Dim.of(28)));
        Feeds f = DataSources.open(null, InputPlan.Request.of(Preprocessing.unitScale()), 4, cnn);
        Tensor ours = f.feeds(1, 3, cnn).get("image");
        Tensor theirs = new RandomDataset(new long[] {1, 28, 28}, 4, 42).batch(1, 3);
        assertThat(ours.dims()).containsExactly(3, 1, 28, 28);
        assertThat(ours.raw()).isEqualTo(theirs.raw());
        assertThat(f.isSynthetic()).isTrue();
        assertThat(f.maxBatch()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void inputsWithoutABatchDimensionAreFedOneSampleAtATime() throws Exception {
        Feeds f = DataSources.open(null, req(List.of("input=1x64"), List.of("sr=value:16000")), 5, VAD);
        assertThat(f.maxBatch()).isEqualTo(1);
        assertThat(f.description()).isEqualTo("5 samples of input=random, sr=value:16000, h=random, c=random "
                + "(random: no accuracy meaning)");
    }

    @Test
    void malformedOptionsAreUsageErrors() {
        assertThatThrownBy(() -> ShapeSpec.parse("x=1x0x3")).hasMessageContaining("must be 1..");
        assertThatThrownBy(() -> ShapeSpec.parse("x=1xax3")).hasMessageContaining("whole numbers");
        assertThatThrownBy(() -> ShapeSpec.parse("x=100000x100000x1000")).hasMessageContaining("elements");
        assertThatThrownBy(() -> InputSource.parse("value:abc")).hasMessageContaining("needs a number");
        assertThat(InputSource.parseBinding("sr=value:16000"))
                .isEqualTo(new InputSource.Binding("sr", new InputSource.Value(16000)));
        assertThat(InputSource.parseBinding("zeros")).isEqualTo(new InputSource.Binding(null, new InputSource.Zeros()));
    }
}
