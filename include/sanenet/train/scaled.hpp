// The data that fit, evaluate, find_learning_rate and doctor take from a network with scalers
// attached (Network::attach_input_scaler, attach_target_scaler): raw, in the user's units. It
// is standardized here once, into copies, so that training, the data lints and the monitors
// see what the network computes on; without scalers the data is used as it is.
#pragma once

#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/train/options.hpp>

#include <optional>

namespace sanenet::inline SANENET_ABI::detail {

class scaled_data {
public:
    // x, y and the validation data of o (when given) through m's scalers. Data whose width is
    // not the scaler's is left as it is, for the caller's shape check to report.
    scaled_data(const model& m, const matrix& x, const targets& y, const FitOptions* o = nullptr);
    scaled_data(const scaled_data&) = delete;
    scaled_data& operator=(const scaled_data&) = delete;

    const matrix& x() const { return x_ ? *x_ : *raw_x_; }
    targets y() const { return y_ ? targets{nullptr, &*y_} : raw_y_; }
    // The options with the validation data standardized (the given ones, when nothing changed).
    const FitOptions& options() const { return options_ ? *options_ : *raw_options_; }

private:
    const matrix* raw_x_;
    targets raw_y_;
    const FitOptions* raw_options_;
    std::optional<matrix> x_, y_;
    std::optional<FitOptions> options_;
};

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

// x through s, or nothing when s is empty or x has another width.
SANENET_INLINE std::optional<matrix> standardized(const scaler& s, const matrix& x) {
    if (s.empty() || x.shape()[1] != s.size()) return std::nullopt;
    matrix out = matrix::from_shape(x.shape());
    standardize_rows(s, x.data(), x.shape()[0], out.data());
    return out;
}

SANENET_INLINE scaled_data::scaled_data(const model& m, const matrix& x, const targets& y, const FitOptions* o)
    : raw_x_(&x),
      raw_y_(y),
      raw_options_(o) {
    if (!m.has_scalers()) return;
    x_ = standardized(m.input_scaler(), x);
    if (y.values) y_ = standardized(m.target_scaler(), *y.values);
    if (!o || !o->validation) return;
    std::optional<matrix> vx = standardized(m.input_scaler(), o->validation->x), vy;
    if (const matrix* v = std::get_if<matrix>(&o->validation->y)) vy = standardized(m.target_scaler(), *v);
    if (!vx && !vy) return;
    options_ = *o;
    if (vx) options_->validation->x = std::move(*vx);
    if (vy) options_->validation->y = std::move(*vy);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
