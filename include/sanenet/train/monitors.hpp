// What only training reveals (article items 2, 4, 6, 8): the monitors sn::fit runs around
// its steps. Each is cheap enough to stay on by default; FitOptions::monitor = false turns
// them off. A finding is reported once per fit.
#pragma once

#include <sanenet/lints/data.hpp>
#include <sanenet/lints/structure.hpp>
#include <sanenet/train/progress.hpp>
#include <sanenet/train/trainer.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/train/options.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <string>
#endif

namespace sanenet::inline SANENET_ABI::detail {

// L6.1 (smoothed form): a debiased exponential average of the step losses; divergence is
// that average rising above factor x its running minimum after a warm-up.
class divergence_watch {
public:
    explicit divergence_watch(const Thresholds& t)
        : factor_(t.divergence_factor),
          floor_(t.divergence_floor),
          warmup_(t.divergence_warmup_steps) {}

    // Returns true when the loss has diverged.
    bool add(double loss);
    double smoothed() const { return smoothed_; }
    double minimum() const { return minimum_; }

    // The average between two epochs (checkpoints).
    struct state {
        int steps = 0;
        double avg = 0.0, smoothed = 0.0, first = 0.0, minimum = 0.0;
    };
    state save() const { return {steps_, avg_, smoothed_, first_, minimum_}; }
    void restore(const state& s) {
        steps_ = s.steps;
        avg_ = s.avg;
        smoothed_ = s.smoothed;
        first_ = s.first;
        minimum_ = s.minimum;
    }

private:
    static constexpr double beta = 0.98;
    double factor_, floor_;
    int warmup_;
    int steps_ = 0;
    double avg_ = 0.0, smoothed_ = 0.0, first_ = 0.0, minimum_ = std::numeric_limits<double>::infinity();
};

// What training_monitor carries from one epoch to the next (checkpoints): the steps so far (L2.3),
// L4.3's best validation loss, the training loss then and the epochs in a row that overfit,
// and, under early stopping, L4.3's finding held back until the end of the fit.
struct monitor_state {
    std::uint64_t total_steps = 0;
    double best_val = 0.0, train_at_best = 0.0;
    int overfit_run = 0;
    std::optional<Diagnostic> held;
};

// The loss of predicting a constant learned from the training targets (L2.3's baseline),
// measured on the validation targets under the fit's loss: the class frequencies times the class
// weights, the label frequencies, or per output the constant that minimizes the loss (the mean
// for MSE, a median for MAE, the Huber M-estimate), with the output weights.
SANENET_INLINE double baseline_loss(const net_shape& s, const targets& train, const targets& val, const loss_config& loss = {});

// The network in inference mode on a fixed probe set (evenly spaced rows of x, gathered
// once): per hidden stage, what L8.1 and L9.3 need - the share of ReLU units that output 0
// for every probe sample, and the RMS of each hidden Dense layer's output. run() allocates
// nothing.
class activity_probe {
public:
    struct result {
        double dead_share = 0.0;  // the largest share of dead units over the ReLU stages ...
        std::size_t dead_layer = npos;  // ... at the Dense before that ReLU (spec index)
        std::vector<double> hidden_rms;
    };

    activity_probe(const model& m, const matrix& x, std::size_t samples);

    std::size_t samples() const { return probe_.shape()[0]; }

    const result& run(int threads);

private:
    static void visit(void* ctx, std::size_t s, const float* out, std::size_t rows);

    const model& m_;
    matrix probe_;
    kernels::aligned_buffer<float> ping_, pong_, out_, unit_max_;
    result r_;
};

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

// Where warnings go: the History, and one line on stderr unless the fit is quiet.
class diagnostics_sink {
public:
    diagnostics_sink(History& h, bool print, Waivers allow, progress_line* progress)
        : h_(h),
          print_(print),
          allow_(allow),
          progress_(progress) {}

