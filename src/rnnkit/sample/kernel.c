/* One step of a CharLM (Elman RNN, GRU or LSTM; optional layer norm; linear head) for B streams.
 *
 * Compiled on first use by native.py (cc -O3 -march=native, cached); Python calls rk_step once per
 * character, so there is no per-operation overhead. At batch 1 a step is a matrix-vector product
 * per weight matrix: the cost is reading the weights, so they may be stored as fp32, bf16 or int8
 * (per-output-column scale), always multiplied in fp32. At batch 1 the step is bound by reading
 * the weights; in a batch, blocks of 8 rows x 32 columns reuse each weight load across 8 streams and
 * the step becomes bound by the FMA units instead, which is where batching gains.
 *
 * A weight matrix (K, Npad), Npad a multiple of 16 (zero columns at the end), is stored as Npad/16
 * panels of (K, 16), each contiguous, so the inner loop streams memory instead of striding by rows.
 * Gate order is PyTorch's: LSTM i f g o, GRU r z n.
 */
#include <stdint.h>
#include <string.h>
#include <math.h>

typedef float v8f __attribute__((vector_size(32)));

enum { F32 = 0, BF16 = 1, I8 = 2 };
enum { RNN = 0, GRU = 1, LSTM = 2 };

typedef struct {
    const void *w;      /* (K, Npad) */
    const float *scale; /* (Npad) for int8, else NULL */
    int32_t type, k, npad, pad_;
} Mat;

typedef struct {
    int32_t cell, layers, hidden, vocab, gpad, vpad, layer_norm, pad_;
    float eps, pad2_;
    const float *table;   /* (V, gpad): embedding @ W_ih0^T + bias (both biases, b_ih only for GRU) */
    const float *ln_w, *ln_b, *head_b;
    Mat head;             /* (H, vpad) */
    Mat w_ih[16], w_hh[16];      /* w_ih[0] unused (the table replaces it) */
    const float *b[16];   /* per layer: LSTM/RNN b_ih + b_hh (layer > 0), GRU b_ih (layer > 0) */
    const float *b_hh[16];/* GRU only: b_hh of every layer */
} Net;

/* W[k, n..n+16) as one vector of 16 floats, from the panel at p (the column block's start). With
 * AVX-512 that is one load (a cache line) and one widening; elsewhere GCC splits v16f in halves. */
typedef float v16f __attribute__((vector_size(64)));
#define LOAD_F32(p, k, w) memcpy(&w, (const float *)(p) + (size_t)(k) * 16, 64)
#if defined(__AVX512F__)
#include <immintrin.h>
#define LOAD_BF16(p, k, w) do { const uint16_t *q_ = (const uint16_t *)(p) + (size_t)(k) * 16;          \
    w = (v16f)_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(                              \
        _mm256_loadu_si256((const __m256i *)q_)), 16)); } while (0)
#define LOAD_I8(p, k, w) do { const int8_t *q_ = (const int8_t *)(p) + (size_t)(k) * 16;                \
    w = (v16f)_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)q_))); } while (0)
#elif defined(__AVX2__)
#include <immintrin.h>
/* widen 16 bf16 (a shift) or 16 int8 (sign-extend, convert) to floats, 8 at a time */
#define LOAD_BF16(p, k, w) do { const uint16_t *q_ = (const uint16_t *)(p) + (size_t)(k) * 16;          \
    __m256 lo_ = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)q_)), 16)); \
    __m256 hi_ = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(q_ + 8))), 16)); \
    memcpy(&w, &lo_, 32); memcpy((float *)&w + 8, &hi_, 32); } while (0)
#define LOAD_I8(p, k, w) do { const int8_t *q_ = (const int8_t *)(p) + (size_t)(k) * 16;                \
    __m256 lo_ = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)q_)));        \
    __m256 hi_ = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(q_ + 8))));  \
    memcpy(&w, &lo_, 32); memcpy((float *)&w + 8, &hi_, 32); } while (0)
#else
#define LOAD_BF16(p, k, w) do { const uint16_t *q_ = (const uint16_t *)(p) + (size_t)(k) * 16;          \
    uint32_t t_[16]; for (int j_ = 0; j_ < 16; j_++) t_[j_] = (uint32_t)q_[j_] << 16; memcpy(&w, t_, 64); } while (0)
#define LOAD_I8(p, k, w) do { const int8_t *q_ = (const int8_t *)(p) + (size_t)(k) * 16;                \
    float f_[16]; for (int j_ = 0; j_ < 16; j_++) f_[j_] = (float)q_[j_]; memcpy(&w, f_, 64); } while (0)
#endif

