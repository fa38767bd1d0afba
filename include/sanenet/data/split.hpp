// sn::data::split: a shuffled train/validation split of samples and targets (article item 2),
// stratified by class on request.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/data/dataset.hpp>
#include <sanenet/kernels/random.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#endif

namespace sanenet::inline SANENET_ABI::data {

struct SplitOptions {
    double validation = 0.2;  // the share of the rows held out, in (0, 1)
    std::uint64_t seed = 42;  // the shuffle
    bool stratify = false;  // labels only: each class split in the same proportion
};

// The two parts of a split; `auto [train, val] = sn::data::split(...)`.
template <class D>
struct Split {
    D train;
    D validation;
};

// Shuffles the rows with options.seed and holds out round(validation * rows) of them. With
// stratify, each class of c rows gives round(validation * c) of them to the validation part, at
// least 1 and at most c - 1 (a class of one row stays in training), so every class with two rows
// or more is in both parts. Each part keeps the shuffled order. A fraction outside (0, 1), x and y
// of different row counts, or a part left empty is an sn::error.
SANENET_INLINE Split<Dataset> split(const sanenet::matrix& x, const sanenet::labels& y, const SplitOptions& options = {});

// The same for a matrix of targets (Regression, MultiLabel, Binary); stratify must be false.
SANENET_INLINE Split<MatrixDataset> split(const sanenet::matrix& x, const sanenet::matrix& y, const SplitOptions& options = {});

namespace detail {

// The row indices of each part, in the shuffled order.
struct split_rows {
    std::vector<std::size_t> train, validation;
};

// classes: one label per row to stratify by, or nullptr.
SANENET_INLINE split_rows split_indices(std::size_t rows, std::size_t target_rows, const sanenet::labels* classes,
                                        const SplitOptions& options);

}  // namespace detail
}  // namespace sanenet::data

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::data {
namespace detail {

SANENET_INLINE split_rows split_indices(std::size_t rows, std::size_t target_rows, const sanenet::labels* classes,
                                        const SplitOptions& options) {
    const double v = options.validation;
    if (!(v > 0.0 && v < 1.0))
        throw argument_error("split: SplitOptions::validation = " + sanenet::detail::format_number(v) +
                             " is outside (0, 1): expected the share of the rows to hold out, such as 0.2");
    if (rows != target_rows)
        throw shape_error("split: x has " + std::to_string(rows) + " rows but y has " + std::to_string(target_rows) +
                          ": expected one target per row of x");
    if (rows == 0) throw shape_error("split: x has no rows: expected at least two rows to split");

    std::vector<std::size_t> order(rows);
    for (std::size_t i = 0; i < rows; ++i) order[i] = i;
    kernels::rng r(options.seed);
    kernels::shuffle(order, r);

    split_rows out;
    if (!classes) {
        const auto held = static_cast<std::size_t>(std::round(v * static_cast<double>(rows)));
        if (held == 0 || held == rows)
            throw argument_error("split: validation = " + sanenet::detail::format_number(v) + " of " + std::to_string(rows) +
                                 " rows rounds to " + std::to_string(held) + " validation and " + std::to_string(rows - held) +
                                 " training rows, leaving the " + (held == 0 ? "validation" : "training") +
                                 " part empty: expected both parts to keep at least one row (more rows, or another fraction)");
        out.validation.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(held));
        out.train.assign(order.begin() + static_cast<std::ptrdiff_t>(held), order.end());
        return out;
    }

    std::map<std::int32_t, std::size_t> count;
    for (std::size_t i = 0; i < rows; ++i) ++count[(*classes)(i)];
    std::map<std::int32_t, std::size_t> quota;  // validation rows per class
    for (const auto& [label, c] : count) {
        auto k = static_cast<std::size_t>(std::round(v * static_cast<double>(c)));
        if (c >= 2)
            k = std::min(std::max<std::size_t>(k, 1), c - 1);
        else
            k = 0;
        quota[label] = k;
    }
    for (std::size_t i : order) {
        std::size_t& left = quota[(*classes)(i)];
        if (left > 0) {
            --left;
            out.validation.push_back(i);
        } else {
            out.train.push_back(i);
        }
    }
    if (out.validation.empty())
        throw argument_error("split: stratify = true with " + std::to_string(count.size()) + " classes of one row each (" +
                             std::to_string(rows) +
                             " rows) leaves the validation part empty: a class needs two rows to be in both parts");
    return out;
}

template <class D, class Y>
Split<D> split_parts(const sanenet::matrix& x, const Y& y, const split_rows& rows) {
    const std::size_t cols = x.shape()[1];
    auto part = [&](const std::vector<std::size_t>& index) {
        D d;
        d.x = sanenet::matrix::from_shape({index.size(), cols});
        if constexpr (std::is_same_v<Y, sanenet::labels>) {
            d.y = sanenet::labels::from_shape({index.size()});
            for (std::size_t i = 0; i < index.size(); ++i) d.y(i) = y(index[i]);
        } else {
            d.y = sanenet::matrix::from_shape({index.size(), y.shape()[1]});
            for (std::size_t i = 0; i < index.size(); ++i)
                for (std::size_t j = 0; j < y.shape()[1]; ++j) d.y(i, j) = y(index[i], j);
        }
        for (std::size_t i = 0; i < index.size(); ++i)
            for (std::size_t j = 0; j < cols; ++j) d.x(i, j) = x(index[i], j);
        return d;
    };
    return {part(rows.train), part(rows.validation)};
}

}  // namespace detail

SANENET_INLINE Split<Dataset> split(const sanenet::matrix& x, const sanenet::labels& y, const SplitOptions& options) {
    const detail::split_rows rows = detail::split_indices(x.shape()[0], y.shape()[0], options.stratify ? &y : nullptr, options);
    return detail::split_parts<Dataset>(x, y, rows);
}

SANENET_INLINE Split<MatrixDataset> split(const sanenet::matrix& x, const sanenet::matrix& y, const SplitOptions& options) {
    if (options.stratify)
        throw argument_error("split: SplitOptions::stratify = true needs class labels (sn::labels), but y is a matrix of " +
                             std::to_string(y.shape()[1]) +
                             " targets per row: expected stratify = false for Regression, MultiLabel and Binary targets");
    return detail::split_parts<MatrixDataset>(x, y, detail::split_indices(x.shape()[0], y.shape()[0], nullptr, options));
}

}  // namespace sanenet::data
#endif  // SANENET_DEFINITIONS