    // Records a finding unless it is waived or, when `once`, one with its ID was recorded;
    // returns whether it was recorded.
    bool report(Diagnostic d, bool once = true) {
        if (waived(d, allow_)) return false;
        for (const auto& seen : h_.diagnostics)
            if (once && seen.id == d.id) return false;
        if (print_) {
            if (progress_) progress_->clear();
            print_diagnostic(d);
        }
        h_.diagnostics.push_back(std::move(d));
        return true;
    }
    bool waives(std::string_view id) const { return (allow_.bits & waiver_bit(id)) != 0; }

private:
    History& h_;
    bool print_;
    Waivers allow_;
    progress_line* progress_;
};

SANENET_INLINE bool divergence_watch::add(double loss) {
    ++steps_;
    avg_ = beta * avg_ + (1 - beta) * loss;
    smoothed_ = avg_ / (1 - std::pow(beta, static_cast<double>(steps_)));
    if (steps_ < warmup_) return false;
    if (steps_ == warmup_) first_ = smoothed_;
    minimum_ = std::min(minimum_, smoothed_);
    // A floor on the minimum: a loss that has reached ~0 may wobble by large factors.
    return smoothed_ > factor_ * std::max(minimum_, floor_ * first_);
}

SANENET_INLINE double baseline_loss(const net_shape& s, const targets& train, const targets& val, const loss_config& loss) {
    const std::size_t k = static_cast<std::size_t>(s.outputs);
    const auto weight = [&](std::size_t j) { return loss.weights.empty() ? 1.0 : static_cast<double>(loss.weights[j]); };
    if (train.cls) {
        // Laplace smoothing: no class gets probability 0. Under CrossEntropyLoss(weight) the best
        // constant is proportional to each class's weight times its frequency.
        std::vector<double> p(k, 1.0);
        for (std::size_t i = 0; i < train.cls->size(); ++i) p[static_cast<std::size_t>((*train.cls)(i))] += 1.0;
        double total = 0.0;
        for (std::size_t c = 0; c < k; ++c) total += p[c] *= weight(c);
        double sum = 0.0, weights = 0.0;
        for (std::size_t i = 0; i < val.cls->size(); ++i) {
            const std::size_t c = static_cast<std::size_t>((*val.cls)(i));
            if (weight(c) == 0.0) continue;  // weighs nothing, and its p is 0
            sum -= weight(c) * std::log(p[c] / total);
            weights += weight(c);
        }
        return weights > 0.0 ? sum / weights : 0.0;
    }
    const matrix& ty = *train.values;
    const matrix& vy = *val.values;
    const bool multilabel = s.task.k == task_kind::multilabel;
    std::vector<double> best(k, 0.0), column(ty.shape()[0]);
    for (std::size_t j = 0; j < k; ++j) {
        for (std::size_t i = 0; i < ty.shape()[0]; ++i) column[i] = ty(i, j);
        // MultiLabel's best constant probability is the label frequency, the mean.
        best[j] = best_constant(multilabel ? loss_config{} : loss, column);
    }
    double sum = 0.0;
    for (std::size_t i = 0; i < vy.shape()[0]; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            if (multilabel) {
                const double q = std::clamp(best[j], 1e-6, 1 - 1e-6), t = vy(i, j);
                sum -= t * std::log(q) + (1 - t) * std::log(1 - q);
            } else {
                sum += weight(j) * regression_loss_of(loss, vy(i, j) - best[j]);
            }
        }
    return sum / static_cast<double>(vy.size());
}

SANENET_INLINE activity_probe::activity_probe(const model& m, const matrix& x, std::size_t samples) : m_(m) {
    const std::size_t n = x.shape()[0], in = static_cast<std::size_t>(m.input_size()), p = std::min(n, samples);
    probe_ = matrix::from_shape({p, in});
    for (std::size_t i = 0; i < p; ++i) {
        const std::size_t r = i * n / p;
        std::copy(x.data() + r * in, x.data() + (r + 1) * in, probe_.data() + i * in);
    }
    const std::size_t w = p * static_cast<std::size_t>(m.max_width());
    ping_.resize(w);
    pong_.resize(w);
    out_.resize(p * static_cast<std::size_t>(m.output_size()));
    unit_max_.resize(static_cast<std::size_t>(m.max_width()));
    r_.hidden_rms.reserve(m.stages().size());
}

SANENET_INLINE const activity_probe::result& activity_probe::run(int threads) {
    r_ = {0.0, npos, std::move(r_.hidden_rms)};
    r_.hidden_rms.clear();
    m_.infer(probe_.data(), samples(), out_.data(), ping_.data(), pong_.data(), threads, true, &visit, this);
    return r_;
}

SANENET_INLINE void activity_probe::visit(void* ctx, std::size_t s, const float* out, std::size_t rows) {
    auto& self = *static_cast<activity_probe*>(ctx);
    const stage& st = self.m_.stages()[s];
    if (s + 1 == self.m_.stages().size()) return;
    const std::size_t w = static_cast<std::size_t>(st.out);
    if (st.k == kind::dense)
        self.r_.hidden_rms.push_back(std::sqrt(kernels::sum_squares(out, rows * w) / static_cast<double>(rows * w)));
    if (st.a != act::relu) return;
    float* mx = self.unit_max_.data();
    std::fill(mx, mx + w, -std::numeric_limits<float>::infinity());
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < w; ++j) mx[j] = std::max(mx[j], out[r * w + j]);
    std::size_t dead = 0;
    for (std::size_t j = 0; j < w; ++j) dead += mx[j] <= 0.f;
    const double share = static_cast<double>(dead) / static_cast<double>(w);
    if (share > self.r_.dead_share) self.r_.dead_share = share, self.r_.dead_layer = st.spec;
}

