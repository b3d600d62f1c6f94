// Layer kernels of the OpenCL executor (OpenCL C 1.2, no extensions): grouped and transposed 2-D convolution,
// average pooling, layer normalization, batched matrix products, padding, LSTM and GRU, RoiAlign. One work-item per
// output element unless
// said otherwise; sums in float, in the order the loops give.

// Geometry of a 2-D convolution, as an int buffer: images, channels in, height, width, channels out, groups,
// kernel h/w, strides h/w, begin pads h/w, dilations h/w, output h/w.
#define G_N 0
#define G_C 1
#define G_H 2
#define G_W 3
#define G_M 4
#define G_GROUPS 5
#define G_KH 6
#define G_KW 7
#define G_SH 8
#define G_SW 9
#define G_PH 10
#define G_PW 11
#define G_DH 12
#define G_DW 13
#define G_OH 14
#define G_OW 15

// Grouped convolution: y[n, m] sums the C/groups input channels of m's group; w is [M, C/groups, KH, KW].
__kernel void conv_grouped(__global const int* g, __global const float* x, __global const float* w,
                           __global const float* bias, const int hasBias, __global float* y) {
    const int p = get_global_id(0);
    const int nm = get_global_id(1);
    const int OH = g[G_OH], OW = g[G_OW], M = g[G_M];
    if (p >= OH * OW || nm >= g[G_N] * M) return;
    const int n = nm / M, m = nm % M;
    const int C = g[G_C], H = g[G_H], W = g[G_W], KH = g[G_KH], KW = g[G_KW];
    const int cg = C / g[G_GROUPS];
    const int c0 = m / (M / g[G_GROUPS]) * cg;
    const int oy = p / OW, ox = p % OW;
    float acc = hasBias ? bias[m] : 0.0f;
    for (int ic = 0; ic < cg; ic++) {
        __global const float* plane = x + ((n * C) + c0 + ic) * H * W;
        __global const float* f = w + (m * cg + ic) * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            const int iy = oy * g[G_SH] - g[G_PH] + ky * g[G_DH];
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; kx++) {
                const int ix = ox * g[G_SW] - g[G_PW] + kx * g[G_DW];
                if (ix < 0 || ix >= W) continue;
                acc += f[ky * KW + kx] * plane[iy * W + ix];
            }
        }
    }
    y[nm * OH * OW + p] = acc;
}

// Transposed convolution as a gather: output (oy, ox) takes input (iy, ix) through tap (ky, kx) when
// iy * SH + ky * DH - PH == oy (and the same across); w is [C, M/groups, KH, KW].
__kernel void conv_transpose(__global const int* g, __global const float* x, __global const float* w,
                             __global const float* bias, const int hasBias, __global float* y) {
    const int p = get_global_id(0);
    const int nm = get_global_id(1);
    const int OH = g[G_OH], OW = g[G_OW], M = g[G_M];
    if (p >= OH * OW || nm >= g[G_N] * M) return;
    const int n = nm / M, m = nm % M;
    const int C = g[G_C], H = g[G_H], W = g[G_W], KH = g[G_KH], KW = g[G_KW], SH = g[G_SH], SW = g[G_SW];
    const int mg = M / g[G_GROUPS];
    const int cg = C / g[G_GROUPS];
    const int c0 = m / mg * cg;
    const int oy = p / OW, ox = p % OW;
    float acc = hasBias ? bias[m] : 0.0f;
    for (int ky = 0; ky < KH; ky++) {
        const int ty = oy + g[G_PH] - ky * g[G_DH];
        if (ty < 0 || ty % SH != 0 || ty / SH >= H) continue;
        const int iy = ty / SH;
        for (int kx = 0; kx < KW; kx++) {
            const int tx = ox + g[G_PW] - kx * g[G_DW];
            if (tx < 0 || tx % SW != 0 || tx / SW >= W) continue;
            const int ix = tx / SW;
            for (int ic = 0; ic < cg; ic++) {
                const int c = c0 + ic;
                acc += x[((n * C + c) * H + iy) * W + ix] * w[((c * mg + m % mg) * KH + ky) * KW + kx];
            }
        }
    }
    y[nm * OH * OW + p] = acc;
}

