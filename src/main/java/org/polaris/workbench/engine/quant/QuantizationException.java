package org.polaris.workbench.engine.quant;

/** Quantization cannot proceed, or its result failed verification; the message says why and what to change. */
public class QuantizationException extends Exception {

    private static final long serialVersionUID = 1L;

    public QuantizationException(String message) {
        super(message);
    }

    public QuantizationException(String message, Throwable cause) {
        super(message, cause);
    }
}
