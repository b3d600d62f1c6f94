package org.polaris.workbench.engine.inspect;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Several hundred truncated and mutated copies of real models (fixed seed) through the full inspection path,
 * ONNX Runtime included: each must either load or fail with a {@link ModelLoadException} naming the file, within
 * a few seconds, and never crash, hang or run out of memory.
 */
class HostileFilesTest {

    private static final int COPIES_PER_MODEL = 160;

    @TempDir
    Path tmp;

    @Test
    void mutatedModelsFailCleanly() throws Exception {
        ModelInspector inspector = new ModelInspector();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Random rnd = new Random(20261127L);
        Map<ModelLoadException.Problem, Integer> seen = new EnumMap<>(ModelLoadException.Problem.class);
        int loaded = 0;
        int total = 0;
        for (Path source : List.of(TestData.MNIST8, TestData.FASHION_MLP, TestData.FASHION_CNN)) {
            byte[] original = Files.readAllBytes(source);
            for (int i = 0; i < COPIES_PER_MODEL; i++) {
                byte[] mutated = mutate(original, i, rnd);
                Path file = tmp.resolve(source.getFileName() + "." + i + ".onnx");
                Files.write(file, mutated);
                total++;
                Future<?> run = pool.submit(() -> inspector.inspect(file, ProgressSink.NONE, CancellationToken.none()));
                try {
                    run.get(10, TimeUnit.SECONDS);
                    loaded++;
                } catch (TimeoutException e) {
                    fail(file + " (mutation " + i + " of " + source + ") took over 10 s");
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof ModelLoadException mle)) {
                        throw new AssertionError("unexpected " + e.getCause() + " for mutation " + i + " of " + source,
                                e.getCause());
                    }
                    assertThat(mle.getMessage()).startsWith(file.toString());
                    seen.merge(mle.problem(), 1, Integer::sum);
                }
                Files.delete(file);
            }
        }
        pool.shutdownNow();
        assertThat(total).isGreaterThanOrEqualTo(450);
        // The mix must exercise several failure kinds, not one early exit.
        assertThat(seen).containsKeys(ModelLoadException.Problem.CORRUPT, ModelLoadException.Problem.NOT_ONNX,
                ModelLoadException.Problem.RUNTIME_REJECTED);
        assertThat(loaded + seen.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(total);
    }

    /** A third truncations, a third bit flips, a third runs of random bytes (which also hit length prefixes). */
    private static byte[] mutate(byte[] in, int i, Random rnd) {
        switch (i % 3) {
            case 0 -> {
                return Arrays.copyOf(in, 1 + rnd.nextInt(in.length - 1));
            }
            case 1 -> {
                byte[] out = in.clone();
                int flips = 1 + rnd.nextInt(8);
                for (int k = 0; k < flips; k++) {
                    int pos = rnd.nextInt(out.length);
                    out[pos] ^= (byte) (1 << rnd.nextInt(8));
                }
                return out;
            }
            default -> {
                byte[] out = in.clone();
                // Bias towards the first kilobyte, where graph structure and length prefixes live.
                int pos = rnd.nextBoolean() ? rnd.nextInt(Math.min(1024, out.length)) : rnd.nextInt(out.length);
                int len = 1 + rnd.nextInt(6);
                for (int k = pos; k < Math.min(out.length, pos + len); k++) {
                    out[k] = (byte) (rnd.nextBoolean() ? 0xff : rnd.nextInt(256));
                }
                return out;
            }
        }
    }
}