// 2-D average pooling over planes of H x W; cells beyond the input count toward the divisor when includePad,
// but only up to the explicit end pads (PEH, PEW), as ONNX Runtime counts them.
__kernel void avgpool(__global const int* g, const int PEH, const int PEW, const int includePad,
                      __global const float* x, __global float* y) {
    const int p = get_global_id(0);
    const int c = get_global_id(1);
    const int OH = g[G_OH], OW = g[G_OW], H = g[G_H], W = g[G_W];
    if (p >= OH * OW || c >= g[G_N] * g[G_C]) return;
    const int oy = p / OW, ox = p % OW;
    float acc = 0.0f;
    int count = 0, padded = 0;
    for (int ky = 0; ky < g[G_KH]; ky++) {
        const int iy = oy * g[G_SH] - g[G_PH] + ky * g[G_DH];
        for (int kx = 0; kx < g[G_KW]; kx++) {
            const int ix = ox * g[G_SW] - g[G_PW] + kx * g[G_DW];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                if (iy >= -g[G_PH] && iy < H + PEH && ix >= -g[G_PW] && ix < W + PEW) padded++;
                continue;
            }
            acc += x[(c * H + iy) * W + ix];
            count++;
        }
    }
    y[c * OH * OW + p] = acc / max(1, includePad ? count + padded : count);
}

// Layer normalization of each of `rows` rows of `len` values: (x - mean) / sqrt(var + eps) * scale + bias, with
// scale and bias one value per row element (stride 1) or one for all (stride 0). One work-item per row.
__kernel void layer_norm(const int rows, const int len, const float eps, __global const float* x,
                         __global const float* scale, const int scaleStride, __global const float* bias,
                         const int biasStride, const int hasBias, __global float* y) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* row = x + r * len;
    float mean = 0.0f;
    for (int j = 0; j < len; j++) mean += row[j];
    mean /= len;
    float var = 0.0f;
    for (int j = 0; j < len; j++) {
        const float d = row[j] - mean;
        var += d * d;
    }
    const float inv = 1.0f / sqrt(var / len + eps);
    for (int j = 0; j < len; j++) {
        const float v = (row[j] - mean) * inv * scale[j * scaleStride];
        y[r * len + j] = hasBias ? v + bias[j * biasStride] : v;
    }
}

// C[b] = A[b] B[b] for a batch of [M, K] x [K, N] products; aOff/bOff give each product's operand offsets (so
// broadcast batch dimensions share an operand). 16 x 16 tiles in local memory; dimension 2 is the product.
#define MT 16
__kernel void matmul_batched(const int M, const int N, const int K, __global const int* aOff,
                             __global const int* bOff, __global const float* A, __global const float* B,
                             __global float* C) {
    const int col = get_global_id(0);
    const int row = get_global_id(1);
    const int b = get_global_id(2);
    const int lc = get_local_id(0);
    const int lr = get_local_id(1);
    __local float ta[MT][MT];
    __local float tb[MT][MT];
    __global const float* a = A + aOff[b];
    __global const float* bb = B + bOff[b];
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += MT) {
        ta[lr][lc] = row < M && k0 + lc < K ? a[row * K + k0 + lc] : 0.0f;
        tb[lr][lc] = col < N && k0 + lr < K ? bb[(k0 + lr) * N + col] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < MT; k++) acc += ta[lr][k] * tb[k][lc];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < M && col < N) C[(long) b * M * N + row * N + col] = acc;
}

// Pad of up to 8 dimensions; meta: output dims[8], input dims[8], begin pads[8] (negative crops), input strides[8].
// mode 0 constant, 1 reflect, 2 edge, 3 wrap.
__kernel void pad(const int n, const int rank, __global const int* meta, const int mode, const float value,
                  __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i >= n) return;
    int rem = i, src = 0;
    for (int d = rank - 1; d >= 0; d--) {
        int idx = rem % meta[d] - meta[16 + d];
        rem /= meta[d];
        const int dim = meta[8 + d];
        if (idx < 0 || idx >= dim) {
            if (mode == 0) {
                y[i] = value;
                return;
            } else if (mode == 2) {
                idx = idx < 0 ? 0 : dim - 1;
            } else if (mode == 3) {
                idx = ((idx % dim) + dim) % dim;
            } else {
                const int period = 2 * (dim - 1);
                idx = period == 0 ? 0 : ((idx % period) + period) % period;
                if (idx >= dim) idx = period - idx;
            }
        }
        src += idx * meta[24 + d];
    }
    y[i] = x[src];
}

// Recurrent layers (ONNX LSTM and GRU with their default activations), the whole sequence in one launch: one
// work-group per (batch row, direction), its work-items splitting the hidden units; the previous step's h sits in
// local memory and each step ends at a barrier. Weights in ONNX layout: w [dirs][gates * hidden][input],
// r [dirs][gates * hidden][hidden], b [dirs][2 * gates * hidden] (W biases then R biases; zeros when the node has
// none), p [dirs][3 * hidden] LSTM peepholes i, o, f (zeros when none). x [seq][batch][input]; h0, c0
// [dirs][batch][hidden] (zeros when none); y [seq][dirs][batch][hidden]; yh, yc [dirs][batch][hidden]. Direction 0
// runs backward when `reverse` is set, direction 1 always does.
#define RNN_MAX_HIDDEN 1024

