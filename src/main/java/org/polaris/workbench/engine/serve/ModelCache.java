package org.polaris.workbench.engine.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The loaded models, sized by memory: each model's resident size is measured when it loads (the process's resident
 * memory before and after, at least its file's size); when the loaded models together pass the budget, the least
 * recently used ones that are not pinned are unloaded (gracefully: their queued requests still run). A model that is
 * not loaded loads on its first request; concurrent requests for it wait for the one load.
 *
 * <p>Deadlock-free by construction: the cache's monitor only guards the table and is never held while loading,
 * closing or waiting; loads are serialized by their own lock (so their memory measurements do not overlap), which is
 * never held while taking the monitor's slow paths. A request never waits on anything but its own model's load.
 */
public final class ModelCache implements AutoCloseable {

    /** The repository extension's states. */
    public enum State { READY, LOADING, UNAVAILABLE }

    /** One model as the repository index and the Serve pane list it. */
    public record Entry(String name, String version, State state, String reason, long residentBytes, boolean pinned,
                        ServedModel.Batching batching, int queueDepth, long lastUsedMillis) {
    }

    /** Loads one model version (reads it, opens its runtime, starts its batch loop). */
    @FunctionalInterface
    public interface Loader {
        ServedModel load(ModelSource.Available model) throws Exception;
    }

    /** How much a loaded model counts against the budget, from the resident-memory growth its load caused. */
    @FunctionalInterface
    public interface Sizer {
        long bytes(ServedModel model, long residentGrowth);

        /** The growth, and at least the model file's size (its weights must live somewhere). */
        Sizer MEASURED = (m, growth) -> Math.max(growth, fileBytes(m.file()));
    }

    private static final class Slot {
        ServedModel model;
        CompletableFuture<ServedModel> loading;
        long lastUsed;
        long lastUsedMillis;
        String reason = "not loaded: loads on its first request";
    }

    private final ModelSource source;
    private final Loader loader;
    private final long budget;
    private final Set<String> pinned = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ServeMetrics metrics;
    private final Sizer sizer;
    private final ReentrantLock loads = new ReentrantLock();
    private final Map<String, Slot> slots = new HashMap<>();
    private Map<String, ModelSource.Available> available;
    private long tick;
    private boolean closed;

    /**
     * @param budget bytes the loaded models may take together ({@code Long.MAX_VALUE}: no limit)
     * @param pinned models never unloaded to make room
     */
    public ModelCache(ModelSource source, Loader loader, long budget, Set<String> pinned, ServeMetrics metrics)
            throws IOException {
        this(source, loader, budget, pinned, metrics, Sizer.MEASURED);
    }

    ModelCache(ModelSource source, Loader loader, long budget, Set<String> pinned, ServeMetrics metrics, Sizer sizer)
            throws IOException {
        this.sizer = sizer;
        this.source = source;
        this.loader = loader;
        this.budget = budget;
        this.pinned.addAll(pinned);
        this.metrics = metrics;
        this.available = source.scan();
        for (String p : pinned) {
            if (!available.containsKey(p)) {
                throw new IllegalArgumentException("--pin " + p + ": no such model (models: " + available.keySet() + ")");
            }
        }
    }

