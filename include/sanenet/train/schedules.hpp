// The learning-rate schedules' arithmetic: the rate each step of a fit runs at, as
// torch.optim.lr_scheduler computes it (in double, handed to the optimizer as a float), the
// state ReduceLROnPlateau carries from epoch to epoch, and the checks of their options.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/train/control.hpp>

#include <cstddef>
#include <string>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#endif

namespace sanenet::inline SANENET_ABI::detail {

class lr_schedule {
public:
    // ReduceLROnPlateau's state after an epoch: the rate, the best validation loss, the epochs
    // since it improved. The other schedules are functions of the step alone.
    struct state {
        double rate = 0.0;
        double best = 0.0;
        int bad_epochs = 0;
    };

    // base: the optimizer's learning rate; steps_per_epoch: batches per epoch (the last may be partial).
    lr_schedule(const Schedule& s, double base, int epochs, std::size_t steps_per_epoch);

    // Whether the rate changes within an epoch (OneCycleLR, CosineLR's warm-up epochs).
    bool per_step() const { return per_step_; }
    // The rate of step `step` (0-based, within the epoch) of epoch `epoch` (0-based).
    double rate(int epoch, std::size_t step) const;
    // After each epoch, with its validation loss (ReduceLROnPlateau steps on it).
    void end_epoch(double val_loss);

    const state& save() const { return state_; }
    void restore(const state& s) { state_ = s; }

private:
    Schedule s_;
    double base_;
    int epochs_;
    std::size_t steps_per_epoch_;
    bool per_step_ = false;
    state state_;
};

// Refuses a schedule that cannot apply, naming the option, before any step: a non-positive
// gamma or factor, a factor of 1 or more, step_epochs < 1, negative or non-finite rates, a
// warm-up as long as the fit, pct_start outside (0, 1), ReduceLROnPlateau without validation.
SANENET_INLINE void check_schedule(const Schedule& s, float learning_rate, int epochs, bool has_validation);

// "CosineLR{min_lr = 0, warmup_epochs = 2, restart_epochs = 0}": for messages and checkpoints;
// floats are printed so that they read back as the same value.
SANENET_INLINE std::string describe(const Schedule& s);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE lr_schedule::lr_schedule(const Schedule& s, double base, int epochs, std::size_t steps_per_epoch)
    : s_(s),
      base_(base),
      epochs_(epochs),
      steps_per_epoch_(std::max<std::size_t>(steps_per_epoch, 1)) {
    if (const auto* c = std::get_if<CosineLR>(&s)) per_step_ = c->warmup_epochs > 0;
    per_step_ = per_step_ || std::holds_alternative<OneCycleLR>(s);
    state_.rate = base;
    state_.best = std::numeric_limits<double>::infinity();
}

SANENET_INLINE double lr_schedule::rate(int epoch, std::size_t step) const {
    constexpr double pi = 3.14159265358979323846;
    const double e = static_cast<double>(epoch);
    return std::visit(
        [&](const auto& s) -> double {
            using S = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<S, ConstantLR>) {
                return base_;
            } else if constexpr (std::is_same_v<S, StepLR>) {
                return base_ * std::pow(static_cast<double>(s.gamma), static_cast<double>(epoch / s.step_epochs));
            } else if constexpr (std::is_same_v<S, ExponentialLR>) {
                return base_ * std::pow(static_cast<double>(s.gamma), e);
            } else if constexpr (std::is_same_v<S, CosineLR>) {
                const double lo = s.min_lr;
                if (epoch < s.warmup_epochs) {
                    const double total = static_cast<double>(s.warmup_epochs) * static_cast<double>(steps_per_epoch_);
                    const double at = e * static_cast<double>(steps_per_epoch_) + static_cast<double>(step);
                    return base_ * (at + 1.0) / total;
                }
                const int t = epoch - s.warmup_epochs;
                const double phase = s.restart_epochs > 0
                                         ? static_cast<double>(t % s.restart_epochs) / static_cast<double>(s.restart_epochs)
                                         : static_cast<double>(t) / static_cast<double>(epochs_ - s.warmup_epochs);
                return lo + (base_ - lo) * (1.0 + std::cos(pi * phase)) / 2.0;
            } else if constexpr (std::is_same_v<S, OneCycleLR>) {
                // torch's phases: up to step pct_start * total - 1, then down to the last step.
                const double total = static_cast<double>(epochs_) * static_cast<double>(steps_per_epoch_);
                const double at = e * static_cast<double>(steps_per_epoch_) + static_cast<double>(step);
                const double top = s.max_lr, start = top / 25.0, end = start / 1e4;
                const double turn = static_cast<double>(s.pct_start) * total - 1.0;
                const auto anneal = [&](double from, double to, double done, double span) {
                    const double pct = span > 0.0 ? done / span : 1.0;
                    return to + (from - to) / 2.0 * (std::cos(pi * pct) + 1.0);
                };
                if (at <= turn) return anneal(start, top, at, turn);
                return anneal(top, end, at - turn, total - 1.0 - turn);
            } else {
                return state_.rate;
            }
        },
        s_);
}

