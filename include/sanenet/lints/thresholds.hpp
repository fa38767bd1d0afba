// Every lint threshold, in one place. The compile-time ones can be overridden by defining
// the macro before including sanenet; the run-time ones are fields of sn::Thresholds.
#pragma once

#include <sanenet/core/config.hpp>

#include <cstddef>

#ifndef SANENET_LINT_MIN_DROPOUT_KEEP
#define SANENET_LINT_MIN_DROPOUT_KEEP 0.5
#endif
#ifndef SANENET_LINT_MAX_DENSE_LAYERS
#define SANENET_LINT_MAX_DENSE_LAYERS 8
#endif
#ifndef SANENET_LINT_HIDDEN_PER_CLASS
#define SANENET_LINT_HIDDEN_PER_CLASS 5
#endif
#ifndef SANENET_LINT_HIDDEN_PER_REGRESSION_IO
#define SANENET_LINT_HIDDEN_PER_REGRESSION_IO 2
#endif

namespace sanenet::inline SANENET_ABI::thresholds {

// L4.2: a keep probability below this is probably a drop rate typed as keep.
inline constexpr double min_dropout_keep = SANENET_LINT_MIN_DROPOUT_KEEP;
// L10.1: the article's "start with 3-8 layers".
inline constexpr int max_dense_layers = SANENET_LINT_MAX_DENSE_LAYERS;
// L11.1: hidden width >= this many units per class (article: 5-10x the classes) ...
inline constexpr int hidden_per_class = SANENET_LINT_HIDDEN_PER_CLASS;
// ... and, for regression, this many times max(inputs, outputs) (article: 2-3x).
inline constexpr int hidden_per_regression_io = SANENET_LINT_HIDDEN_PER_REGRESSION_IO;

}  // namespace sanenet::thresholds

namespace sanenet::inline SANENET_ABI {

// The run-time lints' thresholds (docs/lints.md has each one's reasoning), overridable per fit:
// FitOptions{.thresholds = {.max_batch = 128}}.
struct Thresholds {
    double max_feature_rms = 10.0;  // L1.1: sqrt(mean^2 + std^2) of a feature
    double max_scale_spread = 100.0;  // L1.2: largest / smallest range (max - min) over features that are
        // neither constant, binary nor nearly constant ...
    double nearly_constant_share = 0.99;  // ... (at least this share of the values at the minimum or the maximum:
        // an image's border pixels)
    std::size_t constant_feature_max_inputs = 256;  // L1.3 only below this many inputs (images have blank borders)
    double max_target_abs_mean = 1.0;  // L1.4: regression targets' |mean| ...
    double min_target_std = 0.2;  // ... and std in [min, max]
    double max_target_std = 5.0;
    double max_validation_leak = 0.01;  // L2.2: share of validation rows found in training
    double baseline_ratio = 0.9;  // L2.3: final val loss >= this x the constant-prediction loss ...
    std::size_t baseline_min_steps = 50;  // ... after at least this many steps
    double overfit_gap = 0.1;  // L4.3: (val - train) / train above this ...
    double overfit_rise = 1.05;  // ... and val >= this x the best val, while the training loss
    int overfit_epochs = 5;  // is below its value at that best epoch, for this many epochs in a row
    std::size_t max_batch = 64;  // L5.1
    double divergence_factor = 4.0;  // L6.1: smoothed loss > this x its running minimum ...
    double divergence_floor = 0.05;  // ... floored at this share of the loss after warm-up (memorizing
        // a small set takes the loss near 0, where it wobbles by large factors)
    int divergence_warmup_steps = 50;  // ... after this many steps
    double clipping_share = 0.5;  // L6.2: clipping active on more than this share of an epoch's steps
    double dead_unit_share = 0.6;  // L8.1: share of a ReLU layer's units that never fire ...
    std::size_t probe_samples = 256;  // ... over this many probe samples
    double vanishing_ratio = 1e-3;  // L8.2: first / last Dense gradient norm below this ...
    double vanishing_norm = 1e-4;  // ... and the first norm below this
    double loss_at_init_factor = 1.0;  // L9.2: classification |L0 - ln K| > this x ln K
    double loss_at_init_regression = 10.0;  // L9.2: regression L0 above this
    double max_signal_ratio = 100.0;  // L9.3: last / first hidden layer's activation RMS at init outside
        // [1 / this, this]: the signal vanishes or explodes through the layers
    int short_run_steps = 1000;  // the doctor's short run at the user's settings (L6.1, L2.3)
    std::size_t overfit_probe_samples = 16;  // X6: the doctor's tiny training set ...
    int overfit_probe_steps = 1000;  // ... this many steps ...
    double overfit_probe_max_error = 0.05;  // ... must reach this classification error ...
    double overfit_probe_max_mse = 1e-3;  // ... or this standardized MSE
};

}  // namespace sanenet
