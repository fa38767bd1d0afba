// The activations' math, vectorized: one activation_fn<A> per row of the activation table
// (core/spec.hpp), with the function and its derivative in vector and scalar form. The
// derivative of a from_output activation is written in its output y (the forward pass then
// keeps only y); the others (GELU, SiLU) take their input x. An activation without an
// activation_fn does not compile. A NaN input gives a NaN output (as in PyTorch), so that it
// reaches the loss and L6.1 sees it.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/kernels/simd.hpp>

#if SANENET_DEFINITIONS
#include <cmath>
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

using detail::act;

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

template <act A>
struct activation_fn;  // no definition: a row of the table without its math does not compile

// Identity, and Softmax as an elementwise function (it is a row operation: softmax_rows).
template <>
struct activation_fn<act::identity> {
    template <class V>
    static V f(V x, float) {
        return x;
    }
    template <class V>
    static V df(V, float) {
        return V(1.f);
    }
};
template <>
struct activation_fn<act::softmax> : activation_fn<act::identity> {};

template <>
struct activation_fn<act::relu> {
    static vfloat f(vfloat x, float) { return xsimd::select(x < vfloat(0.f), vfloat(0.f), x); }
    static float f(float x, float) { return x < 0.f ? 0.f : x; }
    static vfloat df(vfloat y, float) { return xsimd::select(y > vfloat(0.f), vfloat(1.f), vfloat(0.f)); }
    static float df(float y, float) { return y > 0.f ? 1.f : 0.f; }
};

template <>
struct activation_fn<act::leaky_relu> {
    static vfloat f(vfloat x, float p) { return xsimd::select(x > vfloat(0.f), x, x * vfloat(p)); }
    static float f(float x, float p) { return x > 0.f ? x : x * p; }
    static vfloat df(vfloat y, float p) { return xsimd::select(y > vfloat(0.f), vfloat(1.f), vfloat(p)); }
    static float df(float y, float p) { return y > 0.f ? 1.f : p; }
};

template <>
struct activation_fn<act::elu> {
    static vfloat f(vfloat x, float p) {
        return xsimd::select(x < vfloat(0.f), vfloat(p) * (xsimd::exp(xsimd::min(x, vfloat(0.f))) - vfloat(1.f)), x);
    }
    static float f(float x, float p) { return x < 0.f ? p * std::expm1(x) : x; }
    static vfloat df(vfloat y, float p) { return xsimd::select(y > vfloat(0.f), vfloat(1.f), y + vfloat(p)); }
    static float df(float y, float p) { return y > 0.f ? 1.f : y + p; }
};

template <>
struct activation_fn<act::tanh> {
    static vfloat f(vfloat x, float) { return xsimd::tanh(x); }
    static float f(float x, float) { return std::tanh(x); }
    template <class V>
    static V df(V y, float) {
        return V(1.f) - y * y;
    }
};

template <>
struct activation_fn<act::sigmoid> {
    static vfloat f(vfloat x, float) { return vfloat(1.f) / (vfloat(1.f) + xsimd::exp(-x)); }
    static float f(float x, float) { return 1.f / (1.f + std::exp(-x)); }
    template <class V>
    static V df(V y, float) {
        return y * (V(1.f) - y);
    }
};

// GELU, the exact form of torch.nn.GELU(): x Phi(x); dy/dx = Phi(x) + x phi(x).
template <>
struct activation_fn<act::gelu> {
    static constexpr float inv_sqrt2 = 0.70710678118654752f, inv_sqrt_2pi = 0.39894228040143268f;
    static vfloat f(vfloat x, float) { return x * vfloat(0.5f) * (vfloat(1.f) + xsimd::erf(x * vfloat(inv_sqrt2))); }
    static float f(float x, float) { return x * 0.5f * (1.f + std::erf(x * inv_sqrt2)); }
    static vfloat df(vfloat x, float) {
        return vfloat(0.5f) * (vfloat(1.f) + xsimd::erf(x * vfloat(inv_sqrt2))) +
               x * vfloat(inv_sqrt_2pi) * xsimd::exp(vfloat(-0.5f) * x * x);
    }
    static float df(float x, float) {
        return 0.5f * (1.f + std::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * std::exp(-0.5f * x * x);
    }
};

// SiLU, torch.nn.SiLU(): x sigmoid(x); dy/dx = s (1 + x (1 - s)).
template <>
struct activation_fn<act::silu> {
    static vfloat f(vfloat x, float) { return x / (vfloat(1.f) + xsimd::exp(-x)); }
    static float f(float x, float) { return x / (1.f + std::exp(-x)); }
    static vfloat df(vfloat x, float) {
        const vfloat s = vfloat(1.f) / (vfloat(1.f) + xsimd::exp(-x));
        return s * (vfloat(1.f) + x * (vfloat(1.f) - s));
    }
    static float df(float x, float) {
        const float s = 1.f / (1.f + std::exp(-x));
        return s * (1.f + x * (1.f - s));
    }
};

template <act A>
SANENET_ALWAYS_INLINE vfloat activate(vfloat x, float p) {
    return activation_fn<A>::f(x, p);
}
template <act A>
SANENET_ALWAYS_INLINE float activate(float x, float p) {
    return activation_fn<A>::f(x, p);
}
// dy/dx, from y when derivative_from_output(A), else from x.
template <act A>
SANENET_ALWAYS_INLINE vfloat derivative(vfloat v, float p) {
    return activation_fn<A>::df(v, p);
}
template <act A>
SANENET_ALWAYS_INLINE float derivative(float v, float p) {
    return activation_fn<A>::df(v, p);
}

// Calls f.template operator()<A>() with the activation as a compile-time constant.
template <class F>
SANENET_ALWAYS_INLINE decltype(auto) dispatch_act(act a, F&& f) {
    switch (a) {
#define SANENET_CASE(name, ...) \
    case act::name: return f.template operator()<act::name>();
        SANENET_ACTIVATIONS(SANENET_CASE)
#undef SANENET_CASE
    }
    return f.template operator()<act::identity>();
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
