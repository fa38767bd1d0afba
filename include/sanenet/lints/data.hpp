// The data lints (article items 1, 2, 3 and 5): what the numbers handed to fit reveal
// before any training. sn::check_data runs them alone; sn::fit runs them before the first
// step, throws the first error-level finding and reports the warnings.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/elementwise.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/lints/thresholds.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#endif

namespace sanenet::inline SANENET_ABI::detail {

// What the lints need to know of a network: its task and its widths.
struct net_shape {
    task_spec task;
    int inputs = 0;
    int outputs = 0;
};

// One run-time finding in the shared message format; tag is empty for lints that cannot be waived.
// waive_in: the option whose sn::allow<...>() waives it.
SANENET_INLINE Diagnostic make_diagnostic(std::string_view id, std::string_view slug, std::string_view tag, Severity severity,
                                          const std::string& what, const std::string& fix, std::string evidence,
                                          std::string_view waive_in = "FitOptions::allow");

template <class Tag>
Diagnostic tagged(std::string_view tag, Severity severity, const std::string& what, const std::string& fix, std::string evidence,
                  std::string_view waive_in = "FitOptions::allow") {
    return make_diagnostic(Tag::id, Tag::slug, tag, severity, what, fix, std::move(evidence), waive_in);
}

// The finding on stderr, its severity after "sanenet": "sanenet warning L5.1 large-batch: ...".
SANENET_INLINE void print_diagnostic(const Diagnostic& d);
#define SANENET_TAGGED(Tag, ...) ::sanenet::detail::tagged<::sanenet::lint::Tag>(#Tag, __VA_ARGS__)

// Shapes and label ranges: a mismatch is a shape_error naming both shapes. `what` names the data.
SANENET_INLINE void check_shapes(const net_shape& s, const matrix& x, const targets& y, const std::string& what);

// L3.1: the first NaN or Inf in a matrix, as a finding (or nothing). names: one per column, or nullptr.
SANENET_INLINE bool find_non_finite(const matrix& m, const std::string& what, std::vector<Diagnostic>& out, bool plural = false,
                                    const std::vector<std::string>* names = nullptr);

// "feature 12 'proline'", or "feature 12" without names.
SANENET_INLINE std::string feature_label(std::size_t index, const std::vector<std::string>* names);

// "0 'alcohol', 4 'magnesium' and 2 more": the indices, each with its name when there are names.
SANENET_INLINE std::string list_features(const std::vector<std::size_t>& v, const std::vector<std::string>* names,
                                         std::size_t shown = 8);

// Per-column mean and standard deviation (population), summed in double (over float partial
// sums of kernels::column_block rows) around a shift, the first row, so that large offsets do
// not cancel; and whether the column takes at most two distinct values.
struct column_stats {
    std::vector<double> mean, stddev, range;
    std::vector<std::uint8_t> binary;
    std::vector<std::size_t> at_min, at_max;  // how many values equal the minimum, the maximum
};

// std::nullopt when x holds a NaN or an infinity.
SANENET_INLINE std::optional<column_stats> column_statistics(const matrix& x);

// The data lints, in catalogue order. Shapes must already be checked (check_shapes).
// What the data lints look at: the training data and the parts of the fit that concern it.
struct data_check {
    const matrix* validation_x = nullptr;
    targets validation_y{};
    std::size_t batch_size = 32;
    Thresholds thresholds{};
    const std::vector<std::string>* feature_names = nullptr;  // one per column of x (FitOptions::feature_names)
};

SANENET_INLINE std::vector<Diagnostic> data_lints(const net_shape& s, const matrix& x, const targets& y, const data_check& o);

inline bool waived(const Diagnostic& d, Waivers allow) { return (allow.bits & waiver_bit(d.id)) != 0; }

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string position(std::size_t row, std::size_t col) {
    return "row " + std::to_string(row) + ", column " + std::to_string(col);
}

SANENET_INLINE std::string feature_label(std::size_t index, const std::vector<std::string>* names) {
    std::string s = "feature " + std::to_string(index);
    if (names && index < names->size()) s += " '" + (*names)[index] + "'";
    return s;
}

SANENET_INLINE std::string list_features(const std::vector<std::size_t>& v, const std::vector<std::string>* names,
                                         std::size_t shown) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < shown; ++i) {
        if (i) s += ", ";
        s += std::to_string(v[i]);
        if (names && v[i] < names->size()) s += " '" + (*names)[v[i]] + "'";
    }
    if (v.size() > shown) s += " and " + std::to_string(v.size() - shown) + " more";
    return s;
}

