package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Checkpoints: a cancelled run keeps its last one, a resumed run ends where an unbroken one does, bad ones refused. */
class CheckpointTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static IdxDataset data;
    private static OnnxModel mlp;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        data = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 2000);
        mlp = new OnnxModelReader().read(TestData.FASHION_MLP);
    }

    private static final Trainer.Options OPTIONS = new Trainer.Options(3, 25, 2e-3, Optimizer.Kind.ADAMW, 0, 0.01,
            Trainer.Schedule.COSINE, 9);
    private static final SparseTraining.Options RIGL = new SparseTraining.Options(SparseTraining.Method.RIGL, 0.8,
            Allocation.Strategy.ERK, 5, 0.3, 0.75);

    private TrainService.Request request(Path out, Path checkpoint, boolean resume, Trainer.Options o) {
        return new TrainService.Request(mlp, TestData.FASHION_MLP, out, false, data, null, 300, o, RIGL, null, 2,
                out.resolveSibling(out.getFileName() + ".json"), checkpoint, resume);
    }

    private static Map<String, List<Float>> weights(Path model) throws Exception {
        return new OnnxModelReader().read(model).graph().initializers().stream().collect(Collectors.toMap(Tensor::name,
                t -> { float[] v = t.toFloats(); List<Float> l = new java.util.ArrayList<>(); for (float f : v) l.add(f); return l; }));
    }

    /** Cancels the run when the given epoch has ended (after its checkpoint was saved). */
    private record CancelAfter(int epoch, TrainControl control) implements Trainer.Listener {
        @Override
        public void epoch(Trainer.Epoch e) {
            if (e.epoch() == epoch) control.cancel();
        }
    }

    @Test
    void aRunCancelledAndResumedEndsWithTheWeightsOfOneThatNeverStopped() throws Exception {
        Path whole = tmp.resolve("whole.onnx");
        TrainService.Report unbroken = new TrainService().run(request(whole, null, false, OPTIONS), e -> { },
                ProgressSink.NONE, new TrainControl(new org.polaris.workbench.engine.job.CancellationToken()));

        Path dir = tmp.resolve("ck");
        Path out = tmp.resolve("resumed.onnx");
        TrainControl control = new TrainControl(new org.polaris.workbench.engine.job.CancellationToken());
        assertThrows(CancelledException.class, () -> new TrainService().run(request(out, dir, false, OPTIONS),
                new CancelAfter(1, control), ProgressSink.NONE, control));
        // nothing but the checkpoint after epoch 1
        assertThat(Files.exists(out)).isFalse();
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("whole.onnx", "whole.onnx.json", "ck");
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("checkpoint.json", "weights-1.bin");
        }
        assertThat(Checkpoint.read(dir).epochsDone()).isEqualTo(1);

        // an interruption after epoch 2 this time, then the rest
        TrainControl second = new TrainControl(new org.polaris.workbench.engine.job.CancellationToken());
        List<Integer> epochsSeen = new java.util.ArrayList<>();
        assertThrows(CancelledException.class, () -> new TrainService().run(request(out, dir, true, OPTIONS), e -> {
            epochsSeen.add(e.epoch());
            if (e.epoch() == 2) second.cancel();
        }, ProgressSink.NONE, second));
        assertThat(epochsSeen).containsExactly(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("checkpoint.json", "weights-2.bin");
        }
        TrainService.Report resumed = new TrainService().run(request(out, dir, true, OPTIONS), e -> { }, ProgressSink.NONE,
                new TrainControl(new org.polaris.workbench.engine.job.CancellationToken()));

        assertThat(weights(out)).isEqualTo(weights(whole));
        assertThat(resumed.resumedAfterEpoch()).isEqualTo(2);
        assertThat(resumed.maskUpdates()).usingRecursiveFieldByFieldElementComparator()
                .containsExactlyElementsOf(unbroken.maskUpdates());
        assertThat(resumed.epochs()).extracting(Trainer.Epoch::loss).containsExactlyElementsOf(
                unbroken.epochs().stream().map(Trainer.Epoch::loss).toList());
    }

    @Test
    void aCheckpointOfAnotherRunOrADamagedOneIsRefusedNamingWhy() throws Exception {
        Path dir = tmp.resolve("ck");
        Trainer.Options one = new Trainer.Options(1, 25, 2e-3, Optimizer.Kind.ADAMW, 0, 0.01, Trainer.Schedule.COSINE, 9);
        new TrainService().run(request(tmp.resolve("a.onnx"), dir, false, one), e -> { }, ProgressSink.NONE,
                new TrainControl(new org.polaris.workbench.engine.job.CancellationToken()));

        // an existing checkpoint is not replaced unasked
        Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class, () -> new TrainService().run(
                request(tmp.resolve("b.onnx"), dir, false, one), x -> { }, ProgressSink.NONE,
                new TrainControl(new org.polaris.workbench.engine.job.CancellationToken())));
        assertThat(e.getMessage()).isEqualTo(dir + ": holds a checkpoint already; resume it, or start over with --force "
                + "(which replaces it)");

        Trainer.Options otherLr = new Trainer.Options(1, 25, 5e-3, Optimizer.Kind.ADAMW, 0, 0.01, Trainer.Schedule.COSINE, 9);
        e = assertThrows(Checkpoint.CheckpointException.class, () -> new TrainService().run(
                request(tmp.resolve("b.onnx"), dir, true, otherLr), x -> { }, ProgressSink.NONE,
                new TrainControl(new org.polaris.workbench.engine.job.CancellationToken())));
        assertThat(e.getMessage()).isEqualTo(dir + ": resume with the checkpoint's settings; these differ: options.lr was "
                + "0.002, now 0.005");

        OnnxModel cnn = new OnnxModelReader().read(TestData.FASHION_CNN);
        e = assertThrows(Checkpoint.CheckpointException.class, () -> new TrainService().run(new TrainService.Request(cnn,
                TestData.FASHION_CNN, tmp.resolve("c.onnx"), false, data, null, 300, one, RIGL, null, 2, null, dir, true),
                x -> { }, ProgressSink.NONE, new TrainControl(new org.polaris.workbench.engine.job.CancellationToken())));
        assertThat(e.getMessage()).isEqualTo(dir + ": the checkpoint was made from another model (" + TestData.FASHION_MLP + ")");

        Path w = dir.resolve("weights-1.bin");
        byte[] b = Files.readAllBytes(w);
        b[b.length / 2] ^= 1;
        Files.write(w, b);
        e = assertThrows(Checkpoint.CheckpointException.class, () -> new TrainService().run(
                request(tmp.resolve("b.onnx"), dir, true, one), x -> { }, ProgressSink.NONE,
                new TrainControl(new org.polaris.workbench.engine.job.CancellationToken())));
        assertThat(e.getMessage()).isEqualTo(w + ": damaged (its checksum does not match checkpoint.json)");

        Path notAFolder = Files.writeString(tmp.resolve("notes.txt"), "mine");
        e = assertThrows(Checkpoint.CheckpointException.class, () -> new TrainService().run(
                request(tmp.resolve("d.onnx"), notAFolder, false, one), x -> { }, ProgressSink.NONE,
                new TrainControl(new org.polaris.workbench.engine.job.CancellationToken())));
        assertThat(e.getMessage()).isEqualTo(notAFolder + ": is not a folder (a checkpoint is a folder of files)");
        assertThat(Files.readString(notAFolder)).isEqualTo("mine");

        Files.writeString(dir.resolve("checkpoint.json"), "{\"version\": 1, \"epochsDone\": 99999999999999999999}");
        e = assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.read(dir));
        assertThat(e.getMessage()).startsWith(dir.resolve("checkpoint.json") + ": not a readable checkpoint (");
        assertThat(Files.exists(tmp.resolve("b.onnx"))).isFalse();
        assertThat(Files.exists(tmp.resolve("c.onnx"))).isFalse();
    }

    @Test
    void pauseHoldsTheRunBetweenStepsAndCancelEndsAPausedRun() throws Exception {
        TrainControl control = new TrainControl(new org.polaris.workbench.engine.job.CancellationToken());
        java.util.concurrent.CountDownLatch paused = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong lastStep = new java.util.concurrent.atomic.AtomicLong();
        Trainer.Listener l = new Trainer.Listener() {
            @Override
            public void epoch(Trainer.Epoch e) {
            }

            @Override
            public void step(Trainer.Step s) {
                lastStep.set(s.step());
                if (s.step() == 3) {
                    control.pause();
                    paused.countDown();
                }
            }
        };
        java.util.concurrent.CompletableFuture<Void> run = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                new TrainService().run(request(tmp.resolve("p.onnx"), null, false, OPTIONS), l, ProgressSink.NONE, control);
            } catch (Exception ex) {
                throw new java.util.concurrent.CompletionException(ex);
            }
        });
        paused.await();
        while (!control.isHeld()) Thread.onSpinWait();
        assertThat(lastStep.get()).isEqualTo(3);
        control.cancel();
        java.util.concurrent.ExecutionException ex = assertThrows(java.util.concurrent.ExecutionException.class, run::get);
        assertThat(ex.getCause()).isInstanceOf(CancelledException.class);
        assertThat(lastStep.get()).isEqualTo(3);
        assertThat(Files.exists(tmp.resolve("p.onnx"))).isFalse();
    }
}
