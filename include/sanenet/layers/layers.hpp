// Every layer kind, one header each (the kind table is in core/spec.hpp), and what Network
// needs of an item: the Layer concept and its spec.
#pragma once

#include <sanenet/layers/activations.hpp>
#include <sanenet/layers/dense.hpp>
#include <sanenet/layers/dropout.hpp>
#include <sanenet/layers/gaussian_noise.hpp>
#include <sanenet/layers/input.hpp>
#include <sanenet/layers/layer_norm.hpp>

#include <concepts>
#include <string>

namespace sanenet::inline SANENET_ABI {

template <class T>
concept Layer = requires {
    { T::sanenet_kind } -> std::convertible_to<detail::kind>;
    { T::spec(0) } -> std::same_as<detail::layer_spec>;
};

namespace detail {

// The spec of item T given the width entering it.
template <Layer T>
constexpr layer_spec spec_of(int in) {
    return T::spec(in);
}

constexpr std::size_t parameter_count(const layer_spec& s) {
    return visit_kind(s.k, [&]<kind K>() { return layer_ops<K>::parameter_count(s); });
}

// The layer as the user typed it, e.g. "Dense<256, He>" or "Dropout<0.9>".
SANENET_INLINE std::string layer_name(const layer_spec& s);

}  // namespace detail
}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string layer_name(const layer_spec& s) {
    return visit_kind(s.k, [&]<kind K>() { return layer_ops<K>::name(s); });
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
