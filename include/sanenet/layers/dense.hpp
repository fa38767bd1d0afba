// sn::Dense<Units, Init>: y = x W + b, with the activation that follows fused into the GEMM's
// epilogue when its derivative is written in its output. W starts from the initializer
// (article item 9), b at zero.
#pragma once

#include <sanenet/core/format.hpp>
#include <sanenet/layers/initializers.hpp>
#include <sanenet/layers/layer.hpp>

#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#endif

namespace sanenet::inline SANENET_ABI {

template <int Units, class Init = LeCun>
struct Dense {
    static constexpr detail::kind sanenet_kind = detail::kind::dense;
    static constexpr int units = Units;
    using initializer = Init;
    static constexpr detail::layer_spec spec(int in) {
        detail::layer_spec s{detail::kind::dense, in, Units};
        if constexpr (Initializer<Init>) {
            s.i = Init::sanenet_init;
            s.param = Init::value;
        }
        return s;
    }
};

namespace detail {
template <>
struct layer_ops<kind::dense> {
    static constexpr const char* stem = "dense";

    static std::string name(const layer_spec& s);

    static constexpr std::size_t parameter_count(const layer_spec& s) {
        return static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out) + static_cast<std::size_t>(s.out);
    }

    template <class F>
    static void tensors(const layer_spec& s, const stage& st, F&& each) {
        each(tensor{"weight", st.w, static_cast<std::size_t>(s.in), static_cast<std::size_t>(s.out), true});
        each(tensor{"bias", st.b, static_cast<std::size_t>(s.out), 0, false});
    }

    static void initialize(const layer_spec& s, float* p, kernels::rng& r);

    static std::size_t state_size(const stage&, std::size_t);

    static void forward(const stage_io& io);

    // dZ = dY f'(y); db = column sums of dZ; dX = dZ W^T, before a fused update changes W; dW = X^T dZ.
    static void backward(const stage_io& io, const grad_io& g);
};
}  // namespace detail

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_ops<kind::dense>::name(const layer_spec& s) {
    // append, not operator+: g++ 12 -O2 warns falsely (-Wrestrict) on "..." + std::string&&
    std::string n = "Dense<";
    n.append(std::to_string(s.out));
    if (s.i != init::lecun) {
        n.append(", ").append(init_name(s.i));
        if (s.i == init::constant) n.append("<").append(format_shortest(s.param)).append(">");
    }
    return n.append(">");
}

SANENET_INLINE void layer_ops<kind::dense>::initialize(const layer_spec& s, float* p, kernels::rng& r) {
    const double fan_in = s.in, fan_out = s.out;
    double stddev = 0.0;
    switch (s.i) {
        case init::lecun:
        case init::lecun_uniform: stddev = std::sqrt(1.0 / fan_in); break;
        case init::he:
        case init::he_uniform: stddev = std::sqrt(2.0 / fan_in); break;
        case init::xavier:
        case init::xavier_uniform: stddev = std::sqrt(2.0 / (fan_in + fan_out)); break;
        case init::zeros:
        case init::constant: break;
    }
    const bool uniform = s.i == init::lecun_uniform || s.i == init::he_uniform || s.i == init::xavier_uniform;
    const std::size_t n = static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out);
    for (std::size_t j = 0; j < n; ++j) {
        if (s.i == init::zeros || s.i == init::constant)
            p[j] = s.param;
        else if (uniform)
            p[j] = static_cast<float>((2.0 * r.uniform() - 1.0) * std::sqrt(3.0) * stddev);
        else
            p[j] = static_cast<float>(r.normal() * stddev);
    }
    std::fill(p + n, p + n + s.out, 0.f);
}

SANENET_INLINE std::size_t layer_ops<kind::dense>::state_size(const stage&, std::size_t) { return 0; }

SANENET_INLINE void layer_ops<kind::dense>::forward(const stage_io& io) {
    const stage& st = io.st;
    kernels::gemm(static_cast<int>(io.rows), st.out, st.in, kernels::row_major(io.in, st.in),
                  kernels::row_major(io.params + st.w, st.out), io.out, st.out,
                  kernels::epilogue{io.params + st.b, io.apply_activation ? st.a : act::identity, st.param}, false, io.threads);
}

SANENET_INLINE void layer_ops<kind::dense>::backward(const stage_io& io, const grad_io& g) {
    const stage& st = io.st;
    const std::size_t rows = io.rows, out = static_cast<std::size_t>(st.out);
    float* d = g.d_out;
    if (io.apply_activation) kernels::activation_backward(d, io.out, rows * out, st.a, st.param);
    kernels::column_sums(d, rows, out, g.grads + st.b);
    if (g.d_in)
        kernels::gemm(static_cast<int>(rows), st.in, st.out, kernels::row_major(d, st.out),
                      kernels::transposed(io.params + st.w, st.out), g.d_in, st.in, {}, false, io.threads);
    const kernels::operand xt = kernels::transposed(io.in, st.in);
    if (g.fuse)
        g.fuse->run(g.fuse->self, st, xt, d, rows);
    else
        kernels::gemm(st.in, st.out, static_cast<int>(rows), xt, kernels::row_major(d, st.out), g.grads + st.w, st.out, {}, false,
                      io.threads);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
