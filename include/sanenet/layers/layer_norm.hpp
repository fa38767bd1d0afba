// sn::LayerNorm: each sample normalized over its features, then scaled and shifted by a
// learnable gain (init 1) and bias (init 0), as torch.nn.LayerNorm(width) with eps 1e-5:
//   y = gain * (x - mean) / sqrt(var + eps) + bias, mean and (biased) var over the row.
#pragma once

#include <sanenet/layers/layer.hpp>

#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#endif

namespace sanenet::inline SANENET_ABI {

struct LayerNorm {
    static constexpr detail::kind sanenet_kind = detail::kind::layer_norm;
    static constexpr detail::layer_spec spec(int in) { return {detail::kind::layer_norm, in, in}; }
};

namespace detail {
template <>
struct layer_ops<kind::layer_norm> {
    static constexpr const char* stem = "layernorm";
    static constexpr double eps = 1e-5;

    static std::string name(const layer_spec&);
    static constexpr std::size_t parameter_count(const layer_spec& s) { return 2 * static_cast<std::size_t>(s.out); }

    template <class F>
    static void tensors(const layer_spec& s, const stage& st, F&& each) {
        each(tensor{"weight", st.w, static_cast<std::size_t>(s.out), 0, false});
        each(tensor{"bias", st.b, static_cast<std::size_t>(s.out), 0, false});
    }

    static void initialize(const layer_spec& s, float* p, kernels::rng&);

    // Per row: the mean and 1 / sqrt(var + eps).
    static std::size_t state_size(const stage&, std::size_t rows);

    static void forward(const stage_io& io);

    // With xhat = (x - mean) rstd and g = dY gain: dgain = sum over rows of dY xhat, dbias = sum of dY,
    // dX = rstd (g - mean(g) - xhat mean(g xhat)) per row.
    static void backward(const stage_io& io, const grad_io& g);
};
}  // namespace detail

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_ops<kind::layer_norm>::name(const layer_spec&) { return "LayerNorm"; }

SANENET_INLINE void layer_ops<kind::layer_norm>::initialize(const layer_spec& s, float* p, kernels::rng&) {
    std::fill(p, p + s.out, 1.f);
    std::fill(p + s.out, p + 2 * s.out, 0.f);
}

SANENET_INLINE std::size_t layer_ops<kind::layer_norm>::state_size(const stage&, std::size_t rows) { return 2 * rows; }

SANENET_INLINE void layer_ops<kind::layer_norm>::forward(const stage_io& io) {
    const std::size_t n = static_cast<std::size_t>(io.st.out);
    const float* gain = io.params + io.st.w;
    const float* bias = io.params + io.st.b;
    for (std::size_t r = 0; r < io.rows; ++r) {
        const float* x = io.in + r * n;
        float* y = io.out + r * n;
        double sum = 0.0, sq = 0.0;
        for (std::size_t j = 0; j < n; ++j) sum += x[j];
        const double mean = sum / static_cast<double>(n);
        for (std::size_t j = 0; j < n; ++j) sq += (x[j] - mean) * (x[j] - mean);
        const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(n) + eps);
        for (std::size_t j = 0; j < n; ++j) y[j] = static_cast<float>(gain[j] * ((x[j] - mean) * rstd) + bias[j]);
        if (io.state) {
            io.state[r] = static_cast<float>(mean);
            io.state[io.rows + r] = static_cast<float>(rstd);
        }
    }
}

SANENET_INLINE void layer_ops<kind::layer_norm>::backward(const stage_io& io, const grad_io& g) {
    const std::size_t n = static_cast<std::size_t>(io.st.out);
    const float* gain = io.params + io.st.w;
    float* dgain = g.grads + io.st.w;
    float* dbias = g.grads + io.st.b;
    std::fill(dgain, dgain + n, 0.f);
    std::fill(dbias, dbias + n, 0.f);
    for (std::size_t r = 0; r < io.rows; ++r) {
        const float* x = io.in + r * n;
        const float* dy = g.d_out + r * n;
        const double mean = io.state[r], rstd = io.state[io.rows + r];
        double mean_g = 0.0, mean_gx = 0.0;
        for (std::size_t j = 0; j < n; ++j) {
            const double xhat = (x[j] - mean) * rstd;
            dgain[j] += static_cast<float>(dy[j] * xhat);
            dbias[j] += dy[j];
            mean_g += dy[j] * gain[j];
            mean_gx += dy[j] * gain[j] * xhat;
        }
        if (!g.d_in) continue;
        mean_g /= static_cast<double>(n);
        mean_gx /= static_cast<double>(n);
        float* dx = g.d_in + r * n;
        for (std::size_t j = 0; j < n; ++j) {
            const double xhat = (x[j] - mean) * rstd;
            dx[j] = static_cast<float>(rstd * (dy[j] * gain[j] - mean_g - xhat * mean_gx));
        }
    }
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