// The epoch-level monitors: L4.3, L6.2, L8.1, L8.2, and L2.3 at the end.
class training_monitor {
public:
    training_monitor(const model& m, const matrix& x, const FitOptions& o, diagnostics_sink& sink)
        : o_(o),
          t_(o.thresholds),
          sink_(sink),
          probe_(m, x, o.thresholds.probe_samples) {}

    // After each step: gradient norms for L8.2 (sampled) and clipping for L6.2.
    void after_step(const trainer& tr, bool clipped) {
        ++steps_;
        ++total_steps_;
        clipped_ += clipped;
        if (tr.dense_layers() >= 2 && steps_ % sample_every == 1) {
            first_norm_ += tr.weight_gradient_norm(0);
            last_norm_ += tr.weight_gradient_norm(tr.dense_layers() - 1);
            ++norm_samples_;
        }
    }

    void end_epoch(const EpochRecord& e, const std::optional<double>& previous_train_loss, int threads) {
        check_clipping(e.epoch);
        check_overfitting(e);
        check_vanishing(e, previous_train_loss);
        check_dead_units(e.epoch, threads);
        steps_ = clipped_ = norm_samples_ = 0;
        first_norm_ = last_norm_ = 0.0;
    }

    // L2.3, once training is over: the validation loss (of the best epoch, when its weights
    // were restored) against a constant prediction.
    void end_fit(const History& h, const net_shape& s, const targets& train, bool restored = false) {
        // Too short a fit says nothing about what the network can learn.
        if (!o_.validation || h.epochs.empty() || !h.epochs.back().val_loss || total_steps_ < t_.baseline_min_steps) return;
        const double base = baseline_loss(s, train, targets_of(o_.validation->y), loss_config_of(o_, s.task, s.outputs));
        const double final_loss = *(restored ? h.epochs[static_cast<std::size_t>(h.best_epoch - 1)] : h.epochs.back()).val_loss;
        if (final_loss >= t_.baseline_ratio * base)
            sink_.report(SANENET_TAGGED(
                NoBetterThanBaseline, Severity::warning,
                "after " + std::to_string(h.epochs.size()) + (h.epochs.size() == 1 ? " epoch" : " epochs") +
                    " the validation loss " + format_number(final_loss) +
                    " is no better than predicting a constant learned from the training targets (" + format_number(base) +
                    "): the network has learned nothing that generalizes (article item 2)",
                "look at the data and the predictions: are inputs and targets aligned, normalized, shuffled? Then run sn::doctor",
                "validation loss " + format_number(final_loss) + ", baseline " + format_number(base)));
    }

    // L4.3 under early stopping, once the fit is over. The finding held back during the epochs,
    // or the overfitting of the last epoch that early stopping cut short, becomes a note when
    // the weights of the best epoch were restored (restored), and stays a warning otherwise.
    void end_early_stopping(const History& h, bool restored) {
        const bool stopped = h.stop == StopReason::early_stopped;
        if (!held_ && !(stopped && overfit_run_ > 0)) return;
        if (!stopped && !restored) {
            sink_.report(*held_);
            return;
        }
        const EpochRecord& last = h.epochs.back();
        const EpochRecord& best = h.epochs[static_cast<std::size_t>(h.best_epoch - 1)];
        const std::string e = std::to_string(last.epoch), b = std::to_string(best.epoch);
        std::string what = "the validation loss rose to " + format_number(*last.val_loss) + " (best " +
                           format_number(*best.val_loss) + " at epoch " + b + ") while the training loss fell to " +
                           format_number(last.train_loss) + ": the network was memorizing the training set (article item 4); " +
                           (stopped ? "early stopping ended the run at epoch " : "the run ended at epoch ") + e;
        what += restored ? " and restored the weights of epoch " + b
                         : " and kept the weights of epoch " + e + " (EarlyStopping::restore_best is false)";
        const std::string more = "add sn::Dropout<0.9> before each Dense or lower the keep probability to 0.8, or get more data";
        sink_.report(
            SANENET_TAGGED(Overfitting, restored ? Severity::info : Severity::warning, what,
                           restored ? "nothing is needed for this run; to learn more before overfitting, " + more
                                    : "set EarlyStopping::restore_best = true to end with the best epoch's weights, and " + more,
                           "epoch " + e + ", best epoch " + b + (held_ ? ", the rule held at " + held_->evidence : "")));
    }

    monitor_state save() const { return {total_steps_, best_val_, train_at_best_, overfit_run_, held_}; }
    void restore(const monitor_state& s) {
        total_steps_ = static_cast<std::size_t>(s.total_steps);
        best_val_ = s.best_val;
        train_at_best_ = s.train_at_best;
        overfit_run_ = s.overfit_run;
        held_ = s.held;
    }

private:
    static constexpr std::size_t sample_every = 10;

