package org.polaris.workbench.engine.model;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ONNX model as read from disk: an immutable IR of the whole {@code ModelProto}.
 *
 * @param opsets operator set domain to version, in file order; the default domain is {@code ""}
 * @param encodedExtras encoded model-level fields this IR does not model (functions, training info), written back as is
 * @param source file the model was read from, or {@code null} for a model built in memory
 * @param fileBytes size of the source file, 0 when built in memory
 */
public record OnnxModel(long irVersion, Map<String, Long> opsets, String producerName, String producerVersion,
                        String domain, long modelVersion, String docString, Map<String, String> metadata,
                        Graph graph, byte[] encodedExtras, Path source, long fileBytes) {

    public OnnxModel {
        opsets = Collections.unmodifiableMap(new LinkedHashMap<>(opsets));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        encodedExtras = encodedExtras == null ? new byte[0] : encodedExtras;
    }

    public OnnxModel withGraph(Graph newGraph) {
        return new OnnxModel(irVersion, opsets, producerName, producerVersion, domain, modelVersion, docString,
                metadata, newGraph, encodedExtras, source, fileBytes);
    }

    /** Opset of the default ONNX domain, or -1 when the model imports none. */
    public long defaultOpset() {
        Long v = opsets.get("");
        return v != null ? v : opsets.getOrDefault("ai.onnx", -1L);
    }

    public String displayName() {
        return source == null ? graph.name() : source.getFileName().toString();
    }

    /** The side files this model's weights were read from (external data), resolved beside the model. */
    public java.util.List<Path> externalFiles() {
        if (source == null) {
            return java.util.List.of();
        }
        Path dir = source.toAbsolutePath().getParent();
        return graph.initializers().stream().map(Tensor::externalLocation).filter(java.util.Objects::nonNull)
                .distinct().map(dir::resolve).toList();
    }
}
