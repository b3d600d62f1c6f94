package org.polaris.workbench.engine.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;

/**
 * Counts what a serialized model holds without building it: a walk over the wire format that allocates nothing,
 * so the reader can refuse a file whose objects would not fit in memory before protobuf builds them.
 */
final class WireScan {

    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;

    private WireScan() {
    }

    /** Nodes of the main graph (0 when the bytes are not a model; the parser then says why). */
    static long topLevelNodes(byte[] model) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(model);
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
}
