package org.polaris.workbench.engine.opencl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Picks the tiled SGEMM's tile size and work per thread for a device by timing every configuration the device can
 * run on a square product (each result checked against the naive kernel's), and caches the winner per device and
 * driver in {@code sgemm-tuning.json} in the OpenCL cache folder.
 */
public final class SgemmTuner {

    public record Trial(ClKernels.SgemmParams params, double ms, double gflops) {
    }

    /** @param naiveMs the naive kernel on the same product, for the speed-up */
    public record Result(String device, int size, double naiveMs, List<Trial> trials, ClKernels.SgemmParams best,
                         double bestMs) {
        public double speedup() {
            return naiveMs / bestMs;
        }

        public double bestGflops() {
            return 2.0 * size * size * size / (bestMs * 1e6);
        }

        public double naiveGflops() {
            return 2.0 * size * size * size / (naiveMs * 1e6);
        }
    }

    private SgemmTuner() {
    }

    /** Configurations this device can run: work-group and local-memory limits respected. */
    static List<ClKernels.SgemmParams> candidates(ClDevice d) {
        List<ClKernels.SgemmParams> out = new ArrayList<>();
        for (int tile : new int[] {8, 16, 32, 64}) {
            for (int wpt : new int[] {1, 2, 4, 8, 16}) {
                if (tile % wpt != 0) continue;
                ClKernels.SgemmParams p = new ClKernels.SgemmParams(tile, wpt);
                if (p.workGroupSize() <= d.maxWorkGroupSize() && 2L * tile * tile * 4 <= d.localMemBytes()) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    public static Result tune(ClKernels k, int size, int runs, ProgressSink progress, CancellationToken cancel) {
        Random r = new Random(17);
        float[] a = new float[size * size];
        float[] b = new float[size * size];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
            b[i] = r.nextFloat() - 0.5f;
        }
        progress.progress(0, "naive SGEMM " + size + "^3");
        ClKernels.Timed naive = k.sgemmTimed(a, b, size, size, size, null, runs);
        List<ClKernels.SgemmParams> cands = candidates(k.runtime().device());
        List<Trial> trials = new ArrayList<>();
        Trial best = null;
        for (int i = 0; i < cands.size(); i++) {
            cancel.throwIfCancelled();
            ClKernels.SgemmParams p = cands.get(i);
            progress.progress((i + 1.0) / (cands.size() + 1), "SGEMM " + p);
            ClKernels.Timed t;
            try {
                t = k.sgemmTimed(a, b, size, size, size, p, runs);
            } catch (RuntimeException e) {
                continue; // a configuration the driver refuses (resources) is simply not a candidate
            }
            for (int j = 0; j < t.c().length; j++) {
                if (Math.abs(t.c()[j] - naive.c()[j]) > 1e-3f * (1 + Math.abs(naive.c()[j]))) {
                    throw new IllegalStateException("tiled SGEMM (" + p + ") disagrees with the naive kernel at " + j);
                }
            }
            Trial trial = new Trial(p, t.medianMs(), 2.0 * size * size * size / (t.medianMs() * 1e6));
            trials.add(trial);
            if (best == null || trial.ms() < best.ms()) best = trial;
        }
        if (best == null) {
            throw new IllegalStateException("no tiled SGEMM configuration runs on " + k.runtime().device().name());
        }
        progress.progress(1, "best: " + best.params());
        return new Result(k.runtime().device().name(), size, naive.medianMs(), List.copyOf(trials), best.params(), best.ms());
    }

    static Path cacheFile() {
        return ClRuntime.cacheDir().resolve("sgemm-tuning.json");
    }

    /** The cached best configuration for this device and driver, tuning (and caching) it first when there is none. */
    public static ClKernels.SgemmParams best(ClKernels k) {
        ObjectMapper json = new ObjectMapper();
        String key = k.runtime().device().cacheKey();
        ObjectNode all = json.createObjectNode();
        try {
            if (Files.isRegularFile(cacheFile())) {
                JsonNode read = json.readTree(cacheFile().toFile());
                if (read instanceof ObjectNode o) all = o;
                JsonNode e = all.get(key);
                if (e != null && e.has("tile") && e.has("workPerThread")) {
                    return new ClKernels.SgemmParams(e.get("tile").asInt(), e.get("workPerThread").asInt());
                }
            }
        } catch (IOException | RuntimeException e) {
            // a damaged cache is rebuilt below
        }
        Result r = tune(k, 256, 3, ProgressSink.NONE, CancellationToken.none());
        ObjectNode e = all.putObject(key);
        e.put("tile", r.best().tile());
        e.put("workPerThread", r.best().workPerThread());
        e.put("gflops", r.bestGflops());
        e.put("speedupOverNaive", r.speedup());
        try {
            Files.createDirectories(cacheFile().getParent());
            AtomicFiles.write(cacheFile(), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(all), true);
        } catch (IOException ex) {
            // tuning again next time is the only cost
        }
        return r.best();
    }
}
