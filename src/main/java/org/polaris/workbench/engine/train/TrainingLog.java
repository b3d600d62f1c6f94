package org.polaris.workbench.engine.train;

import java.util.ArrayList;
import java.util.List;

/**
 * What a running training has done so far, written by the training thread and read by a display at its own pace:
 * the last {@link #STEPS} steps in a ring (loss, batch accuracy), every epoch, and the mask updates (at most
 * {@link #MAX_UPDATES}, the oldest dropped first). {@link #snapshot} copies under the lock; the writer never waits
 * for a reader longer than that copy.
 */
public final class TrainingLog implements Trainer.Listener, TrainService.RunListener {

    public static final int STEPS = 20_000;
    public static final int MAX_UPDATES = 50_000;

    private final long[] step = new long[STEPS];
    private final float[] loss = new float[STEPS];
    private final float[] accuracy = new float[STEPS];
    private int head;
    private int count;
    private long total;
    private double lr;
    private final List<Trainer.Epoch> epochs = new ArrayList<>();
    private final java.util.ArrayDeque<SparseTraining.MaskUpdate> updates = new java.util.ArrayDeque<>();
    private long version;
    private TrainService.Started started;

    /** A consistent copy: steps oldest first, the epochs and mask updates so far. */
    public record Snapshot(long version, TrainService.Started started, long[] steps, float[] loss, float[] accuracy,
                           long totalSteps, double lr, List<Trainer.Epoch> epochs, List<SparseTraining.MaskUpdate> updates) {

        public long lastStep() {
            return steps.length == 0 ? 0 : steps[steps.length - 1];
        }
    }

    @Override
    public synchronized void step(Trainer.Step s) {
        step[head] = s.step();
        loss[head] = (float) s.loss();
        accuracy[head] = (float) s.accuracy();
        head = (head + 1) % STEPS;
        count = Math.min(STEPS, count + 1);
        total = s.total();
        lr = s.lr();
        version++;
    }

    @Override
    public synchronized void epoch(Trainer.Epoch e) {
        epochs.add(e);
        version++;
    }

    @Override
    public synchronized void maskUpdates(List<SparseTraining.MaskUpdate> u) {
        for (SparseTraining.MaskUpdate m : u) {
            if (updates.size() == MAX_UPDATES) updates.removeFirst();
            updates.addLast(m);
        }
        version++;
    }

    @Override
    public synchronized void started(TrainService.Started s) {
        started = s;
        total = s.totalSteps();
        version++;
    }

    @Override
    public synchronized void resumed(Trainer.Resume from) {
        epochs.clear();
        epochs.addAll(from.epochs());
        updates.clear();
        version++;
    }

    public synchronized long version() {
        return version;
    }

    public synchronized Snapshot snapshot() {
        long[] s = new long[count];
        float[] l = new float[count];
        float[] a = new float[count];
        int start = (head - count + STEPS) % STEPS;
        for (int i = 0; i < count; i++) {
            int k = (start + i) % STEPS;
            s[i] = step[k];
            l[i] = loss[k];
            a[i] = accuracy[k];
        }
        return new Snapshot(version, started, s, l, a, total, lr, List.copyOf(epochs), List.copyOf(updates));
    }
}