    /** The loaded model {@code name}, loading it first if needed. */
    public ServedModel acquire(String name) throws ServeException {
        CompletableFuture<ServedModel> f;
        ModelSource.Available a;
        synchronized (this) {
            if (closed) throw new ServeException(ServeException.Status.UNAVAILABLE, "the server is shutting down", 1);
            Slot s = slots.get(name);
            if (s != null && s.model != null) {
                s.lastUsed = ++tick;
                s.lastUsedMillis = System.currentTimeMillis();
                return s.model;
            }
            a = available.get(name);
            if (a == null) throw new ServeException(ServeException.Status.NOT_FOUND, "unknown model '" + name + "'");
            if (s == null) slots.put(name, s = new Slot());
            if (s.loading != null) {
                f = s.loading;
                a = null;
            } else {
                f = s.loading = new CompletableFuture<>();
            }
        }
        if (a != null) load(a, f);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(ServeException.Status.UNAVAILABLE, "interrupted while model '" + name + "' loaded", 1);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ServeException se) throw se;
            throw new ServeException(ServeException.Status.INTERNAL, "model '" + name + "' failed to load: "
                    + message(e.getCause()), e.getCause());
        }
    }

    /** The model if it is loaded now, without loading it (readiness, metadata of a not-yet-loaded model). */
    public synchronized ServedModel loaded(String name) {
        Slot s = slots.get(name);
        return s == null ? null : s.model;
    }

    public synchronized boolean knows(String name) {
        return available.containsKey(name) || loaded(name) != null;
    }

    private void load(ModelSource.Available a, CompletableFuture<ServedModel> f) {
        ServedModel m = null;
        Throwable failure = null;
        loads.lock();
        try {
            long before = Resident.bytes();
            m = loader.load(a);
            m.setResidentBytes(sizer.bytes(m, Resident.bytes() - before));
        } catch (Exception | OutOfMemoryError e) {
            failure = e;
        } finally {
            loads.unlock();
        }
        if (metrics != null) metrics.loaded(a.name(), failure == null);
        List<ServedModel> victims = new ArrayList<>();
        ServeException refused = null;
        synchronized (this) {
            Slot s = slots.computeIfAbsent(a.name(), k -> new Slot());
            s.loading = null;
            if (failure != null || closed) {
                s.reason = closed ? "the server is shutting down" : "failed to load: " + message(failure);
            } else {
                s.model = m;
                s.lastUsed = ++tick;
                s.lastUsedMillis = System.currentTimeMillis();
                s.reason = "";
                refused = makeRoom(a.name(), victims);
                if (refused != null) {
                    s.model = null;
                    s.reason = refused.getMessage();
                    victims.add(m);
                }
            }
        }
        for (ServedModel v : victims) {
            v.close();
            if (v != m && metrics != null) metrics.evicted(v.name());
        }
        if (closed && m != null && failure == null) m.close();
        if (failure != null) f.completeExceptionally(failure);
        else if (refused != null) f.completeExceptionally(refused);
        else if (closed) f.completeExceptionally(new ServeException(ServeException.Status.UNAVAILABLE, "the server is shutting down", 1));
        else f.complete(m);
    }

    /** Chooses victims (least recently used, not pinned, not {@code keep}) until the budget holds; caller holds the monitor. */
    private ServeException makeRoom(String keep, List<ServedModel> victims) {
        long total = slots.values().stream().filter(s -> s.model != null).mapToLong(s -> s.model.residentBytes()).sum();
        if (total <= budget) return null;
        List<Map.Entry<String, Slot>> lru = slots.entrySet().stream()
                .filter(e -> e.getValue().model != null && !e.getKey().equals(keep) && !pinned.contains(e.getKey()))
                .sorted(Comparator.comparingLong(e -> e.getValue().lastUsed)).toList();
        long fixed = slots.entrySet().stream().filter(e -> e.getValue().model != null
                && (e.getKey().equals(keep) || pinned.contains(e.getKey()))).mapToLong(e -> e.getValue().model.residentBytes()).sum();
        if (fixed > budget && !pinned.contains(keep)) {
            long mine = slots.get(keep).model.residentBytes();
            return new ServeException(ServeException.Status.UNAVAILABLE, String.format(Locale.ROOT,
                    "model '%s' needs %.1f MB, more than the memory budget of %.1f MB leaves beside the pinned models "
                            + "(%.1f MB)", keep, mine / 1e6, budget / 1e6, (fixed - mine) / 1e6), 0);
        }
        for (Map.Entry<String, Slot> e : lru) {
            if (total <= budget) break;
            Slot s = e.getValue();
            victims.add(s.model);
            total -= s.model.residentBytes();
            s.model = null;
            s.reason = "unloaded to stay within the memory budget; loads again on its next request";
        }
        return null;
    }

    /** Loads {@code name} now (the repository extension's load), or reloads it when the repository has a newer version. */
    public void load(String name) throws ServeException {
        refresh();
        ServedModel m = loaded(name);
        ModelSource.Available a;
        synchronized (this) {
            a = available.get(name);
        }
        if (m != null && a != null && !a.version().equals(m.version())) {
            swap(a);
        }
        acquire(name);
    }

    /** Unloads {@code name} (the repository extension's unload); it loads again on its next request. */
    public void unload(String name) throws ServeException {
        ServedModel m;
        synchronized (this) {
            if (!knows(name)) throw new ServeException(ServeException.Status.NOT_FOUND, "unknown model '" + name + "'");
            Slot s = slots.get(name);
            m = s == null ? null : s.model;
            if (s != null) {
                s.model = null;
                s.reason = "unloaded by request; loads again on its next request";
            }
        }
        if (m != null) m.close();
    }

    /**
     * Rescans the repository: a loaded model with a newer version is reloaded (the old version keeps serving until
     * the new one is ready, and stays when it fails), a model whose files are gone is unloaded.
     */
    public void poll() {
        try {
            refresh();
        } catch (ServeException e) {
            return;
        }
        List<ModelSource.Available> newer = new ArrayList<>();
        List<ServedModel> gone = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<String, Slot> e : slots.entrySet()) {
                ServedModel m = e.getValue().model;
                if (m == null) continue;
                ModelSource.Available a = available.get(e.getKey());
                if (a == null) {
                    gone.add(m);
                    e.getValue().model = null;
                    e.getValue().reason = "removed from the repository";
                } else if (!a.version().equals(m.version())) {
                    newer.add(a);
                }
            }
        }
        gone.forEach(ServedModel::close);
        for (ModelSource.Available a : newer) {
            try {
                swap(a);
            } catch (ServeException e) {
                // swap recorded the reason; the old version keeps serving
            }
        }
    }

    private void refresh() throws ServeException {
        try {
            Map<String, ModelSource.Available> now = source.scan();
            synchronized (this) {
                available = now;
            }
        } catch (IOException e) {
            throw new ServeException(ServeException.Status.INTERNAL, "cannot read the model repository: " + message(e));
        }
    }

    /** Loads {@code a} beside the loaded version and switches to it; on failure the old version stays. */
    private void swap(ModelSource.Available a) throws ServeException {
        ServedModel fresh;
        loads.lock();
        try {
            long before = Resident.bytes();
            fresh = loader.load(a);
            fresh.setResidentBytes(sizer.bytes(fresh, Resident.bytes() - before));
        } catch (Exception | OutOfMemoryError e) {
            if (metrics != null) metrics.loaded(a.name(), false);
            synchronized (this) {
                Slot s = slots.get(a.name());
                if (s != null) {
                    s.reason = "version " + a.version() + " failed to load (" + message(e) + "); still serving version "
                            + (s.model == null ? "-" : s.model.version());
                }
            }
            throw new ServeException(ServeException.Status.INTERNAL, "model '" + a.name() + "' version " + a.version()
                    + " failed to load: " + message(e));
        } finally {
            loads.unlock();
        }
        if (metrics != null) metrics.loaded(a.name(), true);
        ServedModel old;
        List<ServedModel> victims = new ArrayList<>();
        synchronized (this) {
            Slot s = slots.computeIfAbsent(a.name(), k -> new Slot());
            old = s.model;
            s.model = fresh;
            s.reason = "";
            s.lastUsed = ++tick;
            if (makeRoom(a.name(), victims) != null) {
                // the new version alone does not fit: keep serving the old one
                s.model = old;
                victims.clear();
                victims.add(fresh);
                s.reason = "version " + a.version() + " does not fit the memory budget; still serving version "
                        + (old == null ? "-" : old.version());
                old = null;
            }
        }
        if (old != null) old.close();
        victims.forEach(ServedModel::close);
    }

    /** Every model the server knows: loaded, loading, or available to load, in name order. */
    public synchronized List<Entry> index() {
        Map<String, Entry> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(available.keySet());
        slots.keySet().stream().filter(n -> !available.containsKey(n)).forEach(names::add);
        names.sort(null);
        for (String n : names) {
            Slot s = slots.get(n);
            ModelSource.Available a = available.get(n);
            if (s != null && s.model != null) {
                ServedModel m = s.model;
                out.put(n, new Entry(n, m.version(), State.READY, s.reason, m.residentBytes(), pinned.contains(n),
                        m.batching(), m.queueDepth(), s.lastUsedMillis));
            } else if (s != null && s.loading != null) {
                out.put(n, new Entry(n, a == null ? "" : a.version(), State.LOADING, "loading", 0, pinned.contains(n), null, 0, 0));
            } else if (a != null) {
                out.put(n, new Entry(n, a.version(), State.UNAVAILABLE, s == null ? "not loaded: loads on its first request"
                        : s.reason, 0, pinned.contains(n), null, 0, s == null ? 0 : s.lastUsedMillis));
            }
        }
        return List.copyOf(out.values());
    }

    /** The models loaded now. */
    public synchronized List<ServedModel> loadedModels() {
        return slots.values().stream().map(s -> s.model).filter(java.util.Objects::nonNull).toList();
    }

    public synchronized Map<String, ModelSource.Available> available() {
        return Map.copyOf(available);
    }

    public long budget() {
        return budget;
    }

    public Set<String> pinned() {
        return Set.copyOf(pinned);
    }

    /** Pins {@code name} (never unloaded for memory) or unpins it; an unpinned model may be unloaded at the next load. */
    public void pin(String name, boolean on) throws ServeException {
        synchronized (this) {
            if (!knows(name)) throw new ServeException(ServeException.Status.NOT_FOUND, "unknown model '" + name + "'");
            if (on) pinned.add(name);
            else pinned.remove(name);
        }
    }

    /** Unloads everything; later requests get 503. */
    @Override
    public void close() {
        List<ServedModel> all;
        synchronized (this) {
            closed = true;
            all = slots.values().stream().map(s -> s.model).filter(java.util.Objects::nonNull).toList();
            slots.values().forEach(s -> s.model = null);
        }
        all.forEach(ServedModel::close);
    }

    static long fileBytes(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    static String message(Throwable e) {
        if (e == null) return "unknown error";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
