package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.Runtimes;
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

    @Mixin
    EngineDeviceOption device = new EngineDeviceOption();

    @Option(names = "--runtime", defaultValue = "ort", paramLabel = "ort|engine", description = "default ort")
    String runtime;

    @Bounds(min = 1, max = 1000000)
    @Option(names = "--top", defaultValue = "5", paramLabel = "K")
    int top;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N")
    int threads;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    InputOptions input = new InputOptions();

    @Override
    public Integer call() throws Exception {
        InferenceService service = new InferenceService(device.parse());
        Runtimes.Kind kind = CliSupport.runtime(runtime);
        InferenceService.RunResult r;
        try {
            r = service.run(model, kind, input.spec(), top, threads);
        } catch (DataException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        var o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.toString());
            j.put("runtime", r.runtime());
            j.put("input", r.source());
            j.put("label", r.label() < 0 ? null : r.label());
            j.put("output", r.output());
            j.put("shape", r.shape());
            List<Map<String, Object>> topk = new ArrayList<>();
            for (InferenceService.Prediction p : r.top()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("index", p.index());
                e.put("label", p.label());
                e.put("score", p.score());
                topk.add(e);
            }
            j.put("top", topk);
            j.put("wallMs", r.wallMs());
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
        } else {
            o.printf(Locale.ROOT, "%s on %s (%s), %.2f ms%n", model.getFileName(), r.runtime(), r.source(), r.wallMs());
            if (r.label() >= 0) {
                o.printf("label: %d%s%n", r.label(), r.labelName() == null ? "" : " " + r.labelName());
            }
            for (InferenceService.Prediction p : r.top()) {
                o.printf(Locale.ROOT, "  %4d  %10.4f  %s%n", p.index(), p.score(), p.label() == null ? "" : p.label());
            }
        }
        o.flush();
        return 0;
    }
}
