// sn::find_learning_rate: the article's recipe for item 6. With clipping off, raise the
// learning rate exponentially, one step at a time, on a copy of the network until the
// smoothed loss explodes; the largest rate before that is the largest stable one, and the
// rate to train with is one order of magnitude lower.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/lints/data.hpp>
#include <sanenet/train/loop.hpp>
#include <sanenet/train/trainer.hpp>
#include <sanenet/train/options.hpp>
#include <sanenet/train/scaled.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#endif

namespace sanenet::inline SANENET_ABI {

struct LrOptions {
    Optimizer optimizer = Adam{};  // its learning_rate is what the test sweeps
    std::size_t batch_size = 32;
    double start = 1e-7;  // first learning rate
    double stop = 10.0;  // last learning rate, if nothing explodes before
    int steps = 200;  // steps from start to stop, a constant factor apart
    double explosion_factor = 4.0;  // smoothed loss above this x its best: exploded
    std::uint64_t seed = 42;
    int threads = 0;
};

struct LrPoint {
    double learning_rate = 0.0;
    double loss = 0.0;  // the step's loss
    double smoothed = 0.0;  // debiased exponential average
};

struct LrFinding {
    double max_stable = 0.0;  // the largest rate tried before the loss exploded
    double suggested = 0.0;  // max_stable / 10: train with this
    double exploded_at = 0.0;  // the rate at which it exploded; 0 if it never did up to LrOptions::stop
    std::vector<LrPoint> curve;

    bool exploded() const { return exploded_at > 0.0; }
    std::string to_string() const;
};

namespace detail {

// The range test proper, on m (a copy: the caller's network is not touched), under a fit's loss.
SANENET_INLINE LrFinding find_learning_rate(model m, const matrix& x, const targets& y, const LrOptions& o,
                                            const loss_config& loss = {});

// The range test's options for a fit's: its optimizer, batch size, seed and threads, and its
// L6.1 factor as the explosion factor; the sweep's start, stop and steps are LrOptions' own.
SANENET_INLINE LrOptions lr_options_of(const FitOptions& o);

// The range test at a fit's settings and loss (FitOptions::loss, ::output_weights, ::class_weights).
SANENET_INLINE LrFinding find_learning_rate(const model& m, const matrix& x, const targets& y, const FitOptions& o);

}  // namespace detail

// The learning-rate range test on a copy of net (net itself is not touched).
// y: labels for Classification, a samples x outputs matrix otherwise; raw with scalers attached.
template <class Net, class Y>
LrFinding find_learning_rate(const Net& net, const matrix& x, const Y& y, const LrOptions& options = {}) {
    const detail::read_use use(net.engine(), "find_learning_rate");
    const detail::scaled_data d(net.engine(), x, detail::targets_for<Net>(y));
    return detail::find_learning_rate(net.engine(), d.x(), d.y(), options);
}

// The same at the settings you will train with: FitOptions' optimizer (its rate is what the test
// sweeps), batch size, seed, threads and loss. A template on Options so that a braced list,
// find_learning_rate(net, x, y, {...}), still means LrOptions. Raw data with scalers attached.
template <class Net, class Y, std::same_as<FitOptions> Options>
LrFinding find_learning_rate(const Net& net, const matrix& x, const Y& y, const Options& options) {
    const detail::scaled_data d(net.engine(), x, detail::targets_for<Net>(y));
    return detail::find_learning_rate(net.engine(), d.x(), d.y(), options);
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE std::string LrFinding::to_string() const {
    using detail::format_number;
    if (exploded())
        return "the loss explodes at learning rate " + format_number(exploded_at, 3) + "; largest stable " +
               format_number(max_stable, 3) + "; suggested " + format_number(suggested, 3);
    return "no explosion up to learning rate " + format_number(max_stable, 3) + "; suggested " + format_number(suggested, 3);
}

namespace detail {

SANENET_INLINE LrFinding find_learning_rate(model m, const matrix& x, const targets& y, const LrOptions& o,
                                            const loss_config& loss) {
    check_shapes({m.task(), m.input_size(), m.output_size()}, x, y, "x");
    if (!(o.start > 0 && o.stop > o.start && o.steps >= 2 && o.batch_size > 0))
        throw argument_error("find_learning_rate needs 0 < start < stop, steps >= 2 and batch_size >= 1");
    const std::size_t n = x.shape()[0], batch = std::min(o.batch_size, n);
    kernels::scoped_flush_denormals ftz;
    trainer tr(m, o.optimizer, batch, kernels::resolve_threads(o.threads), o.seed);
    tr.set_loss(loss);
    sample_order order(n, o.seed, true);
    order.shuffle();

    LrFinding f;
    const double growth = std::pow(o.stop / o.start, 1.0 / (o.steps - 1));
    // Light smoothing: a heavy average would react many steps (and factors of the rate) late.
    constexpr double beta = 0.8;
    double avg = 0.0, best = std::numeric_limits<double>::infinity(), lr = o.start;
    tr.set_learning_rate(static_cast<float>(lr));
    // Each step's loss is that of the rate it ran at, before its update.
    train_steps(tr, x, y, order, batch, static_cast<std::size_t>(o.steps), std::nullopt, [&](std::size_t, double loss, bool) {
        avg = beta * avg + (1 - beta) * loss;
        const double smoothed = avg / (1 - std::pow(beta, static_cast<double>(f.curve.size() + 1)));
        f.curve.push_back({lr, loss, smoothed});
        if (!std::isfinite(loss) || smoothed > o.explosion_factor * best) {
            f.exploded_at = lr;
            return false;
        }
        best = std::min(best, smoothed);
        lr *= growth;
        tr.set_learning_rate(static_cast<float>(lr));
        return true;
    });
    f.max_stable =
        f.exploded() ? (f.curve.size() >= 2 ? f.curve[f.curve.size() - 2].learning_rate : o.start) : f.curve.back().learning_rate;
    f.suggested = f.max_stable / 10.0;
    return f;
}

SANENET_INLINE LrOptions lr_options_of(const FitOptions& o) {
    LrOptions lo;
    lo.optimizer = o.optimizer;
    lo.batch_size = o.batch_size;
    lo.seed = o.seed;
    lo.threads = o.threads;
    lo.explosion_factor = o.thresholds.divergence_factor;
    return lo;
}

SANENET_INLINE LrFinding find_learning_rate(const model& m, const matrix& x, const targets& y, const FitOptions& o) {
    return find_learning_rate(m, x, y, lr_options_of(o), loss_config_of(o, m.task(), m.output_size()));
}

}  // namespace detail
}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
