// Every lint threshold, in one place. The compile-time ones can be overridden by defining
// the macro before including sanenet; the run-time ones are fields of sn::Thresholds.
#pragma once

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

namespace sanenet::thresholds {

// L4.2: a keep probability below this is probably a drop rate typed as keep.
inline constexpr double min_dropout_keep = SANENET_LINT_MIN_DROPOUT_KEEP;
// L10.1: the article's "start with 3-8 layers".
inline constexpr int max_dense_layers = SANENET_LINT_MAX_DENSE_LAYERS;
// L11.1: hidden width >= this many units per class (article: 5-10x the classes) ...
inline constexpr int hidden_per_class = SANENET_LINT_HIDDEN_PER_CLASS;
// ... and, for regression, this many times max(inputs, outputs) (article: 2-3x).
inline constexpr int hidden_per_regression_io = SANENET_LINT_HIDDEN_PER_REGRESSION_IO;

}  // namespace sanenet::thresholds
