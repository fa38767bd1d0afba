// Weight initializers for Dense (article item 9): He, LeCun, Xavier scale with fan-in.
// Zeros and Constant<V> exist so that lint L9.1 can reject them. Biases always start at zero.
#pragma once

#include <sanenet/core/spec.hpp>

namespace sanenet::inline SANENET_ABI {

struct LeCun {
    static constexpr detail::init sanenet_init = detail::init::lecun;
    static constexpr float value = 0.f;
};
struct He {
    static constexpr detail::init sanenet_init = detail::init::he;
    static constexpr float value = 0.f;
};
struct Xavier {
    static constexpr detail::init sanenet_init = detail::init::xavier;
    static constexpr float value = 0.f;
};
struct LeCunUniform {
    static constexpr detail::init sanenet_init = detail::init::lecun_uniform;
    static constexpr float value = 0.f;
};
struct HeUniform {
    static constexpr detail::init sanenet_init = detail::init::he_uniform;
    static constexpr float value = 0.f;
};
struct XavierUniform {
    static constexpr detail::init sanenet_init = detail::init::xavier_uniform;
    static constexpr float value = 0.f;
};
struct Zeros {
    static constexpr detail::init sanenet_init = detail::init::zeros;
    static constexpr float value = 0.f;
};
template <double V>
struct Constant {
    static constexpr detail::init sanenet_init = detail::init::constant;
    static constexpr float value = static_cast<float>(V);
};

template <class T>
concept Initializer = requires {
    { T::sanenet_init } -> std::convertible_to<detail::init>;
};

}  // namespace sanenet
