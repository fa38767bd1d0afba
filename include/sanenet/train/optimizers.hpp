// The optimizers users choose in FitOptions: SGD (momentum, Nesterov), Adam, AdamW.
#pragma once

#include <sanenet/core/config.hpp>

#include <variant>

namespace sanenet::inline SANENET_ABI {

struct SGD {
    float learning_rate = 0.01f;
    float momentum = 0.9f;
    bool nesterov = false;
    float weight_decay = 0.f;  // L2 added to the gradient of the weights (not biases)
};

struct Adam {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-8f;
};

// Adam with decoupled weight decay (Loshchilov & Hutter), applied to weights, not biases.
struct AdamW {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-8f;
    float weight_decay = 0.01f;
};

using Optimizer = std::variant<Adam, SGD, AdamW>;

SANENET_INLINE float learning_rate_of(const Optimizer& o);

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE float learning_rate_of(const Optimizer& o) {
    return std::visit([](const auto& x) { return x.learning_rate; }, o);
}

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
