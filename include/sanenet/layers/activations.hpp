// The activations: plain types (sn::ReLU, sn::GELU, ...) generated from the activation table
// (core/spec.hpp), the forms with a chosen constant, and the activation layer, which applies
// kernels/activation.hpp's math to its input. A Dense followed by a from_output activation
// runs it in its own epilogue instead (layers/dense.hpp).
#pragma once

#include <sanenet/core/format.hpp>
#include <sanenet/layers/layer.hpp>

#if SANENET_DEFINITIONS
#include <algorithm>
#endif

namespace sanenet::inline SANENET_ABI {

namespace detail {
template <act A, double P = 0.0>
struct activation_item {
    static constexpr kind sanenet_kind = kind::activation;
    static constexpr act activation = A;
    static constexpr float param = static_cast<float>(P);
    static constexpr layer_spec spec(int in) { return {kind::activation, in, in, A, init::lecun, param}; }
};
}  // namespace detail

// Named structs, not aliases, so that compiler messages print what the user typed.
#define SANENET_ACTIVATION_TYPE(name, type, code, constant, ...) \
    struct type : detail::activation_item<detail::act::name, constant> {};
SANENET_ACTIVATIONS(SANENET_ACTIVATION_TYPE)
#undef SANENET_ACTIVATION_TYPE
template <double Slope>
struct LeakyReLUWith : detail::activation_item<detail::act::leaky_relu, Slope> {};
template <double Alpha>
struct ELUWith : detail::activation_item<detail::act::elu, Alpha> {};

namespace detail {
template <>
struct layer_ops<kind::activation> : no_parameters {
    static std::string name(const layer_spec& s);

    static void forward(const stage_io& io);

    // d_in = d_out f'(.), through y or x as the activation's derivative is written;
    // Softmax (only as a waived regression output) through its Jacobian.
    static void backward(const stage_io& io, const grad_io& g);
};
}  // namespace detail

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_ops<kind::activation>::name(const layer_spec& s) {
    std::string n(act_name(s.a));
    if (s.param != default_constant(s.a)) n += "With<" + format_shortest(s.param) + ">";
    return n;
}

SANENET_INLINE void layer_ops<kind::activation>::forward(const stage_io& io) {
    const std::size_t cols = static_cast<std::size_t>(io.st.out), n = io.rows * cols;
    std::copy(io.in, io.in + n, io.out);
    if (io.apply_activation) kernels::activation_forward(io.out, io.rows, cols, io.st.a, io.st.param);
}

SANENET_INLINE void layer_ops<kind::activation>::backward(const stage_io& io, const grad_io& g) {
    if (!g.d_in) return;
    const stage& st = io.st;
    const std::size_t cols = static_cast<std::size_t>(st.out), n = io.rows * cols;
    std::copy(g.d_out, g.d_out + n, g.d_in);
    if (!io.apply_activation) return;
    if (st.a != act::softmax)
        return kernels::activation_backward(g.d_in, derivative_from_output(st.a) ? io.out : io.in, n, st.a, st.param);
    for (std::size_t r = 0; r < io.rows; ++r) {
        float* dr = g.d_in + r * cols;
        const float* yr = io.out + r * cols;
        float dot = 0.f;
        for (std::size_t j = 0; j < cols; ++j) dot += dr[j] * yr[j];
        for (std::size_t j = 0; j < cols; ++j) dr[j] = yr[j] * (dr[j] - dot);
    }
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
