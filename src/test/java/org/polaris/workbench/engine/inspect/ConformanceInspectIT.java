package org.polaris.workbench.engine.inspect;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.engine.onnx.RuntimeValue;
import org.polaris.workbench.engine.onnx.RuntimeView;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code inspect --json} on the samples and every {@code pytorch-converted} and {@code simple} conformance model
 * that ONNX Runtime loads: inputs and outputs must match ONNX Runtime's own view, op counts must match an
 * independent count over the raw protobuf.
 */
class ConformanceInspectIT {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void inspectJsonAgreesWithOnnxRuntimeAndTheRawProto() throws Exception {
        List<Path> models = new ArrayList<>(TestData.sampleModels());
        models.addAll(TestData.conformanceModels("pytorch-converted"));
        models.addAll(TestData.conformanceModels("simple"));
        int checked = 0;
        List<String> rejected = new ArrayList<>();
        for (Path model : models) {
            RuntimeView ort;
            try {
                ort = OrtSessions.describe(model);
            } catch (ModelLoadException e) {
                rejected.add(model.toString());
                continue;
            }
            JsonNode report = inspectJson(model);
            assertValues(model + " inputs", report.get("inputs"), ort.inputs());
            assertValues(model + " outputs", report.get("outputs"), ort.outputs());
            Map<String, Integer> ops = new TreeMap<>();
            report.get("ops").fields().forEachRemaining(e -> ops.put(e.getKey(), e.getValue().asInt()));
            assertThat(ops).as(model + " ops").isEqualTo(rawOpCounts(model));
            assertThat(report.get("fileBytes").asLong()).isEqualTo(Files.size(model));
            checked++;
        }
        assertThat(checked).as("models checked; ORT rejected %s", rejected).isGreaterThanOrEqualTo(80);
    }

    private JsonNode inspectJson(Path model) throws Exception {
        CliRun run = CliRun.of("inspect", "--json", model.toString());
        assertThat(run.code()).as(model + ": " + run.err()).isZero();
        return json.readTree(run.out());
    }

    private static void assertValues(String what, JsonNode values, List<RuntimeValue> ort) {
        assertThat(values.size()).as(what).isEqualTo(ort.size());
        for (int i = 0; i < ort.size(); i++) {
            RuntimeValue r = ort.get(i);
            JsonNode v = values.get(i);
            assertThat(v.get("name").asText()).as(what).isEqualTo(r.name());
            if (r.elementType() == null) {
                continue;
            }
            assertThat(v.get("dtype").asText()).as(what + " " + r.name()).isEqualTo(r.elementType().displayName());
            JsonNode shape = v.get("shape");
            assertThat(shape.size()).as(what + " " + r.name() + " rank").isEqualTo(r.shape().size());
            for (int d = 0; d < r.shape().size(); d++) {
                Dim dim = r.shape().get(d);
                JsonNode j = shape.get(d);
                if (dim.isFixed()) {
                    assertThat(j.asLong()).as(what + " " + r.name() + " dim " + d).isEqualTo(dim.value());
                } else if (dim.isSymbolic()) {
                    assertThat(j.asText()).as(what + " " + r.name() + " dim " + d).isEqualTo(dim.param());
                } else {
                    assertThat(j.isNull()).as(what + " " + r.name() + " dim " + d + " unknown").isTrue();
                }
            }
        }
    }

    /** Op counts straight from the protobuf, recursing into subgraph attributes: independent of the IR. */
    private static Map<String, Integer> rawOpCounts(Path model) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        count(OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model)).getGraph(), counts);
        return counts;
    }

    private static void count(OnnxMl.GraphProto g, Map<String, Integer> counts) {
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            String d = n.getDomain();
            counts.merge(d.isEmpty() || d.equals("ai.onnx") ? n.getOpType() : d + ":" + n.getOpType(), 1, Integer::sum);
            for (OnnxMl.AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) count(a.getG(), counts);
                a.getGraphsList().forEach(sub -> count(sub, counts));
            }
        }
    }
}
