package org.polaris.workbench.engine.quant;

/**
 * What quantization did to one layer (a node with a weight).
 *
 * @param name node name, or {@code OpType#index} when the node has none
 * @param input the activation tensor feeding the layer
 * @param bits weight bits, or 32 when the layer was kept in float
 * @param sqnrDb weight signal-to-quantization-noise ratio; +inf when exact, NaN when kept in float
 * @param cosine cosine similarity of dequantized to original weights
 * @param maxAbsError largest absolute weight error
 * @param inputMin lower end of the calibrated input range (NaN when not calibrated)
 * @param inputMax upper end of the calibrated input range
 * @param note why a layer was kept in float, or how it was written
 */
public record LayerReport(String name, String opType, String weight, String input, int bits, boolean perChannel,
                          double sqnrDb, double cosine, double maxAbsError, double inputMin, double inputMax, String note) {
}