// "3, 17, 40 and 12 more"
SANENET_INLINE std::string list_indices(const std::vector<std::size_t>& v, std::size_t shown = 8) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < shown; ++i) {
        if (i) s += ", ";
        s += std::to_string(v[i]);
    }
    if (v.size() > shown) s += " and " + std::to_string(v.size() - shown) + " more";
    return s;
}

SANENET_INLINE Diagnostic make_diagnostic(std::string_view id, std::string_view slug, std::string_view tag, Severity severity,
                                          const std::string& what, const std::string& fix, std::string evidence,
                                          std::string_view waive_in) {
    std::string m = "sanenet ";
    m += id;
    m += ' ';
    m += slug;
    m += ": ";
    m += what;
    m += ". Fix: ";
    m += fix;
    m += '.';
    if (!tag.empty()) {
        m += " Waive: ";
        m += waive_in;
        m += " = sn::allow<sn::lint::";
        m += tag;
        m += ">().";
    }
    return Diagnostic{std::string(id), severity, std::move(m), std::move(evidence)};
}

SANENET_INLINE void print_diagnostic(const Diagnostic& d) {
    std::string line = d.message;
    const char* level = d.severity == Severity::error ? "error " : d.severity == Severity::info ? "note " : "warning ";
    line.insert(std::min<std::size_t>(line.size(), 8), level);
    std::fprintf(stderr, "%s\n", line.c_str());
}

SANENET_INLINE void check_shapes(const net_shape& s, const matrix& x, const targets& y, const std::string& what) {
    const std::size_t rows = x.shape()[0], cols = x.shape()[1];
    if (rows == 0) throw shape_error(what + " has no rows");
    if (cols != static_cast<std::size_t>(s.inputs))
        throw shape_error(what + " has shape " + shape_string(rows, cols) + " but the network's Input<" +
                          std::to_string(s.inputs) + "> expects " + shape_string(rows, static_cast<std::size_t>(s.inputs)));
    if ((s.task.k == task_kind::classification) != (y.cls != nullptr))
        throw shape_error(
            what + ": " + task_name(s.task) +
            (y.cls ? " takes float targets (samples x outputs), not labels" : " takes int32 labels, not a float matrix"));
    if (y.rows() != rows)
        throw shape_error(what + " has " + std::to_string(rows) + " rows but its targets have " + std::to_string(y.rows()));
    const std::size_t k = static_cast<std::size_t>(s.outputs);
    if (y.values && y.values->shape()[1] != k)
        throw shape_error(what + ": targets have shape " + shape_string(*y.values) + " but the network outputs " +
                          shape_string(rows, k));
    if (y.cls)
        for (std::size_t r = 0; r < rows; ++r)
            if ((*y.cls)(r) < 0 || static_cast<std::size_t>((*y.cls)(r)) >= k)
                throw shape_error(what + ": label " + std::to_string((*y.cls)(r)) + " at row " + std::to_string(r) +
                                  " is outside [0, " + std::to_string(k) + ") of " + task_name(s.task) + " (lint L3.1)");
    if (y.values && s.task.k == task_kind::multilabel)
        for (std::size_t i = 0; i < y.values->size(); ++i) {
            const float v = y.values->data()[i];
            if (std::isfinite(v) && !(v >= 0.f && v <= 1.f))
                throw shape_error(what + ": target " + std::to_string(v) + " at " + position(i / k, i % k) +
                                  " is outside [0, 1] of " + task_name(s.task));
        }
}