    void check_clipping(int epoch) {
        if (!o_.clip_grad_norm || steps_ == 0) return;
        const double share = static_cast<double>(clipped_) / static_cast<double>(steps_);
        if (share > t_.clipping_share)
            sink_.report(SANENET_TAGGED(
                ClippingMasksLR, Severity::warning,
                "gradient clipping was active on " + format_number(100 * share) + "% of the steps of epoch " +
                    std::to_string(epoch) + ": it is hiding a learning rate that is too high (article item 6)",
                "turn clipping off (clip_grad_norm = std::nullopt), find the largest stable rate with sn::find_learning_rate and "
                "use a tenth of it",
                format_number(100 * share) + "% of steps clipped"));
    }

    void check_overfitting(const EpochRecord& e) {
        if (!e.val_loss) return;
        const double val = *e.val_loss;
        if (val < best_val_) {
            best_val_ = val;
            train_at_best_ = e.train_loss;
        }
        // Overfitting is the validation loss rising while the training loss keeps falling;
        // a validation loss that wobbles while both improve is not.
        const bool gap = e.train_loss > 0 && (val - e.train_loss) / e.train_loss > t_.overfit_gap;
        const bool memorizing = e.train_loss < train_at_best_;
        overfit_run_ = gap && memorizing && val >= t_.overfit_rise * best_val_ ? overfit_run_ + 1 : 0;
        if (overfit_run_ < t_.overfit_epochs) return;
        // Under early stopping the first finding waits for the end of the fit (end_early_stopping).
        if (o_.early_stopping && held_) return;
        Diagnostic d = SANENET_TAGGED(
            Overfitting, Severity::warning,
            "the validation loss has risen for " + std::to_string(overfit_run_) + " epochs to " + format_number(val) + " (best " +
                format_number(best_val_) + ") while the training loss is " + format_number(e.train_loss) +
                ": the network is memorizing the training set (article item 4)",
            "stop at the best epoch, add sn::Dropout<0.9> before each Dense or lower the keep probability to 0.8, or get "
            "more data",
            "epoch " + std::to_string(e.epoch));
        if (o_.early_stopping)
            held_ = std::move(d);
        else
            sink_.report(std::move(d));
    }

    void check_vanishing(const EpochRecord& e, const std::optional<double>& previous) {
        if (norm_samples_ == 0 || !previous) return;
        const double first = first_norm_ / norm_samples_, last = last_norm_ / norm_samples_;
        const bool stalled = e.train_loss > 0.99 * *previous;
        if (stalled && last > 0 && first / last < t_.vanishing_ratio && first < t_.vanishing_norm)
            sink_.report(SANENET_TAGGED(
                VanishingGradient, Severity::warning,
                "the first Dense layer's gradient (norm " + format_number(first) + ") is " +
                    format_number(last / std::max(first, 1e-300)) + " times smaller than the last one's (" + format_number(last) +
                    ") and the loss has stopped improving: the early "
                    "layers are not learning (article item 8)",
                "use fewer layers (article item 10), LeakyReLU or ELU with He/LeCun init, and normalized inputs",
                "epoch " + std::to_string(e.epoch)));
    }

    // L8.1: per ReLU layer, the share of units whose output is 0 for every probe sample.
    void check_dead_units(int epoch, int threads) {
        if (probe_.samples() < t_.probe_samples || sink_.waives("L8.1")) return;
        const activity_probe::result& r = probe_.run(threads);
        if (r.dead_share >= t_.dead_unit_share)
            sink_.report(
                SANENET_TAGGED(DeadUnits, Severity::warning,
                               format_number(100 * r.dead_share) + "% of the units of the ReLU after layer " +
                                   std::to_string(r.dead_layer) + " (Input is 0)" + " output 0 for every one of " +
                                   std::to_string(probe_.samples()) + " probe samples after epoch " + std::to_string(epoch) +
                                   ": dead ReLUs get no gradient and never recover (article item 8)",
                               "use sn::LeakyReLU or sn::ELU, lower the learning rate, and check the inputs are normalized",
                               "layer " + std::to_string(r.dead_layer)));
    }

    const FitOptions& o_;
    const Thresholds& t_;
    diagnostics_sink& sink_;
    activity_probe probe_;
    std::size_t steps_ = 0, clipped_ = 0, norm_samples_ = 0, total_steps_ = 0;
    double first_norm_ = 0.0, last_norm_ = 0.0;
    double best_val_ = std::numeric_limits<double>::infinity(), train_at_best_ = 0.0;
    int overfit_run_ = 0;
    std::optional<Diagnostic> held_;  // L4.3 under early stopping, until end_early_stopping
};

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
