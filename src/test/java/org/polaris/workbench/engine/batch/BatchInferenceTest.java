package org.polaris.workbench.engine.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.NumpyFiles;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code batch}: shards equal to one ONNX Runtime run, top-k, resume after a lost shard, folders that are not ours. */
class BatchInferenceTest {

    static final Path T10K = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static IdxDataset data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        data = IdxDataset.open(T10K, Preprocessing.unitScale(), 2000);
    }

    private BatchInference.Request request(Path out, int threads) {
        return new BatchInference.Request(TestData.FASHION_CNN, ref(), out, 500, 200, 64, 3);
    }

    /** The data by path, as a cluster's task opens it. */
    static DataRef ref() {
        return DataRef.of(T10K, InputPlan.Request.of(Preprocessing.unitScale()), 2000);
    }

    @Test
    void shardsHoldWhatOneRunGivesAndARerunRedoesOnlyTheLostShard() throws Exception {
        Path out = tmp.resolve("run");
        BatchInference.Summary s = new BatchInference().run(request(out, 2), JobRunner.local(2), ProgressSink.NONE,
                CancellationToken.none());
        assertThat(s.shards()).isEqualTo(3);
        assertThat(s.skipped()).isZero();
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("batch.json", "summary.json",
                    "topk.csv", "shard-00000.npz", "shard-00001.npz", "shard-00002.npz", "shard-00000.csv",
                    "shard-00001.csv", "shard-00002.csv");
        }
        // the shards, stacked, are the model's logits over the first 500 samples in one ONNX Runtime run
        OnnxModel model = new OnnxModelReader().read(TestData.FASHION_CNN);
        float[] want;
        try (ModelRuntime rt = Runtimes.open(Runtimes.Kind.ORT, model, 1)) {
            want = rt.run(data.feeds(0, 500, model.graph().feedInputs())).values().iterator().next().toFloats();
        }
        float[] got = new float[500 * 10];
        int at = 0;
        for (int i = 0; i < 3; i++) {
            Tensor t = NumpyFiles.readNpz(out.resolve(String.format("shard-%05d.npz", i))).values().iterator().next();
            assertThat(t.dims()).containsExactly(i < 2 ? 200 : 100, 10);
            float[] v = t.toFloats();
            System.arraycopy(v, 0, got, at, v.length);
            at += v.length;
        }
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5f * Math.max(1, Math.abs(want[i]))));
        }
        List<String> csv = Files.readAllLines(out.resolve("topk.csv"));
        assertThat(csv).hasSize(501);
        assertThat(csv.get(0)).isEqualTo("sample,label,class1,score1,class2,score2,class3,score3");
        String[] row = csv.get(8).split(",");
        int arg = 0;
        for (int c = 1; c < 10; c++) if (want[7 * 10 + c] > want[7 * 10 + arg]) arg = c;
        assertThat(row[0]).isEqualTo("7");
        assertThat(row[1]).isEqualTo(Integer.toString(data.label(7)));
        assertThat(row[2]).isEqualTo(Integer.toString(arg));

        // a lost shard is redone, the others are skipped; the results do not change
        byte[] before = Files.readAllBytes(out.resolve("shard-00001.npz"));
        Files.delete(out.resolve("shard-00001.npz"));
        BatchInference.Summary again = new BatchInference().run(request(out, 1), JobRunner.local(1), ProgressSink.NONE,
                CancellationToken.none());
        assertThat(again.skipped()).isEqualTo(2);
        assertThat(Files.readAllBytes(out.resolve("shard-00001.npz"))).isEqualTo(before);
        assertThat(Files.readAllLines(out.resolve("topk.csv"))).isEqualTo(csv);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("runner").asText()).isEqualTo("in-process, 1 thread");
    }

    @Test
    void aFolderWithOtherFilesOrAnotherJobIsRefused() throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep");
        BatchInference.BatchException e = assertThrows(BatchInference.BatchException.class, () -> new BatchInference()
                .run(request(mine, 1), JobRunner.local(1), ProgressSink.NONE, CancellationToken.none()));
        assertThat(e.getMessage()).isEqualTo(mine + ": holds files that are not this job's (notes.txt); choose an empty folder");
        assertThat(Files.readString(mine.resolve("notes.txt"))).isEqualTo("keep");

        Path out = tmp.resolve("job");
        new BatchInference().run(new BatchInference.Request(TestData.FASHION_CNN, ref(), out, 100, 50, 64, 3),
                JobRunner.local(1), ProgressSink.NONE, CancellationToken.none());
        e = assertThrows(BatchInference.BatchException.class, () -> new BatchInference().run(new BatchInference.Request(
                TestData.FASHION_CNN, ref(), out, 100, 25, 64, 3), JobRunner.local(1), ProgressSink.NONE,
                CancellationToken.none()));
        assertThat(e.getMessage()).isEqualTo(out + ": holds a batch of " + TestData.FASHION_CNN + " on " + T10K + " (100 samples "
                + "in shards of 50); resume it with the same model, data and settings, or choose an empty folder");
    }

    @Test
    void aRunThatFailsBeforeItsFirstShardLeavesNothing() throws Exception {
        // the MLP's input fed the CNN's way round: ONNX Runtime refuses the first batch
        InputDataWrongShape wrong = new InputDataWrongShape(data);
        Path out = tmp.resolve("new");
        assertThrows(Exception.class, () -> new BatchInference().run(new BatchInference.Request(TestData.FASHION_CNN,
                DataRef.of(wrong), out, 100, 50, 64, 3), JobRunner.local(1), ProgressSink.NONE, CancellationToken.none()));
        assertThat(out).doesNotExist();
        Path existing = Files.createDirectories(tmp.resolve("existing"));
        assertThrows(Exception.class, () -> new BatchInference().run(new BatchInference.Request(TestData.FASHION_CNN,
                DataRef.of(wrong), existing, 100, 50, 64, 3), JobRunner.local(1), ProgressSink.NONE, CancellationToken.none()));
        try (var files = Files.list(existing)) {
            assertThat(files).isEmpty();
        }
    }

    /** Samples shaped [N, 784] where the model wants [N, 1, 28, 28]. */
    private record InputDataWrongShape(IdxDataset d) implements org.polaris.workbench.engine.data.InputData {
        public int size() {
            return d.size();
        }

        public java.util.Map<String, Tensor> feeds(int start, int count, List<org.polaris.workbench.engine.model.ValueInfo> in) {
            Tensor t = d.feeds(start, count, in).values().iterator().next();
            return java.util.Map.of(in.get(0).name(), Tensor.ofFloats(in.get(0).name(), new long[] {count, 784}, t.toFloats()));
        }

        public int label(int i) {
            return d.label(i);
        }

        public String description() {
            return "wrong";
        }
    }
}
