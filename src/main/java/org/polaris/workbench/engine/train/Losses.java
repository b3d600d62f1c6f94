package org.polaris.workbench.engine.train;

/** Loss functions with their gradient (ONNX SoftmaxCrossEntropyLoss semantics, mean reduction). */
final class Losses {

    private Losses() {
    }

    /**
     * Mean over the batch of {@code -log softmax(logits)[label]}; writes d loss / d logits into {@code grad} and the
     * number of samples whose largest logit is the label into {@code correct[0]}.
     */
    static double softmaxCrossEntropy(float[] logits, int[] labels, int batch, int classes, float[] grad, int[] correct) {
        double total = 0;
        int hits = 0;
        for (int i = 0; i < batch; i++) {
            int o = i * classes;
            float max = Float.NEGATIVE_INFINITY;
            int arg = 0;
            for (int c = 0; c < classes; c++) {
                if (logits[o + c] > max) {
                    max = logits[o + c];
                    arg = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(logits[o + c] - max);
            int y = labels[i];
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label " + y + " outside 0.." + (classes - 1));
            total += Math.log(sum) - (logits[o + y] - max);
            if (arg == y) hits++;
            for (int c = 0; c < classes; c++) {
                double p = Math.exp(logits[o + c] - max) / sum;
                grad[o + c] = (float) ((p - (c == y ? 1 : 0)) / batch);
            }
        }
        if (correct != null) correct[0] = hits;
        return total / batch;
    }
}
