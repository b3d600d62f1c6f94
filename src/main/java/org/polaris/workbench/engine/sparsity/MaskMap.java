package org.polaris.workbench.engine.sparsity;

/**
 * A weight matrix's zero pattern, downsampled for display: cell (i, j) holds the fraction of non-zero weights in its
 * tile of the rows-first matrix (output channels down, inputs across). Tiles are as even as the sizes allow.
 *
 * @param cells {@code [cellRows][cellCols]} densities in [0, 1]
 */
public record MaskMap(String title, int rows, int cols, double[][] cells) {

    public static MaskMap empty(String title) {
        return new MaskMap(title, 0, 0, new double[0][0]);
    }

    /** The map of a rows-first {@code [rows, cols]} matrix with at most {@code maxCells} cells per side. */
    public static MaskMap of(String title, float[] rowsFirst, int rows, int cols, int maxCells) {
        if ((long) rows * cols != rowsFirst.length || rows < 1 || cols < 1 || maxCells < 1) {
            throw new IllegalArgumentException(rows + " x " + cols + " does not match " + rowsFirst.length + " weights");
        }
        int cr = Math.min(rows, maxCells);
        int cc = Math.min(cols, maxCells);
        double[][] nonZero = new double[cr][cc];
        double[][] count = new double[cr][cc];
        for (int r = 0; r < rows; r++) {
            int i = (int) ((long) r * cr / rows);
            for (int c = 0; c < cols; c++) {
                int j = (int) ((long) c * cc / cols);
                count[i][j]++;
                if (rowsFirst[r * cols + c] != 0f) nonZero[i][j]++;
            }
        }
        for (int i = 0; i < cr; i++) {
            for (int j = 0; j < cc; j++) nonZero[i][j] /= count[i][j];
        }
        return new MaskMap(title, rows, cols, nonZero);
    }
}
