// sn::GaussianNoise<Stddev>: adds N(0, Stddev^2) noise in training, the identity in inference.
#pragma once

#include <sanenet/core/format.hpp>
#include <sanenet/layers/layer.hpp>

#include <algorithm>

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
    static std::string name(const layer_spec& s) { return "GaussianNoise<" + format_shortest(s.param) + ">"; }

    static void forward(const stage_io& io) {
        const std::size_t n = io.rows * static_cast<std::size_t>(io.st.out);
        std::copy(io.in, io.in + n, io.out);
        if (io.regularize) kernels::add_gaussian_noise(io.out, n, io.st.param, kernels::derive_key(io.seed ^ 0x5eedull, io.index, io.step));
    }

    static void backward(const stage_io& io, const grad_io& g) {
        if (g.d_in) std::copy(g.d_out, g.d_out + io.rows * static_cast<std::size_t>(io.st.out), g.d_in);
    }
};
}  // namespace detail

}  // namespace sanenet
