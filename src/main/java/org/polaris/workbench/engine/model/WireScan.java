package org.polaris.workbench.engine.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;

/**
 * Counts what a serialized model holds without building it: a walk over the wire format that allocates nothing,
 * so the reader can refuse a file whose objects would not fit in memory before protobuf builds them.
 */
public final class WireScan {

    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;

    /** A main-graph node's name, op type and output names, as scanned. */
    public record NodeHeader(String name, String opType, java.util.List<String> outputs) {
    }

    private WireScan() {
    }

    /** Nodes of the main graph (0 when the file is not a model; the parser then says why). */
    static long topLevelNodes(java.nio.file.Path model) {
        try (java.io.InputStream stream = java.nio.file.Files.newInputStream(model)) {
            CodedInputStream in = CodedInputStream.newInstance(stream, 1 << 16);
            in.setSizeLimit(Integer.MAX_VALUE);
            long nodes = 0;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int len = in.readRawVarint32();
                    int limit = in.pushLimit(len);
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        if (WireFormat.getTagFieldNumber(t) == GRAPH_NODE) {
                            nodes++;
                        }
                        if (!in.skipField(t)) {
                            break;
                        }
                    }
                    in.popLimit(limit);
                } else if (tag == 0 || !in.skipField(tag)) {
                    break;
                }
            }
            return nodes;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * The op types of the main graph's nodes, in order, read without building the model (weights are skipped on
     * the wire): what ONNX Runtime's optimized-graph dump is read for.
     */
    public static java.util.List<String> topLevelOpTypes(java.nio.file.Path model) throws ModelLoadException {
        return topLevelNodeHeaders(model).stream().map(NodeHeader::opType).toList();
    }

    /** Name and op type of each node of the main graph, in order; weights are skipped, never decoded. */
    public static java.util.List<NodeHeader> topLevelNodeHeaders(java.nio.file.Path model) throws ModelLoadException {
        java.util.List<NodeHeader> ops = new java.util.ArrayList<>();
        try (java.io.InputStream stream = java.nio.file.Files.newInputStream(model)) {
            CodedInputStream in = CodedInputStream.newInstance(stream, 1 << 16);
            in.setSizeLimit(Integer.MAX_VALUE);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int graphLimit = in.pushLimit(in.readRawVarint32());
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        if (WireFormat.getTagFieldNumber(t) == GRAPH_NODE
                                && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            int nodeLimit = in.pushLimit(in.readRawVarint32());
                            String op = "";
                            String name = "";
                            java.util.List<String> outs = new java.util.ArrayList<>();
                            while (!in.isAtEnd()) {
                                int f = in.readTag();
                                if (WireFormat.getTagFieldNumber(f) == NODE_OP_TYPE) {
                                    op = in.readStringRequireUtf8();
                                } else if (WireFormat.getTagFieldNumber(f) == NODE_NAME) {
                                    name = in.readStringRequireUtf8();
                                } else if (WireFormat.getTagFieldNumber(f) == NODE_OUTPUT) {
                                    outs.add(in.readStringRequireUtf8());
                                } else if (!in.skipField(f)) {
                                    break;
                                }
                            }
                            in.popLimit(nodeLimit);
                            ops.add(new NodeHeader(name, op, java.util.List.copyOf(outs)));
                        } else if (!in.skipField(t)) {
                            break;
                        }
                    }
                    in.popLimit(graphLimit);
                } else if (tag == 0 || !in.skipField(tag)) {
                    break;
                }
            }
            return ops;
        } catch (java.io.IOException | RuntimeException e) {
            throw new ModelLoadException(model, ModelLoadException.Problem.CORRUPT, "cannot scan its nodes: " + e.getMessage());
        }
    }
}
