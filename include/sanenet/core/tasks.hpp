// Tasks, the first argument of Network: they decide the loss, the output rules and the metric.
#pragma once

#include <sanenet/core/spec.hpp>

#include <concepts>

namespace sanenet::inline SANENET_ABI {

// Mean squared error on the raw output; the network must end in Identity (lint L7.1).
struct Regression {
    static constexpr detail::task_spec sanenet_task{detail::task_kind::regression, 0};
};

// Softmax cross-entropy computed from the logits; labels are int32 in [0, K).
template <int K>
struct Classification {
    static constexpr detail::task_spec sanenet_task{detail::task_kind::classification, K};
};

// Sigmoid binary cross-entropy per output, computed from the logits; targets in [0, 1].
template <int K>
struct MultiLabel {
    static constexpr detail::task_spec sanenet_task{detail::task_kind::multilabel, K};
};

struct Binary {
    static constexpr detail::task_spec sanenet_task{detail::task_kind::multilabel, 1};
};

template <class T>
concept Task = requires {
    { T::sanenet_task } -> std::convertible_to<detail::task_spec>;
};

}  // namespace sanenet
