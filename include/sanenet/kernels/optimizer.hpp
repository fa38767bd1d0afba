// Optimizer updates. Each rule is one per-element step, written once for vectors and
// scalars; the update loops and the fused rank-k weight update (small batches) apply it.
#pragma once

#include <sanenet/kernels/gemm.hpp>
#include <sanenet/kernels/simd.hpp>

#include <cstddef>
#if SANENET_DEFINITIONS
#include <cmath>
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// The update loops apply a rule through rule.fixed(f), which calls f with the rule's
// branches fixed at compile time, so that nothing is tested per vector. R::two_states: it
// keeps s2. The loops (apply_fixed, rank_k_fixed) take every operand as a value: read through
// a lambda's references, g++ re-read the rule and the pointers for every vector, since the
// stores could have changed them (docs/kernel-tuning.md has the step times).

// SGD with momentum, the parameters of sgd_fixed (below, with the definitions).
struct sgd_rule {
    static constexpr bool two_states = false;
    float lr, mu, decay;
    bool nesterov;
    template <class F>
    void fixed(F&& f) const;
};

// Adam (PyTorch's form): m, v moments; step = lr / (1 - b1^t); denom = sqrt(v) / sqrt(1 - b2^t) + eps.
// decay > 0 is AdamW's decoupled weight decay: p *= 1 - lr * decay first (shrink is exactly 1
// without it, so no branch).
struct adam_rule {
    static constexpr bool two_states = true;
    float b1, b2, eps, step, inv_sqrt_bc2, shrink;
    adam_rule(float lr, float beta1, float beta2, float epsilon, float bias_correction1, float bias_correction2,
              float weight_decay);
    template <class F>
    void fixed(F&& f) const {
        f(*this);
    }
    template <class V>
    SANENET_ALWAYS_INLINE V operator()(V p, V g, V& m, V& v) const;
};

// p[i] = rule(p[i], g[i], s1[i], s2[i]) for i < n (s2 only for a rule with two states).
template <class Rule>
void apply_update(float* p, const float* g, float* s1, float* s2, std::size_t n, const Rule& rule);

SANENET_INLINE void sgd_update(float* p, const float* g, float* buf, std::size_t n, float lr, float mu, bool nesterov,
                               float decay);

SANENET_INLINE void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, float lr, float b1, float b2,
                                float eps, float bias_correction1, float bias_correction2, float decay);

// The weight gradient of a small batch, G = A B (A: m x k strided, B: k x n row-major,
// k <= rank_k_max), applied by the rule as it is computed: G never goes to memory, which
// saves a third of the traffic of a batch-1 step. Each vector of G is k FMAs and is used at
// once; the squared norm of G (returned) is summed in 4 chains per row. A's row is copied
// out, so that the stores to p cannot alias it.
inline constexpr int rank_k_max = 8;
template <class Rule>
double rank_k_update(int m, int n, int k, const operand& A, const float* B, float* p, float* s1, float* s2, const Rule& rule);

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// SGD with momentum (PyTorch's form): buf = mu buf + g; p -= lr (nesterov ? g + mu buf : buf).
// decay adds decay * p to the gradient (classic L2). Without momentum buf is left alone.
template <bool Decay, bool Momentum, bool Nesterov>
struct sgd_fixed {
    static constexpr bool two_states = false;
    float lr, mu, decay;
    template <class V>
    SANENET_ALWAYS_INLINE V operator()(V p, V g, V& buf, V&) const {
        if constexpr (Decay) g = xsimd::fma(V(decay), p, g);
        if constexpr (Momentum) {
            buf = xsimd::fma(V(mu), buf, g);
            g = Nesterov ? xsimd::fma(V(mu), buf, g) : buf;
        }
        return p - V(lr) * g;
    }
};
template <class F>
void sgd_rule::fixed(F&& f) const {
    const auto with_decay = [&]<bool D>() {
        if (mu == 0.f)
            f(sgd_fixed<D, false, false>{lr, mu, decay});
        else if (nesterov)
            f(sgd_fixed<D, true, true>{lr, mu, decay});
        else
            f(sgd_fixed<D, true, false>{lr, mu, decay});
    };
    if (decay != 0.f)
        with_decay.template operator()<true>();
    else
        with_decay.template operator()<false>();
}

SANENET_INLINE adam_rule::adam_rule(float lr, float beta1, float beta2, float epsilon, float bias_correction1,
                                    float bias_correction2, float weight_decay)
    : b1(beta1),
      b2(beta2),
      eps(epsilon),
      step(lr / bias_correction1),
      inv_sqrt_bc2(1.f / std::sqrt(bias_correction2)),
      shrink(1.f - lr * weight_decay) {}
