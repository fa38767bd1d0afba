// The runtime description of a network: one layer_spec per item of the type list, and the
// tables of layer kinds and activations. Network<...> computes the specs at compile time;
// everything after that (lints, the model, save/load, summary) works on plain constexpr
// data, not on types. A kind's behaviour lives in layers/<kind>.hpp, an activation's math
// in kernels/activation.hpp: a row added here without them does not compile.
#pragma once

#include <sanenet/core/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sanenet::inline SANENET_ABI::detail {

// X(enumerator, code): the code is the value in model files, so it never changes.
#define SANENET_LAYER_KINDS(X) \
    X(input, 0)                \
    X(dense, 1)                \
    X(activation, 2)           \
    X(dropout, 3)              \
    X(gaussian_noise, 4)       \
    X(layer_norm, 5)

// X(enumerator, user type, code, constant, output_only, from_output): the constant of the plain
// type (LeakyReLU's slope, ELU's alpha, as in PyTorch; ...With<C> picks another); output_only
// activations may appear only as the output activation (E6; a hidden Sigmoid is warning L8.3); from_output ones have a
// derivative written in their output y, so a Dense fuses them into its GEMM and keeps only y;
// the others (GELU, SiLU) are differentiated through their input. Softmax is a row
// operation, never fused. Math: kernels/activation.hpp.
#define SANENET_ACTIVATIONS(X)                     \
    X(identity, Identity, 0, 0.0, true, true)      \
    X(relu, ReLU, 1, 0.0, false, true)             \
    X(leaky_relu, LeakyReLU, 2, 0.01, false, true) \
    X(elu, ELU, 3, 1.0, false, true)               \
    X(tanh, Tanh, 4, 0.0, false, true)             \
    X(sigmoid, Sigmoid, 5, 0.0, false, true)       \
    X(softmax, Softmax, 6, 0.0, true, false)       \
    X(gelu, GELU, 7, 0.0, false, false)            \
    X(silu, SiLU, 8, 0.0, false, false)

#define SANENET_ENUMERATOR(name, code) name = code,
enum class kind : std::uint8_t { SANENET_LAYER_KINDS(SANENET_ENUMERATOR) };
#undef SANENET_ENUMERATOR
#define SANENET_ENUMERATOR(name, type, code, ...) name = code,
enum class act : std::uint8_t { SANENET_ACTIVATIONS(SANENET_ENUMERATOR) };
#undef SANENET_ENUMERATOR
enum class init : std::uint8_t { lecun, he, xavier, lecun_uniform, he_uniform, xavier_uniform, zeros, constant };
enum class task_kind : std::uint8_t { regression, classification, multilabel };

#define SANENET_COUNT(...) +1
inline constexpr unsigned kind_count = 0 SANENET_LAYER_KINDS(SANENET_COUNT);
inline constexpr unsigned act_count = 0 SANENET_ACTIVATIONS(SANENET_COUNT);
#undef SANENET_COUNT

struct layer_spec {
    kind k = kind::input;
    int in = 0;  // width entering the layer
    int out = 0;  // width leaving it
    act a = act::identity;
    init i = init::lecun;
    float param = 0.f;  // leaky slope, ELU alpha, dropout keep, noise stddev, or the Constant<V> value
};

struct task_spec {
    task_kind k = task_kind::regression;
    int outputs = 0;  // 0: any (regression)
};

constexpr bool is_output_only(act a) {
    switch (a) {
#define SANENET_CASE(name, type, code, constant, output_only, from_output) \
    case act::name: return output_only;
        SANENET_ACTIVATIONS(SANENET_CASE)
#undef SANENET_CASE
    }
    return false;
}
constexpr bool derivative_from_output(act a) {
    switch (a) {
#define SANENET_CASE(name, type, code, constant, output_only, from_output) \
    case act::name: return from_output;
        SANENET_ACTIVATIONS(SANENET_CASE)
#undef SANENET_CASE
    }
    return false;
}
constexpr std::string_view act_name(act a) {
    switch (a) {
#define SANENET_CASE(name, type, ...) \
    case act::name: return #type;
        SANENET_ACTIVATIONS(SANENET_CASE)
#undef SANENET_CASE
    }
    return "?";
}
constexpr float default_constant(act a) {
    switch (a) {
#define SANENET_CASE(name, type, code, constant, ...) \
    case act::name: return static_cast<float>(constant);
        SANENET_ACTIVATIONS(SANENET_CASE)
#undef SANENET_CASE
    }
    return 0.f;
}
constexpr bool is_regularizer(kind k) { return k == kind::dropout || k == kind::gaussian_noise; }

constexpr std::string_view init_name(init i) {
    switch (i) {
        case init::lecun: return "LeCun";
        case init::he: return "He";
        case init::xavier: return "Xavier";
        case init::lecun_uniform: return "LeCunUniform";
        case init::he_uniform: return "HeUniform";
        case init::xavier_uniform: return "XavierUniform";
        case init::zeros: return "Zeros";
        case init::constant: return "Constant";
    }
    return "?";
}

SANENET_INLINE std::string task_name(const task_spec& t);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string task_name(const task_spec& t) {
    switch (t.k) {
        case task_kind::regression: return "Regression";
        case task_kind::classification: return "Classification<" + std::to_string(t.outputs) + ">";
        case task_kind::multilabel: return t.outputs == 1 ? "Binary" : "MultiLabel<" + std::to_string(t.outputs) + ">";
    }
    return "?";
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