SANENET_INLINE bool find_non_finite(const matrix& m, const std::string& what, std::vector<Diagnostic>& out, bool plural,
                                    const std::vector<std::string>* names) {
    const std::size_t cols = m.shape()[1];
    const float* d = m.data();
    if (kernels::all_finite(d, m.size())) return false;
    for (std::size_t i = 0; i < m.size(); ++i)
        if (!std::isfinite(d[i])) {
            std::size_t count = 0;
            for (std::size_t j = i; j < m.size(); ++j) count += !std::isfinite(d[j]);
            out.push_back(make_diagnostic(
                "L3.1", "non-finite-data", "", Severity::error,
                what + " " + (plural ? "hold " : "holds ") + std::to_string(d[i]) + " at " + position(i / cols, i % cols) +
                    (names && i % cols < names->size() ? " '" + (*names)[i % cols] + "'" : std::string()) + " (" +
                    std::to_string(count) + (count == 1 ? " non-finite value" : " non-finite values") +
                    " in all); one NaN or Inf spreads to every weight in a single step",
                "remove or impute those samples before training (article item 3)", std::to_string(count) + " non-finite values"));
            return true;
        }
    return false;
}

SANENET_INLINE std::optional<column_stats> column_statistics(const matrix& x) {
    const std::size_t n = x.shape()[0], d = x.shape()[1];
    column_stats s;
    s.mean.assign(d, 0.0);
    s.stddev.assign(d, 0.0);
    s.range.assign(d, 0.0);
    s.binary.assign(d, 1);
    s.at_min.assign(d, 0);
    s.at_max.assign(d, 0);
    if (n == 0) return s;
    const float* first = x.data();
    std::vector<double> sum(d, 0.0), sumsq(d, 0.0);
    std::vector<float> lo(first, first + d), hi(first, first + d);
    if (!kernels::summarize_columns(x.data(), n, d, first,
                                    {sum.data(), sumsq.data(), lo.data(), hi.data(), s.at_min.data(), s.at_max.data()}))
        return std::nullopt;
    const double nn = static_cast<double>(n);
    for (std::size_t c = 0; c < d; ++c) {
        const double m = sum[c] / nn;
        s.mean[c] = m + first[c];
        // Exactly constant, whatever rounding says.
        s.stddev[c] = lo[c] == hi[c] ? 0.0 : std::sqrt(std::max(0.0, sumsq[c] / nn - m * m));
        s.range[c] = static_cast<double>(hi[c]) - lo[c];
        // Two distinct values at most: every value is the minimum or the maximum.
        s.binary[c] = s.at_min[c] + (lo[c] == hi[c] ? 0 : s.at_max[c]) == n;
    }
    return s;
}

// A row's hash for the leak check (equal hashes are then compared byte for byte): four
// independent multiply-xorshift lanes over its 8-byte words, then its tail.
SANENET_INLINE std::uint64_t row_hash(const float* row, std::size_t cols) {
    const auto* b = reinterpret_cast<const unsigned char*>(row);
    const std::size_t bytes = cols * sizeof(float);
    constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
    std::uint64_t h[4] = {k, k ^ 1, k ^ 2, k ^ 3};
    const auto mix = [](std::uint64_t a, std::uint64_t w) {
        a = (a ^ w) * 0xFF51AFD7ED558CCDull;
        return a ^ (a >> 32);
    };
    std::size_t i = 0;
    for (; i + 32 <= bytes; i += 32)
        for (int l = 0; l < 4; ++l) {
            std::uint64_t w;
            std::memcpy(&w, b + i + 8 * l, 8);
            h[l] = mix(h[l], w);
        }
    for (; i < bytes; ++i) h[0] = mix(h[0], b[i]);
    return mix(mix(mix(h[0], h[1]), h[2]), h[3]);
}

