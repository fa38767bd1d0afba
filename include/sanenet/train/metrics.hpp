// Metrics: accuracy, mean squared error, R^2 and the confusion matrix.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/xt.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#endif

namespace sanenet::inline SANENET_ABI {

namespace detail {
SANENET_INLINE void check_rows(const char* where, std::size_t a, std::size_t b);
// The predicted class of row r: argmax, or p >= 0.5 for a single (binary) output.
SANENET_INLINE std::int32_t predicted_class(const matrix& p, std::size_t r);
}  // namespace detail

// Share of rows whose most probable class is the label (Binary: p >= 0.5 is class 1).
SANENET_INLINE double accuracy(const matrix& probabilities, const labels& y);

// Mean over all elements of (pred - y)^2.
SANENET_INLINE double mse(const matrix& pred, const matrix& y);

// Coefficient of determination, averaged over the outputs (1 is perfect, 0 is the mean).
// An output whose targets are constant counts as 1 when predicted exactly, else 0.
SANENET_INLINE double r2(const matrix& pred, const matrix& y);

// counts(true class, predicted class).
struct ConfusionMatrix {
    xt::xtensor<std::int64_t, 2> counts;

    std::size_t classes() const { return counts.shape()[0]; }
    // Recall of class c: the share of its samples predicted as c.
    double recall(std::size_t c) const;
    // A table with true classes as rows and predictions as columns; names are optional.
    std::string to_string(const std::vector<std::string_view>& names = {}) const;
};

SANENET_INLINE ConfusionMatrix confusion_matrix(const matrix& probabilities, const labels& y);

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

namespace detail {
SANENET_INLINE void check_rows(const char* where, std::size_t a, std::size_t b) {
    if (a != b)
        throw shape_error(std::string(where) + ": predictions have " + std::to_string(a) + " rows but the targets have " +
                          std::to_string(b));
}
inline std::size_t argmax_row(const float* p, std::size_t k) { return static_cast<std::size_t>(std::max_element(p, p + k) - p); }
SANENET_INLINE std::int32_t predicted_class(const matrix& p, std::size_t r) {
    const std::size_t k = p.shape()[1];
    const float* row = p.data() + r * k;
    return static_cast<std::int32_t>(k == 1 ? (row[0] >= 0.5f ? 1 : 0) : argmax_row(row, k));
}
inline void check_same_shape(const char* where, const matrix& a, const matrix& b) {
    if (a.shape() != b.shape())
        throw shape_error(std::string(where) + ": predictions have shape " + shape_string(a) + " but the targets have shape " +
                          shape_string(b));
}
}  // namespace detail

SANENET_INLINE double accuracy(const matrix& probabilities, const labels& y) {
    detail::check_rows("accuracy", probabilities.shape()[0], y.size());
    if (y.size() == 0) return 0.0;
    std::size_t hits = 0;
    for (std::size_t r = 0; r < y.size(); ++r) hits += detail::predicted_class(probabilities, r) == y(r);
    return static_cast<double>(hits) / static_cast<double>(y.size());
}

SANENET_INLINE double mse(const matrix& pred, const matrix& y) {
    detail::check_same_shape("mse", pred, y);
    double s = 0.0;
    for (std::size_t i = 0; i < pred.size(); ++i) {
        const double d = static_cast<double>(pred.data()[i]) - y.data()[i];
        s += d * d;
    }
    return pred.size() ? s / static_cast<double>(pred.size()) : 0.0;
}

SANENET_INLINE double r2(const matrix& pred, const matrix& y) {
    detail::check_same_shape("r2", pred, y);
    const std::size_t n = y.shape()[0], k = y.shape()[1];
    if (n == 0 || k == 0) return 0.0;
    double total = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
        double mean = 0.0;
        for (std::size_t i = 0; i < n; ++i) mean += y(i, j);
        mean /= static_cast<double>(n);
        double sse = 0.0, sst = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double e = static_cast<double>(pred(i, j)) - y(i, j), d = y(i, j) - mean;
            sse += e * e;
            sst += d * d;
        }
        total += sst > 0.0 ? 1.0 - sse / sst : (sse == 0.0 ? 1.0 : 0.0);
    }
    return total / static_cast<double>(k);
}

SANENET_INLINE double ConfusionMatrix::recall(std::size_t c) const {
    std::int64_t row = 0;
    for (std::size_t j = 0; j < classes(); ++j) row += counts(c, j);
    return row ? static_cast<double>(counts(c, c)) / static_cast<double>(row) : 0.0;
}

SANENET_INLINE std::string ConfusionMatrix::to_string(const std::vector<std::string_view>& names) const {
    const std::size_t k = classes();
    auto name = [&](std::size_t c) { return c < names.size() ? std::string(names[c]) : std::to_string(c); };
    std::size_t label_w = 4;
    for (std::size_t c = 0; c < k; ++c) label_w = std::max(label_w, name(c).size());
    std::size_t cell_w = 5;
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) cell_w = std::max(cell_w, std::to_string(counts(i, j)).size() + 1);
    std::string s = std::string(label_w, ' ') + " predicted ->\n" + std::string(label_w, ' ');
    for (std::size_t j = 0; j < k; ++j) {
        std::string h = std::to_string(j);
        s += std::string(cell_w - h.size(), ' ') + h;
    }
    s += "  recall\n";
    for (std::size_t i = 0; i < k; ++i) {
        std::string n = name(i);
        s += n + std::string(label_w - n.size(), ' ');
        for (std::size_t j = 0; j < k; ++j) {
            std::string v = std::to_string(counts(i, j));
            s += std::string(cell_w - v.size(), ' ') + v;
        }
        s += "  " + detail::format_fixed(recall(i), 3) + "  (" + std::to_string(i) + ")\n";
    }
    return s;
}

SANENET_INLINE ConfusionMatrix confusion_matrix(const matrix& probabilities, const labels& y) {
    detail::check_rows("confusion_matrix", probabilities.shape()[0], y.size());
    const std::size_t k = std::max<std::size_t>(probabilities.shape()[1], 2);
    ConfusionMatrix cm{xt::xtensor<std::int64_t, 2>::from_shape({k, k})};
    cm.counts.fill(0);
    for (std::size_t r = 0; r < y.size(); ++r) {
        if (y(r) < 0 || static_cast<std::size_t>(y(r)) >= k)
            throw shape_error("confusion_matrix: label " + std::to_string(y(r)) + " at row " + std::to_string(r) +
                              " is outside [0, " + std::to_string(k) + ")");
        ++cm.counts(static_cast<std::size_t>(y(r)), static_cast<std::size_t>(detail::predicted_class(probabilities, r)));
    }
    return cm;
}

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
