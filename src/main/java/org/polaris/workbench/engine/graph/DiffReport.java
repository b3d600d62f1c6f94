package org.polaris.workbench.engine.graph;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Two versions of a model compared node by node ({@link GraphDiff}): how their operators pair up and, for each pair,
 * what changed in storage, in output and in time. Rendered by the {@code diff} command and the Compare view.
 *
 * @param input where the input both models ran on came from
 * @param note what could not be computed, e.g. "outputs not compared: the engine lacks ..."; empty when nothing
 */
public record DiffReport(String modelA, String modelB, String input, int operatorsA, int operatorsB,
                         int matchedByName, int matchedByStructure, int removed, int added, List<Row> rows, String note) {

    /** How a row's nodes were paired. */
    public enum Match { NAME, STRUCTURE, REMOVED, ADDED }

    /**
     * One operator pair, or an operator only one model has.
     *
     * @param tensor the output compared (A's name)
     * @param cosine cosine similarity of the two outputs on the same input; null when not compared
     * @param maxAbsError largest absolute difference
     * @param relativeError {@code maxAbsError} over A's largest magnitude
     * @param addedError this node's relative error less the largest of the nodes feeding it: the error it adds
     * @param remark why a number is missing (shapes differ, not a float tensor), else empty
     */
    public record Row(String nodeA, String nodeB, String opA, String opB, Match match, String dtypeA, String dtypeB,
                      long bytesA, long bytesB, Double sparsityA, Double sparsityB, String tensor, Double cosine,
                      Double maxAbsError, Double relativeError, Double addedError, Double msA, Double msB,
                      String remark) {
    }

    public DiffReport {
        rows = List.copyOf(rows);
    }

    /** The pair whose output moved the most relative to its magnitude, if any was compared. */
    public Optional<Row> largestError() {
        return rows.stream().filter(r -> r.relativeError() != null).max(Comparator.comparingDouble(Row::relativeError));
    }

    /** The pair that adds the most error of its own, if any was compared. */
    public Optional<Row> largestAddedError() {
        return rows.stream().filter(r -> r.addedError() != null).max(Comparator.comparingDouble(Row::addedError));
    }
}
