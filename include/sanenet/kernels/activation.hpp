// Activations and their derivatives, vectorized. Every derivative is written in terms of
// the activation's output y, so the forward pass keeps only post-activation values. A NaN
// input gives a NaN output (as in PyTorch), so that it reaches the loss and L6.1 sees it.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/kernels/simd.hpp>

#include <cmath>

SANENET_KERNELS_BEGIN
namespace sanenet::kernels {

using detail::act;

template <act A>
SANENET_ALWAYS_INLINE vfloat activate(vfloat x, float p) {
    if constexpr (A == act::identity || A == act::softmax) return x;  // softmax is a row operation
    else if constexpr (A == act::relu) return xsimd::select(x < vfloat(0.f), vfloat(0.f), x);
    else if constexpr (A == act::leaky_relu) return xsimd::select(x > vfloat(0.f), x, x * vfloat(p));
    else if constexpr (A == act::elu) return xsimd::select(x < vfloat(0.f), vfloat(p) * (xsimd::exp(xsimd::min(x, vfloat(0.f))) - vfloat(1.f)), x);
    else if constexpr (A == act::tanh) return xsimd::tanh(x);
    else return vfloat(1.f) / (vfloat(1.f) + xsimd::exp(-x));
}

template <act A>
SANENET_ALWAYS_INLINE float activate(float x, float p) {
    if constexpr (A == act::identity || A == act::softmax) return x;
    else if constexpr (A == act::relu) return x < 0.f ? 0.f : x;
    else if constexpr (A == act::leaky_relu) return x > 0.f ? x : x * p;
    else if constexpr (A == act::elu) return x < 0.f ? p * std::expm1(x) : x;
    else if constexpr (A == act::tanh) return std::tanh(x);
    else return 1.f / (1.f + std::exp(-x));
}

// dy/dx expressed through y.
template <act A>
SANENET_ALWAYS_INLINE vfloat derivative(vfloat y, float p) {
    if constexpr (A == act::identity || A == act::softmax) return vfloat(1.f);
    else if constexpr (A == act::relu) return xsimd::select(y > vfloat(0.f), vfloat(1.f), vfloat(0.f));
    else if constexpr (A == act::leaky_relu) return xsimd::select(y > vfloat(0.f), vfloat(1.f), vfloat(p));
    else if constexpr (A == act::elu) return xsimd::select(y > vfloat(0.f), vfloat(1.f), y + vfloat(p));
    else if constexpr (A == act::tanh) return vfloat(1.f) - y * y;
    else return y * (vfloat(1.f) - y);
}

template <act A>
SANENET_ALWAYS_INLINE float derivative(float y, float p) {
    if constexpr (A == act::identity || A == act::softmax) return 1.f;
    else if constexpr (A == act::relu) return y > 0.f ? 1.f : 0.f;
    else if constexpr (A == act::leaky_relu) return y > 0.f ? 1.f : p;
    else if constexpr (A == act::elu) return y > 0.f ? 1.f : y + p;
    else if constexpr (A == act::tanh) return 1.f - y * y;
    else return y * (1.f - y);
}

// Calls f.template operator()<A>() with the activation as a compile-time constant.
template <class F>
SANENET_ALWAYS_INLINE decltype(auto) dispatch_act(act a, F&& f) {
    switch (a) {
        case act::relu: return f.template operator()<act::relu>();
        case act::leaky_relu: return f.template operator()<act::leaky_relu>();
        case act::elu: return f.template operator()<act::elu>();
        case act::tanh: return f.template operator()<act::tanh>();
        case act::sigmoid: return f.template operator()<act::sigmoid>();
        case act::softmax: return f.template operator()<act::softmax>();
        case act::identity: break;
    }
    return f.template operator()<act::identity>();
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