SANENET_INLINE void lr_schedule::end_epoch(double val_loss) {
    const auto* p = std::get_if<ReduceLROnPlateau>(&s_);
    if (!p) return;
    // torch's defaults: threshold 1e-4 relative, no cooldown, eps 1e-8.
    if (val_loss < state_.best * (1.0 - 1e-4)) {
        state_.best = val_loss;
        state_.bad_epochs = 0;
    } else {
        ++state_.bad_epochs;
    }
    if (state_.bad_epochs > p->patience) {
        const double reduced = std::max(state_.rate * static_cast<double>(p->factor), static_cast<double>(p->min_lr));
        if (state_.rate - reduced > 1e-8) state_.rate = reduced;
        state_.bad_epochs = 0;
    }
}

SANENET_INLINE void check_schedule(const Schedule& s, float learning_rate, int epochs, bool has_validation) {
    const auto refuse = [&](const std::string& option, const std::string& found, const std::string& expected) {
        throw argument_error("FitOptions::schedule: " + option + " is " + found + ", expected " + expected + " (" + describe(s) +
                             ")");
    };
    const auto positive = [&](const char* option, float v) {
        if (!(v > 0.f) || !std::isfinite(v)) refuse(option, format_shortest(v), "a finite value > 0");
    };
    const auto rate_floor = [&](const char* option, float v) {
        if (!(v >= 0.f) || !std::isfinite(v)) refuse(option, format_shortest(v), "a finite value >= 0");
        if (v > learning_rate)
            refuse(option, format_shortest(v),
                   "at most the optimizer's learning_rate " + format_shortest(learning_rate) + " (the rate anneals down to it)");
    };
    std::visit(
        [&](const auto& v) {
            using S = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<S, StepLR>) {
                if (v.step_epochs < 1) refuse("StepLR::step_epochs", std::to_string(v.step_epochs), ">= 1");
                positive("StepLR::gamma", v.gamma);
            } else if constexpr (std::is_same_v<S, ExponentialLR>) {
                positive("ExponentialLR::gamma", v.gamma);
            } else if constexpr (std::is_same_v<S, CosineLR>) {
                rate_floor("CosineLR::min_lr", v.min_lr);
                if (v.restart_epochs < 0) refuse("CosineLR::restart_epochs", std::to_string(v.restart_epochs), ">= 0 (0: none)");
                if (v.warmup_epochs < 0) refuse("CosineLR::warmup_epochs", std::to_string(v.warmup_epochs), ">= 0");
                if (epochs > 0 && v.warmup_epochs >= epochs)
                    refuse("CosineLR::warmup_epochs", std::to_string(v.warmup_epochs),
                           "fewer than the " + std::to_string(epochs) + " epochs of the fit (the cosine follows the warm-up)");
            } else if constexpr (std::is_same_v<S, OneCycleLR>) {
                positive("OneCycleLR::max_lr", v.max_lr);
                if (!(v.pct_start > 0.f && v.pct_start < 1.f))
                    refuse("OneCycleLR::pct_start", format_shortest(v.pct_start), "a value in (0, 1): the share of rising steps");
            } else if constexpr (std::is_same_v<S, ReduceLROnPlateau>) {
                if (!(v.factor > 0.f && v.factor < 1.f))
                    refuse("ReduceLROnPlateau::factor", format_shortest(v.factor), "a value in (0, 1)");
                if (v.patience < 0) refuse("ReduceLROnPlateau::patience", std::to_string(v.patience), ">= 0");
                rate_floor("ReduceLROnPlateau::min_lr", v.min_lr);
                if (!has_validation)
                    throw argument_error(
                        "FitOptions::schedule: ReduceLROnPlateau watches the validation loss, and FitOptions::validation is "
                        "not set; give it sn::Validation{x_val, y_val}");
            }
        },
        s);
}

SANENET_INLINE std::string describe(const Schedule& s) {
    const auto f = [](float v) { return format_shortest(v); };
    return std::visit(
        [&](const auto& v) -> std::string {
            using S = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<S, ConstantLR>)
                return "ConstantLR{}";
            else if constexpr (std::is_same_v<S, StepLR>)
                return "StepLR{step_epochs = " + std::to_string(v.step_epochs) + ", gamma = " + f(v.gamma) + "}";
            else if constexpr (std::is_same_v<S, ExponentialLR>)
                return "ExponentialLR{gamma = " + f(v.gamma) + "}";
            else if constexpr (std::is_same_v<S, CosineLR>)
                return "CosineLR{min_lr = " + f(v.min_lr) + ", warmup_epochs = " + std::to_string(v.warmup_epochs) +
                       ", restart_epochs = " + std::to_string(v.restart_epochs) + "}";
            else if constexpr (std::is_same_v<S, OneCycleLR>)
                return "OneCycleLR{max_lr = " + f(v.max_lr) + ", pct_start = " + f(v.pct_start) + "}";
            else
                return "ReduceLROnPlateau{factor = " + f(v.factor) + ", patience = " + std::to_string(v.patience) +
                       ", min_lr = " + f(v.min_lr) + "}";
        },
        s);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
