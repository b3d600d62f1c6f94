package org.polaris.workbench.engine.serve;

import org.polaris.workbench.engine.model.Tensor;

import java.util.List;

/**
 * One decoded {@code POST /v2/models/{m}/infer} request.
 *
 * @param id the request's {@code id}, echoed in the response (null when it gave none)
 * @param inputs the input tensors, in request order
 * @param outputs the outputs asked for, in order; empty: every output of the model
 * @param binaryOutput {@code parameters.binary_data_output}: every output as binary data unless an output says otherwise
 */
public record InferRequest(String id, List<Input> inputs, List<Output> outputs, boolean binaryOutput) {

    public InferRequest {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** An input tensor as sent: its protocol datatype and the decoded tensor (named as the input). */
    public record Input(String name, KsDatatype datatype, Tensor tensor) {
    }

    /**
     * An output asked for.
     *
     * @param binary true or false when the output's {@code parameters.binary_data} says so, null to follow the request
     */
    public record Output(String name, Boolean binary) {
    }

    /** The batch this request carries: the first dimension of its first input (1 for a scalar). */
    public long batch() {
        if (inputs.isEmpty()) return 1;
        long[] d = inputs.get(0).tensor().dims();
        return d.length == 0 ? 1 : d[0];
    }
}