/* y[0..16) += a * s, one rounding per element whichever path calls it */
static inline void add16(float *y, v16f a, v16f s) {
    for (int j = 0; j < 16; j++) y[j] = __builtin_fmaf(a[j], s[j], y[j]);
}

/* y[b, :] += x[b, :K] @ W  for b < B; x has row stride ldx, y row stride ldy (>= npad).
 * Every column of every row is summed over k in order in one FMA chain, on every path below, so
 * a row's result is bitwise the same whichever batch it is in. Rows go in blocks of 8, each
 * weight load reused across the 8 (where batching gains); single rows take 4 panels at a time
 * for independent chains and four streams of memory. One function per weight type. */
#define MATMUL(NAME, T, LOAD)                                                                          \
static void NAME(const Mat *m, int B, const float *x, int ldx, float *y, int ldy) {                    \
    const int K = m->k, N = m->npad, B8 = B - B % 8;                                                   \
    for (int n = 0; n < N && B8 > 0; ) {                                                             \
        const int two = N - n >= 32; /* two panels at a time: 16 chains, 2 loads for 16 FMAs */        \
        const T *p0 = (const T *)m->w + (size_t)n * K, *p1 = p0 + (size_t)16 * K;                      \
        v16f s0 = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, s1 = s0;                           \
        if (m->scale) { memcpy(&s0, m->scale + n, 64); if (two) memcpy(&s1, m->scale + n + 16, 64); }  \
        for (int b = 0; b < B8; b += 8) {                                                              \
            const float *xb = x + (size_t)b * ldx;                                                     \
            if (two) {                                                                                 \
                v16f a[8] = {{0}}, c[8] = {{0}};                                                       \
                for (int k = 0; k < K; k++) {                                                          \
                    v16f w0, w1;                                                                       \
                    LOAD(p0, k, w0); LOAD(p1, k, w1);                                                  \
                    for (int r = 0; r < 8; r++) {                                                      \
                        const float xr = xb[(size_t)r * ldx + k];                                      \
                        a[r] += xr * w0; c[r] += xr * w1;                                              \
                    }                                                                                  \
                }                                                                                      \
                for (int r = 0; r < 8; r++) {                                                          \
                    add16(y + (size_t)(b + r) * ldy + n, a[r], s0);                                    \
                    add16(y + (size_t)(b + r) * ldy + n + 16, c[r], s1);                               \
                }                                                                                      \
            } else {                                                                                   \
                v16f a[8] = {{0}};                                                                     \
                for (int k = 0; k < K; k++) {                                                          \
                    v16f w0;                                                                           \
                    LOAD(p0, k, w0);                                                                   \
                    for (int r = 0; r < 8; r++) a[r] += xb[(size_t)r * ldx + k] * w0;                  \
                }                                                                                      \
                for (int r = 0; r < 8; r++) add16(y + (size_t)(b + r) * ldy + n, a[r], s0);            \
            }                                                                                          \
        }                                                                                              \
        n += two ? 32 : 16;                                                                            \
    }                                                                                                  \
    for (int b = B8; b < B; b++) {                                                                     \
        const float *xb = x + (size_t)b * ldx;                                                         \
        for (int n = 0; n < N; n += 64) {                                                              \
            const int panels = (N - n) / 16 < 4 ? (N - n) / 16 : 4;                                    \
            v16f acc[4] = {{0}};                                                                       \
            if (panels == 4) {                                                                         \
                const T *p0 = (const T *)m->w + (size_t)n * K, *p1 = p0 + (size_t)16 * K;              \
                const T *p2 = p1 + (size_t)16 * K, *p3 = p2 + (size_t)16 * K;                          \
                v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                                           \
                for (int k = 0; k < K; k++) {                                                          \
                    v16f w0, w1, w2, w3;                                                               \
                    LOAD(p0, k, w0); LOAD(p1, k, w1); LOAD(p2, k, w2); LOAD(p3, k, w3);                \
                    a0 += xb[k] * w0; a1 += xb[k] * w1; a2 += xb[k] * w2; a3 += xb[k] * w3;            \
                }                                                                                      \
                acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;                                    \
            } else {                                                                                   \
                for (int q = 0; q < panels; q++) {                                                     \
                    const T *pq = (const T *)m->w + (size_t)(n + 16 * q) * K;                          \
                    v16f a0 = {0};                                                                     \
                    for (int k = 0; k < K; k++) {                                                      \
                        v16f w0;                                                                       \
                        LOAD(pq, k, w0);                                                               \
                        a0 += xb[k] * w0;                                                              \
                    }                                                                                  \
                    acc[q] = a0;                                                                       \
                }                                                                                      \
            }                                                                                          \
            for (int q = 0; q < panels; q++) {                                                         \
                v16f s = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};                             \
                if (m->scale) memcpy(&s, m->scale + n + 16 * q, 64);                                   \
                add16(y + (size_t)b * ldy + n + 16 * q, acc[q], s);                                    \
            }                                                                                          \
        }                                                                                              \
    }                                                                                                  \
}

