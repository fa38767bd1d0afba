// sn::fit and sn::evaluate: the training loop over the engine, with the checks that must
// pass before the first step (shapes, label range, NaN/Inf, batch size) and the
// progress display. Divergence (L6.1) restores the last good weights before throwing.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/network.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/report/progress.hpp>
#include <sanenet/train/engine.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/train/metrics.hpp>
#include <sanenet/train/optimizers.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace sanenet {

// Held-out data evaluated after every epoch (its absence is lint L2.1).
struct Validation {
    matrix x;
    std::variant<labels, matrix> y;
    Validation(matrix vx, labels vy) : x(std::move(vx)), y(std::move(vy)) {}
    Validation(matrix vx, matrix vy) : x(std::move(vx)), y(std::move(vy)) {}
};

struct FitOptions {
    int epochs = 10;
    std::size_t batch_size = 32;              // article item 5: start small (16, 8 or 1)
    Optimizer optimizer = Adam{};
    std::optional<Validation> validation = std::nullopt;
    std::optional<float> clip_grad_norm = std::nullopt;  // OFF by default (article item 6)
    Waivers allow = {};
    std::uint64_t seed = 42;                  // shuffling, dropout and noise
    int threads = 0;                          // 0 = all cores
    bool progress = true;                     // the live line on a terminal; silent otherwise
    std::function<void(const EpochRecord&)> on_epoch = {};
    bool shuffle = true;
};

struct Evaluation {
    double loss = 0.0;
    double metric = 0.0;
    std::string metric_name;
};

namespace detail {

struct targets {
    const labels* cls = nullptr;
    const matrix* values = nullptr;
    std::size_t rows() const { return cls ? cls->size() : values->shape()[0]; }
};

inline targets targets_of(const std::variant<labels, matrix>& y) {
    if (const auto* l = std::get_if<labels>(&y)) return {l, nullptr};
    return {nullptr, &std::get<matrix>(y)};
}

inline std::string metric_name(const model& m) { return m.task().k == task_kind::regression ? "r2" : "accuracy"; }

inline std::string position(std::size_t row, std::size_t col) {
    return "row " + std::to_string(row) + ", column " + std::to_string(col);
}

// Everything that must hold before the first step. `what` names the data ("x", "validation x").
inline void check_data(const model& m, const matrix& x, const targets& y, const std::string& what) {
    const std::size_t rows = x.shape()[0], cols = x.shape()[1];
    if (rows == 0) throw shape_error(what + " has no rows");
    check_input_width(what.c_str(), rows, cols, m.input_size());
    const task_spec t = m.task();
    if ((t.k == task_kind::classification) != (y.cls != nullptr))
        throw shape_error(what + ": " + task_name(t) + (y.cls ? " takes float targets (samples x outputs), not labels"
                                                              : " takes int32 labels, not a float matrix"));
    if (y.rows() != rows)
        throw shape_error(what + " has " + std::to_string(rows) + " rows but its targets have " + std::to_string(y.rows()));
    const std::size_t k = static_cast<std::size_t>(m.output_size());
    if (y.values && y.values->shape()[1] != k)
        throw shape_error(what + ": targets have shape " + shape_string(*y.values) + " but the network outputs " +
                          shape_string(rows, k));
    const float* xd = x.data();
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(xd[i]))
            throw lint_error("L3.1", "sanenet L3.1 non-finite-data: " + what + " holds " + std::to_string(xd[i]) + " at " +
                                         position(i / cols, i % cols) +
                                         ". Fix: remove or impute the sample before training (article item 3); NaN spreads "
                                         "to every weight in one step.");
    if (y.cls) {
        for (std::size_t r = 0; r < rows; ++r)
            if ((*y.cls)(r) < 0 || static_cast<std::size_t>((*y.cls)(r)) >= k)
                throw shape_error(what + ": label " + std::to_string((*y.cls)(r)) + " at row " + std::to_string(r) +
                                  " is outside [0, " + std::to_string(k) + ") of " + task_name(t) + " (lint L3.1)");
        return;
    }
    const float* yd = y.values->data();
    for (std::size_t i = 0; i < y.values->size(); ++i) {
        if (!std::isfinite(yd[i]))
            throw lint_error("L3.1", "sanenet L3.1 non-finite-data: the targets of " + what + " hold " + std::to_string(yd[i]) +
                                         " at " + position(i / k, i % k) + ". Fix: remove or impute the sample before training.");
        if (t.k == task_kind::multilabel && !(yd[i] >= 0.f && yd[i] <= 1.f))
            throw shape_error(what + ": target " + std::to_string(yd[i]) + " at " + position(i / k, i % k) + " is outside [0, 1] of " +
                              task_name(t));
    }
}

