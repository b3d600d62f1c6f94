#pragma OPENCL FP_CONTRACT OFF

// Elementwise ops, row softmax, CSR sparse products, int8 GEMM and the LIF neuron update. OpenCL C 1.2.

__kernel void relu(const int n, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i < n) y[i] = fmax(x[i], 0.0f);
}

__kernel void add(const int n, __global const float* a, __global const float* b, __global float* y) {
    const int i = get_global_id(0);
    if (i < n) y[i] = a[i] + b[i];
}

// One work-item per row: max-subtracted for range, as the CPU reference does.
__kernel void softmax_rows(const int rows, const int cols, __global const float* x, __global float* y) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* xr = x + r * cols;
    __global float* yr = y + r * cols;
    float m = xr[0];
    for (int c = 1; c < cols; c++) m = fmax(m, xr[c]);
    float s = 0.0f;
    for (int c = 0; c < cols; c++) {
        const float e = exp(xr[c] - m);
        yr[c] = e;
        s += e;
    }
    for (int c = 0; c < cols; c++) yr[c] /= s;
}

// Y^T[rows, batch] = W_csr * X^T[cols, batch]: one work-item per (batch column, row).
__kernel void csr_spmm(const int rows, const int batch, __global const int* ptr, __global const int* idx,
                       __global const float* vals, __global const float* xT, __global float* yT) {
    const int b = get_global_id(0);
    const int r = get_global_id(1);
    if (r >= rows || b >= batch) return;
    float acc = 0.0f;
    for (int p = ptr[r]; p < ptr[r + 1]; p++) {
        acc += vals[p] * xT[idx[p] * batch + b];
    }
    yT[r * batch + b] = acc;
}

// C[M,N] = A[M,K] * B[K,N] on signed 8-bit codes with 32-bit accumulation (no dot-product extension needed).
__kernel void gemm_i8(const int M, const int N, const int K, __global const char* A, __global const char* B,
                      __global int* C) {
    const int col = get_global_id(0);
    const int row = get_global_id(1);
    if (row >= M || col >= N) return;
    int acc = 0;
    for (int k = 0; k < K; k++) {
        acc += (int) A[row * K + k] * (int) B[k * N + col];
    }
    C[row * N + col] = acc;
}

// Leaky integrate-and-fire, one time step: v = v * decay + input; a neuron at or above threshold spikes and resets.
__kernel void lif_step(const int n, const float decay, const float threshold, const float reset,
                       __global float* v, __global const float* input, __global int* spikes) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float nv = v[i] * decay + input[i];
    const int s = nv >= threshold ? 1 : 0;
    spikes[i] = s;
    v[i] = s ? reset : nv;
}

// Bandwidth probe: y = x copied, four floats per work-item.
__kernel void copy4(const int n4, __global const float4* x, __global float4* y) {
    const int i = get_global_id(0);
    if (i < n4) y[i] = x[i];
}
