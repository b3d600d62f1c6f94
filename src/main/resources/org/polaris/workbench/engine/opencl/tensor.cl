// General tensor kernels of the OpenCL executor (OpenCL C 1.2, no extensions): element-wise ops with broadcasting,
// strided copies (Transpose, Concat, Slice, Expand), reductions and softmax along one axis, 2-D resize.
// Shapes of up to 8 dimensions arrive as an int buffer `meta`: dims[8], then one stride array per operand (0 where
// an operand broadcasts); index 0 is the outermost dimension, rank-1 the innermost.

// The unary ops in FloatMath.Unary order.
float unary_op(const int op, const float x, const float p, const float q) {
    switch (op) {
        case 0: return fmax(x, 0.0f);                                   // Relu
        case 1: return -x;                                              // Neg
        case 2: return fabs(x);                                         // Abs
        case 3: return sqrt(x);                                         // Sqrt
        case 4: return 1.0f / x;                                        // Reciprocal
        case 5: return exp(x);                                          // Exp
        case 6: return log(x);                                          // Log
        case 7: return 1.0f / (1.0f + exp(-x));                         // Sigmoid
        case 8: return tanh(x);                                         // Tanh
        case 9: return erf(x);                                          // Erf
        case 10: return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f)); // Gelu
        case 11: return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x))); // Gelu tanh
        case 12: return fmax(0.0f, fmin(1.0f, p * x + q));              // HardSigmoid
        case 13: return x * fmax(0.0f, fmin(1.0f, x / 6.0f + 0.5f));    // HardSwish
        case 14: return x >= 0.0f ? x : p * x;                          // LeakyRelu
        case 15: return fmin(q, fmax(p, x));                            // Clip
        default: return x / (1.0f + exp(-x));                           // SiLU (Sigmoid then Mul, folded)
    }
}

__kernel void unary(const int n, const int op, const float p, const float q, __global const float* x,
                    __global float* y, const int post, const float pp, const float pq) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = unary_op(op, x[i], p, q);
    y[i] = post < 0 ? v : unary_op(post, v, pp, pq);
}

// The binary ops in FloatMath.Binary order.
float binary_op(const int op, const float a, const float b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return fmax(a, b);
        case 5: return fmin(a, b);
        default: return b == 2.0f ? a * a : pow(a, b);
    }
}

// y[i] = post(op(a[.], b[.])) over the output's dims; meta: dims[8], a strides[8], b strides[8]; post < 0: none,
// else a unary op fused into the same pass (an element-wise chain on the device)
__kernel void binary(const int n, const int op, const int rank, __global const int* meta, __global const float* a,
                     __global const float* b, __global float* y, const int post, const float pp, const float pq) {
    int i = get_global_id(0);
    if (i >= n) return;
    int rem = i, oa = 0, ob = 0;
    for (int d = rank - 1; d >= 0; d--) {
        int idx = rem % meta[d];
        rem /= meta[d];
        oa += idx * meta[8 + d];
        ob += idx * meta[16 + d];
    }
    float v = binary_op(op, a[oa], b[ob]);
    y[i] = post < 0 ? v : unary_op(post, v, pp, pq);
}

// y[dst + dst index] = x[src + src index] over a region; meta: dims[8], src strides[8], dst strides[8]
__kernel void strided_copy(const int n, const int rank, __global const int* meta, const int src,
                           __global const float* x, const int dst, __global float* y) {
    int i = get_global_id(0);
    if (i >= n) return;
    int rem = i, os = src, od = dst;
    for (int d = rank - 1; d >= 0; d--) {
        int idx = rem % meta[d];
        rem /= meta[d];
        os += idx * meta[8 + d];
        od += idx * meta[16 + d];
    }
    y[od] = x[os];
}

// Reduce [outer, len, inner] along len: op 0 sum, 1 mean, 2 max, 3 min, 4 sum of squares; one work-item per output.
__kernel void reduce_axis(const int outer, const int len, const int inner, const int op, __global const float* x,
                          __global float* y) {
    int i = get_global_id(0);
    if (i >= outer * inner) return;
    int o = i / inner, in = i % inner;
    int base = o * len * inner + in;
    float acc = op == 2 ? -INFINITY : op == 3 ? INFINITY : 0.0f;
    for (int k = 0; k < len; k++) {
        float v = x[base + k * inner];
        if (op == 2) acc = fmax(acc, v);
        else if (op == 3) acc = fmin(acc, v);
        else if (op == 4) acc += v * v;
        else acc += v;
    }
    y[i] = op == 1 ? acc / len : acc;
}

// Softmax (or log-softmax) of [outer, len, inner] along len.
__kernel void softmax_axis(const int outer, const int len, const int inner, const int logOut,
                           __global const float* x, __global float* y) {
    int i = get_global_id(0);
    if (i >= outer * inner) return;
    int o = i / inner, in = i % inner;
    int base = o * len * inner + in;
    float m = -INFINITY;
    for (int k = 0; k < len; k++) m = fmax(m, x[base + k * inner]);
    float s = 0.0f;
    for (int k = 0; k < len; k++) s += exp(x[base + k * inner] - m);
    for (int k = 0; k < len; k++) {
        float v = x[base + k * inner] - m;
        y[base + k * inner] = logOut ? v - log(s) : exp(v) / s;
    }
}

// Separable 2-D resize of `planes` planes: taps per output column (ix, wx: tx each) and row (iy, wy: ty each).
__kernel void resize2d(const int planes, const int h, const int w, const int oh, const int ow, const int tx,
                       const int ty, __global const int* ix, __global const float* wx, __global const int* iy,
                       __global const float* wy, __global const float* x, __global float* y) {
    int col = get_global_id(0);
    int row = get_global_id(1);
    if (col >= ow || row >= oh * planes) return;
    int p = row / oh, r = row % oh;
    __global const float* plane = x + p * h * w;
    float acc = 0.0f;
    for (int a = 0; a < ty; a++) {
        float wr = wy[r * ty + a];
        if (wr == 0.0f) continue;
        int sr = iy[r * ty + a] * w;
        float s = 0.0f;
        for (int b = 0; b < tx; b++) s += wx[col * tx + b] * plane[sr + ix[col * tx + b]];
        acc += wr * s;
    }
    y[row * ow + col] = acc;
}

// ScatterElements without a reduction: y, a copy of the data, takes update i at flat offset target[i] (the host
// computes the targets and sends only distinct ones, so no two work-items write one element).
__kernel void scatter(const int n, __global const int* target, __global const float* updates, __global float* y) {
    const int i = get_global_id(0);
    if (i < n) y[target[i]] = updates[i];
}

// Gather along one axis, as [outer][len][inner] -> [outer][n][inner]: y[o][j][e] = x[o][idx[j]][e], the indices
// wrapped into [0, len) on the host.
__kernel void gather(const int outer, const int n, const int len, const int inner, __global const int* idx,
                     __global const float* x, __global float* y) {
    const int g = get_global_id(0);
    if (g >= outer * n * inner) return;
    const int e = g % inner, j = (g / inner) % n, o = g / (inner * n);
    y[g] = x[(o * len + idx[j]) * inner + e];
}
