// The losses a fit can choose (FitOptions::loss, ::output_weights, ::class_weights) and their
// math, shared by the trainer, the evaluator and the lints that compare losses (L2.3's
// baseline, L9.2's bound). Semantics as torch.nn's: MSELoss, L1Loss and HuberLoss(delta), the
// mean over rows and outputs of w_j l(y_ij - t_ij) with output weights; CrossEntropyLoss(weight),
// sum_i w_{y_i} l_i / sum_i w_{y_i}, with class weights.
#pragma once

#include <sanenet/core/config.hpp>
#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/kernels/elementwise.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#endif

namespace sanenet::inline SANENET_ABI {

// Regression losses, each the mean over rows and outputs. MSE: (y - t)^2, the default.
struct MSE {};
// |y - t|, as torch.nn.L1Loss (its gradient at y = t is 0).
struct MAE {};
// 0.5 (y - t)^2 where |y - t| < delta, else delta (|y - t| - 0.5 delta), as torch.nn.HuberLoss(delta).
struct Huber {
    float delta = 1.f;
};

using Loss = std::variant<MSE, MAE, Huber>;

namespace detail {

enum class regression_loss : std::uint8_t { mse, mae, huber };

// A fit's loss, checked against its task: the regression loss, and one weight per output
// (Regression) or per class (Classification); no weights means all 1.
struct loss_config {
    regression_loss kind = regression_loss::mse;
    float delta = 1.f;
    std::vector<float> weights;

    // The task's own loss, unweighted: the engine's original path, bit for bit.
    bool plain() const { return kind == regression_loss::mse && weights.empty(); }
};

// The loss of a fit of a network with `outputs` outputs for `task`. Throws argument_error, naming
// the option and the task, for a loss other than MSE outside Regression, a Huber delta that is
// not finite and > 0, output weights outside Regression or class weights outside Classification,
// a weight count other than the outputs or classes, a negative or non-finite weight, all zero.
SANENET_INLINE loss_config make_loss_config(const task_spec& task, int outputs, const Loss& loss,
                                            const std::vector<float>& output_weights, const std::vector<float>& class_weights);

// "MSE", "MAE", "Huber(delta 0.5)", "weighted MAE": how messages name the loss.
SANENET_INLINE std::string loss_name(const loss_config& c);

// Regression: sum over rows x k of w_j l(y - t); grad (may be null) = w_j l'(y - t) * scale.
SANENET_INLINE double regression_loss_sum(const loss_config& c, const float* y, const float* t, std::size_t rows, std::size_t k,
                                          float* grad, float scale);

// Classification with class weights w: sum over rows of w_{label} times the softmax
// cross-entropy of the logits; grad (not null) = w_{label} (softmax - onehot) * scale.
SANENET_INLINE double weighted_cross_entropy_sum(const float* w, const float* logits, const std::int32_t* labels,
                                                 std::size_t rows, std::size_t k, float* grad, float scale);

// sum over rows of w_{label}: the denominator of CrossEntropyLoss(weight).
SANENET_INLINE double label_weight_sum(const float* w, const std::int32_t* labels, std::size_t rows);

// The loss of a regression output off by d (unweighted), and the best constant prediction of
// values under it: the mean (MSE), a median (MAE), the Huber M-estimate (Huber).
SANENET_INLINE double regression_loss_of(const loss_config& c, double d);
SANENET_INLINE double best_constant(const loss_config& c, std::vector<double> values);

// The mean loss, weights included, of errors drawn from N(0, variance) on every output: what a
// bound written for the MSE (L9.2's, in units of the standardized targets' variance) means for
// another loss. For MSE with no weights it is `variance` itself.
SANENET_INLINE double loss_of_normal_errors(const loss_config& c, double variance);

}  // namespace detail
}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE loss_config make_loss_config(const task_spec& task, int outputs, const Loss& loss,
                                            const std::vector<float>& output_weights, const std::vector<float>& class_weights) {
    const std::string on = " (task " + task_name(task) + ")";
    loss_config c;
    if (const auto* h = std::get_if<Huber>(&loss)) {
        c.kind = regression_loss::huber;
        c.delta = h->delta;
    } else if (std::holds_alternative<MAE>(loss)) {
        c.kind = regression_loss::mae;
    }
    const bool regression = task.k == task_kind::regression, classification = task.k == task_kind::classification;
    if (c.kind != regression_loss::mse && !regression)
        throw argument_error("FitOptions::loss is sn::" + std::string(c.kind == regression_loss::mae ? "MAE" : "Huber") +
                             "{}, but the task is " + task_name(task) + ", whose loss is the " +
                             (classification ? "softmax" : "sigmoid") +
                             " cross-entropy: expected sn::MSE{} (the default); sn::MAE and sn::Huber apply to Regression only");
    if (c.kind == regression_loss::huber && !(c.delta > 0.f && std::isfinite(c.delta)))
        throw argument_error("FitOptions::loss is sn::Huber{.delta = " + format_number(c.delta) + "}" + on +
                             ", expected a finite delta > 0");
    const auto check_weights = [&](const std::vector<float>& w, const char* option, bool applies, const char* applies_to,
                                   const char* instead, int count, const char* per) {
        if (w.empty()) return;
        const std::string name = std::string("FitOptions::") + option;
        if (!applies)
            throw argument_error(name + " has " + std::to_string(w.size()) + " values, but the task is " + task_name(task) +
                                 ": " + applies_to + "; expected none (" + instead + ")");
        if (w.size() != static_cast<std::size_t>(count))
            throw argument_error(name + " has " + std::to_string(w.size()) + " values" + on + ", expected " +
                                 std::to_string(count) + ", one per " + per);
        bool any = false;
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (!(w[i] >= 0.f && std::isfinite(w[i])))
                throw argument_error(name + "[" + std::to_string(i) + "] is " + format_number(w[i]) + on +
                                     ", expected a finite weight >= 0");
            any = any || w[i] > 0.f;
        }
        if (!any)
            throw argument_error(name + " are all 0" + on +
                                 ": the loss would be 0 and nothing would be learned; expected at least one weight > 0");
    };
    check_weights(output_weights, "output_weights", regression, "output weights apply to Regression only",
                  classification ? "weigh classes with FitOptions::class_weights" : "MultiLabel weighs every output alike",
                  outputs, "output");
    check_weights(class_weights, "class_weights", classification, "class weights apply to Classification only",
                  regression ? "weigh outputs with FitOptions::output_weights" : "MultiLabel weighs every output alike", outputs,
                  "class");
    c.weights = regression ? output_weights : class_weights;
    return c;
}

