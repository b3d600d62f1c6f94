package org.polaris.workbench.engine.job;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The engine pool's loop: every index exactly once whatever the split, a thread done with its own share taking what
 * is left of another's, a failing chunk's exception reaching the caller with the pool still usable, loops nested in a
 * chunk and loops from two callers at once completing (one of them inline), and close() ending the workers.
 */
class EnginePoolTest {

    @Test
    void everyIndexRunsExactlyOnceForAnySplit() {
        for (int threads : new int[] {1, 2, 3}) {
            try (EnginePool pool = new EnginePool(threads)) {
                for (int n : new int[] {0, 1, 2, 7, 64, 1001}) {
                    for (int min : new int[] {1, 3, 1000}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        pool.parallelFor(n, min, seen::incrementAndGet);
                        for (int i = 0; i < n; i++) {
                            assertThat(seen.get(i)).as("threads %d, n %d, min %d, index %d", threads, n, min, i).isEqualTo(1);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aThreadDoneWithItsShareTakesTheRestOfAnother() {
        try (EnginePool pool = new EnginePool(2)) {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                // eight chunks of one index: the caller owns 0-3, the worker 4-7. The caller's first chunk waits until
                // the worker holds its first (4); the worker holds it until index 7 has run, which only the caller,
                // done with its own share, can take from the back of the worker's
                CountDownLatch workerInside = new CountDownLatch(1);
                CountDownLatch lastTaken = new CountDownLatch(1);
                AtomicIntegerArray seen = new AtomicIntegerArray(8);
                String[] ranLast = new String[1];
                pool.parallelFor(8, 1, i -> {
                    seen.incrementAndGet(i);
                    if (i == 0) {
                        await(workerInside);
                    } else if (i == 4) {
                        workerInside.countDown();
                        await(lastTaken);
                    } else if (i == 7) {
                        ranLast[0] = Thread.currentThread().getName();
                        lastTaken.countDown();
                    }
                });
                for (int i = 0; i < 8; i++) assertThat(seen.get(i)).as("index %d", i).isEqualTo(1);
                assertThat(ranLast[0]).isEqualTo(Thread.currentThread().getName());
            });
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFailingChunkThrowsToTheCallerAndThePoolKeepsWorking() {
        try (EnginePool pool = new EnginePool(2)) {
            // whichever thread claims index 90's chunk, its exception reaches the caller
            assertThatThrownBy(() -> pool.parallelFor(100, 1, i -> {
                if (i == 90) throw new IllegalArgumentException("bad index " + i);
            })).isInstanceOf(IllegalArgumentException.class).hasMessage("bad index 90");
            AtomicIntegerArray seen = new AtomicIntegerArray(100);
            pool.parallelFor(100, 1, seen::incrementAndGet);
            for (int i = 0; i < 100; i++) assertThat(seen.get(i)).isEqualTo(1);
        }
    }

    @Test
    void nestedLoopsAndConcurrentCallersComplete() throws Exception {
        try (EnginePool pool = new EnginePool(2)) {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                AtomicIntegerArray cells = new AtomicIntegerArray(40 * 40);
                pool.parallelFor(40, 1, i -> pool.parallelFor(40, 1, j -> cells.incrementAndGet(i * 40 + j)));
                for (int k = 0; k < cells.length(); k++) assertThat(cells.get(k)).isEqualTo(1);

                AtomicIntegerArray a = new AtomicIntegerArray(5000);
                AtomicIntegerArray b = new AtomicIntegerArray(5000);
                CountDownLatch start = new CountDownLatch(1);
                Thread other = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    for (int r = 0; r < 50; r++) {
                        int base = r * 100;
                        pool.parallelFor(100, 1, i -> b.incrementAndGet(base + i));
                    }
                });
                other.start();
                start.countDown();
                for (int r = 0; r < 50; r++) {
                    int base = r * 100;
                    pool.parallelFor(100, 1, i -> a.incrementAndGet(base + i));
                }
                other.join();
                for (int k = 0; k < 5000; k++) {
                    assertThat(a.get(k)).isEqualTo(1);
                    assertThat(b.get(k)).isEqualTo(1);
                }
            });
        }
    }

    @Test
    void closeEndsTheWorkers() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        EnginePool pool = new EnginePool(3);
        pool.parallelFor(10, 1, i -> { });
        java.util.List<Thread> workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().startsWith("polaris-engine-")).toList();
        assertThat(workers).hasSize(2);
        pool.close();
        for (Thread t : workers) {
            t.join(10_000);
            assertThat(t.isAlive()).as(t.getName()).isFalse();
        }
    }
}