// L2.2: how many rows of v appear exactly in x.
SANENET_INLINE std::size_t rows_found_in(const matrix& v, const matrix& x) {
    const std::size_t cols = x.shape()[1];
    std::unordered_multimap<std::uint64_t, std::size_t> index;
    index.reserve(x.shape()[0]);
    for (std::size_t r = 0; r < x.shape()[0]; ++r) index.emplace(row_hash(x.data() + r * cols, cols), r);
    std::size_t found = 0;
    for (std::size_t r = 0; r < v.shape()[0]; ++r) {
        const float* row = v.data() + r * cols;
        auto [lo, hi] = index.equal_range(row_hash(row, cols));
        for (auto it = lo; it != hi; ++it)
            if (std::memcmp(row, x.data() + it->second * cols, cols * sizeof(float)) == 0) {
                ++found;
                break;
            }
    }
    return found;
}

SANENET_INLINE std::vector<Diagnostic> data_lints(const net_shape& s, const matrix& x, const targets& y, const data_check& o) {
    std::vector<Diagnostic> out;
    const Thresholds& t = o.thresholds;
    const std::size_t n = x.shape()[0], d = x.shape()[1];
    const std::vector<std::string>* names = o.feature_names;
    if (names && names->size() != d)
        throw argument_error("FitOptions::feature_names has " + std::to_string(names->size()) + " names but x has " +
                             std::to_string(d) + " features (columns): expected one name per column of x, in order");
    // One pass over x for its statistics, which also tells whether it is all finite; the
    // first NaN or infinity is then located by find_non_finite.
    const std::optional<column_stats> x_stats = column_statistics(x);
    bool non_finite = !x_stats && find_non_finite(x, "x", out, false, names);
    if (y.values) non_finite |= find_non_finite(*y.values, "the targets", out, true);
    if (o.validation_x) {
        non_finite |= find_non_finite(*o.validation_x, "validation x", out, false, names);
        if (o.validation_y.values) non_finite |= find_non_finite(*o.validation_y.values, "the validation targets", out, true);
    }
    if (!non_finite && x_stats) {
        const column_stats& cs = *x_stats;
        std::vector<std::size_t> loud, constant, scaled;
        std::size_t worst = 0;
        double worst_rms = 0.0;
        for (std::size_t c = 0; c < d; ++c) {
            const double rms = std::sqrt(cs.mean[c] * cs.mean[c] + cs.stddev[c] * cs.stddev[c]);
            if (rms > t.max_feature_rms) loud.push_back(c);
            if (rms > worst_rms) worst_rms = rms, worst = c;
            const double common = static_cast<double>(std::max(cs.at_min[c], cs.at_max[c])) / static_cast<double>(n);
            if (cs.stddev[c] == 0.0)
                constant.push_back(c);
            else if (!cs.binary[c] && common < t.nearly_constant_share)
                scaled.push_back(c);
        }
        if (!loud.empty())
            out.push_back(SANENET_TAGGED(
                UnnormalizedInputs, Severity::error,
                "x is not normalized (article item 1): " + std::to_string(loud.size()) + " of " + std::to_string(d) +
                    " features have an RMS sqrt(mean^2 + std^2) above " + format_number(t.max_feature_rms) + ", the largest " +
                    format_number(worst_rms) + " at " + feature_label(worst, names) + " (mean " + format_number(cs.mean[worst]) +
                    ", std " + format_number(cs.stddev[worst]) +
                    "); weights, activations and learning rates all assume inputs around 0 with a std near 1",
                "standardize on the training split: sn::Standardizer s; s.fit(x_train); then s.transform() every split (a group "
                "of all pixels for images, or x / 255)",
                "features " + list_features(loud, names)));
        // The range, not the std: pixels that are almost always 0 have a tiny std but the
        // same unit as the others (a group-standardized image must not warn); a feature in
        // millimetres next to one in metres differs in range too.
        if (scaled.size() >= 2) {
            auto [lo, hi] = std::minmax_element(scaled.begin(), scaled.end(),
                                                [&](std::size_t a, std::size_t b) { return cs.range[a] < cs.range[b]; });
            const double ratio = cs.range[*hi] / cs.range[*lo];
            if (ratio > t.max_scale_spread)
                out.push_back(SANENET_TAGGED(
                    FeatureScaleSpread, Severity::warning,
                    "the features' scales differ by a factor " + format_number(ratio) + " (range " +
                        format_number(cs.range[*lo]) + " at " + feature_label(*lo, names) + ", " + format_number(cs.range[*hi]) +
                        " at " + feature_label(*hi, names) + "): the small ones barely move the first layer (article item 1)",
                    "standardize each feature (or each group of features with a shared unit) with sn::Standardizer",
                    "range ratio " + format_number(ratio)));
        }
        if (!constant.empty() && d < t.constant_feature_max_inputs)
            out.push_back(SANENET_TAGGED(ConstantFeature, Severity::warning,
                                         std::to_string(constant.size()) +
                                             " feature(s) never change in x: " + list_features(constant, names) +
                                             "; they carry no information and a scaler cannot give them unit variance",
                                         "drop them, or check that the data were loaded and joined as intended",
                                         "constant features " + list_features(constant, names)));
        if (y.values && s.task.k == task_kind::regression) {
            const column_stats ts = column_statistics(*y.values).value();  // finite: checked above
            std::vector<std::size_t> bad;
            for (std::size_t c = 0; c < ts.mean.size(); ++c)
                if (std::fabs(ts.mean[c]) > t.max_target_abs_mean || ts.stddev[c] < t.min_target_std ||
                    ts.stddev[c] > t.max_target_std)
                    bad.push_back(c);
            if (!bad.empty())
                out.push_back(SANENET_TAGGED(
                    UnnormalizedTargets, Severity::error,
                    "the regression targets are not normalized (article item 1): output " + std::to_string(bad[0]) +
                        " has mean " + format_number(ts.mean[bad[0]]) + " and std " + format_number(ts.stddev[bad[0]]) +
                        " (expected |mean| <= " + format_number(t.max_target_abs_mean) + ", std in [" +
                        format_number(t.min_target_std) + ", " + format_number(t.max_target_std) +
                        "]); an untrained network outputs values near 0 with a std near 1, so the loss and its gradients start "
                        "far off",
                    "standardize the targets on the training split with sn::Standardizer and inverse_transform() the predictions",
                    "outputs " + list_indices(bad)));
        }
    }
    if (!o.validation_x) {
        out.push_back(SANENET_TAGGED(
            NoValidation, Severity::warning,
            "no validation data: nothing will tell overfitting or a broken pipeline from progress (article item 2)",
            "hold out 10-20% of the training samples and pass them as FitOptions::validation = sn::Validation{x_val, y_val}",
            "FitOptions::validation is empty"));
    } else if (!non_finite) {
        const std::size_t vn = (*o.validation_x).shape()[0];
        const std::size_t leaked = rows_found_in((*o.validation_x), x);
        if (vn && static_cast<double>(leaked) > t.max_validation_leak * static_cast<double>(vn))
            out.push_back(SANENET_TAGGED(
                ValidationLeak, Severity::warning,
                std::to_string(leaked) + " of the " + std::to_string(vn) +
                    " validation rows also appear in the training data: the "
                    "validation score will look better than it is (article item 2)",
                "split the samples once, before any shuffling or augmentation, and keep the validation rows out of training",
                std::to_string(leaked) + " shared rows"));
    }
    if (o.batch_size > t.max_batch && o.batch_size <= n)
        out.push_back(SANENET_TAGGED(LargeBatch, Severity::warning,
                                     "batch_size " + std::to_string(o.batch_size) +
                                         " is large: big batches average away the gradient noise that helps "
                                         "generalization and take fewer steps per epoch (article item 5)",
                                     "start with 32, 16 or 8 and raise it only for speed once training works",
                                     "batch_size " + std::to_string(o.batch_size)));
    if (o.batch_size > n)
        out.push_back(make_diagnostic("L5.2", "batch-larger-than-data", "", Severity::error,
                                      "batch_size " + std::to_string(o.batch_size) + " exceeds the " + std::to_string(n) +
                                          " training samples, so every step would see the whole set",
                                      "use a batch of 16, 8 or 1 (article item 5)",
                                      "batch_size " + std::to_string(o.batch_size)));
    return out;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