SANENET_INLINE std::string loss_name(const loss_config& c) {
    std::string s = c.kind == regression_loss::mse   ? "MSE"
                    : c.kind == regression_loss::mae ? "MAE"
                                                     : "Huber(delta " + format_number(c.delta) + ")";
    return c.weights.empty() ? s : "weighted " + s;
}

// l(d) and l'(d) of one error, unweighted, in float as the engine computes them.
template <regression_loss L>
inline float regression_term(float d, float delta) {
    if constexpr (L == regression_loss::mse) {
        return d * d;
    } else if constexpr (L == regression_loss::mae) {
        return std::fabs(d);
    } else {
        const float a = std::fabs(d);
        return a < delta ? 0.5f * d * d : delta * (a - 0.5f * delta);
    }
}
template <regression_loss L>
inline float regression_slope(float d, float delta) {
    if constexpr (L == regression_loss::mse)
        return 2.f * d;
    else if constexpr (L == regression_loss::mae)
        return d > 0.f ? 1.f : (d < 0.f ? -1.f : 0.f);
    else
        return d <= -delta ? -delta : (d >= delta ? delta : d);
}
template <regression_loss L>
inline double regression_terms_sum(const float* w, float delta, const float* y, const float* t, std::size_t rows, std::size_t k,
                                   float* grad, float scale) {
    double loss = 0.0;
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            const std::size_t e = i * k + j;
            const float d = y[e] - t[e], wj = w ? w[j] : 1.f;
            loss += static_cast<double>(wj * regression_term<L>(d, delta));
            if (grad) grad[e] = wj * regression_slope<L>(d, delta) * scale;
        }
    return loss;
}

