package org.polaris.workbench.ui.serve;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.serve.ApiKeys;
import org.polaris.workbench.engine.serve.InferenceServer;
import org.polaris.workbench.engine.serve.KsDatatype;
import org.polaris.workbench.engine.serve.ModelCache;
import org.polaris.workbench.engine.serve.ModelSource;
import org.polaris.workbench.engine.serve.ServeException;
import org.polaris.workbench.engine.serve.ServeOptions;
import org.polaris.workbench.engine.serve.ServedModel;
import org.polaris.workbench.engine.serve.TrafficLog;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.Settings;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Serve pane: starts the inference server ({@link InferenceServer}) in this process on the open models (and a
 * model repository if chosen), lists the models with their state, memory, pin and batching, loads and unloads them,
 * shows the traffic of the last minutes from the server's own ring, and gives a ready-to-copy {@code curl} request
 * for the selected model. No socket is opened until Start; the server keeps running while other panes work and
 * stops when the workbench quits.
 */
public final class ServeViewModel implements AutoCloseable {

    /** One row of the models table. */
    public record ModelRow(String name, String version, String state, double memoryMb, boolean pinned, String batching,
                           int queued, String reason) {
    }

    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final Workspace workspace;
    private final StringProperty host = new SimpleStringProperty("127.0.0.1");
    private final IntegerProperty port = new SimpleIntegerProperty(8000);
    private final ObjectProperty<Path> apiKeyFile = new SimpleObjectProperty<>();
    private final ObjectProperty<Path> repository = new SimpleObjectProperty<>();
    private final ObjectProperty<Runtimes.Kind> runtime = new SimpleObjectProperty<>(Runtimes.Kind.ORT);
    private final IntegerProperty maxBatch = new SimpleIntegerProperty(32);
    private final DoubleProperty queueDelayMs = new SimpleDoubleProperty(0);
    private final IntegerProperty memoryBudgetMb = new SimpleIntegerProperty(0);
    private final BooleanProperty starting = new SimpleBooleanProperty(false);
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper url = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("Stopped: no socket is open.");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper curl = new ReadOnlyStringWrapper("");
    private final ObservableList<ModelRow> rows = FXCollections.observableArrayList();
    private final ObjectProperty<ModelRow> selected = new SimpleObjectProperty<>();
    private volatile InferenceServer server;

