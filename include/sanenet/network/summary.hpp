// Network::summary(): a Keras-like table of layers, output shapes and parameter counts.
#pragma once

#include <sanenet/core/format.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/layers/layers.hpp>

#include <span>
#include <string>

namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string summary_table(std::span<const layer_spec> specs, task_spec task);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string pad_right(std::string s, std::size_t n) {
    if (s.size() < n) s.append(n - s.size(), ' ');
    return s;
}
SANENET_INLINE std::string pad_left(std::string s, std::size_t n) {
    if (s.size() < n) s.insert(0, n - s.size(), ' ');
    return s;
}

SANENET_INLINE std::string loss_name(const task_spec& t) {
    switch (t.k) {
        case task_kind::regression: return "mean squared error";
        case task_kind::classification: return "softmax cross-entropy, fused with the final Softmax";
        case task_kind::multilabel: return "sigmoid binary cross-entropy, fused with the final Sigmoid";
    }
    return "?";
}

SANENET_INLINE std::string summary_table(std::span<const layer_spec> specs, task_spec task) {
    std::string s = "Network<" + task_name(task) + ">\n";
    s += pad_right(" #", 4) + pad_right("Layer", 24) + pad_right("Output shape", 16) + pad_left("Params", 12) + "\n";
    std::size_t total = 0;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const std::size_t p = parameter_count(specs[i]);
        total += p;
        s += pad_left(std::to_string(i), 2) + "  " + pad_right(layer_name(specs[i]), 24) +
             pad_right("(batch, " + std::to_string(specs[i].out) + ")", 16) + pad_left(std::to_string(p), 12) + "\n";
    }
    s += "Total parameters: " + std::to_string(total) + " (" + format_fixed(static_cast<double>(total) * 4.0 / 1024.0, 1) +
         " KiB as float32)\n";
    s += "Loss: " + loss_name(task) + "\n";
    return s;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