float rnn_sigmoid(const float v) {
    return 1.0f / (1.0f + exp(-v));
}

// acc plus row `row` of the [rows][len] matrix m times v (v in global or in local memory).
float rnn_row_global(float acc, __global const float* m, const int row, const int len, __global const float* v) {
    for (int k = 0; k < len; k++) acc += m[row * len + k] * v[k];
    return acc;
}

float rnn_row_local(float acc, __global const float* m, const int row, const int len, __local const float* v) {
    for (int k = 0; k < len; k++) acc += m[row * len + k] * v[k];
    return acc;
}

// LSTM gates in ONNX order i, o, f, c: c' = f * c + i * tanh(c~), h' = o * tanh(c'), peepholes on i and f from c
// and on o from c'. yc holds each unit's running cell state.
__kernel void lstm(const int seq, const int batch, const int input, const int hidden, const int reverse,
                   __global const float* x, __global const float* w, __global const float* r,
                   __global const float* b, __global const float* p, __global const float* h0,
                   __global const float* c0, __global float* y, __global float* yh, __global float* yc) {
    __local float hl[RNN_MAX_HIDDEN];
    const int bt = get_group_id(0), d = get_group_id(1), dirs = get_num_groups(1);
    const int lid = get_local_id(0), lsz = get_local_size(0);
    const int gh = 4 * hidden;
    __global const float* W = w + d * gh * input;
    __global const float* R = r + d * gh * hidden;
    __global const float* Bw = b + d * 2 * gh;
    __global const float* Br = Bw + gh;
    __global const float* P = p + d * 3 * hidden;
    const int hc = (d * batch + bt) * hidden;
    for (int j = lid; j < hidden; j += lsz) {
        hl[j] = h0[hc + j];
        yc[hc + j] = c0[hc + j];
    }
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    const int back = reverse || d == 1;
    for (int step = 0; step < seq; step++) {
        const int t = back ? seq - 1 - step : step;
        __global const float* xt = x + (t * batch + bt) * input;
        const int yo = ((t * dirs + d) * batch + bt) * hidden;
        for (int j = lid; j < hidden; j += lsz) {
            float g[4];
            for (int q = 0; q < 4; q++) {
                const int row = q * hidden + j;
                g[q] = rnn_row_local(rnn_row_global(Bw[row] + Br[row], W, row, input, xt), R, row, hidden, hl);
            }
            const float gi = g[0], go = g[1], gf = g[2], gc = g[3];
            const float c = yc[hc + j];
            const float i = rnn_sigmoid(gi + P[j] * c);
            const float f = rnn_sigmoid(gf + P[2 * hidden + j] * c);
            const float cn = f * c + i * tanh(gc);
            const float o = rnn_sigmoid(go + P[hidden + j] * cn);
            yc[hc + j] = cn;
            y[yo + j] = o * tanh(cn);
        }
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
        for (int j = lid; j < hidden; j += lsz) hl[j] = y[yo + j];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int j = lid; j < hidden; j += lsz) yh[hc + j] = hl[j];
}

