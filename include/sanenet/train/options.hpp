// What sn::fit takes: FitOptions, the validation data, and the targets of either kind.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/lints/thresholds.hpp>
#include <sanenet/train/control.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/lints/data.hpp>
#include <sanenet/train/losses.hpp>
#include <sanenet/train/optimizers.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace sanenet::inline SANENET_ABI {

// Held-out data evaluated after every epoch (its absence is lint L2.1).
struct Validation {
    matrix x;
    std::variant<labels, matrix> y;
    Validation(matrix vx, labels vy) : x(std::move(vx)), y(std::move(vy)) {}
    Validation(matrix vx, matrix vy) : x(std::move(vx)), y(std::move(vy)) {}
};

struct FitOptions {
    int epochs = 10;
    std::size_t batch_size = 32;  // article item 5: start small (16, 8 or 1)
    Optimizer optimizer = Adam{};
    std::optional<Validation> validation = std::nullopt;
    std::vector<std::string> feature_names = {};  // one per column of x: messages say "feature 12 'proline'"
    std::optional<float> clip_grad_norm = std::nullopt;  // OFF by default (article item 6)
    Waivers allow = {};
    std::uint64_t seed = 42;  // shuffling, dropout and noise
    int threads = 0;  // 0 = all cores, or one when the first steps run faster on one (detail::thread_choice)
    bool progress = true;  // the live line on a terminal; silent otherwise
    std::function<void(const EpochRecord&)> on_epoch = {};
    bool shuffle = true;
    Thresholds thresholds = {};  // the run-time lints' thresholds
    bool monitor = true;  // the training monitors (L2.3, L4.3, L6.1 smoothed, L6.2, L8.1, L8.2)
    // Training control (train/control.hpp, docs/training.md).
    std::optional<EarlyStopping> early_stopping = std::nullopt;  // on the validation loss
    Schedule schedule = ConstantLR{};
    std::optional<Checkpoint> checkpoint = std::nullopt;  // sn::resume continues from it
    // The loss (train/losses.hpp): sn::MSE{}, sn::MAE{} or sn::Huber{.delta} for Regression; the
    // other tasks' loss is fixed. Weights: one per output (Regression), one per class (Classification).
    Loss loss = MSE{};
    std::vector<float> output_weights = {};
    std::vector<float> class_weights = {};
};

namespace detail {

SANENET_INLINE targets targets_of(const std::variant<labels, matrix>& y);

// What the data lints look at in a fit's options.
SANENET_INLINE data_check data_check_of(const FitOptions& o);

// The loss a fit's options choose for a network of `outputs` outputs (argument_error if it cannot apply).
SANENET_INLINE loss_config loss_config_of(const FitOptions& o, const task_spec& task, int outputs);

// The targets of a Net's task, checked at compile time: labels or a matrix.
template <class Net, class Y>
targets targets_for(const Y& y) {
    constexpr bool cls = Net::task_type::sanenet_task.k == task_kind::classification;
    if constexpr (cls) {
        static_assert(std::is_same_v<Y, labels>,
                      "sanenet: a Classification network takes labels as xt::xtensor<std::int32_t, 1>");
        return {&y, nullptr};
    } else {
        static_assert(std::is_same_v<Y, matrix>,
                      "sanenet: Regression and MultiLabel networks take targets as xt::xtensor<float, 2> (samples x outputs)");
        return {nullptr, &y};
    }
}

}  // namespace detail
}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE targets targets_of(const std::variant<labels, matrix>& y) {
    if (const auto* l = std::get_if<labels>(&y)) return {l, nullptr};
    return {nullptr, &std::get<matrix>(y)};
}

SANENET_INLINE data_check data_check_of(const FitOptions& o) {
    data_check c;
    if (o.validation) {
        c.validation_x = &o.validation->x;
        c.validation_y = targets_of(o.validation->y);
    }
    c.batch_size = o.batch_size;
    c.thresholds = o.thresholds;
    if (!o.feature_names.empty()) c.feature_names = &o.feature_names;
    return c;
}

SANENET_INLINE loss_config loss_config_of(const FitOptions& o, const task_spec& task, int outputs) {
    return make_loss_config(task, outputs, o.loss, o.output_weights, o.class_weights);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
