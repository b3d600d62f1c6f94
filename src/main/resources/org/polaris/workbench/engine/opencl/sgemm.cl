// Single-precision GEMM, C[M,N] = A[M,K] * B[K,N], all row-major. OpenCL C 1.2, no extensions.

// One work-item per element of C: the baseline the tuned kernel is measured against.
__kernel void sgemm_naive(const int M, const int N, const int K,
                          __global const float* A, __global const float* B, __global float* C) {
    const int col = get_global_id(0);
    const int row = get_global_id(1);
    if (row >= M || col >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; k++) {
        acc += A[row * K + k] * B[k * N + col];
    }
    C[row * N + col] = acc;
}

#ifndef TS
#define TS 16
#endif
#ifndef WPT
#define WPT 4
#endif
#define RTS (TS / WPT)

// Tiled: a work-group of (TS/WPT) x TS work-items computes a TS x TS block of C through TS x TS tiles of A and B
// staged in local memory; each work-item computes WPT elements of one row, RTS columns apart. Edges are zero-padded
// on load and masked on store, so any M, N, K works.
__kernel void sgemm_tiled(const int M, const int N, const int K,
                          __global const float* A, __global const float* B, __global float* C) {
    const int lc = get_local_id(0);
    const int lr = get_local_id(1);
    const int row = get_group_id(1) * TS + lr;
    const int col0 = get_group_id(0) * TS + lc;
    __local float As[TS][TS];
    __local float Bs[TS][TS];
    float acc[WPT];
    for (int w = 0; w < WPT; w++) acc[w] = 0.0f;
    const int tiles = (K + TS - 1) / TS;
    for (int t = 0; t < tiles; t++) {
        for (int w = 0; w < WPT; w++) {
            const int kc = t * TS + lc + w * RTS;
            const int kr = t * TS + lr;
            const int c = col0 + w * RTS;
            As[lr][lc + w * RTS] = (row < M && kc < K) ? A[row * K + kc] : 0.0f;
            Bs[lr][lc + w * RTS] = (kr < K && c < N) ? B[kr * N + c] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TS; k++) {
            const float a = As[lr][k];
            for (int w = 0; w < WPT; w++) {
                acc[w] += a * Bs[k][lc + w * RTS];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int w = 0; w < WPT; w++) {
        const int c = col0 + w * RTS;
        if (row < M && c < N) C[row * N + c] = acc[w];
    }
}
