// The first-use self-check of the SIMD primitives the kernels rely on: each one against
// scalar code on a few inputs, once per process (a few microseconds), so that a primitive
// that is wrong on a CPU, compiler or xsimd version nobody here has tested stops the program
// with an error that names it, instead of training on wrong numbers. frugally-deep's
// load-time self-test is the model; the unit tests (tests/unit/test_simd.cpp) check the same
// primitives far more thoroughly, once per architecture.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/kernels/activation.hpp>
#include <sanenet/kernels/random.hpp>
#include <sanenet/kernels/simd.hpp>

#if SANENET_DEFINITIONS
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// Runs the self-check once per process; throws sn::simd_error on every call if it failed.
SANENET_INLINE void verify_simd();

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// What the self-check found: the primitive that disagreed with scalar code and how, or an
// empty primitive when all agreed.
struct simd_fault {
    std::string primitive;
    std::string detail;
    explicit operator bool() const { return !primitive.empty(); }
};

namespace detail_check {

constexpr int w = static_cast<int>(width);

// Sets f (if not already set) when some got[i] differs from want[i] by more than
// tol * (1 + |want[i]|); tol = 0 asks for equality. Returns whether f is set.
inline bool compare(simd_fault& f, const char* primitive, const float* got, const double* want, int n, double tol) {
    if (f) return true;
    for (int i = 0; i < n; ++i) {
        const double g = got[i], e = want[i];
        const bool same =
            tol == 0.0 ? g == e || (std::isnan(g) && std::isnan(e)) : std::fabs(g - e) <= tol * (1.0 + std::fabs(e));
        if (!same) {
            f = {primitive,
                 "element " + std::to_string(i) + " is " + std::to_string(g) + ", scalar code gives " + std::to_string(e)};
            return true;
        }
    }
    return false;
}

inline void store(vfloat v, float* out) { v.store_unaligned(out); }

// The test inputs: lane l of vector r is r * 100 + l (exact sums, every lane distinct), and
// a spread of values on both sides of zero for the elementwise functions.
inline float pattern(int r, int l) { return static_cast<float>(r * 100 + l); }
inline float spread(int i) { return -9.5f + 1.37f * static_cast<float>(i % 15) + 0.01f * static_cast<float>(i); }

inline void check_reductions(simd_fault& f) {
    vfloat v[width];
    double want[width];
    for (int r = 0; r < w; ++r) {
        alignas(alignment) float lanes[width];
        double s = 0.0;
        for (int l = 0; l < w; ++l) s += lanes[l] = pattern(r, l);
        v[r] = vfloat::load_aligned(lanes);
        want[r] = s;
    }
    float got[width];
    store(reduce_add_each(v), got);
    compare(f, "reduce_add_each (the horizontal sums of an array of vectors, as haddp computes them)", got, want, w, 0.0);
    for (int r = 0; r < w; ++r) got[r] = reduce_add(v[r]);
    compare(f, "reduce_add (the horizontal sum)", got, want, w, 0.0);
    // transpose_tile: lane l of vector r becomes lane r of vector l.
    transpose_tile(v);
    for (int l = 0; l < w && !f; ++l) {
        double lane_want[width];
        for (int r = 0; r < w; ++r) lane_want[r] = pattern(r, l);
        store(v[l], got);
        compare(f, "transpose_tile", got, lane_want, w, 0.0);
    }
}

inline void check_partial(simd_fault& f) {
    float src[width], dst[width + 1];
    for (int l = 0; l < w; ++l) src[l] = pattern(1, l);
    for (int count = 0; count <= w && !f; ++count) {
        float got[width];
        double want[width + 1];
        store(load_partial(src, count), got);
        for (int l = 0; l < w; ++l) want[l] = l < count ? src[l] : 0.0;
        compare(f, "load_partial", got, want, w, 0.0);
        for (float& d : dst) d = -1.f;
        store_partial(dst, vfloat::load_unaligned(src), count);
        for (int l = 0; l <= w; ++l) want[l] = l < count ? src[l] : -1.0;
        compare(f, "store_partial", dst, want, w + 1, 0.0);
    }
}

// erf, which GELU's forward pass and derivative use, against std::erf in double: one vector
// whose lanes are all below 2/3 in magnitude (xsimd's erf then returns from its polynomial
// alone), one whose lanes are all above (its exp branch alone, up to the saturated tail), one
// of both. `erf` is the vector function under test (a parameter, so that the tests can hand it
// a wrong one).
inline vfloat vector_erf(vfloat v) { return xsimd::erf(v); }
inline void check_erf(simd_fault& f, vfloat (*erf)(vfloat) = vector_erf) {
    constexpr int n = 3 * w;
    alignas(alignment) float x[n];
    for (int l = 0; l < w; ++l) {
        const float t = static_cast<float>(l) / static_cast<float>(w);
        x[l] = -0.65f + 1.3f * t;  // |x| < 2/3
        x[w + l] = (l % 2 ? -1.f : 1.f) * (0.7f + 5.5f * t);  // |x| >= 2/3
        x[2 * w + l] = l % 2 ? 0.3f * spread(l) : 0.05f * static_cast<float>(l);  // both
    }
    float got[n];
    double want[n];
    for (int i = 0; i < n; i += w) store(erf(vfloat::load_aligned(x + i)), got + i);
    for (int i = 0; i < n; ++i) want[i] = std::erf(static_cast<double>(x[i]));
    compare(f, "erf (GELU)", got, want, n, 1e-6);
}

// The primitives an activation's vector form rests on, as the fault names them.
inline const char* forward_primitive(act a) {
    switch (a) {
        case act::elu: return "exp (ELU)";
        case act::tanh: return "tanh";
        case act::sigmoid: return "exp (sigmoid)";
        case act::gelu: return "erf / multiplication (GELU)";
        case act::silu: return "exp / division (SiLU)";
        default: return "max / select";
    }
}
inline const char* derivative_primitive(act a) {
    switch (a) {
        case act::gelu: return "erf / exp (GELU's derivative)";
        case act::silu: return "exp / division (SiLU's derivative)";
        default: return "select / comparison (an activation's derivative)";
    }
}

// Every activation with math of its own (the tests check that none of the table is missing).
inline constexpr act checked_activations[] = {act::relu,    act::leaky_relu, act::elu, act::tanh,
                                              act::sigmoid, act::gelu,       act::silu};

// Arithmetic, comparisons and the math functions through the activations (their vector form
// against their scalar form) and the optimizers' sqrt, division and fma.
inline void check_elementwise(simd_fault& f) {
    constexpr int n = 4 * w;
    alignas(alignment) float x[n];
    for (int i = 0; i < n; ++i) x[i] = spread(i);
    float got[n];
    double want[n];
    for (act a : checked_activations) {
        if (f) return;
        const float p = a == act::elu ? 1.f : 0.01f;
        dispatch_act(a, [&]<act A>() {
            for (int i = 0; i < n; i += w) store(activate<A>(vfloat::load_aligned(x + i), p), got + i);
            for (int i = 0; i < n; ++i) want[i] = activate<A>(x[i], p);
            compare(f, forward_primitive(A), got, want, n, 2e-6);
            // GELU's and SiLU's derivatives (of x, not y) round to about 4e-7 either way.
            for (int i = 0; i < n; i += w) store(derivative<A>(vfloat::load_aligned(x + i), p), got + i);
            for (int i = 0; i < n; ++i) want[i] = derivative<A>(x[i], p);
            compare(f, derivative_primitive(A), got, want, n, derivative_from_output(A) ? 1e-6 : 2e-6);
        });
    }
    for (int i = 0; i < n; i += w) {
        const vfloat v = vfloat::load_aligned(x + i);
        store(xsimd::fma(v, v, vfloat(0.5f)) / (xsimd::sqrt(v * v) + vfloat(1.f)), got + i);
    }
    for (int i = 0; i < n; ++i) {
        const double v = x[i];
        want[i] = (v * v + 0.5) / (std::fabs(v) + 1.0);
    }
    compare(f, "fma / sqrt / division", got, want, n, 1e-6);
}

// The counter-based random numbers of dropout: 32-bit integer multiply, shifts, xor, or, and
// the cast of the bits to float.
inline void check_integers(simd_fault& f) {
    float got[width];
    double want[width];
    const std::uint64_t key = 0x0123456789ABCDEFull;
    const vuint bits = counter_bits(key, lane_indices(1000u));
    alignas(alignment) std::uint32_t b[width];
    bits.store_aligned(b);
    for (int l = 0; l < w; ++l) {
        got[l] = static_cast<float>(b[l] >> 8);  // exact in a float
        want[l] = static_cast<double>(counter_bits(key, 1000u + static_cast<std::uint32_t>(l)) >> 8);
    }
    compare(f, "32-bit integer multiply / shift / xor (counter_bits)", got, want, w, 0.0);
    store(bits_to_unit(bits), got);
    for (int l = 0; l < w; ++l) want[l] = bits_to_unit(counter_bits(key, 1000u + static_cast<std::uint32_t>(l)));
    compare(f, "bitwise_cast (bits_to_unit)", got, want, w, 0.0);
}

}  // namespace detail_check

// Every check, in order; the first disagreement, or an empty fault. `erf` stands in for
// xsimd::erf in its check (the tests pass a wrong one).
inline simd_fault find_simd_fault(vfloat (*erf)(vfloat) = detail_check::vector_erf) {
    simd_fault f;
    detail_check::check_reductions(f);
    detail_check::check_partial(f);
    detail_check::check_erf(f, erf);
    detail_check::check_elementwise(f);
    detail_check::check_integers(f);
    return f;
}

inline std::string simd_fault_message(const simd_fault& f) {
    return "the SIMD self-check failed on " + std::string(arch_name()) + " (" + std::to_string(width) +
           " floats per vector): " + f.primitive + " disagrees with scalar code (" + f.detail +
           "), so training and inference would compute wrong numbers with this build on this CPU. Build for another "
           "architecture (without -march flags the kernels use SSE2) and report it with the output of sn::build_info().";
}

SANENET_INLINE void verify_simd() {
    static const simd_fault fault = find_simd_fault();
    if (fault) throw simd_error(simd_fault_message(fault));
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
