package org.polaris.workbench.engine.runtime;

/**
 * One node's cost in one run.
 *
 * @param flops multiply-adds counted as 2 for Conv/Gemm/MatMul, one per output element otherwise
 * @param bytes bytes of the node's inputs and outputs
 */
public record NodeTiming(String node, String opType, long nanos, long flops, long bytes) {
}