inline void check_options(const FitOptions& o, std::size_t samples) {
    if (o.epochs < 0) throw std::invalid_argument("sanenet: FitOptions::epochs is " + std::to_string(o.epochs) + ", expected >= 0");
    if (o.batch_size == 0) throw std::invalid_argument("sanenet: FitOptions::batch_size is 0, expected >= 1 (article item 5: 16, 8 or 1)");
    if (o.batch_size > samples)
        throw lint_error("L5.2", "sanenet L5.2 batch-larger-than-data: batch_size " + std::to_string(o.batch_size) + " exceeds the " +
                                     std::to_string(samples) + " training samples, so every step would see the whole set. Fix: use a "
                                     "batch of 16, 8 or 1 (article item 5).");
    const float lr = learning_rate_of(o.optimizer);
    if (!(lr > 0.f) || !std::isfinite(lr))
        throw std::invalid_argument("sanenet: learning_rate is " + std::to_string(lr) + ", expected a finite value > 0");
    if (o.clip_grad_norm && !(*o.clip_grad_norm > 0.f))
        throw std::invalid_argument("sanenet: clip_grad_norm is " + std::to_string(*o.clip_grad_norm) + ", expected > 0 or std::nullopt");
}

// Validation loss and metric in inference mode, in chunks; buffers are sized once.
class evaluator {
public:
    static constexpr std::size_t chunk = 256;

    explicit evaluator(const model& m)
        : ping_(chunk * static_cast<std::size_t>(m.max_width())), pong_(chunk * static_cast<std::size_t>(m.max_width())),
          out_(chunk * static_cast<std::size_t>(m.output_size())), scratch_(chunk * static_cast<std::size_t>(m.output_size())),
          sse_(static_cast<std::size_t>(m.output_size())), sum_(static_cast<std::size_t>(m.output_size())),
          sumsq_(static_cast<std::size_t>(m.output_size())) {}

    Evaluation run(const model& m, const matrix& x, const targets& y, int threads) {
        const std::size_t rows = x.shape()[0], k = static_cast<std::size_t>(m.output_size()), in = static_cast<std::size_t>(m.input_size());
        const bool fused = m.loss_fuses_output();
        double loss = 0.0, hits = 0.0;
        sse_.fill(0.f);
        std::vector<double>& sum = sum_d_;
        std::vector<double>& sumsq = sumsq_d_;
        std::vector<double>& sse = sse_d_;
        sum.assign(k, 0.0);
        sumsq.assign(k, 0.0);
        sse.assign(k, 0.0);
        for (std::size_t r = 0; r < rows; r += chunk) {
            const std::size_t n = std::min(chunk, rows - r);
            m.infer(x.data() + r * in, n, out_.data(), ping_.data(), pong_.data(), threads, !fused);
            const float* o = out_.data();
            if (y.cls) {
                const std::int32_t* lab = y.cls->data() + r;
                loss += kernels::softmax_cross_entropy(o, lab, n, k, scratch_.data(), 1.f);
                for (std::size_t i = 0; i < n; ++i) hits += argmax_row(o + i * k, k) == static_cast<std::size_t>(lab[i]);
                continue;
            }
            const float* t = y.values->data() + r * k;
            if (m.task().k == task_kind::multilabel) {
                loss += kernels::sigmoid_cross_entropy(o, t, n * k, scratch_.data(), 1.f);
                for (std::size_t i = 0; i < n * k; ++i) hits += (o[i] > 0.f) == (t[i] >= 0.5f);
                continue;
            }
            loss += kernels::squared_error(o, t, n * k, nullptr, 1.f);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < k; ++j) {
                    const double e = static_cast<double>(o[i * k + j]) - t[i * k + j];
                    sse[j] += e * e;
                    sum[j] += t[i * k + j];
                    sumsq[j] += static_cast<double>(t[i * k + j]) * t[i * k + j];
                }
        }
        Evaluation e;
        e.metric_name = metric_name(m);
        const double n = static_cast<double>(rows);
        if (y.cls) {
            e.loss = loss / n;
            e.metric = hits / n;
        } else if (m.task().k == task_kind::multilabel) {
            e.loss = loss / (n * static_cast<double>(k));
            e.metric = hits / (n * static_cast<double>(k));
        } else {
            e.loss = loss / (n * static_cast<double>(k));
            double r2 = 0.0;
            for (std::size_t j = 0; j < k; ++j) {
                const double sst = sumsq[j] - sum[j] * sum[j] / n;
                r2 += sst > 0.0 ? 1.0 - sse[j] / sst : (sse[j] == 0.0 ? 1.0 : 0.0);
            }
            e.metric = r2 / static_cast<double>(k);
        }
        return e;
    }

private:
    kernels::aligned_buffer<float> ping_, pong_, out_, scratch_, sse_, sum_, sumsq_;
    std::vector<double> sum_d_, sumsq_d_, sse_d_;
};

