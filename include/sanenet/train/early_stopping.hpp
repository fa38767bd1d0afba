// Early stopping's bookkeeping: the best validation loss, its epoch, the epochs since, and the
// weights of the best epoch (keras.callbacks.EarlyStopping's rules, on the validation loss).
// Without EarlyStopping it still finds History::best_epoch, the lowest validation loss.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/train/control.hpp>

#include <optional>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <cmath>
#include <limits>
#endif

namespace sanenet::inline SANENET_ABI::detail {

class early_stopper {
public:
    struct state {
        double best = 0.0;  // the best validation loss so far (+inf before the first)
        int best_epoch = 0;  // 1-based; 0 before the first validation loss
        int wait = 0;  // epochs since the last improvement
    };

    explicit early_stopper(const std::optional<EarlyStopping>& e);

    bool active() const { return on_; }
    bool restores() const { return on_ && restore_; }
    // After epoch `epoch` with its validation loss: whether it improved on the best by more
    // than min_delta (then it becomes the best). Returns true when training should stop.
    bool end_epoch(int epoch, double val_loss, bool& improved);

    const state& save() const { return state_; }
    void restore(const state& s) { state_ = s; }

private:
    bool on_ = false, restore_ = false;
    int patience_ = 0;
    double min_delta_ = 0.0;
    state state_;
};

// Refuses early-stopping options that cannot apply, naming the option: patience < 1, a negative
// or non-finite min_delta, no validation data.
SANENET_INLINE void check_early_stopping(const std::optional<EarlyStopping>& e, bool has_validation);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE early_stopper::early_stopper(const std::optional<EarlyStopping>& e) {
    state_.best = std::numeric_limits<double>::infinity();
    if (!e) return;
    on_ = true;
    restore_ = e->restore_best;
    patience_ = e->patience;
    min_delta_ = e->min_delta;
}

SANENET_INLINE bool early_stopper::end_epoch(int epoch, double val_loss, bool& improved) {
    // Keras's rule for a loss: an improvement is current + min_delta < best (NaN never is).
    improved = val_loss + min_delta_ < state_.best;
    if (improved) {
        state_.best = val_loss;
        state_.best_epoch = epoch;
        state_.wait = 0;
        return false;
    }
    ++state_.wait;
    return on_ && state_.wait >= patience_;
}

SANENET_INLINE void check_early_stopping(const std::optional<EarlyStopping>& e, bool has_validation) {
    if (!e) return;
    if (e->patience < 1)
        throw argument_error("FitOptions::early_stopping: EarlyStopping::patience is " + std::to_string(e->patience) +
                             ", expected >= 1 (the epochs without improvement before training stops)");
    if (!(e->min_delta >= 0.0) || !std::isfinite(e->min_delta))
        throw argument_error("FitOptions::early_stopping: EarlyStopping::min_delta is " + format_number(e->min_delta) +
                             ", expected a finite value >= 0 (the improvement of the validation loss that counts)");
    if (!has_validation)
        throw argument_error(
            "FitOptions::early_stopping watches the validation loss, and FitOptions::validation is not set; give it "
            "sn::Validation{x_val, y_val}");
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
