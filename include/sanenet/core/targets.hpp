// A task's targets, whichever kind: class labels or a samples x outputs matrix.
#pragma once

#include <sanenet/core/xt.hpp>

#include <cstddef>

namespace sanenet::inline SANENET_ABI::detail {

struct targets {
    const labels* cls = nullptr;
    const matrix* values = nullptr;
    std::size_t rows() const { return cls ? cls->size() : values->shape()[0]; }
};

}  // namespace sanenet::detail
