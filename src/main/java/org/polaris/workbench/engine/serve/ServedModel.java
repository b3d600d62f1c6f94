package org.polaris.workbench.engine.serve;

import org.polaris.workbench.engine.job.Schedulers;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.runtime.ModelRuntime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded model version being served: its runtime, its signature, and its batch loop. Requests are validated
 * against the signature, queued (a full queue is a 503), and run by the model's own thread: with dynamic batching,
 * the first request waits at most the queue delay for others of the same non-batch shape until the batch is full,
 * the inputs are concatenated along the batch dimension, run once, and each request gets its rows of every output.
 * A request that finds the model idle (nothing queued, nothing running, no queue delay) runs on its own thread. The
 * runtime is used by one thread at a time. Closing stops taking requests, still answers those already queued,
 * and then closes the runtime.
 */
public final class ServedModel implements AutoCloseable {

    /** An input or output as the metadata endpoint reports it; -1 marks a dynamic dimension. */
    public record Signature(String name, KsDatatype datatype, long[] shape) {
        public Signature {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** Whether requests are batched together, up to how many samples, and why not when they are not. */
    public record Batching(boolean enabled, int maxBatch, String reason) {
    }

    /** What a finished request gets: its outputs and how its time split. */
    public record Result(Map<String, Tensor> outputs, long queueNanos, long computeNanos, int batchSize) {
    }

    /** Notified of each request's queue time and each execution (the Prometheus metrics). */
    public interface Observer {
        void queued(String model, long nanos);

        void executed(String model, long batchSize, long nanos);

        Observer NONE = new Observer() {
            @Override
            public void queued(String model, long nanos) {
            }

            @Override
            public void executed(String model, long batchSize, long nanos) {
            }
        };
    }

    private record Pending(InferRequest request, Map<String, Tensor> feeds, long batch, long enqueued,
                           CompletableFuture<Result> result) {
    }

    private final String name;
    private final String version;
    private final Path file;
    private final ModelRuntime runtime;
    private final List<Signature> inputs;
    private final List<Signature> outputs;
    private volatile Batching batching;
    private final long delayNanos;
    private volatile long residentBytes;
    private final BlockingQueue<Pending> queue;
    private final ModelStats stats;
    private final Observer observer;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Held by the loop while it forms and runs a batch; {@link #hold()} takes it to keep requests queued. */
    private final java.util.concurrent.locks.ReentrantLock gate = new java.util.concurrent.locks.ReentrantLock();
    private final Thread loop;
    private volatile boolean open = true;

    /**
     * @param maxBatch the largest batch to form (1: no batching)
     * @param maxQueueDelayNanos how long the first request of a batch waits for others
     * @param maxQueue requests that may wait; one more is refused with 503
     */
    ServedModel(String name, String version, Path file, OnnxModel model, ModelRuntime runtime, int maxBatch,
                long maxQueueDelayNanos, int maxQueue, long residentBytes, ModelStats stats, Observer observer) {
        this.name = name;
        this.version = version;
        this.file = file;
        this.runtime = runtime;
        this.inputs = model.graph().feedInputs().stream().map(ServedModel::signature).toList();
        this.outputs = model.graph().outputs().stream().map(ServedModel::signature).toList();
        this.batching = batching(model, maxBatch);
        this.delayNanos = maxQueueDelayNanos;
        this.residentBytes = residentBytes;
        this.queue = new ArrayBlockingQueue<>(maxQueue);
        this.stats = stats;
        this.observer = observer;
        this.loop = Schedulers.start("serve-" + name, this::loop);
    }

    private static Signature signature(ValueInfo v) {
        DataType t = v.type().elementType();
        KsDatatype d;
        try {
            d = t == null ? KsDatatype.FP32 : KsDatatype.of(t);
        } catch (IllegalArgumentException e) {
            d = KsDatatype.BYTES;
        }
        List<Dim> shape = v.type().shape();
        long[] dims = shape == null ? new long[0] : shape.stream().mapToLong(x -> x.param() == null && x.value() >= 0
                ? x.value() : -1).toArray();
        return new Signature(v.name(), d, dims);
    }

    /** Batched only when every input and output has a dynamic first dimension (and a batch of 2 or more is allowed). */
    static Batching batching(OnnxModel model, int maxBatch) {
        if (maxBatch <= 1) return new Batching(false, 1, "--max-batch is 1");
        for (ValueInfo v : model.graph().feedInputs()) {
            String why = firstDim(v, "input");
            if (why != null) return new Batching(false, 1, why);
        }
        for (ValueInfo v : model.graph().outputs()) {
            String why = firstDim(v, "output");
            if (why != null) return new Batching(false, 1, why);
        }
        return new Batching(true, maxBatch, "");
    }

    private static String firstDim(ValueInfo v, String kind) {
        List<Dim> s = v.type().shape();
        if (s == null) return kind + " '" + v.name() + "' declares no shape, so its batch dimension is unknown";
        if (s.isEmpty()) return kind + " '" + v.name() + "' is a scalar: it has no batch dimension";
        Dim d = s.get(0);
        if (d.param() == null && d.value() >= 0) {
            return kind + " '" + v.name() + "' has a fixed first dimension of " + d.value()
                    + " (export it with a dynamic batch axis to batch requests)";
        }
        return null;
    }

    public String name() {
        return name;
    }

    public String version() {
        return version;
    }

    public Path file() {
        return file;
    }

    public String runtimeName() {
        return runtime.name();
    }

    public List<Signature> inputs() {
        return inputs;
    }

    public List<Signature> outputs() {
        return outputs;
    }

    public Batching batching() {
        return batching;
    }

    /** Memory this model took when it was loaded (process resident size before and after, see {@link ModelCache}). */
    public long residentBytes() {
        return residentBytes;
    }

    void setResidentBytes(long bytes) {
        this.residentBytes = bytes;
    }

    public int queueDepth() {
        return queue.size();
    }

    /** Requests the queue holds before answering 503. */
    public int queueCapacity() {
        return queue.size() + queue.remainingCapacity();
    }

    public ModelStats stats() {
        return stats;
    }

    /** Whether the model still takes requests (false once unloaded). */
    public boolean isOpen() {
        return open;
    }

    /** Requests queued or running and not yet answered (a request run at once on its own thread is not counted). */
    public int inFlight() {
        return inFlight.get();
    }

    /** Validates {@code r} against the signature and queues it; the future completes with its outputs. */
    public CompletableFuture<Result> submit(InferRequest r) throws ServeException {
        Map<String, Tensor> feeds = validate(r);
        if (!open) throw new ServeException(ServeException.Status.UNAVAILABLE, "model '" + name + "' is being unloaded", 1);
        Pending p = new Pending(r, feeds, batchOf(feeds), System.nanoTime(), new CompletableFuture<>());
        // idle and not waiting for company: run on the caller's thread, sparing two thread hand-offs (on a busy
        // 2-core machine each can cost a scheduler tick); the gate keeps the runtime to one thread at a time
        if (delayNanos == 0 && queue.isEmpty() && gate.tryLock()) {
            try {
                if (open) {
                    execute(List.of(p), p.batch);
                    return p.result;
                }
            } finally {
                gate.unlock();
            }
        }
        if (!queue.offer(p)) {
            throw new ServeException(ServeException.Status.UNAVAILABLE, "model '" + name + "': the queue is full ("
                    + (queue.size() + queue.remainingCapacity()) + " requests waiting)", 1);
        }
        // counted once queued (a refused request never is); the callback runs at once if it is already answered
        inFlight.incrementAndGet();
        p.result.whenComplete((x, e) -> inFlight.decrementAndGet());
        if (!open && queue.remove(p)) {
            p.result.completeExceptionally(unloading());
            throw new ServeException(ServeException.Status.UNAVAILABLE, "model '" + name + "' is being unloaded", 1);
        }
        return p.result;
    }

    private long batchOf(Map<String, Tensor> feeds) {
        if (!batching.enabled()) return 1;
        long[] d = feeds.values().iterator().next().dims();
        return d.length == 0 ? 1 : d[0];
    }

    Map<String, Tensor> validate(InferRequest r) throws ServeException {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        Set<String> known = new HashSet<>();
        inputs.forEach(s -> known.add(s.name()));
        for (InferRequest.Input in : r.inputs()) {
            if (!known.contains(in.name())) {
                throw RequestParser.bad("input '" + in.name() + "' is not an input of model '" + name + "' (its inputs: "
                        + inputs.stream().map(Signature::name).toList() + ")");
            }
            if (feeds.put(in.name(), in.tensor()) != null) throw RequestParser.bad("input '" + in.name() + "' given twice");
        }
        long batch = -1;
        for (Signature s : inputs) {
            Tensor t = feeds.get(s.name());
            if (t == null) throw RequestParser.bad("input '" + s.name() + "' of model '" + name + "' is missing");
            InferRequest.Input given = r.inputs().stream().filter(i -> i.name().equals(s.name())).findFirst().orElseThrow();
            if (given.datatype() != s.datatype()) {
                throw RequestParser.bad("input '" + s.name() + "': datatype " + given.datatype() + ", the model takes "
                        + s.datatype());
            }
            long[] d = t.dims();
            long[] want = s.shape();
            boolean ok = want.length == 0 && inputsDeclareNoShape(s) || d.length == want.length;
            for (int i = 0; ok && i < want.length; i++) {
                ok = want[i] < 0 || want[i] == d[i];
            }
            if (!ok) {
                throw RequestParser.bad("input '" + s.name() + "': shape " + Arrays.toString(d) + ", the model takes "
                        + Arrays.toString(want).replace("-1", "-1 (any)"));
            }
            if (batching.enabled() && d.length > 0) {
                if (batch >= 0 && d[0] != batch) {
                    throw RequestParser.bad("input '" + s.name() + "': batch " + d[0] + " differs from the other inputs' " + batch);
                }
                batch = d[0];
            }
        }
        Set<String> outs = new HashSet<>();
        outputs.forEach(s -> outs.add(s.name()));
        for (InferRequest.Output o : r.outputs()) {
            if (!outs.contains(o.name())) {
                throw RequestParser.bad("output '" + o.name() + "' is not an output of model '" + name + "' (its outputs: "
                        + outputs.stream().map(Signature::name).toList() + ")");
            }
        }
        return feeds;
    }

    private boolean inputsDeclareNoShape(Signature s) {
        return s.shape().length == 0;
    }

    private void loop() {
        Pending carry = null;
        while (open || carry != null || !queue.isEmpty()) {
            try {
                Pending first = carry != null ? carry : queue.poll(50, TimeUnit.MILLISECONDS);
                carry = null;
                if (first == null) continue;
                gate.lock();
                try {
                    List<Pending> batch = new ArrayList<>();
                    batch.add(first);
                    Batching b = batching;
                    long size = first.batch;
                    if (b.enabled() && open) {
                        long deadline = first.enqueued + delayNanos;
                        while (size < b.maxBatch()) {
                            long wait = deadline - System.nanoTime();
                            Pending next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                            if (next == null) break;
                            if (size + next.batch <= b.maxBatch() && compatible(first, next)) {
                                batch.add(next);
                                size += next.batch;
                            } else {
                                carry = next;
                                break;
                            }
                        }
                    }
                    execute(batch, size);
                } finally {
                    gate.unlock();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | OutOfMemoryError e) {
                // a failure is answered per request in execute(); anything escaping must not end the loop
            }
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.result.completeExceptionally(unloading());
        }
        runtime.close();
    }

    private ServeException unloading() {
        return new ServeException(ServeException.Status.UNAVAILABLE, "model '" + name + "' was unloaded", 1);
    }

    private static boolean compatible(Pending a, Pending b) {
        for (Map.Entry<String, Tensor> e : a.feeds.entrySet()) {
            long[] x = e.getValue().dims();
            long[] y = b.feeds.get(e.getKey()).dims();
            if (x.length != y.length) return false;
            for (int i = 1; i < x.length; i++) {
                if (x[i] != y[i]) return false;
            }
        }
        return true;
    }

    private void execute(List<Pending> batch, long size) {
        long start = System.nanoTime();
        for (Pending p : batch) {
            stats.queued(start - p.enqueued);
            observer.queued(name, start - p.enqueued);
        }
        if (batch.size() == 1) {
            Pending p = batch.get(0);
            try {
                Map<String, Tensor> out = runtime.run(p.feeds);
                long took = System.nanoTime() - start;
                record(size, took);
                p.result.complete(new Result(out, start - p.enqueued, took, (int) size));
            } catch (RuntimeException | OutOfMemoryError e) {
                p.result.completeExceptionally(failed(e));
            }
            return;
        }
        Map<String, Tensor> out;
        try {
            out = runtime.run(concat(batch));
        } catch (RuntimeException | OutOfMemoryError e) {
            // one bad request must not fail the others: run them one by one
            runAlone(batch);
            return;
        }
        long took = System.nanoTime() - start;
        for (Map.Entry<String, Tensor> e : out.entrySet()) {
            long[] d = e.getValue().dims();
            if (d.length == 0 || d[0] != size) {
                batching = new Batching(false, 1, "output '" + e.getKey() + "' does not follow the batch (a batch of "
                        + size + " gave " + Arrays.toString(d) + ")");
                runAlone(batch);
                return;
            }
        }
        record(size, took);
        long row = 0;
        for (Pending p : batch) {
            Map<String, Tensor> mine = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : out.entrySet()) {
                mine.put(e.getKey(), rows(e.getValue(), row, p.batch, size));
            }
            row += p.batch;
            p.result.complete(new Result(mine, start - p.enqueued, took, (int) size));
        }
    }

    private void record(long size, long took) {
        stats.executed(size, took);
        observer.executed(name, size, took);
    }

    private void runAlone(List<Pending> batch) {
        for (Pending p : batch) {
            long s = System.nanoTime();
            try {
                Map<String, Tensor> out = runtime.run(p.feeds);
                long took = System.nanoTime() - s;
                record(p.batch, took);
                p.result.complete(new Result(out, s - p.enqueued, took, (int) p.batch));
            } catch (RuntimeException | OutOfMemoryError e) {
                p.result.completeExceptionally(failed(e));
            }
        }
    }

    private ServeException failed(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return new ServeException(ServeException.Status.UNAVAILABLE, "model '" + name + "': out of memory", 5);
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ServeException(ServeException.Status.BAD_REQUEST, "model '" + name + "' failed on this input: "
                + m.lines().findFirst().orElse(m));
    }

    private static Map<String, Tensor> concat(List<Pending> batch) {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (String input : batch.get(0).feeds.keySet()) {
            Tensor first = batch.get(0).feeds.get(input);
            long[] dims = first.dims();
            long total = 0;
            for (Pending p : batch) total += p.feeds.get(input).dims()[0];
            dims[0] = total;
            if (first.dataType() == DataType.STRING) {
                List<byte[]> all = new ArrayList<>();
                for (Pending p : batch) all.addAll(p.feeds.get(input).strings());
                feeds.put(input, new Tensor(input, DataType.STRING, dims, new byte[0], all, null, ""));
                continue;
            }
            int bytes = 0;
            for (Pending p : batch) bytes = Math.addExact(bytes, p.feeds.get(input).raw().length);
            byte[] raw = new byte[bytes];
            int at = 0;
            for (Pending p : batch) {
                byte[] r = p.feeds.get(input).raw();
                System.arraycopy(r, 0, raw, at, r.length);
                at += r.length;
            }
            feeds.put(input, new Tensor(input, first.dataType(), dims, raw, List.of(), null, ""));
        }
        return feeds;
    }

    /** Rows {@code from .. from+count} of a tensor whose first dimension is {@code total}. */
    static Tensor rows(Tensor t, long from, long count, long total) {
        long[] dims = t.dims();
        dims[0] = count;
        if (t.dataType() == DataType.STRING) {
            int per = (int) (t.strings().size() / total);
            return new Tensor(t.name(), t.dataType(), dims, new byte[0],
                    t.strings().subList((int) (from * per), (int) ((from + count) * per)), null, "");
        }
        int per = (int) (t.raw().length / total);
        byte[] raw = Arrays.copyOfRange(t.raw(), (int) (from * per), (int) ((from + count) * per));
        return new Tensor(t.name(), t.dataType(), dims, raw, List.of(), null, "");
    }

    /**
     * Keeps the model from running until the returned handle is closed (after the batch in progress): requests wait
     * meanwhile (the batch loop may hold the first of them, the rest queue). For tests of batching and of the full
     * queue.
     */
    public AutoCloseable hold() {
        gate.lock();
        return gate::unlock;
    }

    /** Stops taking requests; queued ones are still answered; the runtime closes when the loop ends. */
    @Override
    public void close() {
        open = false;
    }

    /** Closes and waits for the batch loop (and so the runtime) to finish. */
    public void closeAndWait(long millis) throws InterruptedException {
        close();
        loop.join(millis);
    }
}
