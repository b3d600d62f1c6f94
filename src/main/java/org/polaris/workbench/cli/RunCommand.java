package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.NumpyFiles;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.OutputSummary;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.inference.Runtimes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code polaris-workbench run}: one inference, top-k with class names when a labels file is beside the model. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a model once and show every output (name, type, shape, min/max/mean, first values) and, "
                + "for class scores, the top classes.",
                "Inputs come from --input files or generators, sample --index of --data, or seeded random values; "
                + "--shape fixes dynamic dimensions."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ran", "2:usage error (options, input files, shapes, --save-outputs exists)",
                "3:unreadable or invalid model", "5:the engine lacks an op the model uses",
                "8:--save-outputs could not be written"})
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

    @Option(names = "--save-outputs", paramLabel = "FILE.npz", description = "write every output to a NumPy .npz "
            + "(arrays named by output name)")
    Path saveOutputs;

    @Option(names = "--force", description = "replace --save-outputs if it exists")
    boolean force;

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
        if (saveOutputs != null) {
            save(r);
        }
        var o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.toString());
            j.put("runtime", r.runtime());
            j.put("input", r.source());
            j.put("synthetic", r.synthetic());
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
            List<Map<String, Object>> outs = new ArrayList<>();
            for (OutputSummary s : r.outputs()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", s.name());
                e.put("dtype", s.dtype());
                e.put("shape", s.shape());
                e.put("min", finite(s.min()));
                e.put("max", finite(s.max()));
                e.put("mean", finite(s.mean()));
                e.put("values", s.values());
                outs.add(e);
            }
            j.put("outputs", outs);
            j.put("wallMs", r.wallMs());
            if (saveOutputs != null) {
                j.put("savedOutputs", saveOutputs.toString());
            }
            o.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
        } else {
            o.printf(Locale.ROOT, "%s on %s (%s), %.2f ms%n", model.getFileName(), r.runtime(), r.source(), r.wallMs());
            if (r.label() >= 0) {
                o.printf("label: %d%s%n", r.label(), r.labelName() == null ? "" : " " + r.labelName());
            }
            for (OutputSummary s : r.outputs()) {
                o.printf(Locale.ROOT, "output %s %s %s  min %s  max %s  mean %s%n", s.name(), s.dtype(),
                        Arrays.toString(s.shape()), num(s.min()), num(s.max()), num(s.mean()));
                o.printf(Locale.ROOT, "  first values: %s%n", values(s.values()));
            }
            if (!r.top().isEmpty()) {
                o.printf("top %d of %s:%n", r.top().size(), r.output());
            }
            for (InferenceService.Prediction p : r.top()) {
                o.printf(Locale.ROOT, "  %4d  %10.4f  %s%n", p.index(), p.score(), p.label() == null ? "" : p.label());
            }
            if (saveOutputs != null) {
                o.printf("saved %d outputs to %s%n", r.outputs().size(), saveOutputs);
            }
        }
        o.flush();
        return 0;
    }

    /** Every output to one .npz, written atomically under the one output rule (never an input, --force to replace). */
    private void save(InferenceService.RunResult r) throws Exception {
        java.util.List<Path> protectedInputs = new ArrayList<>(List.of(model));
        if (input.data != null) {
            protectedInputs.add(input.data);
        }
        OutputPolicy policy = new OutputPolicy(force, protectedInputs);
        policy.preflight(saveOutputs);
        try (OutputSet out = new OutputSet(policy)) {
            try (java.io.OutputStream stream = out.open(saveOutputs)) {
                NumpyFiles.writeNpz(r.tensors(), stream);
            }
            out.commit();
        }
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.5g", v);
    }

    private static String values(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double x : v) {
            b.append(b.length() == 0 ? "" : " ").append(x == Math.rint(x) && Math.abs(x) < 1e15
                    ? Long.toString((long) x) : String.format(Locale.ROOT, "%.4g", x));
        }
        return b.length() == 0 ? "-" : b.toString();
    }
}
