// The training loop: the batches a sample_order hands out, one trainer step each. sn::fit
// (an epoch is one pass), find_learning_rate and the doctor's probes (steps that wrap around
// the data) all run it; what they do with each step's loss is theirs.
#pragma once

#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/random.hpp>
#include <sanenet/train/trainer.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <numeric>
#include <utility>
#endif

namespace sanenet::inline SANENET_ABI::detail {

// The order in which the samples 0..n-1 are visited, read from a cursor. shuffle() is a
// Fisher-Yates shuffle by the order's own random stream.
class sample_order {
public:
    // wrap: the batches go on past the last sample from the first one again (every batch is
    // full); otherwise a pass ends at the last sample, with a partial last batch.
    sample_order(std::size_t n, std::uint64_t seed, bool wrap);
    void shuffle();
    // Back to the first sample: a new pass.
    void rewind() { cursor_ = 0; }
    // Samples handed out in this pass (without wrap), or in all (with wrap, modulo n).
    std::size_t position() const { return cursor_; }

    // Loads the next batch of up to `batch` samples into the trainer's rows 0.. and returns
    // its size: 0 at the end of a pass.
    std::size_t next(trainer& tr, const matrix& x, const targets& y, std::size_t batch);

    // The order and its random stream between two passes (checkpoints).
    struct state {
        std::vector<std::size_t> order;
        kernels::rng::state rng;
    };
    state save() const { return {order_, rng_.save()}; }
    // Takes `s` only if it orders as many samples; returns whether it did.
    bool restore(const state& s);

private:
    std::vector<std::size_t> order_;
    kernels::rng rng_;
    bool wrap_;
    std::size_t cursor_ = 0;
};

// Up to max_steps training steps of `batch` rows from `order` (forward, backward, clipping
// when asked, update), until the pass ends or on_step(rows, loss, clipped), called after each
// step's update, returns false. Returns the number of steps taken.
template <class OnStep>
std::size_t train_steps(trainer& tr, const matrix& x, const targets& y, sample_order& order, std::size_t batch,
                        std::size_t max_steps, const std::optional<float>& clip, OnStep&& on_step) {
    std::size_t steps = 0;
    while (steps < max_steps) {
        const std::size_t rows = order.next(tr, x, y, batch);
        if (rows == 0) break;
        const auto [loss, clipped] = tr.train_step(rows, clip);
        ++steps;
        if (!on_step(rows, loss, clipped)) break;
    }
    return steps;
}

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE sample_order::sample_order(std::size_t n, std::uint64_t seed, bool wrap) : order_(n), rng_(seed), wrap_(wrap) {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
}

SANENET_INLINE void sample_order::shuffle() { kernels::shuffle(order_, rng_); }

SANENET_INLINE bool sample_order::restore(const state& s) {
    if (s.order.size() != order_.size()) return false;
    order_ = s.order;
    rng_.restore(s.rng);
    cursor_ = 0;
    return true;
}

SANENET_INLINE std::size_t sample_order::next(trainer& tr, const matrix& x, const targets& y, std::size_t batch) {
    const std::size_t n = order_.size();
    const std::size_t rows = wrap_ ? (n ? batch : 0) : std::min(batch, n - cursor_);
    // The first two cache lines of every row asked for before any is copied: a shuffled
    // batch's rows are scattered, and their misses then overlap instead of queueing (the
    // hardware prefetcher follows each row from there). A shuffled epoch at batch 32 cost
    // 4.5% more than one in order without this, 2% with it.
    const std::size_t cols = x.shape()[1];
    for (std::size_t r = 0, c = cursor_; r < rows; ++r, c = c + 1 == n ? 0 : c + 1) {
        const float* row = x.data() + order_[c] * cols;
        __builtin_prefetch(row);
        __builtin_prefetch(row + 16);
    }
    for (std::size_t r = 0; r < rows; ++r) {
        tr.load_sample(r, x, y, order_[cursor_]);
        cursor_ = wrap_ ? (cursor_ + 1) % n : cursor_ + 1;
    }
    return rows;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
