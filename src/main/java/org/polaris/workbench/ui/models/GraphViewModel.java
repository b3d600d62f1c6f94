package org.polaris.workbench.ui.models;

import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.graph.GraphLayout;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.GraphSvg;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.graph.ShapeTrace;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.WeightStats;
import org.polaris.workbench.engine.util.AtomicFiles;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.polaris.workbench.ui.common.PngFiles;

/**
 * The Models pane's graph tab: the selected model's graph (laid out in the background, cached per level), the level
 * shown (the main graph or a subgraph), the overlay, search and the selected node. Every number an overlay shows
 * comes from a real run on the model with the Inputs table's shapes.
 */
public final class GraphViewModel {

    private static final int CACHED_LAYOUTS = 32;

    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final Workspace workspace;
    private final ObjectProperty<WeightStats> selectedWeight;
    private final StringProperty tab = new SimpleStringProperty("overview");
    private final ReadOnlyObjectWrapper<ModelGraph> level = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<GraphLayout> layout = new ReadOnlyObjectWrapper<>();
    private final ObservableList<String> breadcrumb = FXCollections.observableArrayList();
    // one wrapper kept for good: a listener on a fresh wrapper per call is garbage-collected with the wrapper
    private final ObservableList<String> breadcrumbView = FXCollections.unmodifiableObservableList(breadcrumb);
    private final ObjectProperty<Overlay.Kind> overlayKind = new SimpleObjectProperty<>(Overlay.Kind.NONE);
    private final ObjectProperty<Runtimes.Kind> timeRuntime = new SimpleObjectProperty<>(Runtimes.Kind.ENGINE);
    private final ReadOnlyObjectWrapper<Overlay> overlay = new ReadOnlyObjectWrapper<>(Overlay.none());
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("");
    private final StringProperty search = new SimpleStringProperty("");
    private final ObservableList<GraphNode> matches = FXCollections.observableArrayList();
    private final ObjectProperty<GraphNode> selected = new SimpleObjectProperty<>();
    private final ReadOnlyObjectWrapper<NodeDetails> details = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyIntegerWrapper centerRequests = new ReadOnlyIntegerWrapper();
    private final Map<String, GraphLayout> layouts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, GraphLayout> e) {
            return size() > CACHED_LAYOUTS;
        }
    };
    private final Map<String, Function<ModelGraph, Overlay>> measured = new HashMap<>();
    private final List<String> path = new ArrayList<>(); // node id, attribute, node id, attribute, ...
    private ModelDocument doc;
    private ModelGraph root;
    private Map<String, WeightStats> stats = Map.of();
    private int generation;

    GraphViewModel(TaskRunner tasks, DialogService dialogs, Workspace workspace, ObjectProperty<WeightStats> selectedWeight) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.workspace = workspace;
        this.selectedWeight = selectedWeight;
        overlayKind.addListener((o, a, k) -> applyOverlay());
        timeRuntime.addListener((o, a, k) -> applyOverlay());
        search.addListener((o, a, s) -> find(s));
        selected.addListener((o, a, n) -> showDetails());
    }

    /** Shows {@code d}'s graph: the main level at once from the file, then again with every shape from one run. */
    void show(ModelDocument d) {
        doc = d;
        int gen = ++generation;
        path.clear();
        root = null;
        setLevel(null);
        if (d == null || d.inspection().model() == null) {
            return;
        }
        stats = new HashMap<>();
        for (WeightStats w : d.summary().weights()) {
            stats.put(w.name(), w);
            w.aliases().forEach(a -> stats.put(a, w));
        }
        status.set("reading the graph…");
        workspace.submit(tasks, d.path(), "Drawing the graph of " + d.title(), (progress, cancel) -> {
            ModelGraph g = ModelGraph.of(d.inspection().model().graph());
            return Map.entry(g, GraphLayout.of(g, cancel));
        }, r -> {
            if (gen != generation) return;
            root = r.getKey();
            layouts.put(key(List.of()), r.getValue());
            setLevel(root);
            traceShapes(d, gen);
        }, ex -> status.set(GuiMessages.of(ex)));
    }

    /** Edge shapes from one engine run on the Inputs table's input; the layout stays (boxes do not change). */
    private void traceShapes(ModelDocument d, int gen) {
        InputSpec input;
        try {
            input = input(d.path());
        } catch (IllegalArgumentException e) {
            return; // the Inputs table says what is wrong; the declared shapes stay
        }
        workspace.submit(tasks, d.path(), "Resolving the shapes of " + d.title(), (progress, cancel) -> {
            try (EnginePool pool = new EnginePool(1)) {
                var m = d.inspection().model();
                return ModelGraph.of(m.graph(), ShapeTrace.resolve(m, input.sample(m).feeds(), pool));
            }
        }, g -> {
            if (gen != generation) return;
            root = g;
            setLevel(resolve(path));
        }, ex -> { });
    }

    private InputSpec input(Path model) {
        return new InputSpec(workspace.inputs(model).request(Preprocessing.unitScale()), null, 0);
    }

    private String key(List<String> p) {
        return doc.path() + "|" + String.join("|", p);
    }

    private ModelGraph resolve(List<String> p) {
        ModelGraph g = root;
        for (int i = 0; g != null && i + 1 < p.size(); i += 2) {
            String node = p.get(i);
            String attr = p.get(i + 1);
            g = g.node(node).flatMap(n -> n.subgraphs().stream().filter(s -> s.attribute().equals(attr)).findFirst())
                    .map(GraphNode.Subgraph::graph).orElse(null);
        }
        return g;
    }

    private void setLevel(ModelGraph g) {
        boolean same = level.get() != null && g != null && level.get().path().equals(g.path());
        level.set(g);
        breadcrumb.clear();
        if (g != null) {
            breadcrumb.add(doc.title());
            for (int i = 0; i + 1 < path.size(); i += 2) breadcrumb.add(path.get(i) + " › " + path.get(i + 1));
        }
        if (!same) {
            selected.set(null);
            matches.clear();
            layout.set(null);
        }
        if (g == null) {
            status.set("");
            return;
        }
        GraphLayout cached = layouts.get(key(path));
        if (cached != null) {
            layout.set(cached);
            status.set(summary(g, cached));
        } else {
            int gen = generation;
            List<String> at = List.copyOf(path);
            status.set("laying out " + g.nodes().size() + " nodes…");
            workspace.submit(tasks, doc.path(), "Laying out " + String.join(" › ", g.path()), (p, c) -> GraphLayout.of(g, c), l -> {
                layouts.put(key(at), l);
                if (gen == generation && at.equals(path)) {
                    layout.set(l);
                    status.set(summary(g, l));
                }
            }, ex -> status.set(GuiMessages.of(ex)));
        }
        applyOverlay();
        if (!search.get().isBlank()) find(search.get());
    }

    private static String summary(ModelGraph g, GraphLayout l) {
        long ops = g.nodes().stream().filter(GraphNode::isOperator).count();
        return String.format(Locale.ROOT, "%d operators, %d edges · layout %d ms", ops, g.edges().size(), l.millis());
    }

    /** Opens the subgraph {@code attribute} of {@code n} (a node of the level shown). */
    public void enter(GraphNode n, String attribute) {
        if (level.get() == null || n.subgraphs().stream().noneMatch(s -> s.attribute().equals(attribute))) return;
        path.add(n.id());
        path.add(attribute);
        setLevel(resolve(path));
    }

    /** Back to the level {@code depth} steps below the main graph (0: the main graph). */
    public void goTo(int depth) {
        if (depth < 0 || 2 * depth >= path.size() + 2) return;
        path.subList(2 * depth, path.size()).clear();
        setLevel(resolve(path));
    }

    public void up() {
        if (!path.isEmpty()) goTo(path.size() / 2 - 1);
    }

    private void applyOverlay() {
        ModelGraph g = level.get();
        Overlay.Kind k = overlayKind.get();
        if (g == null || k == Overlay.Kind.NONE) {
            overlay.set(Overlay.none());
            if (g != null && layout.get() != null) status.set(summary(g, layout.get()));
            showDetails();
            return;
        }
        String key = doc.path() + "|" + k + (k == Overlay.Kind.TIME ? "|" + timeRuntime.get() : "");
        Function<ModelGraph, Overlay> f = k == Overlay.Kind.SENSITIVITY ? GraphOverlays.sensitivity(workspace, doc.path())
                : measured.get(key);
        if (f != null) {
            overlay.set(f.apply(g));
            status.set(overlay.get().note());
            showDetails();
            return;
        }
        overlay.set(Overlay.none());
        InputSpec input;
        try {
            input = input(doc.path());
        } catch (IllegalArgumentException e) {
            status.set(e.getMessage());
            return;
        }
        int gen = generation;
        status.set("measuring the " + k.label().toLowerCase(Locale.ROOT) + " overlay…");
        GraphOverlays.Request r = new GraphOverlays.Request(doc.path(), doc.inspection().model(), k, timeRuntime.get(), input);
        workspace.submit(tasks, doc.path(), k.label() + " overlay of " + doc.title(), GraphOverlays.job(r), made -> {
            measured.put(key, made);
            if (gen == generation && overlayKind.get() == k && level.get() != null) {
                overlay.set(made.apply(level.get()));
                status.set(overlay.get().note());
                showDetails();
            }
        }, ex -> status.set(GuiMessages.of(ex)));
    }

    private void find(String text) {
        matches.clear();
        ModelGraph g = level.get();
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (g == null || t.isEmpty()) return;
        for (GraphNode n : g.nodes()) {
            if (n.id().toLowerCase(Locale.ROOT).contains(t) || n.opType().toLowerCase(Locale.ROOT).contains(t)
                    || n.weights().stream().anyMatch(w -> w.name().toLowerCase(Locale.ROOT).contains(t))) {
                matches.add(n);
            }
        }
        if (!matches.isEmpty()) focus(matches.get(0));
    }

    /** Selects the next search match (wrapping) and centres it. */
    public void findNext() {
        if (matches.isEmpty()) return;
        int i = matches.indexOf(selected.get());
        focus(matches.get((i + 1) % matches.size()));
    }

    /** Selects {@code n} and asks the view to centre it. */
    public void focus(GraphNode n) {
        selected.set(n);
        centerRequests.set(centerRequests.get() + 1);
    }

    /** From the Weights tab: the graph level and node that read {@code weightName}, selected and centred. */
    public boolean revealWeight(String weightName) {
        if (root == null) return false;
        List<String> found = locate(root, weightName, new ArrayList<>());
        if (found == null) return false;
        String node = found.remove(found.size() - 1);
        path.clear();
        path.addAll(found);
        setLevel(resolve(path));
        tab.set("graph");
        level.get().node(node).ifPresent(this::focus);
        return true;
    }

    /** Subgraph path + node id of the first node folding {@code weight}, depth first; null when none does. */
    private static List<String> locate(ModelGraph g, String weight, List<String> at) {
        for (GraphNode n : g.nodes()) {
            if (n.weights().stream().anyMatch(w -> w.name().equals(weight) || w.tensor() != null && w.tensor().name().equals(weight))) {
                List<String> r = new ArrayList<>(at);
                r.add(n.id());
                return r;
            }
        }
        for (GraphNode n : g.nodes()) {
            for (GraphNode.Subgraph s : n.subgraphs()) {
                List<String> deeper = new ArrayList<>(at);
                deeper.add(n.id());
                deeper.add(s.attribute());
                List<String> r = locate(s.graph(), weight, deeper);
                if (r != null) return r;
            }
        }
        return null;
    }

    /** To the Weights tab with {@code w} selected. */
    public void showInWeights(WeightStats w) {
        selectedWeight.set(w);
        tab.set("weights");
    }

    private void showDetails() {
        GraphNode n = selected.get();
        ModelGraph g = level.get();
        details.set(n == null || g == null ? null
                : NodeDetails.of(n, g, g.sourceNode(n).orElse(null), stats, overlay.get()));
    }

    /** Writes the level shown, with its overlay and legend, as SVG where the user chooses. */
    public void exportSvg() {
        ModelGraph g = level.get();
        GraphLayout l = layout.get();
        if (g == null || l == null) return;
        Overlay o = overlay.get();
        Path model = doc.path();
        dialogs.chooseSaveFile("Export graph as SVG", Path.of(stem(model) + ".svg")).ifPresent(p ->
                write(p, model, () -> GraphSvg.write(g, l, o).getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes what the view shows ({@code argb} pixels, row by row) as PNG where the user chooses. */
    public void exportPng(int[] argb, int width, int height) {
        if (doc == null) return;
        Path model = doc.path();
        dialogs.chooseSaveFile("Export view as PNG", Path.of(stem(model) + ".png")).ifPresent(p ->
                write(p, model, () -> PngFiles.encode(argb, width, height)));
    }

    private void write(Path target, Path model, java.util.concurrent.Callable<byte[]> bytes) {
        if (target.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            status.set("Will not write over the model " + model);
            return;
        }
        tasks.submit("Exporting " + target.getFileName(), (p, c) -> {
            AtomicFiles.write(target, bytes.call(), true);
            return target;
        }, t -> status.set("Wrote " + t), ex -> status.set("Cannot write " + target + ": " + GuiMessages.of(ex)));
    }

    private static String stem(Path model) {
        return model.getFileName().toString().replaceFirst("(?i)\\.onnx$", "") + "-graph";
    }

    public ReadOnlyObjectProperty<ModelGraph> levelProperty() { return level.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<GraphLayout> layoutProperty() { return layout.getReadOnlyProperty(); }
    public ObservableList<String> breadcrumb() { return breadcrumbView; }
    public ObjectProperty<Overlay.Kind> overlayKindProperty() { return overlayKind; }
    public ObjectProperty<Runtimes.Kind> timeRuntimeProperty() { return timeRuntime; }
    public ReadOnlyObjectProperty<Overlay> overlayProperty() { return overlay.getReadOnlyProperty(); }
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    public StringProperty searchProperty() { return search; }
    public ObservableList<GraphNode> matches() { return matches; }
    public ObjectProperty<GraphNode> selectedProperty() { return selected; }
    public ReadOnlyObjectProperty<NodeDetails> detailsProperty() { return details.getReadOnlyProperty(); }
    /** Increments when the view should centre the selected node. */
    public ReadOnlyIntegerProperty centerRequestsProperty() { return centerRequests.getReadOnlyProperty(); }
    /** The detail tab shown: overview, weights or graph. */
    public StringProperty tabProperty() { return tab; }
}