inline History fit_model(model& m, const matrix& x, const targets& y, const FitOptions& o) {
    check_data(m, x, y, "x");
    if (o.validation) check_data(m, o.validation->x, targets_of(o.validation->y), "validation x");
    const std::size_t n = x.shape()[0];
    check_options(o, n);

    const int threads = kernels::resolve_threads(o.threads);
    kernels::scoped_flush_denormals ftz;
    trainer tr(m, o.optimizer, o.batch_size, threads, o.seed);
    evaluator eval(m);
    History h;
    h.metric = metric_name(m);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    kernels::rng shuffle_rng(o.seed ^ 0x243F6A8885A308D3ull);
    trainer::snapshot good;
    progress_line progress(o.progress, o.epochs, n, h.metric);
    const std::size_t in = static_cast<std::size_t>(m.input_size()), k = static_cast<std::size_t>(m.output_size());
    using clock = std::chrono::steady_clock;

    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        if (!kernels::all_finite(m.params(), m.parameter_count())) {
            tr.restore(good);
            h.stop = StopReason::diverged;
            h.stop_message = "sanenet L6.1 diverged: the weights became non-finite during epoch " + std::to_string(epoch - 1) +
                             "; the network was restored to its weights at the start of that epoch. Fix: lower the learning rate "
                             "(sn::find_learning_rate, then a tenth of the largest stable rate; article item 6).";
            progress.clear();
            throw divergence_error(h.stop_message, h);
        }
        tr.save(good);
        if (o.shuffle)
            for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[shuffle_rng.below(i)]);
        const auto t0 = clock::now();
        double loss_sum = 0.0;
        for (std::size_t b = 0; b < n; b += o.batch_size) {
            const std::size_t rows = std::min(o.batch_size, n - b);
            for (std::size_t r = 0; r < rows; ++r) {
                const std::size_t src = order[b + r];
                std::memcpy(tr.input() + r * in, x.data() + src * in, in * sizeof(float));
                if (y.cls) tr.target_labels()[r] = (*y.cls)(src);
                else std::memcpy(tr.target_values() + r * k, y.values->data() + src * k, k * sizeof(float));
            }
            const double loss = tr.step(rows, o.clip_grad_norm);
            if (!std::isfinite(loss)) {
                tr.restore(good);
                h.stop = StopReason::diverged;
                h.stop_message = "sanenet L6.1 diverged: the training loss became " + std::to_string(loss) + " at epoch " +
                                 std::to_string(epoch) + ", sample " + std::to_string(b) + " (learning rate " +
                                 std::to_string(learning_rate_of(o.optimizer)) + "); the network was restored to its weights at "
                                 "the start of the epoch. Fix: lower the learning rate (sn::find_learning_rate, then a tenth of "
                                 "the largest stable rate; article item 6).";
                progress.clear();
                throw divergence_error(h.stop_message, h);
            }
            loss_sum += loss * static_cast<double>(rows);
            progress.update(epoch, b + rows, loss_sum / static_cast<double>(b + rows));
        }
        EpochRecord rec;
        rec.epoch = epoch;
        rec.train_loss = loss_sum / static_cast<double>(n);
        rec.seconds = std::chrono::duration<double>(clock::now() - t0).count();
        rec.samples_per_second = rec.seconds > 0 ? static_cast<double>(n) / rec.seconds : 0.0;
        if (o.validation) {
            const Evaluation e = eval.run(m, o.validation->x, targets_of(o.validation->y), threads);
            rec.val_loss = e.loss;
            rec.val_metric = e.metric;
        }
        h.epochs.push_back(rec);
        progress.end_epoch(epoch, rec.train_loss, rec.val_loss, rec.val_metric, rec.samples_per_second, rec.seconds);
        if (o.on_epoch) o.on_epoch(rec);
    }
    return h;
}

template <class Net, class Y>
targets targets_for(const Y& y) {
    constexpr bool cls = Net::task_type::sanenet_task.k == task_kind::classification;
    if constexpr (cls) {
        static_assert(std::is_same_v<Y, labels>, "sanenet: a Classification network takes labels as xt::xtensor<std::int32_t, 1>");
        return {&y, nullptr};
    } else {
        static_assert(std::is_same_v<Y, matrix>,
                      "sanenet: Regression and MultiLabel networks take targets as xt::xtensor<float, 2> (samples x outputs)");
        return {nullptr, &y};
    }
}

}  // namespace detail

// Trains net on (x, y). y: labels for Classification, a samples x outputs matrix otherwise.
template <class Net, class Y>
History fit(Net& net, const matrix& x, const Y& y, const FitOptions& options = {}) {
    return detail::fit_model(net.engine(), x, detail::targets_for<Net>(y), options);
}

// Loss and metric (accuracy, or R^2 for Regression) on (x, y) in inference mode.
template <class Net, class Y>
Evaluation evaluate(const Net& net, const matrix& x, const Y& y, int threads = 0) {
    const detail::targets t = detail::targets_for<Net>(y);
    detail::check_data(net.engine(), x, t, "x");
    detail::evaluator e(net.engine());
    return e.run(net.engine(), x, t, kernels::resolve_threads(threads));
}

}  // namespace sanenet
