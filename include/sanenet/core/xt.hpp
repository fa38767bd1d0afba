// The only door to xtensor: the containers sanenet's API takes and returns.
#pragma once

#include <xtensor/xtensor.hpp>
#include <xtensor/xarray.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace sanenet {

using matrix = xt::xtensor<float, 2>;         // samples x features
using labels = xt::xtensor<std::int32_t, 1>;  // one class index per sample

namespace detail {
inline std::string shape_string(std::size_t rows, std::size_t cols) {
    return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}
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
