// Standardizer: zero mean, unit standard deviation per feature or per group of features
// (article item 1), fitted on the training split only.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/xt.hpp>

#include <cstddef>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>
#endif

namespace sanenet::inline SANENET_ABI {

class Standardizer {
public:
    // Every feature gets its own mean and standard deviation.
    Standardizer& fit(const sanenet::matrix& x) { return fit(x, {}); }

    // Each group (e.g. the x, y, z of a position) shares one mean and one standard deviation
    // computed over all its values, so the group keeps its internal proportions; features in
    // no group are standardized on their own.
    Standardizer& fit(const sanenet::matrix& x, const std::vector<std::vector<std::size_t>>& groups);

    sanenet::matrix transform(const sanenet::matrix& x) const;

    sanenet::matrix inverse_transform(const sanenet::matrix& y) const;

    sanenet::matrix fit_transform(const sanenet::matrix& x) { return fit(x).transform(x); }
    sanenet::matrix fit_transform(const sanenet::matrix& x, const std::vector<std::vector<std::size_t>>& groups) {
        return fit(x, groups).transform(x);
    }

    bool fitted() const { return fitted_; }
    std::size_t features() const { return mean_.size(); }
    const std::vector<float>& mean() const { return mean_; }
    // The standard deviation each feature is divided by; 1 for constant features.
    const std::vector<float>& scale() const { return scale_; }
    // Features whose standard deviation was 0: centered, never divided by zero.
    const std::vector<std::size_t>& constant_features() const { return constant_; }
    // The constant features as one line for a log, each named when names (one per feature) are
    // given: "2 constant features, centered and not scaled: feature 3 'ash', feature 7 'hue'".
    std::string constant_report(const std::vector<std::string>& names = {}) const;

private:
    void check(const sanenet::matrix& x, const char* method) const;

    std::vector<float> mean_;
    std::vector<float> scale_;
    std::vector<std::size_t> constant_;
    std::size_t fitted_rows_ = 0;
    bool fitted_ = false;
};

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE Standardizer& Standardizer::fit(const sanenet::matrix& x, const std::vector<std::vector<std::size_t>>& groups) {
    const std::size_t rows = x.shape()[0];
    const std::size_t cols = x.shape()[1];
    if (rows == 0)
        throw argument_error("Standardizer::fit got 0 rows of " + std::to_string(cols) +
                             " features: expected at least one training sample");
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c)
            if (!std::isfinite(x(r, c)))
                throw argument_error("Standardizer::fit: feature " + std::to_string(c) + ", row " + std::to_string(r) + " is " +
                                     std::to_string(x(r, c)) + ": expected finite values (remove or impute NaN/Inf first)");

    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> group_of(cols, none);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].empty())
            throw argument_error("Standardizer::fit: group " + std::to_string(g) +
                                 " is empty: expected at least one feature index");
        for (std::size_t f : groups[g]) {
            if (f >= cols)
                throw argument_error("Standardizer::fit: group " + std::to_string(g) + " names feature " + std::to_string(f) +
                                     " but x has " + std::to_string(cols) + " features: expected indices 0.." +
                                     std::to_string(cols == 0 ? 0 : cols - 1));
            if (group_of[f] != none)
                throw argument_error(
                    "Standardizer::fit: feature " + std::to_string(f) +
                    (group_of[f] == g ? " is listed twice in group " + std::to_string(g)
                                      : " is in group " + std::to_string(group_of[f]) + " and in group " + std::to_string(g)) +
                    ": expected each feature in at most one group");
            group_of[f] = g;
        }
    }

    // Units of statistics: each group, then each feature outside every group.
    std::vector<std::vector<std::size_t>> units(groups);
    for (std::size_t c = 0; c < cols; ++c)
        if (group_of[c] == none) units.push_back({c});

    std::vector<float> mean(cols, 0.0f), scale(cols, 1.0f);
    std::vector<std::size_t> constant;
    for (const auto& unit : units) {
        const double count = static_cast<double>(rows) * static_cast<double>(unit.size());
        double sum = 0;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t f : unit) sum += x(r, f);
        const double m = sum / count;
        double squares = 0;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t f : unit) {
                const double d = x(r, f) - m;
                squares += d * d;
            }
        const double sd = std::sqrt(squares / count);
        // A std too small to divide by in float counts as 0: the feature is only centered.
        const bool is_constant = !(static_cast<float>(sd) >= std::numeric_limits<float>::min());
        for (std::size_t f : unit) {
            mean[f] = static_cast<float>(m);
            scale[f] = is_constant ? 1.0f : static_cast<float>(sd);
            if (is_constant) constant.push_back(f);
        }
    }
    std::sort(constant.begin(), constant.end());

    mean_ = std::move(mean);
    scale_ = std::move(scale);
    constant_ = std::move(constant);
    fitted_rows_ = rows;
    fitted_ = true;
    return *this;
}

SANENET_INLINE sanenet::matrix Standardizer::transform(const sanenet::matrix& x) const {
    check(x, "transform");
    sanenet::matrix out = sanenet::matrix::from_shape(x.shape());
    for (std::size_t r = 0; r < x.shape()[0]; ++r)
        for (std::size_t c = 0; c < x.shape()[1]; ++c) out(r, c) = (x(r, c) - mean_[c]) / scale_[c];
    return out;
}

SANENET_INLINE sanenet::matrix Standardizer::inverse_transform(const sanenet::matrix& y) const {
    check(y, "inverse_transform");
    sanenet::matrix out = sanenet::matrix::from_shape(y.shape());
    for (std::size_t r = 0; r < y.shape()[0]; ++r)
        for (std::size_t c = 0; c < y.shape()[1]; ++c) out(r, c) = y(r, c) * scale_[c] + mean_[c];
    return out;
}

SANENET_INLINE std::string Standardizer::constant_report(const std::vector<std::string>& names) const {
    if (!fitted_)
        throw argument_error("Standardizer::constant_report called before fit: call fit(x_train) on the training split first");
    if (!names.empty() && names.size() != features())
        throw argument_error("Standardizer::constant_report: " + std::to_string(names.size()) + " names for " +
                             std::to_string(features()) + " features: expected one name per feature, in order");
    if (constant_.empty()) return "no constant features";
    std::string s = std::to_string(constant_.size()) + (constant_.size() == 1 ? " constant feature" : " constant features") +
                    ", centered and not scaled: ";
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < constant_.size() && i < shown; ++i) {
        if (i) s += ", ";
        s += "feature " + std::to_string(constant_[i]);
        if (!names.empty()) s += " '" + names[constant_[i]] + "'";
    }
    if (constant_.size() > shown) s += " and " + std::to_string(constant_.size() - shown) + " more";
    return s;
}

SANENET_INLINE void Standardizer::check(const sanenet::matrix& x, const char* method) const {
    if (!fitted_)
        throw argument_error(std::string("Standardizer::") + method +
                             " called before fit: call fit(x_train) on the training split first");
    if (x.shape()[1] != features())
        throw shape_error(std::string("Standardizer::") + method + ": got x of shape " + detail::shape_string(x) +
                          " but the Standardizer was fitted on shape " + detail::shape_string(fitted_rows_, features()) +
                          ": expected shape " + detail::shape_string(x.shape()[0], features()));
}

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
