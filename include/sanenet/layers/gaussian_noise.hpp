// sn::GaussianNoise<Stddev>: adds N(0, Stddev^2) noise in training, the identity in inference.
#pragma once

#include <sanenet/core/format.hpp>
#include <sanenet/layers/layer.hpp>

#if SANENET_DEFINITIONS
#include <algorithm>
#endif

namespace sanenet::inline SANENET_ABI {

template <double Stddev>
struct GaussianNoise {
    static constexpr detail::kind sanenet_kind = detail::kind::gaussian_noise;
    static constexpr float param = static_cast<float>(Stddev);
    static constexpr detail::layer_spec spec(int in) {
        return {detail::kind::gaussian_noise, in, in, detail::act::identity, detail::init::lecun, param};
    }
};

namespace detail {
template <>
struct layer_ops<kind::gaussian_noise> : no_parameters {
    static std::string name(const layer_spec& s);

    static void forward(const stage_io& io);

    static void backward(const stage_io& io, const grad_io& g);
};
}  // namespace detail

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_ops<kind::gaussian_noise>::name(const layer_spec& s) {
    return "GaussianNoise<" + format_shortest(s.param) + ">";
}

SANENET_INLINE void layer_ops<kind::gaussian_noise>::forward(const stage_io& io) {
    const std::size_t n = io.rows * static_cast<std::size_t>(io.st.out);
    std::copy(io.in, io.in + n, io.out);
    if (io.regularize)
        kernels::add_gaussian_noise(io.out, n, io.st.param, kernels::derive_key(io.seed ^ 0x5eedull, io.index, io.step));
}

SANENET_INLINE void layer_ops<kind::gaussian_noise>::backward(const stage_io& io, const grad_io& g) {
    if (g.d_in) std::copy(g.d_out, g.d_out + io.rows * static_cast<std::size_t>(io.st.out), g.d_in);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
