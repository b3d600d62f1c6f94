package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.inspect.Inspection;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code polaris-workbench inspect MODEL [--json] [--weights]}: what is inside an ONNX model. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show inputs, outputs, operators and weights of an ONNX model, and check that ONNX Runtime loads it.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:model read and loaded", "2:usage error", "3:unreadable or invalid model", "7:out of memory; nothing was written (raise -Xmx)"})
public final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "ONNX model file (.onnx)")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--weights", description = "Include per-weight statistics.")
    boolean weights;

    @Override
    public Integer call() throws Exception {
        Inspection inspection = new ModelInspector().inspect(model, ProgressSink.NONE, CancellationToken.none());
        var out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(InspectReport.toJson(inspection, weights)));
        } else {
            out.print(InspectReport.toText(inspection, weights));
        }
        out.flush();
        return 0;
    }
}