template <class V>
SANENET_ALWAYS_INLINE V adam_rule::operator()(V p, V g, V& m, V& v) const {
    m = xsimd::fma(V(b1), m, V(1.f - b1) * g);
    v = xsimd::fma(V(b2), v, V(1.f - b2) * g * g);
    return p * V(shrink) - V(step) * m / xsimd::fma(xsimd::sqrt(v), V(inv_sqrt_bc2), V(eps));
}

// p[i] = r(p[i], g[i], s1[i], s2[i]) for i < n (s2 only for a rule with two states).
template <class R>
void apply_fixed(const R r, float* p, const float* g, float* s1, float* s2, std::size_t n) {
    std::size_t i = 0;
    for (; i + width <= n; i += width) {
        vfloat a = vfloat::load_unaligned(s1 + i), b = R::two_states ? vfloat::load_unaligned(s2 + i) : vfloat(0.f);
        r(vfloat::load_unaligned(p + i), vfloat::load_unaligned(g + i), a, b).store_unaligned(p + i);
        a.store_unaligned(s1 + i);
        if constexpr (R::two_states) b.store_unaligned(s2 + i);
    }
    for (; i < n; ++i) {
        float a = s1[i], b = R::two_states ? s2[i] : 0.f;
        p[i] = r(p[i], g[i], a, b);
        s1[i] = a;
        if constexpr (R::two_states) s2[i] = b;
    }
}
template <class Rule>
void apply_update(float* p, const float* g, float* s1, float* s2, std::size_t n, const Rule& rule) {
    rule.fixed([&](const auto r) { apply_fixed(r, p, g, s1, s2, n); });
}

SANENET_INLINE void sgd_update(float* p, const float* g, float* buf, std::size_t n, float lr, float mu, bool nesterov,
                               float decay) {
    apply_update(p, g, buf, nullptr, n, sgd_rule{lr, mu, decay, nesterov});
}

SANENET_INLINE void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, float lr, float b1, float b2,
                                float eps, float bias_correction1, float bias_correction2, float decay) {
    apply_update(p, g, m, v, n, adam_rule(lr, b1, b2, eps, bias_correction1, bias_correction2, decay));
}

// One vector of the fused update below: g = a[0:k] B[0:k, j:j+cols], applied to p, s1, s2 at j.
template <class Rule>
SANENET_ALWAYS_INLINE void rank_k_vector(const Rule& r, const float* a, int k, const float* B, std::ptrdiff_t n, std::ptrdiff_t j,
                                         int cols, float* p, float* s1, float* s2, vfloat& norm2) {
    vfloat g(0.f);
    for (int kk = 0; kk < k; ++kk) g = xsimd::fma(vfloat(a[kk]), load_partial(B + kk * n + j, cols), g);
    norm2 = xsimd::fma(g, g, norm2);
    vfloat s = load_partial(s1 + j, cols), t = Rule::two_states ? load_partial(s2 + j, cols) : vfloat(0.f);
    store_partial(p + j, r(load_partial(p + j, cols), g, s, t), cols);
    store_partial(s1 + j, s, cols);
    if constexpr (Rule::two_states) store_partial(s2 + j, t, cols);
}

template <class R>
double rank_k_fixed(const R r, int m, int n, int k, const operand A, const float* B, float* p, float* s1, float* s2) {
    constexpr int w = static_cast<int>(width);
    double norm2 = 0.0;
    for (int i = 0; i < m; ++i) {
        float a[rank_k_max];
        for (int kk = 0; kk < k; ++kk) a[kk] = A.at(i, kk);
        const std::ptrdiff_t row = static_cast<std::ptrdiff_t>(i) * n;
        float *pr = p + row, *s1r = s1 + row, *s2r = s2 ? s2 + row : nullptr;
        vfloat sq[4] = {vfloat(0.f), vfloat(0.f), vfloat(0.f), vfloat(0.f)};
        int j = 0;
        for (; j + 4 * w <= n; j += 4 * w)
#pragma GCC unroll 4
            for (int u = 0; u < 4; ++u) rank_k_vector(r, a, k, B, n, j + u * w, w, pr, s1r, s2r, sq[u]);
        for (; j < n; j += w) rank_k_vector(r, a, k, B, n, j, std::min(w, n - j), pr, s1r, s2r, sq[0]);
        norm2 += static_cast<double>(reduce_add((sq[0] + sq[1]) + (sq[2] + sq[3])));
    }
    return norm2;
}
template <class Rule>
double rank_k_update(int m, int n, int k, const operand& A, const float* B, float* p, float* s1, float* s2, const Rule& rule) {
    double norm2 = 0.0;
    rule.fixed([&](const auto r) { norm2 = rank_k_fixed(r, m, n, k, A, B, p, s1, s2); });
    return norm2;
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