MATMUL(matmul_f32, float, LOAD_F32)
MATMUL(matmul_bf16, uint16_t, LOAD_BF16)
MATMUL(matmul_i8, int8_t, LOAD_I8)

static void matmul_acc(const Mat *m, int B, const float *x, int ldx, float *y, int ldy) {
    if (m->type == F32) matmul_f32(m, B, x, ldx, y, ldy);
    else if (m->type == BF16) matmul_bf16(m, B, x, ldx, y, ldy);
    else matmul_i8(m, B, x, ldx, y, ldy);
}

/* The gate nonlinearities on 8 floats at a time (GCC vector extensions, so no libm call stays in
 * the loop). exp: Cephes' expf polynomial, relative error about 2e-7 over the clamped range. */
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8f splat(float a) { return (v8f){a, a, a, a, a, a, a, a}; }
static inline v8f vselect(v8i mask, v8f a, v8f b) { return (v8f)(((v8i)a & mask) | ((v8i)b & ~mask)); }

static inline v8f v_exp(v8f x) {
    x = vselect(x > splat(88.0f), splat(88.0f), x);
    x = vselect(x < splat(-88.0f), splat(-88.0f), x);
    v8f fx = x * 1.44269504088896341f;
    fx = (fx + 12582912.0f) - 12582912.0f;  /* round to nearest (1.5 * 2^23 trick) */
    v8f r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
    v8f p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    v8i e = (__builtin_convertvector(fx, v8i) + 127) << 23;
    return p * (v8f)e;
}
static inline v8f v_sigmoid(v8f x) { return 1.0f / (1.0f + v_exp(-x)); }
static inline v8f v_tanh(v8f x) {
    /* near 0 the odd Taylor series avoids the cancellation in 1 - 2 / (e + 1) */
    v8f x2 = x * x;
    v8f series = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
    v8f full = 1.0f - 2.0f / (v_exp(2.0f * x) + 1.0f);
    return vselect((x < 0.0625f) & (x > -0.0625f), series, full);
}

/* n floats from p into a vector (zeros after n), and back */
static inline v8f vload(const float *p, int n) { v8f v = {0}; memcpy(&v, p, sizeof(float) * (n < 8 ? n : 8)); return v; }
static inline void vstore(float *p, v8f v, int n) { memcpy(p, &v, sizeof(float) * (n < 8 ? n : 8)); }

/* h: (L, B, H), c: (L, B, H) for the LSTM (else unused); logits: (B, vpad);
 * work: (B, 2 * gpad + H) floats. */
void rk_step(const Net *net, int B, const int64_t *tokens, float *h, float *c, float *logits, float *work) {
    const int H = net->hidden, G = net->gpad, L = net->layers;
    float *g1 = work, *g2 = work + (size_t)B * G, *xbuf = work + (size_t)2 * B * G;
    const float *x = NULL; /* the previous layer's output, rows of stride H */
    for (int l = 0; l < L; l++) {
        float *hl = h + (size_t)l * B * H;
        /* g1 = input term (+ biases); for the GRU g2 = hidden term */
        for (int b = 0; b < B; b++) {
            float *g = g1 + (size_t)b * G;
            if (l == 0) memcpy(g, net->table + (size_t)tokens[b] * G, sizeof(float) * G);
            else memcpy(g, net->b[l], sizeof(float) * G);
        }
        if (l > 0) matmul_acc(&net->w_ih[l], B, x, H, g1, G);
        float *gh = g1;
        if (net->cell == GRU) {
            gh = g2;
            for (int b = 0; b < B; b++) memcpy(g2 + (size_t)b * G, net->b_hh[l], sizeof(float) * G);
        }
        matmul_acc(&net->w_hh[l], B, hl, H, gh, G);
        for (int b = 0; b < B; b++) {
            const float *gi = g1 + (size_t)b * G;
            float *hb = hl + (size_t)b * H;
            for (int j = 0; j < H; j += 8) {
                const int n = H - j;
                if (net->cell == LSTM) {
                    float *cb = c + ((size_t)l * B + b) * H;
                    v8f i = v_sigmoid(vload(gi + j, n)), f = v_sigmoid(vload(gi + H + j, n));
                    v8f gg = v_tanh(vload(gi + 2 * H + j, n)), o = v_sigmoid(vload(gi + 3 * H + j, n));
                    v8f cj = f * vload(cb + j, n) + i * gg;
                    vstore(cb + j, cj, n);
                    vstore(hb + j, o * v_tanh(cj), n);
                } else if (net->cell == GRU) {
                    const float *ghb = g2 + (size_t)b * G;
                    v8f r = v_sigmoid(vload(gi + j, n) + vload(ghb + j, n));
                    v8f z = v_sigmoid(vload(gi + H + j, n) + vload(ghb + H + j, n));
                    v8f nn = v_tanh(vload(gi + 2 * H + j, n) + r * vload(ghb + 2 * H + j, n));
                    vstore(hb + j, nn + z * (vload(hb + j, n) - nn), n);
                } else {
                    vstore(hb + j, v_tanh(vload(gi + j, n)), n);
                }
            }
        }
        x = hl;
    }
    if (net->layer_norm) {
        for (int b = 0; b < B; b++) {
            const float *xb = x + (size_t)b * H;
            float *yb = xbuf + (size_t)b * H;
            float mean = 0, var = 0;
            for (int j = 0; j < H; j++) mean += xb[j];
            mean /= H;
            for (int j = 0; j < H; j++) { float d = xb[j] - mean; var += d * d; }
            float inv = 1.0f / sqrtf(var / H + net->eps);
            for (int j = 0; j < H; j++) yb[j] = (xb[j] - mean) * inv * net->ln_w[j] + net->ln_b[j];
        }
        x = xbuf;
    }
    for (int b = 0; b < B; b++) memcpy(logits + (size_t)b * net->vpad, net->head_b, sizeof(float) * net->vpad);
    matmul_acc(&net->head, B, x, H, logits, net->vpad);
}

