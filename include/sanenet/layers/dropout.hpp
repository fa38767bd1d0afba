// sn::Dropout<Keep>: inverted dropout in training, the identity in inference. Keep is the
// probability of KEEPING a unit, as in the article (0.75-0.9).
#pragma once

#include <sanenet/core/format.hpp>
#include <sanenet/layers/layer.hpp>

#if SANENET_DEFINITIONS
#include <algorithm>
#endif

namespace sanenet::inline SANENET_ABI {

template <double Keep>
struct Dropout {
    static constexpr detail::kind sanenet_kind = detail::kind::dropout;
    static constexpr float param = static_cast<float>(Keep);
    static constexpr detail::layer_spec spec(int in) {
        return {detail::kind::dropout, in, in, detail::act::identity, detail::init::lecun, param};
    }
};

namespace detail {
template <>
struct layer_ops<kind::dropout> : no_parameters {
    static std::string name(const layer_spec& s);
    // The mask, 0 or 1/keep per value.
    static std::size_t state_size(const stage& st, std::size_t rows);

    static void forward(const stage_io& io);

    static void backward(const stage_io& io, const grad_io& g);
};
}  // namespace detail

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_ops<kind::dropout>::name(const layer_spec& s) {
    return "Dropout<" + format_shortest(s.param) + ">";
}

SANENET_INLINE std::size_t layer_ops<kind::dropout>::state_size(const stage& st, std::size_t rows) {
    return rows * static_cast<std::size_t>(st.out);
}

SANENET_INLINE void layer_ops<kind::dropout>::forward(const stage_io& io) {
    const std::size_t n = io.rows * static_cast<std::size_t>(io.st.out);
    const std::uint64_t key = kernels::derive_key(io.seed, io.index, io.step);
    float* mask = io.state;
    for_chunks(io, n, [&](std::size_t b, std::size_t e) {
        std::copy(io.in + b, io.in + e, io.out + b);
        // Element i's mask depends on (key, i) only: chunks start at their own index.
        if (io.regularize)
            kernels::dropout_forward(io.out + b, mask + b, e - b, io.st.param, key, static_cast<std::uint32_t>(b));
        else
            std::fill(mask + b, mask + e, 1.f);
    });
}

SANENET_INLINE void layer_ops<kind::dropout>::backward(const stage_io& io, const grad_io& g) {
    if (!g.d_in) return;
    for_chunks(io, io.rows * static_cast<std::size_t>(io.st.out), [&](std::size_t b, std::size_t e) {
        std::copy(g.d_out + b, g.d_out + e, g.d_in + b);
        kernels::multiply_in_place(g.d_in + b, io.state + b, e - b);
    });
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
