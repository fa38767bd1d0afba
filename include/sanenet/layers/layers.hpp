// The items of a network's type list: Input, Dense, the activations, Dropout and
// GaussianNoise. Each is an empty type whose constants describe it; Network turns
// them into detail::layer_spec at compile time.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/init/initializers.hpp>

namespace sanenet {

template <int N>
struct Input {
    static constexpr detail::kind sanenet_kind = detail::kind::input;
    static constexpr int units = N;
};

template <int Units, class Init = LeCun>
struct Dense {
    static constexpr detail::kind sanenet_kind = detail::kind::dense;
    static constexpr int units = Units;
    using initializer = Init;
};

namespace detail {
template <act A, double P = 0.0>
struct activation_item {
    static constexpr kind sanenet_kind = kind::activation;
    static constexpr act activation = A;
    static constexpr float param = static_cast<float>(P);
};
}  // namespace detail

// Named structs, not aliases, so that compiler messages print what the user typed.
struct Identity : detail::activation_item<detail::act::identity> {};
struct ReLU : detail::activation_item<detail::act::relu> {};
struct LeakyReLU : detail::activation_item<detail::act::leaky_relu, 0.01> {};
struct ELU : detail::activation_item<detail::act::elu, 1.0> {};
struct Tanh : detail::activation_item<detail::act::tanh> {};
struct Sigmoid : detail::activation_item<detail::act::sigmoid> {};
struct Softmax : detail::activation_item<detail::act::softmax> {};
template <double Slope>
struct LeakyReLUWith : detail::activation_item<detail::act::leaky_relu, Slope> {};
template <double Alpha>
struct ELUWith : detail::activation_item<detail::act::elu, Alpha> {};

// Keep is the probability of KEEPING a unit, as in the article (0.75-0.9).
template <double Keep>
struct Dropout {
    static constexpr detail::kind sanenet_kind = detail::kind::dropout;
    static constexpr float param = static_cast<float>(Keep);
};

template <double Stddev>
struct GaussianNoise {
    static constexpr detail::kind sanenet_kind = detail::kind::gaussian_noise;
    static constexpr float param = static_cast<float>(Stddev);
};

template <class T>
concept Layer = requires {
    { T::sanenet_kind } -> std::convertible_to<detail::kind>;
};

namespace detail {
template <class T>
constexpr init init_of() {
    if constexpr (Initializer<typename T::initializer>) return T::initializer::sanenet_init;
    else return init::lecun;
}
template <class T>
constexpr float init_value_of() {
    if constexpr (Initializer<typename T::initializer>) return T::initializer::value;
    else return 0.f;
}

// The spec of item T given the width entering it.
template <Layer T>
constexpr layer_spec spec_of(int in) {
    layer_spec s{};
    s.k = T::sanenet_kind;
    s.in = in;
    s.out = in;
    if constexpr (T::sanenet_kind == kind::input) {
        s.in = s.out = T::units;
    } else if constexpr (T::sanenet_kind == kind::dense) {
        s.out = T::units;
        s.i = init_of<T>();
        s.param = init_value_of<T>();
    } else if constexpr (T::sanenet_kind == kind::activation) {
        s.a = T::activation;
        s.param = T::param;
    } else {
        s.param = T::param;
    }
    return s;
}
}  // namespace detail

}  // namespace sanenet