/* The sampling distribution of one row, exactly as rnnkit.sample.processors defines it:
 * softmax(filter(logits / temperature)), top-k keeping ties at the k-th value, then top-p keeping
 * the smallest prefix (by probability) whose mass reaches p. top_k <= 0 and top_p >= 1 are off.
 * probs: (V) doubles, summing to 1. */
void rk_probs(const float *logits, int V, float temperature, int top_k, float top_p, double *probs) {
    float z[V];
    float m = -INFINITY;
    for (int j = 0; j < V; j++) { z[j] = logits[j] / temperature; m = z[j] > m ? z[j] : m; }
    if ((top_k > 0 && top_k < V) || top_p < 1.0f) {
        int order[V];
        for (int j = 0; j < V; j++) {  /* insertion sort, descending (V is a vocabulary: small) */
            int i = j;
            while (i > 0 && z[order[i - 1]] < z[j]) { order[i] = order[i - 1]; i--; }
            order[i] = j;
        }
        int keep = V;
        if (top_k > 0 && top_k < V) {
            float kth = z[order[top_k - 1]];
            keep = top_k;
            while (keep < V && z[order[keep]] >= kth) keep++;  /* ties at the threshold stay */
        }
        if (top_p < 1.0f) {
            double total = 0, before = 0;
            for (int i = 0; i < keep; i++) total += exp((double)z[order[i]] - m);
            int n = 0;
            while (n < keep && before / total < top_p) { before += exp((double)z[order[n]] - m); n++; }
            keep = n > 0 ? n : 1;
        }
        for (int i = keep; i < V; i++) z[order[i]] = -INFINITY;
    }
    double total = 0;
    for (int j = 0; j < V; j++) { probs[j] = exp((double)z[j] - m); total += probs[j]; }
    for (int j = 0; j < V; j++) probs[j] /= total;
}

/* inverse CDF: the first token whose cumulative probability exceeds u in [0, 1) */
static int64_t pick(const double *probs, int V, double u) {
    double cum = 0;
    int64_t last = 0;
    for (int j = 0; j < V; j++) {
        if (probs[j] <= 0) continue;
        cum += probs[j];
        last = j;
        if (cum > u) return j;
    }
    return last;  /* u above the rounded total */
}

/* `steps` characters for B streams without returning to Python: each step feeds tokens (B), then
 * samples the next token of row b with uniform u[t * B + b]; out: (steps, B) sampled tokens. */
void rk_run(const Net *net, int B, int steps, int64_t *tokens, float *h, float *c, float *logits, float *work,
            const float *temperature, const int32_t *top_k, const float *top_p, const double *u, int64_t *out) {
    double probs[net->vocab];
    for (int t = 0; t < steps; t++) {
        rk_step(net, B, tokens, h, c, logits, work);
        for (int b = 0; b < B; b++) {
            rk_probs(logits + (size_t)b * net->vpad, net->vocab, temperature[b], top_k[b], top_p[b], probs);
            tokens[b] = out[(size_t)t * B + b] = pick(probs, net->vocab, u[(size_t)t * B + b]);
        }
    }
}

int rk_abi(void) { return (int)sizeof(Net); }
