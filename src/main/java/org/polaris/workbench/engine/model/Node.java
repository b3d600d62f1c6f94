package org.polaris.workbench.engine.model;

import java.util.List;
import java.util.Optional;

/** One operator application in a graph. Empty strings in {@code inputs} mark omitted optional inputs. */
public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                   List<Attribute> attributes, String docString) {

    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = List.copyOf(attributes);
    }

    public Optional<Attribute> attribute(String attrName) {
        // a plain loop: kernels look attributes up on every run, and a stream per lookup was a few percent of a
        // small model's latency
        for (Attribute a : attributes) {
            if (a.name().equals(attrName)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** Op type qualified by its domain when that is not the default ONNX domain, e.g. {@code com.microsoft:QGemm}. */
    public String qualifiedOpType() {
        return isDefaultDomain(domain) ? opType : domain + ":" + opType;
    }

    public static boolean isDefaultDomain(String domain) {
        return domain == null || domain.isEmpty() || domain.equals("ai.onnx");
    }
}
