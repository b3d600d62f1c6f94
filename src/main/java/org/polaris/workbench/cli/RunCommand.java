package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.inference.Labels;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code polaris-workbench run}: one inference, top-k with class names when a labels file is beside the model. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a model once on an image, an IDX sample or random data and show the top classes.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ran", "2:usage error", "3:unreadable or invalid model", "5:the engine lacks an op the model uses"})
public final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL")
    Path model;

    @Option(names = "--runtime", defaultValue = "ort", paramLabel = "ort|engine", description = "default ort")
    String runtime;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K")
    int top;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N")
    int threads;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    InputOptions input = new InputOptions();

    @Override
    public Integer call() throws Exception {
        Runtimes.Kind kind = CliSupport.runtime(runtime);
        OnnxModel m = new OnnxModelReader().read(model);
        InputOptions.Sample s = input.sample(m, 1);
        Map<String, Tensor> out;
        long t0 = System.nanoTime();
        try (ModelRuntime rt = Runtimes.open(kind, m, threads)) {
            out = rt.run(Map.of(s.input().name(), s.input()));
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        Tensor first = out.values().iterator().next();
        float[] v = first.toFloats();
        List<String> labels = Labels.near(model, v.length);
        List<Map<String, Object>> topk = new ArrayList<>();
        boolean[] used = new boolean[v.length];
        for (int k = 0; k < Math.min(top, v.length); k++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!used[i] && (best < 0 || v[i] > v[best])) best = i;
            }
            used[best] = true;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("index", best);
            e.put("label", labels.isEmpty() ? null : labels.get(best));
            e.put("score", v[best]);
            topk.add(e);
        }
        var o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.toString());
            j.put("runtime", kind.name().toLowerCase(Locale.ROOT));
            j.put("input", s.source());
            j.put("label", s.label() < 0 ? null : s.label());
            j.put("output", first.name());
            j.put("shape", first.dims());
            j.put("top", topk);
            j.put("wallMs", ms);
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
        } else {
            o.printf(Locale.ROOT, "%s on %s (%s), %.1f ms including load%n", model.getFileName(),
                    kind.name().toLowerCase(Locale.ROOT), s.source(), ms);
            if (s.label() >= 0) {
                o.printf("label: %d%s%n", s.label(), labels.isEmpty() ? "" : " " + labels.get(s.label()));
            }
            for (Map<String, Object> e : topk) {
                o.printf(Locale.ROOT, "  %4d  %10.4f  %s%n", (Integer) e.get("index"), (Float) e.get("score"),
                        e.get("label") == null ? "" : e.get("label"));
            }
        }
        o.flush();
        return 0;
    }
}
