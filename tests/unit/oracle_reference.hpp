// The oracle's cases translated for the double-precision reference trainer: the layers as
// reference ops and the task's loss. Shared by test_oracle.cpp and test_schedules.cpp; the
// reference trainer itself (reference_trainer.hpp) knows nothing of sanenet.
#pragma once

#include "oracle_cases.hpp"
#include "reference_trainer.hpp"

#include <stdexcept>
#include <vector>

namespace oracle {

inline reference::op_kind reference_kind(act a) {
    switch (a) {
        case act::identity: return reference::op_kind::identity;
        case act::relu: return reference::op_kind::relu;
        case act::leaky_relu: return reference::op_kind::leaky_relu;
        case act::elu: return reference::op_kind::elu;
        case act::tanh: return reference::op_kind::tanh;
        case act::sigmoid: return reference::op_kind::sigmoid;
        case act::softmax: return reference::op_kind::softmax;
        case act::gelu: return reference::op_kind::gelu;
        case act::silu: return reference::op_kind::silu;
    }
    throw std::logic_error("unknown activation");
}

// The layers after the input, as the reference's ops.
inline std::vector<reference::op> reference_ops(const std::vector<layer_spec>& specs) {
    std::vector<reference::op> ops;
    for (std::size_t i = 1; i < specs.size(); ++i) {
        const layer_spec& s = specs[i];
        const reference::op_kind k = s.k == kind::dense        ? reference::op_kind::dense
                                     : s.k == kind::layer_norm ? reference::op_kind::layer_norm
                                     : s.k == kind::activation
                                         ? reference_kind(s.a)
                                         : throw std::logic_error("oracle: a layer kind the reference lacks");
        ops.push_back({k, s.in, s.out, static_cast<double>(s.param)});
    }
    return ops;
}

// The task's own loss (before FitOptions' loss and weights).
inline reference::loss_kind reference_loss(task_kind t) {
    return t == task_kind::regression       ? reference::loss_kind::mean_squared_error
           : t == task_kind::classification ? reference::loss_kind::cross_entropy
                                            : reference::loss_kind::binary_cross_entropy;
}

}  // namespace oracle
