// Fused optimizer updates: one pass over parameters, gradients and state.
#pragma once

#include <sanenet/kernels/simd.hpp>

#include <cmath>
#include <cstddef>

SANENET_KERNELS_BEGIN
namespace sanenet::kernels {

// Adam (PyTorch's form): m, v moments; step = lr / (1 - b1^t); denom = sqrt(v) / sqrt(1 - b2^t) + eps.
// decay > 0 is AdamW's decoupled weight decay: p *= 1 - lr * decay first.
inline void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, float lr, float b1, float b2,
                        float eps, float bias_correction1, float bias_correction2, float decay) {
    const float step = lr / bias_correction1;
    const float inv_sqrt_bc2 = 1.f / std::sqrt(bias_correction2);
    const float shrink = 1.f - lr * decay;
    const vfloat vb1(b1), vb2(b2), vc1(1.f - b1), vc2(1.f - b2), vstep(step), vinv(inv_sqrt_bc2), veps(eps), vshrink(shrink);
    std::size_t i = 0;
    for (; i + width <= n; i += width) {
        const vfloat gi = vfloat::load_unaligned(g + i);
        const vfloat mi = xsimd::fma(vb1, vfloat::load_unaligned(m + i), vc1 * gi);
        const vfloat vi = xsimd::fma(vb2, vfloat::load_unaligned(v + i), vc2 * gi * gi);
        mi.store_unaligned(m + i);
        vi.store_unaligned(v + i);
        vfloat pi = vfloat::load_unaligned(p + i);
        if (decay != 0.f) pi *= vshrink;
        (pi - vstep * mi / xsimd::fma(xsimd::sqrt(vi), vinv, veps)).store_unaligned(p + i);
    }
    for (; i < n; ++i) {
        m[i] = b1 * m[i] + (1.f - b1) * g[i];
        v[i] = b2 * v[i] + (1.f - b2) * g[i] * g[i];
        float pi = p[i];
        if (decay != 0.f) pi *= shrink;
        p[i] = pi - step * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
    }
}

// SGD with momentum (PyTorch's form): buf = mu buf + g; p -= lr (nesterov ? g + mu buf : buf).
// decay adds decay * p to the gradient (classic L2).
inline void sgd_update(float* p, const float* g, float* buf, std::size_t n, float lr, float mu, bool nesterov, float decay) {
    const vfloat vmu(mu), vlr(lr), vdecay(decay);
    std::size_t i = 0;
    for (; i + width <= n; i += width) {
        vfloat pi = vfloat::load_unaligned(p + i);
        vfloat gi = vfloat::load_unaligned(g + i);
        if (decay != 0.f) gi = xsimd::fma(vdecay, pi, gi);
        if (mu != 0.f) {
            const vfloat bi = xsimd::fma(vmu, vfloat::load_unaligned(buf + i), gi);
            bi.store_unaligned(buf + i);
            gi = nesterov ? xsimd::fma(vmu, bi, gi) : bi;
        }
        (pi - vlr * gi).store_unaligned(p + i);
    }
    for (; i < n; ++i) {
        float gi = g[i] + decay * p[i];
        if (mu != 0.f) {
            buf[i] = mu * buf[i] + gi;
            gi = nesterov ? gi + mu * buf[i] : buf[i];
        }
        p[i] -= lr * gi;
    }
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
