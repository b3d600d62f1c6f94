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

// im2col for one image: row (c, ky, kx) of col holds, for every output position, the input pixel that tap sees
// (0 in the padding). One work-item per (output position, row).
__kernel void im2col(const int C, const int H, const int W, const int KH, const int KW, const int SH, const int SW,
                     const int PH, const int PW, const int DH, const int DW, const int OH, const int OW,
                     __global const float* x, __global float* col) {
    const int p = get_global_id(0);
    const int row = get_global_id(1);
    if (p >= OH * OW || row >= C * KH * KW) return;
    const int kx = row % KW;
    const int ky = (row / KW) % KH;
    const int c = row / (KW * KH);
    const int oy = p / OW;
    const int ox = p % OW;
    const int iy = oy * SH - PH + ky * DH;
    const int ix = ox * SW - PW + kx * DW;
    col[row * OH * OW + p] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[(c * H + iy) * W + ix] : 0.0f;
}

// y[m, p] += bias[m] for an [M, P] block.
__kernel void add_row_bias(const int M, const int P, __global const float* bias, __global float* y) {
    const int p = get_global_id(0);
    const int m = get_global_id(1);
    if (m < M && p < P) y[m * P + p] += bias[m];
}

// Depthwise convolution (one input channel per group, one filter per channel), one work-item per output pixel.
// C counts planes over the whole batch (images x channels); the filter of plane c is c % CW.
__kernel void depthwise(const int C, const int H, const int W, const int KH, const int KW, const int SH, const int SW,
                        const int PH, const int PW, const int DH, const int DW, const int OH, const int OW,
                        __global const float* x, __global const float* w, __global const float* bias, const int hasBias,
                        __global float* y, const int CW) {
    const int p = get_global_id(0);
    const int c = get_global_id(1);
    if (p >= OH * OW || c >= C) return;
    const int oy = p / OW;
    const int ox = p % OW;
    const int f = c % CW;
    float acc = hasBias ? bias[f] : 0.0f;
    for (int ky = 0; ky < KH; ky++) {
        const int iy = oy * SH - PH + ky * DH;
        if (iy < 0 || iy >= H) continue;
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ox * SW - PW + kx * DW;
            if (ix < 0 || ix >= W) continue;
            acc += w[(f * KH + ky) * KW + kx] * x[(c * H + iy) * W + ix];
        }
    }
    y[c * OH * OW + p] = acc;
}

// 2-D max pooling over [C, H, W] (padding never wins), one work-item per output pixel.
__kernel void maxpool(const int C, const int H, const int W, const int KH, const int KW, const int SH, const int SW,
                      const int PH, const int PW, const int OH, const int OW, __global const float* x, __global float* y) {
    const int p = get_global_id(0);
    const int c = get_global_id(1);
    if (p >= OH * OW || c >= C) return;
    const int oy = p / OW;
    const int ox = p % OW;
    float m = -INFINITY;
    for (int ky = 0; ky < KH; ky++) {
        const int iy = oy * SH - PH + ky;
        if (iy < 0 || iy >= H) continue;
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ox * SW - PW + kx;
            if (ix < 0 || ix >= W) continue;
            m = fmax(m, x[(c * H + iy) * W + ix]);
        }
    }
    y[c * OH * OW + p] = m;
}

// y[i, j] += bias[j] for an [M, N] block (a Gemm's bias).
__kernel void add_col_bias(const int M, const int N, __global const float* bias, __global float* y) {
    const int j = get_global_id(0);
    const int i = get_global_id(1);
    if (i < M && j < N) y[i * N + j] += bias[j];
}

// Mean of each of `planes` planes of `size` values (GlobalAveragePool over images x channels).
__kernel void plane_mean(const int planes, const int size, __global const float* x, __global float* y) {
    const int p = get_global_id(0);
    if (p >= planes) return;
    float s = 0.0f;
    for (int i = 0; i < size; i++) s += x[p * size + i];
    y[p] = s / size;
}

// The simulator's full LIF step (Population.step): exact decay toward rest, reset to a value or by subtraction,
// refractory counters, optional constant bias; input is cleared as it is consumed. Same float operations in the same
// order as the Java loop, so results are bit-identical (FP_CONTRACT is off for this file).
__kernel void lif_full(const int n, const float decay, const float rest, const float thresh, const float resetV,
                       const int subtract, const int refrSteps, __global float* v, __global int* refr,
                       __global float* input, __global const float* bias, const int hasBias, __global int* spikes) {
    const int i = get_global_id(0);
    if (i >= n) return;
    if (refr[i] > 0) {
        refr[i] -= 1;
        input[i] = 0.0f;
        spikes[i] = 0;
        return;
    }
    const float in = hasBias ? input[i] + bias[i] : input[i];
    float nv = rest + (v[i] - rest) * decay + in;
    input[i] = 0.0f;
    int s = 0;
    if (nv >= thresh) {
        nv = subtract ? nv - thresh : resetV;
        refr[i] = refrSteps;
        s = 1;
    }
    spikes[i] = s;
    v[i] = nv;
}
