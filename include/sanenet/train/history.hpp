// sn::History: what fit did, epoch by epoch, which diagnostics fired and how it ended.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/lints/lint.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sanenet::inline SANENET_ABI {

struct EpochRecord {
    int epoch = 0;  // 1-based
    double train_loss = 0.0;  // mean over the epoch's steps, dropout on
    std::optional<double> val_loss;  // on the validation data, inference mode
    std::optional<double> val_metric;  // History::metric on the validation data
    double seconds = 0.0;
    double samples_per_second = 0.0;
    double learning_rate = 0.0;  // the rate of the epoch's steps (of its last step, when it changes per step)
};

// early_stopped: FitOptions::early_stopping ended the run before the last epoch.
enum class StopReason { completed, diverged, early_stopped };

struct History {
    std::string metric;  // "accuracy" (Classification, MultiLabel) or "r2" (Regression)
    std::vector<EpochRecord> epochs;
    std::vector<Diagnostic> diagnostics;
    StopReason stop = StopReason::completed;
    std::string stop_message;
    // The epoch (1-based) with the lowest validation loss, or, with EarlyStopping, the last one
    // that improved on the best by more than min_delta: the weights restore_best keeps. 0
    // without validation data.
    int best_epoch = 0;

    std::vector<double> train_loss() const;
    std::vector<double> val_loss() const;
    std::vector<double> val_metric() const;
    bool fired(std::string_view id) const;
};

// L6.1: training diverged. The network already holds its last good weights again;
// history() is what was recorded up to the divergence.
class divergence_error : public lint_error {
public:
    divergence_error(const std::string& message, History h) : lint_error("L6.1", message), history_(std::move(h)) {}
    const History& history() const noexcept { return history_; }

private:
    History history_;
};

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE std::vector<double> History::train_loss() const {
    std::vector<double> v;
    for (const auto& e : epochs) v.push_back(e.train_loss);
    return v;
}

SANENET_INLINE std::vector<double> History::val_loss() const {
    std::vector<double> v;
    for (const auto& e : epochs)
        if (e.val_loss) v.push_back(*e.val_loss);
    return v;
}

SANENET_INLINE std::vector<double> History::val_metric() const {
    std::vector<double> v;
    for (const auto& e : epochs)
        if (e.val_metric) v.push_back(*e.val_metric);
    return v;
}

SANENET_INLINE bool History::fired(std::string_view id) const {
    for (const auto& d : diagnostics)
        if (d.id == id) return true;
    return false;
}

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
