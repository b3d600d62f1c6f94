package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** A folder of {@code .wav} clips, one sample each as float samples in [-1, 1]; clips may differ in length. */
public final class WavFolderDataset implements Dataset {

    private final Path dir;
    private final List<Path> files;
    private final int sampleRate;
    private final boolean rank1;

    private WavFolderDataset(Path dir, List<Path> files, int sampleRate, boolean rank1) {
        this.dir = dir;
        this.files = files;
        this.sampleRate = sampleRate;
        this.rank1 = rank1;
    }

    public static boolean handles(Path dir) {
        return !list(dir).isEmpty();
    }

    /**
     * @param sampleRate every clip must have this rate, or 0 to accept any
     * @param rank1 the input is {@code [n]} rather than {@code [1, n]}
     */
    public static WavFolderDataset open(Path dir, int sampleRate, boolean rank1, int limit) throws DataException {
        List<Path> files = list(dir);
        if (files.isEmpty()) {
            throw new DataException(dir + ": no .wav files");
        }
        WavFolderDataset d = new WavFolderDataset(dir, files.subList(0, Math.min(files.size(), Math.max(1, limit))),
                sampleRate, rank1);
        d.clip(0);
        return d;
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".wav")
                    && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private float[] clip(int i) throws DataException {
        WavFiles.Audio a = WavFiles.read(files.get(i));
        if (sampleRate > 0 && a.sampleRate() != sampleRate) {
            throw new DataException(files.get(i) + ": sampled at " + a.sampleRate() + " Hz, not the " + sampleRate
                    + " Hz given with --sample-rate");
        }
        return a.samples();
    }

    @Override
    public Tensor batch(int start, int count) {
        if (count != 1) {
            throw new IllegalArgumentException("audio clips are read one at a time");
        }
        try {
            float[] s = clip(start);
            return Tensor.ofFloats("audio", rank1 ? new long[] {s.length} : new long[] {1, s.length}, s);
        } catch (DataException e) {
            throw new DataFileException(e.getMessage());
        }
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int label(int i) {
        return -1;
    }

    @Override
    public String description() {
        return dir + ": " + files.size() + " audio clips";
    }

    @Override
    public List<Path> files() {
        return List.of(dir);
    }

    @Override
    public int maxBatch() {
        return 1;
    }
}
