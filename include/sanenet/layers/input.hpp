// sn::Input<N>: the first item of every network, N features wide. It is no stage: the model
// starts after it.
#pragma once

#include <sanenet/layers/layer.hpp>

namespace sanenet {

template <int N>
struct Input {
    static constexpr detail::kind sanenet_kind = detail::kind::input;
    static constexpr int units = N;
    static constexpr detail::layer_spec spec(int) { return {detail::kind::input, N, N}; }
};

namespace detail {
template <>
struct layer_ops<kind::input> {
    static constexpr const char* stem = nullptr;
    static std::string name(const layer_spec& s) { return "Input<" + std::to_string(s.out) + ">"; }
    static constexpr std::size_t parameter_count(const layer_spec&) { return 0; }
    template <class F>
    static void tensors(const layer_spec&, const stage&, F&&) {}
    static void initialize(const layer_spec&, float*, kernels::rng&) {}
    static std::size_t state_size(const stage&, std::size_t) { return 0; }
    static void forward(const stage_io&) {}
    static void backward(const stage_io&, const grad_io&) {}
};
}  // namespace detail

}  // namespace sanenet