    public ServeViewModel(TaskRunner tasks, DialogService dialogs, SettingsStore settings, Workspace workspace) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.workspace = workspace;
        Settings s = settings.get();
        host.set(s.serveHost);
        port.set(s.servePort);
        Optional.ofNullable(s.serveApiKeyFile).map(Path::of).ifPresent(apiKeyFile::set);
        runtime.set("engine".equals(s.serveRuntime) ? Runtimes.Kind.ENGINE : Runtimes.Kind.ORT);
        maxBatch.set(s.serveMaxBatch);
        queueDelayMs.set(s.serveQueueDelayMs);
        memoryBudgetMb.set(s.serveMemoryBudgetMb);
        selected.addListener((o, a, r) -> curl.set(r == null ? "" : curlFor(r.name())));
    }

    /** Starts the server on the open models (and the repository), in the background: loading takes a moment. */
    public void start() {
        if (server != null || starting.get()) return;
        error.set("");
        Map<String, Path> models = new LinkedHashMap<>();
        for (Path m : workspace.openModels()) {
            if (Runtimes.isTorchScript(m)) continue;
            String name = ModelSource.nameOf(m).replaceAll("[^A-Za-z0-9_.-]", "_");
            if (name.isEmpty() || name.length() > 120) name = "model";
            String unique = name;
            for (int i = 2; models.containsKey(unique); i++) unique = name + "-" + i;
            models.put(unique, m);
        }
        ServeOptions o;
        try {
            if (!(queueDelayMs.get() >= 0 && queueDelayMs.get() <= 1000)) {
                throw new IllegalArgumentException("the queue delay must be 0 to 1000 ms");
            }
            o = new ServeOptions(models, repository.get(), repository.get() == null ? 0 : 5, host.get().trim(), port.get(),
                    runtime.get(), EngineSession.Device.CPU, 1, Math.max(1, maxBatch.get()),
                    Math.round(queueDelayMs.get() * 1e6), 256,
                    memoryBudgetMb.get() <= 0 ? Long.MAX_VALUE : memoryBudgetMb.get() * 1_000_000L, Set.of(), readKey(),
                    64L << 20, 64, Path.of("/"));
        } catch (IllegalArgumentException e) {
            error.set(e.getMessage().replace("--api-key-file F", "an API key file").replace("give MODEL.onnx files, --model NAME=PATH or --model-repository DIR",
                    "open a model in the Models pane or choose a model repository"));
            return;
        }
        remember();
        starting.set(true);
        status.set("Starting: loading " + models.size() + " model(s)…");
        tasks.submit("Starting the inference server", (progress, cancel) -> InferenceServer.start(o, version()), s -> {
            starting.set(false);
            server = s;
            running.set(true);
            url.set(s.url());
            status.set("Serving at " + s.url() + (o.apiKey() == null ? "" : " (API key required)"));
            refresh();
        }, e -> {
            starting.set(false);
            status.set("Stopped: no socket is open.");
            error.set(e instanceof java.net.BindException ? "Cannot listen on " + o.host() + ":" + o.port() + ": "
                    + e.getMessage() : GuiMessages.of(e));
        });
    }

    private String readKey() {
        return apiKeyFile.get() == null ? null : ApiKeys.read(apiKeyFile.get());
    }

    private static String version() {
        String v = ServeViewModel.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    /** Stops the server: no new connections, every model unloaded. */
    public void stop() {
        InferenceServer s = server;
        if (s == null) return;
        server = null;
        tasks.submit("Stopping the inference server", (progress, cancel) -> {
            s.close();
            return Boolean.TRUE;
        }, x -> stopped(), e -> stopped());
    }

    private void stopped() {
        running.set(false);
        url.set("");
        rows.clear();
        curl.set("");
        status.set("Stopped: no socket is open.");
    }

    /** Re-reads the models' state (the view calls it each second while shown). */
    public void refresh() {
        InferenceServer s = server;
        if (s == null) return;
        String keep = selected.get() == null ? null : selected.get().name();
        List<ModelRow> now = s.cache().index().stream().map(e -> new ModelRow(e.name(), e.version(),
                e.state().name().toLowerCase(Locale.ROOT), e.residentBytes() / 1e6, e.pinned(), batching(e), e.queueDepth(),
                e.reason())).toList();
        if (!now.equals(rows)) {
            rows.setAll(now);
            rows.stream().filter(r -> r.name().equals(keep)).findFirst().ifPresent(selected::set);
        }
    }

    private static String batching(ModelCache.Entry e) {
        if (e.batching() == null) return "";
        return e.batching().enabled() ? "up to " + e.batching().maxBatch() : "off: " + e.batching().reason();
    }

    /** Traffic of the last {@code seconds} seconds (empty when stopped). */
    public List<TrafficLog.Second> traffic(int seconds) {
        InferenceServer s = server;
        return s == null ? List.of() : s.traffic().last(seconds, System.currentTimeMillis());
    }

    public void loadSelected() {
        modelAction("Loading ", (s, n) -> s.cache().load(n));
    }

    public void unloadSelected() {
        modelAction("Unloading ", (s, n) -> s.cache().unload(n));
    }

    /** Pins or unpins the selected model (a pinned model is never unloaded for memory). */
    public void setPinned(boolean pin) {
        InferenceServer s = server;
        ModelRow r = selected.get();
        if (s == null || r == null) return;
        try {
            s.cache().pin(r.name(), pin);
        } catch (ServeException e) {
            error.set(e.getMessage());
        }
        refresh();
    }

    private interface Action {
        void run(InferenceServer s, String name) throws ServeException;
    }

    private void modelAction(String verb, Action a) {
        InferenceServer s = server;
        ModelRow r = selected.get();
        if (s == null || r == null) return;
        error.set("");
        tasks.submit(verb + r.name(), (progress, cancel) -> {
            a.run(s, r.name());
            return Boolean.TRUE;
        }, x -> refresh(), e -> {
            error.set(GuiMessages.of(e));
            refresh();
        });
    }

    /** Inputs with more values than this are built by a python one-liner rather than spelled out on the command line. */
    static final long INLINE_VALUES = 2048;

    /**
     * A {@code curl} command that sends the model a request of zeros in the shapes it takes (dynamic dimensions as
     * 1); large inputs are generated by {@code python3} and piped to curl, which keeps the command short.
     */
    String curlFor(String name) {
        InferenceServer s = server;
        ServedModel m = s == null ? null : s.cache().loaded(name);
        if (m == null) return "";
        long total = m.inputs().stream().mapToLong(in -> count(in.shape())).sum();
        boolean inline = total <= INLINE_VALUES;
        String auth = apiKeyFile.get() == null || s.options().apiKey() == null ? ""
                : " -H \"Authorization: Bearer $(cat '" + apiKeyFile.get() + "')\"";
        String target = s.url() + "/v2/models/" + name + "/infer";
        if (inline) {
            String inputs = m.inputs().stream().map(in -> "{\"name\":\"" + in.name() + "\",\"shape\":"
                    + shape(in.shape(), ",") + ",\"datatype\":\"" + in.datatype().name() + "\",\"data\":"
                    + java.util.stream.LongStream.range(0, count(in.shape())).mapToObj(i -> zero(in.datatype(), false))
                    .collect(Collectors.joining(",", "[", "]")) + "}").collect(Collectors.joining(","));
            return "curl -s " + target + " -H 'Content-Type: application/json'" + auth + " -d '{\"inputs\":[" + inputs + "]}'";
        }
        String inputs = m.inputs().stream().map(in -> "{'name': '" + in.name() + "', 'shape': " + shape(in.shape(), ", ")
                + ", 'datatype': '" + in.datatype().name() + "', 'data': [" + zero(in.datatype(), true) + "] * "
                + count(in.shape()) + "}").collect(Collectors.joining(", "));
        return "python3 -c \"import json; print(json.dumps({'inputs': [" + inputs + "]}))\" | curl -s " + target
                + " -H 'Content-Type: application/json'" + auth + " --data-binary @-";
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= Math.max(1, d);
        return n;
    }

    private static String shape(long[] dims, String sep) {
        return java.util.Arrays.stream(dims).mapToObj(d -> Long.toString(Math.max(1, d))).collect(Collectors.joining(sep, "[", "]"));
    }

    private static String zero(KsDatatype t, boolean python) {
        if (t == KsDatatype.BOOL) return python ? "False" : "false";
        if (t == KsDatatype.BYTES) return python ? "''" : "\"\"";
        return t == KsDatatype.FP16 || t == KsDatatype.BF16 || t == KsDatatype.FP32 || t == KsDatatype.FP64 ? "0.0" : "0";
    }

    public void chooseApiKeyFile() {
        dialogs.chooseData(false, Optional.ofNullable(apiKeyFile.get()).map(Path::getParent)).ifPresent(apiKeyFile::set);
    }

    public void chooseRepository() {
        dialogs.chooseData(true, Optional.ofNullable(repository.get())).ifPresent(repository::set);
    }

    private void remember() {
        Settings s = settings.get();
        s.serveHost = host.get().trim();
        s.servePort = port.get();
        s.serveApiKeyFile = apiKeyFile.get() == null ? null : apiKeyFile.get().toString();
        s.serveRuntime = runtime.get() == Runtimes.Kind.ENGINE ? "engine" : "ort";
        s.serveMaxBatch = maxBatch.get();
        s.serveQueueDelayMs = queueDelayMs.get();
        s.serveMemoryBudgetMb = memoryBudgetMb.get();
        settings.save();
    }

    /** Stops the server at once (the workbench is quitting). */
    @Override
    public void close() {
        InferenceServer s = server;
        server = null;
        if (s != null) s.close();
    }

    public StringProperty hostProperty() { return host; }
    public IntegerProperty portProperty() { return port; }
    public ObjectProperty<Path> apiKeyFileProperty() { return apiKeyFile; }
    public ObjectProperty<Path> repositoryProperty() { return repository; }
    public ObjectProperty<Runtimes.Kind> runtimeProperty() { return runtime; }
    public IntegerProperty maxBatchProperty() { return maxBatch; }
    public DoubleProperty queueDelayMsProperty() { return queueDelayMs; }
    public IntegerProperty memoryBudgetMbProperty() { return memoryBudgetMb; }
    public ReadOnlyBooleanProperty runningProperty() { return running.getReadOnlyProperty(); }
    public BooleanProperty startingProperty() { return starting; }
    public ReadOnlyStringProperty urlProperty() { return url.getReadOnlyProperty(); }
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ReadOnlyStringProperty curlProperty() { return curl.getReadOnlyProperty(); }
    public ObservableList<ModelRow> rows() { return rows; }
    public ObjectProperty<ModelRow> selectedProperty() { return selected; }
}