SANENET_INLINE double regression_loss_sum(const loss_config& c, const float* y, const float* t, std::size_t rows, std::size_t k,
                                          float* grad, float scale) {
    const float* w = c.weights.empty() ? nullptr : c.weights.data();
    switch (c.kind) {
        case regression_loss::mse:
            if (!w) return kernels::squared_error(y, t, rows * k, grad, scale);
            return regression_terms_sum<regression_loss::mse>(w, c.delta, y, t, rows, k, grad, scale);
        case regression_loss::mae: return regression_terms_sum<regression_loss::mae>(w, c.delta, y, t, rows, k, grad, scale);
        case regression_loss::huber: return regression_terms_sum<regression_loss::huber>(w, c.delta, y, t, rows, k, grad, scale);
    }
    return 0.0;
}

SANENET_INLINE double weighted_cross_entropy_sum(const float* w, const float* logits, const std::int32_t* labels,
                                                 std::size_t rows, std::size_t k, float* grad, float scale) {
    double loss = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        const float wr = w[static_cast<std::size_t>(labels[r])];
        loss +=
            static_cast<double>(wr) * kernels::softmax_cross_entropy(logits + r * k, labels + r, 1, k, grad + r * k, wr * scale);
    }
    return loss;
}

SANENET_INLINE double label_weight_sum(const float* w, const std::int32_t* labels, std::size_t rows) {
    double s = 0.0;
    for (std::size_t r = 0; r < rows; ++r) s += static_cast<double>(w[static_cast<std::size_t>(labels[r])]);
    return s;
}

SANENET_INLINE double regression_loss_of(const loss_config& c, double d) {
    const double a = std::fabs(d), delta = static_cast<double>(c.delta);
    switch (c.kind) {
        case regression_loss::mse: return d * d;
        case regression_loss::mae: return a;
        case regression_loss::huber: return a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
    }
    return 0.0;
}

SANENET_INLINE double best_constant(const loss_config& c, std::vector<double> v) {
    if (v.empty()) return 0.0;
    if (c.kind == regression_loss::mse) {
        double s = 0.0;
        for (double x : v) s += x;
        return s / static_cast<double>(v.size());
    }
    if (c.kind == regression_loss::mae) {
        const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
        std::nth_element(v.begin(), mid, v.end());
        return *mid;
    }
    // Huber: sum_i clamp(v_i - m, -delta, delta) = 0 falls as m rises; bisect for its root.
    const double delta = static_cast<double>(c.delta);
    double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    for (int it = 0; it < 200 && lo < hi; ++it) {
        const double m = 0.5 * (lo + hi);
        if (m <= lo || m >= hi) break;
        double s = 0.0;
        for (double x : v) s += std::clamp(x - m, -delta, delta);
        (s > 0.0 ? lo : hi) = m;
    }
    return 0.5 * (lo + hi);
}

SANENET_INLINE double loss_of_normal_errors(const loss_config& c, double variance) {
    double mean_weight = 1.0;
    if (!c.weights.empty()) {
        mean_weight = 0.0;
        for (float w : c.weights) mean_weight += static_cast<double>(w);
        mean_weight /= static_cast<double>(c.weights.size());
    }
    const double pi = 3.14159265358979323846, sd = std::sqrt(variance);
    double per_output = variance;
    if (c.kind == regression_loss::mae) {
        per_output = sd * std::sqrt(2.0 / pi);  // E|e|
    } else if (c.kind == regression_loss::huber) {
        // With a = delta / sd and z = e / sd: E[0.5 e^2; |e| < delta] + E[delta (|e| - delta / 2); |e| >= delta].
        const double delta = static_cast<double>(c.delta), a = delta / sd;
        const double density = std::exp(-0.5 * a * a) / std::sqrt(2.0 * pi);  // phi(a)
        const double inside = std::erf(a / std::sqrt(2.0));  // P(|z| < a)
        per_output =
            0.5 * variance * (inside - 2.0 * a * density) + delta * (2.0 * sd * density) - 0.5 * delta * delta * (1.0 - inside);
    }
    return mean_weight * per_output;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