// GRU gates in ONNX order z, r, h: h' = (1 - z) * h~ + z * h with h~ = tanh(W_h x + Wb_h + (r * h) R_h + Rb_h), or,
// with linear_before_reset, tanh(W_h x + Wb_h + r * (h R_h + Rb_h)). hl[hidden..] holds r * h (or r) between the two
// phases of a step; yh holds each unit's z until the end.
__kernel void gru(const int seq, const int batch, const int input, const int hidden, const int reverse,
                  const int linearBeforeReset, __global const float* x, __global const float* w,
                  __global const float* r, __global const float* b, __global const float* h0, __global float* y,
                  __global float* yh) {
    __local float hl[2 * RNN_MAX_HIDDEN];
    const int bt = get_group_id(0), d = get_group_id(1), dirs = get_num_groups(1);
    const int lid = get_local_id(0), lsz = get_local_size(0);
    const int gh = 3 * hidden;
    __global const float* W = w + d * gh * input;
    __global const float* R = r + d * gh * hidden;
    __global const float* Bw = b + d * 2 * gh;
    __global const float* Br = Bw + gh;
    const int hc = (d * batch + bt) * hidden;
    for (int j = lid; j < hidden; j += lsz) hl[j] = h0[hc + j];
    barrier(CLK_LOCAL_MEM_FENCE);
    const int back = reverse || d == 1;
    for (int step = 0; step < seq; step++) {
        const int t = back ? seq - 1 - step : step;
        __global const float* xt = x + (t * batch + bt) * input;
        const int yo = ((t * dirs + d) * batch + bt) * hidden;
        for (int j = lid; j < hidden; j += lsz) {
            const float gz = rnn_row_local(rnn_row_global(Bw[j] + Br[j], W, j, input, xt), R, j, hidden, hl);
            const int jr = hidden + j;
            const float gr = rnn_row_local(rnn_row_global(Bw[jr] + Br[jr], W, jr, input, xt), R, jr, hidden, hl);
            const float rr = rnn_sigmoid(gr);
            yh[hc + j] = rnn_sigmoid(gz);
            hl[hidden + j] = linearBeforeReset ? rr : rr * hl[j];
        }
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
        for (int j = lid; j < hidden; j += lsz) {
            const int jh = 2 * hidden + j;
            const float gx = rnn_row_global(Bw[jh], W, jh, input, xt);
            const float rec = linearBeforeReset ? hl[hidden + j] * (rnn_row_local(0.0f, R, jh, hidden, hl) + Br[jh])
                                                : rnn_row_local(0.0f, R, jh, hidden, hl + hidden) + Br[jh];
            const float z = yh[hc + j];
            y[yo + j] = (1.0f - z) * tanh(gx + rec) + z * hl[j];
        }
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
        for (int j = lid; j < hidden; j += lsz) hl[j] = y[yo + j];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int j = lid; j < hidden; j += lsz) yh[hc + j] = hl[j];
}

// RoiAlign (avg or max) as ONNX Runtime computes it, one work-item per output element (roi, channel, bin): the bin
// averages (or takes the largest weighted corner of) bilinear samples on a sampling_ratio grid (adaptive when 0,
// per roi); a sample more than one pixel outside the map counts as 0. rois [count][4] (x1, y1, x2, y2), batch [count].
__kernel void roi_align(const int count, const int c, const int h, const int w, const int oh, const int ow,
                        const int ratio, const float scale, const int halfPixel, const int maxMode,
                        __global const float* x, __global const float* rois, __global const int* batch,
                        __global float* y) {
    const int gid = get_global_id(0);
    const int bins = oh * ow;
    if (gid >= count * c * bins) return;
    const int bin = gid % bins, ch = (gid / bins) % c, r = gid / (bins * c);
    const int py = bin / ow, px = bin % ow;
    const float off = halfPixel ? 0.5f : 0.0f;
    const float sw = rois[4 * r] * scale - off, sh = rois[4 * r + 1] * scale - off;
    float rw = rois[4 * r + 2] * scale - off - sw, rh = rois[4 * r + 3] * scale - off - sh;
    if (!halfPixel) {
        rw = fmax(rw, 1.0f);
        rh = fmax(rh, 1.0f);
    }
    const float binH = rh / oh, binW = rw / ow;
    const int gh = ratio > 0 ? ratio : (int) ceil(rh / oh);
    const int gw = ratio > 0 ? ratio : (int) ceil(rw / ow);
    __global const float* plane = x + (batch[r] * c + ch) * h * w;
    float acc = 0.0f;
    float best = -INFINITY;
    for (int iy = 0; iy < gh; iy++) {
        const float sy = sh + py * binH + (iy + 0.5f) * binH / gh;
        for (int ix = 0; ix < gw; ix++) {
            const float sx = sw + px * binW + (ix + 0.5f) * binW / gw;
            if (sy < -1.0f || sy > h || sx < -1.0f || sx > w) {
                best = fmax(best, 0.0f);
                continue;
            }
            float yy = fmax(sy, 0.0f), xx = fmax(sx, 0.0f);
            int yl = (int) yy, xl = (int) xx, yh, xh;
            if (yl >= h - 1) {
                yh = yl = h - 1;
                yy = yl;
            } else {
                yh = yl + 1;
            }
            if (xl >= w - 1) {
                xh = xl = w - 1;
                xx = xl;
            } else {
                xh = xl + 1;
            }
            const float ly = yy - yl, lx = xx - xl, hy = 1.0f - ly, hx = 1.0f - lx;
            const float v1 = hy * hx * plane[yl * w + xl], v2 = hy * lx * plane[yl * w + xh];
            const float v3 = ly * hx * plane[yh * w + xl], v4 = ly * lx * plane[yh * w + xh];
            if (maxMode) {
                best = fmax(best, fmax(fmax(v1, v2), fmax(v3, v4)));
            } else {
                acc += v1 + v2 + v3 + v4;
            }
        }
    }
    const int per = gh * gw;
    y[gid] = maxMode ? (per == 0 ? 0.0f : best) : acc / (per > 0 ? per : 1);
}
