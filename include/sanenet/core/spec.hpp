// The runtime description of a network: one layer_spec per item of the type list.
// Network<...> computes these at compile time; everything after that (lints, the
// training engine, save/load, summary) works on plain constexpr data, not on types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sanenet::detail {

enum class kind : std::uint8_t { input, dense, activation, dropout, gaussian_noise };
enum class act : std::uint8_t { identity, relu, leaky_relu, elu, tanh, sigmoid, softmax };
enum class init : std::uint8_t { lecun, he, xavier, lecun_uniform, he_uniform, xavier_uniform, zeros, constant };
enum class task_kind : std::uint8_t { regression, classification, multilabel };

struct layer_spec {
    kind k = kind::input;
    int in = 0;   // width entering the layer
    int out = 0;  // width leaving it
    act a = act::identity;
    init i = init::lecun;
    float param = 0.f;  // leaky slope, ELU alpha, dropout keep, noise stddev, or the Constant<V> value
};

struct task_spec {
    task_kind k = task_kind::regression;
    int outputs = 0;  // 0: any (regression)
};

constexpr bool is_output_only(act a) { return a == act::identity || a == act::softmax || a == act::sigmoid; }
constexpr bool is_regularizer(kind k) { return k == kind::dropout || k == kind::gaussian_noise; }

constexpr std::size_t dense_parameters(const layer_spec& s) {
    return s.k == kind::dense ? static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out) + static_cast<std::size_t>(s.out) : 0;
}

constexpr std::string_view act_name(act a) {
    switch (a) {
        case act::identity: return "Identity";
        case act::relu: return "ReLU";
        case act::leaky_relu: return "LeakyReLU";
        case act::elu: return "ELU";
        case act::tanh: return "Tanh";
        case act::sigmoid: return "Sigmoid";
        case act::softmax: return "Softmax";
    }
    return "?";
}

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

inline std::string format_float(float v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// The layer as the user typed it, e.g. "Dense<256, He>" or "Dropout<0.9>".
inline std::string layer_name(const layer_spec& s) {
    switch (s.k) {
        case kind::input: return "Input<" + std::to_string(s.out) + ">";
        case kind::dense: {
            std::string n = "Dense<" + std::to_string(s.out);
            if (s.i != init::lecun) {
                n += ", " + std::string(init_name(s.i));
                if (s.i == init::constant) n += "<" + format_float(s.param) + ">";
            }
            return n + ">";
        }
        case kind::activation: {
            std::string n(act_name(s.a));
            if ((s.a == act::leaky_relu && s.param != 0.01f) || (s.a == act::elu && s.param != 1.f))
                n += "With<" + format_float(s.param) + ">";
            return n;
        }
        case kind::dropout: return "Dropout<" + format_float(s.param) + ">";
        case kind::gaussian_noise: return "GaussianNoise<" + format_float(s.param) + ">";
    }
    return "?";
}

inline std::string task_name(const task_spec& t) {
    switch (t.k) {
        case task_kind::regression: return "Regression";
        case task_kind::classification: return "Classification<" + std::to_string(t.outputs) + ">";
        case task_kind::multilabel: return t.outputs == 1 ? "Binary" : "MultiLabel<" + std::to_string(t.outputs) + ">";
    }
    return "?";
}

}  // namespace sanenet::detail
