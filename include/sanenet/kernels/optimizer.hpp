// Optimizer updates. Each rule is one per-element step, written once for vectors and
// scalars; the update loops and the fused rank-k weight update (small batches) apply it.
#pragma once

#include <sanenet/kernels/gemm.hpp>
#include <sanenet/kernels/simd.hpp>

#include <cmath>
#include <cstddef>

SANENET_KERNELS_BEGIN
namespace sanenet::kernels {

// SGD with momentum (PyTorch's form): buf = mu buf + g; p -= lr (nesterov ? g + mu buf : buf).
// decay adds decay * p to the gradient (classic L2).
struct sgd_rule {
    float lr, mu, decay;
    bool nesterov;
    template <class V>
    SANENET_ALWAYS_INLINE V operator()(V p, V g, V& buf, V&) const {
        if (decay != 0.f) g = xsimd::fma(V(decay), p, g);
        if (mu != 0.f) {
            buf = xsimd::fma(V(mu), buf, g);
            g = nesterov ? xsimd::fma(V(mu), buf, g) : buf;
        }
        return p - V(lr) * g;
    }
};

// Adam (PyTorch's form): m, v moments; step = lr / (1 - b1^t); denom = sqrt(v) / sqrt(1 - b2^t) + eps.
// decay > 0 is AdamW's decoupled weight decay: p *= 1 - lr * decay first.
struct adam_rule {
    float b1, b2, eps, decay, step, inv_sqrt_bc2, shrink;
    adam_rule(float lr, float beta1, float beta2, float epsilon, float bias_correction1, float bias_correction2, float weight_decay)
        : b1(beta1), b2(beta2), eps(epsilon), decay(weight_decay), step(lr / bias_correction1),
          inv_sqrt_bc2(1.f / std::sqrt(bias_correction2)), shrink(1.f - lr * weight_decay) {}
    template <class V>
    SANENET_ALWAYS_INLINE V operator()(V p, V g, V& m, V& v) const {
        m = xsimd::fma(V(b1), m, V(1.f - b1) * g);
        v = xsimd::fma(V(b2), v, V(1.f - b2) * g * g);
        if (decay != 0.f) p = p * V(shrink);
        return p - V(step) * m / xsimd::fma(xsimd::sqrt(v), V(inv_sqrt_bc2), V(eps));
    }
};

// p[i] = rule(p[i], g[i], s1[i], s2[i]) for i < n; s2 may be null for rules without it.
template <class Rule>
void apply_update(float* p, const float* g, float* s1, float* s2, std::size_t n, const Rule& rule) {
    std::size_t i = 0;
    for (; i + width <= n; i += width) {
        vfloat a = vfloat::load_unaligned(s1 + i), b = s2 ? vfloat::load_unaligned(s2 + i) : vfloat(0.f);
        rule(vfloat::load_unaligned(p + i), vfloat::load_unaligned(g + i), a, b).store_unaligned(p + i);
        a.store_unaligned(s1 + i);
        if (s2) b.store_unaligned(s2 + i);
    }
    for (; i < n; ++i) {
        float a = s1[i], b = s2 ? s2[i] : 0.f;
        p[i] = rule(p[i], g[i], a, b);
        s1[i] = a;
        if (s2) s2[i] = b;
    }
}

inline void sgd_update(float* p, const float* g, float* buf, std::size_t n, float lr, float mu, bool nesterov, float decay) {
    apply_update(p, g, buf, nullptr, n, sgd_rule{lr, mu, decay, nesterov});
}

inline void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, float lr, float b1, float b2, float eps,
                        float bias_correction1, float bias_correction2, float decay) {
    apply_update(p, g, m, v, n, adam_rule(lr, b1, b2, eps, bias_correction1, bias_correction2, decay));
}

// The weight gradient of a small batch, G = A B (A: m x k strided, B: k x n row-major,
// k small), applied by the rule as it is computed: G never goes to memory, which saves a
// third of the traffic of a batch-1 step. Each row of G is built in registers, up to 16
// vectors at a time (independent FMA chains). Returns the squared norm of G.
template <class Rule>
double rank_k_update(int m, int n, int k, const operand& A, const float* B, float* p, float* s1, float* s2, const Rule& rule) {
    constexpr int w = static_cast<int>(width);
    constexpr int block = 16;
    double norm2 = 0.0;
    for (int i = 0; i < m; ++i) {
        vfloat sq(0.f);
        for (int j0 = 0; j0 < n; j0 += block * w) {
            const int vectors = std::min(block, (n - j0 + w - 1) / w);
            vfloat g[block];
#pragma GCC unroll 16
            for (int v = 0; v < block; ++v) g[v] = vfloat(0.f);
            for (int kk = 0; kk < k; ++kk) {
                const vfloat a(A.at(i, kk));
                const float* row = B + kk * n + j0;
#pragma GCC unroll 16
                for (int v = 0; v < block; ++v)
                    if (v < vectors) g[v] = xsimd::fma(a, load_partial(row + v * w, std::min(w, n - j0 - v * w)), g[v]);
            }
            for (int v = 0; v < vectors; ++v) {
                const int j = j0 + v * w, cols = std::min(w, n - j);
                const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(i) * n + j;
                sq = xsimd::fma(g[v], g[v], sq);
                vfloat s = load_partial(s1 + at, cols), t = s2 ? load_partial(s2 + at, cols) : vfloat(0.f);
                store_partial(p + at, rule(load_partial(p + at, cols), g[v], s, t), cols);
                store_partial(s1 + at, s, cols);
                if (s2) store_partial(s2 + at, t, cols);
            }
        }
        norm2 += static_cast<double>(xsimd::hadd(sq));
    }
    return norm2;
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
