// Samples and their targets, held together: Dataset (class labels) and MatrixDataset (a matrix
// of targets, for Regression, MultiLabel and Binary).
#pragma once

#include <sanenet/core/xt.hpp>

#include <cstddef>

namespace sanenet::inline SANENET_ABI::data {

// x: samples x features, y: one label per sample.
struct Dataset {
    sanenet::matrix x;
    sanenet::labels y;
    std::size_t size() const { return y.size(); }
    // Samples [begin, end), e.g. to hold out a validation split.
    Dataset rows(std::size_t begin, std::size_t end) const;
};

// x: samples x features, y: samples x outputs.
struct MatrixDataset {
    sanenet::matrix x;
    sanenet::matrix y;
    std::size_t size() const { return y.shape()[0]; }
    // Samples [begin, end).
    MatrixDataset rows(std::size_t begin, std::size_t end) const;
};

}  // namespace sanenet::data

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::data {

SANENET_INLINE Dataset Dataset::rows(std::size_t begin, std::size_t end) const {
    return {take_rows(x, begin, end), take_rows(y, begin, end)};
}

SANENET_INLINE MatrixDataset MatrixDataset::rows(std::size_t begin, std::size_t end) const {
    return {take_rows(x, begin, end), take_rows(y, begin, end)};
}

}  // namespace sanenet::data
#endif  // SANENET_DEFINITIONS
