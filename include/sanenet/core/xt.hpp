// The only door to xtensor: the containers sanenet's API takes and returns.
#pragma once

#include <sanenet/core/config.hpp>

#include <xtensor/xtensor.hpp>
#include <xtensor/xarray.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#if SANENET_DEFINITIONS
#include <algorithm>
#endif

#if defined(__clang__) && __clang_major__ >= 19
// xtensor 0.24 + clang 19: rebind_container<X, svector<...>> matches two unordered partial
// specializations (xtensor issue #2804); an explicit specialization for xarray's shape wins.
namespace xt {
template <>
struct rebind_container<std::ptrdiff_t, svector<std::size_t, 4, std::allocator<std::size_t>, true>> {
    using type = svector<std::ptrdiff_t, 4, std::allocator<std::ptrdiff_t>, true>;
};
}  // namespace xt
#endif

namespace sanenet::inline SANENET_ABI {

using matrix = xt::xtensor<float, 2>;  // samples x features
using labels = xt::xtensor<std::int32_t, 1>;  // one class index per sample

// Rows [begin, end) of a matrix or label vector, as a new container.
SANENET_INLINE matrix take_rows(const matrix& x, std::size_t begin, std::size_t end);
SANENET_INLINE labels take_rows(const labels& y, std::size_t begin, std::size_t end);

namespace detail {
SANENET_INLINE std::string shape_string(std::size_t rows, std::size_t cols);
template <class E>
std::string shape_string(const E& e) {
    std::string s = "(";
    for (std::size_t i = 0; i < e.dimension(); ++i) {
        if (i) s += ", ";
        s += std::to_string(e.shape()[i]);
    }
    return s + ")";
}
}  // namespace detail
}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE matrix take_rows(const matrix& x, std::size_t begin, std::size_t end) {
    const std::size_t cols = x.shape()[1];
    matrix out = matrix::from_shape({end - begin, cols});
    std::copy(x.data() + begin * cols, x.data() + end * cols, out.data());
    return out;
}
SANENET_INLINE labels take_rows(const labels& y, std::size_t begin, std::size_t end) {
    labels out = labels::from_shape({end - begin});
    std::copy(y.data() + begin, y.data() + end, out.data());
    return out;
}

namespace detail {
// Built by appending: g++ 12 warns (-Wrestrict, a false positive) on "(" + std::string&&.
SANENET_INLINE std::string shape_string(std::size_t rows, std::size_t cols) {
    std::string s = "(";
    s += std::to_string(rows);
    s += ", ";
    s += std::to_string(cols);
    s += ")";
    return s;
}
}  // namespace detail

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
