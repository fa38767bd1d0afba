// sn::Input<N>: the first item of every network, N features wide. It is no stage: the model
// starts after it.
#pragma once

#include <sanenet/layers/layer.hpp>

namespace sanenet::inline SANENET_ABI {

template <int N>
struct Input {
    static constexpr detail::kind sanenet_kind = detail::kind::input;
    static constexpr int units = N;
    static constexpr detail::layer_spec spec(int) { return {detail::kind::input, N, N}; }
};

namespace detail {
template <>
struct layer_ops<kind::input> : no_parameters {
    static std::string name(const layer_spec& s);
    static void forward(const stage_io&) {}
    static void backward(const stage_io&, const grad_io&) {}
};
}  // namespace detail

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_ops<kind::input>::name(const layer_spec& s) { return "Input<" + std::to_string(s.out) + ">"; }

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
