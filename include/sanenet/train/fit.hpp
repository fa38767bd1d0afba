// sn::fit, sn::evaluate and sn::check_data: the training loop over the engine, with the
// data lints before the first step, the monitors around the steps, and the progress
// display. Divergence (L6.1) restores the last good weights before throwing.
#pragma once

#include <sanenet/kernels/build_info.hpp>
#include <sanenet/core/errors.hpp>
#include <sanenet/network/network.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/lints/data.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/train/progress.hpp>
#include <sanenet/train/scaled.hpp>
#include <sanenet/train/trainer.hpp>
#include <sanenet/train/checkpoint.hpp>
#include <sanenet/train/early_stopping.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/train/loop.hpp>
#include <sanenet/train/metrics.hpp>
#include <sanenet/train/monitors.hpp>
#include <sanenet/train/optimizers.hpp>
#include <sanenet/train/options.hpp>
#include <sanenet/train/schedules.hpp>

#include <cstddef>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#endif

namespace sanenet::inline SANENET_ABI {

struct Evaluation {
    double loss = 0.0;
    double metric = 0.0;
    std::string metric_name;
};

namespace detail {

// Validation loss and metric in inference mode, in chunks; buffers are sized once.
class evaluator {
public:
    static constexpr std::size_t chunk = 256;

    // loss: FitOptions' loss (train/losses.hpp); the task's own, unweighted, by default.
    explicit evaluator(const model& m, loss_config loss = {});

    Evaluation run(const model& m, const matrix& x, const targets& y, int threads);

private:
    loss_config loss_;
    kernels::aligned_buffer<float> ping_, pong_, out_, scratch_;
    std::vector<double> sum_, sumsq_, sse_;
};

// sn::fit on the model: the options checked, the data lints, the epochs of steps with the monitors
// around them and the progress line. net_waivers: the network type's waivers, added to o.allow.
// hooks: the checkpoint writer (needed for FitOptions::checkpoint) and the state to resume from.
SANENET_INLINE History fit_model(model& m, const matrix& x, const targets& y, const FitOptions& o, Waivers net_waivers,
                                 const fit_hooks& hooks = {});

// sn::evaluate on the model: shapes and finiteness checked, then the evaluator.
SANENET_INLINE Evaluation evaluate_model(const model& m, const matrix& x, const targets& t, int threads);

// sn::check_data for a network of shape s: the shapes, then every data lint not waived by
// options.allow or net_waivers.
SANENET_INLINE std::vector<Diagnostic> check_data(const net_shape& s, const matrix& x, const targets& t,
                                                  const FitOptions& options, Waivers net_waivers);

// The checkpoint file's writer, defined in io/checkpoint.hpp (files come after training in
// the layers); a template, so that fit names it only where it is instantiated.
template <class Unused>
struct checkpoint_io;

}  // namespace detail

// Trains net on (x, y). y: labels for Classification, a samples x outputs matrix otherwise.
// With scalers attached to net, x, y and the validation data are raw (train/scaled.hpp).
template <class Net, class Y>
History fit(Net& net, const matrix& x, const Y& y, const FitOptions& options = {}) {
    const detail::write_use use(net.engine(), "fit");
    const detail::scaled_data d(net.engine(), x, detail::targets_for<Net>(y), &options);
    return detail::fit_model(net.engine(), d.x(), d.y(), d.options(), Net::waivers,
                             detail::fit_hooks{&detail::checkpoint_io<Y>::write, nullptr});
}

// Loss and metric (accuracy, or R^2 for Regression) on (x, y) in inference mode. With scalers
// attached, x and y are raw; the loss stays in the standardized units the network trains in.
template <class Net, class Y>
Evaluation evaluate(const Net& net, const matrix& x, const Y& y, int threads = 0) {
    const detail::read_use use(net.engine(), "evaluate");
    const detail::scaled_data d(net.engine(), x, detail::targets_for<Net>(y));
    return detail::evaluate_model(net.engine(), d.x(), d.y(), threads);
}

}  // namespace sanenet

namespace sanenet::inline SANENET_ABI {

// The data lints alone (no training), waivers and thresholds from options: every finding,
// errors included, as Diagnostics. Shapes are still checked (shape_error).
template <class Net, class Y>
std::vector<Diagnostic> check_data(const matrix& x, const Y& y, const FitOptions& options = {}) {
    const detail::net_shape s{Net::task_type::sanenet_task, Net::input_size, Net::output_size};
    return detail::check_data(s, x, detail::targets_for<Net>(y), options, Net::waivers);
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

inline std::string metric_name(const model& m) { return m.task().k == task_kind::regression ? "r2" : "accuracy"; }

inline net_shape shape_of(const model& m) { return {m.task(), m.input_size(), m.output_size()}; }

// Training control's options (train/control.hpp) that cannot apply, before any step.
inline void check_control(const FitOptions& o) {
    const bool validation = o.validation.has_value();
    check_schedule(o.schedule, learning_rate_of(o.optimizer), o.epochs, validation);
    check_early_stopping(o.early_stopping, validation);
    if (!o.checkpoint) return;
    if (o.checkpoint->every_epochs < 1)
        throw argument_error("FitOptions::checkpoint: Checkpoint::every_epochs is " + std::to_string(o.checkpoint->every_epochs) +
                             ", expected >= 1");
    if (o.checkpoint->path.filename().empty())
        throw argument_error("FitOptions::checkpoint: Checkpoint::path '" + o.checkpoint->path.string() + "' names no file");
}

// Option values that make no sense at all (not lints: there is nothing to waive). The
// optimizers' ranges are torch.optim's, except that a momentum or beta of 1 or more, which
// can only diverge, is refused too.
inline void check_options(const FitOptions& o) {
    const auto refuse = [](const std::string& what, float v, const char* expected) {
        throw argument_error(what + " is " + format_number(v) + ", expected " + expected);
    };
    if (o.epochs < 0) throw argument_error("FitOptions::epochs is " + std::to_string(o.epochs) + ", expected >= 0");
    if (o.batch_size == 0) throw argument_error("FitOptions::batch_size is 0, expected >= 1 (article item 5: 16, 8 or 1)");
    const float lr = learning_rate_of(o.optimizer);
    if (!(lr > 0.f) || !std::isfinite(lr)) refuse("learning_rate", lr, "a finite value > 0");
    if (o.clip_grad_norm && !(*o.clip_grad_norm > 0.f && std::isfinite(*o.clip_grad_norm)))
        refuse("clip_grad_norm", *o.clip_grad_norm, "a finite value > 0, or std::nullopt (off)");
    const auto in_unit = [&](const std::string& name, float v) {
        if (!(v >= 0.f && v < 1.f)) refuse(name, v, "a value in [0, 1)");
    };
    const auto decay = [&](const std::string& name, float v) {
        if (!(v >= 0.f) || !std::isfinite(v)) refuse(name, v, "a finite value >= 0");
    };
    std::visit(
        [&](const auto& opt) {
            using O = std::decay_t<decltype(opt)>;
            if constexpr (std::is_same_v<O, SGD>) {
                in_unit("SGD::momentum", opt.momentum);
                decay("SGD::weight_decay", opt.weight_decay);
                if (opt.nesterov && opt.momentum == 0.f)
                    refuse("SGD::momentum", 0.f, "> 0 with nesterov = true (Nesterov needs momentum)");
            } else {
                const std::string name = std::is_same_v<O, AdamW> ? "AdamW::" : "Adam::";
                in_unit(name + "beta1", opt.beta1);
                in_unit(name + "beta2", opt.beta2);
                decay(name + "epsilon", opt.epsilon);
                if constexpr (std::is_same_v<O, AdamW>) decay("AdamW::weight_decay", opt.weight_decay);
            }
        },
        o.optimizer);
    check_control(o);
}

// Shapes, then the data lints: warnings to the sink, the first error thrown.
inline void check_before_training(const net_shape& s, const matrix& x, const targets& y, const FitOptions& o,
                                  diagnostics_sink& sink) {
    check_shapes(s, x, y, "x");
    if (o.validation) check_shapes(s, o.validation->x, targets_of(o.validation->y), "validation x");
    const std::vector<Diagnostic> found = data_lints(s, x, y, data_check_of(o));
    for (const Diagnostic& d : found)
        if (d.severity == Severity::error && !sink.waives(d.id)) throw lint_error(d.id, d.message);
    for (const Diagnostic& d : found) sink.report(d);
}

SANENET_INLINE evaluator::evaluator(const model& m, loss_config loss)
    : loss_(std::move(loss)),
      ping_(chunk * static_cast<std::size_t>(m.max_width())),
      pong_(chunk * static_cast<std::size_t>(m.max_width())),
      out_(chunk * static_cast<std::size_t>(m.output_size())),
      scratch_(chunk * static_cast<std::size_t>(m.output_size())),
      sum_(static_cast<std::size_t>(m.output_size())),
      sumsq_(static_cast<std::size_t>(m.output_size())),
      sse_(static_cast<std::size_t>(m.output_size())) {}

SANENET_INLINE Evaluation evaluator::run(const model& m, const matrix& x, const targets& y, int threads) {
    const std::size_t rows = x.shape()[0], k = static_cast<std::size_t>(m.output_size()),
                      in = static_cast<std::size_t>(m.input_size());
    const bool fused = m.loss_fuses_output();
    // weight: the class weights of the rows seen, CrossEntropyLoss(weight)'s denominator.
    double loss = 0.0, hits = 0.0, weight = 0.0;
    // Per output: the targets' sum and sum of squares and the squared error, for R^2.
    std::fill(sum_.begin(), sum_.end(), 0.0);
    std::fill(sumsq_.begin(), sumsq_.end(), 0.0);
    std::fill(sse_.begin(), sse_.end(), 0.0);
    for (std::size_t r = 0; r < rows; r += chunk) {
        const std::size_t n = std::min(chunk, rows - r);
        m.infer(x.data() + r * in, n, out_.data(), ping_.data(), pong_.data(), threads, !fused);
        const float* o = out_.data();
        if (y.cls) {
            const std::int32_t* lab = y.cls->data() + r;
            if (loss_.weights.empty()) {
                loss += kernels::softmax_cross_entropy(o, lab, n, k, scratch_.data(), 1.f);
            } else {
                loss += weighted_cross_entropy_sum(loss_.weights.data(), o, lab, n, k, scratch_.data(), 1.f);
                weight += label_weight_sum(loss_.weights.data(), lab, n);
            }
            for (std::size_t i = 0; i < n; ++i) hits += argmax_row(o + i * k, k) == static_cast<std::size_t>(lab[i]);
            continue;
        }
        const float* t = y.values->data() + r * k;
        if (m.task().k == task_kind::multilabel) {
            loss += kernels::sigmoid_cross_entropy(o, t, n * k, scratch_.data(), 1.f);
            for (std::size_t i = 0; i < n * k; ++i) hits += (o[i] > 0.f) == (t[i] >= 0.5f);
            continue;
        }
        loss += regression_loss_sum(loss_, o, t, n, k, nullptr, 1.f);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < k; ++j) {
                const double e = static_cast<double>(o[i * k + j]) - t[i * k + j];
                sse_[j] += e * e;
                sum_[j] += t[i * k + j];
                sumsq_[j] += static_cast<double>(t[i * k + j]) * t[i * k + j];
            }
    }
    Evaluation e;
    e.metric_name = metric_name(m);
    const double n = static_cast<double>(rows);
    if (y.cls) {
        e.loss = loss_.weights.empty() ? loss / n : (weight > 0.0 ? loss / weight : 0.0);
        e.metric = hits / n;
    } else if (m.task().k == task_kind::multilabel) {
        e.loss = loss / (n * static_cast<double>(k));
        e.metric = hits / (n * static_cast<double>(k));
    } else {
        e.loss = loss / (n * static_cast<double>(k));
        double r2 = 0.0;
        for (std::size_t j = 0; j < k; ++j) {
            const double sst = sumsq_[j] - sum_[j] * sum_[j] / n;
            r2 += sst > 0.0 ? 1.0 - sse_[j] / sst : (sse_[j] == 0.0 ? 1.0 : 0.0);
        }
        e.metric = r2 / static_cast<double>(k);
    }
    return e;
}

inline std::string divergence_message(const std::string& what, int epoch, const FitOptions& o, float rate) {
    return "sanenet L6.1 diverged: " + what + " (learning rate " + format_number(rate) +
           "); training stopped and the network was restored to its weights at the start of epoch " + std::to_string(epoch) +
           ". Fix: " + (o.clip_grad_norm ? "turn clipping off, " : "") +
           "find the largest stable learning rate with sn::find_learning_rate and use a tenth of it (article item 6).";
}

// The early-stopping line of History::stop_message.
inline std::string early_stop_message(const History& h, const FitOptions& o, bool restored) {
    const EpochRecord& best = h.epochs[static_cast<std::size_t>(h.best_epoch - 1)];
    const EarlyStopping& e = *o.early_stopping;
    return "early stopping: the validation loss has not improved on " + format_number(*best.val_loss) + " (epoch " +
           std::to_string(best.epoch) + ")" + (e.min_delta > 0 ? " by more than " + format_number(e.min_delta) : "") + " for " +
           std::to_string(e.patience) + (e.patience == 1 ? " epoch" : " epochs") + "; training stopped after epoch " +
           std::to_string(h.epochs.back().epoch) +
           (restored ? " and the weights of epoch " + std::to_string(best.epoch) + " were restored" : "");
}

SANENET_INLINE History fit_model(model& m, const matrix& x, const targets& y, const FitOptions& o, Waivers net_waivers,
                                 const fit_hooks& hooks) {
    check_options(o);
    if (o.checkpoint && !hooks.write)
        throw argument_error("FitOptions::checkpoint: this entry point writes no checkpoints; call sn::fit or sn::resume");
    loss_config loss = loss_config_of(o, m.task(), m.output_size());
    const run_state* resume = hooks.resume;
    History h = resume ? resume->history : History{};
    h.metric = metric_name(m);
    const std::size_t n = x.shape()[0];
    progress_line progress(o.progress, o.epochs, n, h.metric);
    diagnostics_sink sink(h, o.progress, o.allow | net_waivers, &progress);
    const net_shape shape = shape_of(m);
    check_before_training(shape, x, y, o, sink);
    if (resume && resume->finished) {
        // The fit had ended: its result, as the uninterrupted call returned it.
        std::copy(resume->snapshot.params.data(), resume->snapshot.params.data() + m.parameter_count(), m.params());
        return h;
    }
    if (o.progress) {
        static const bool said = [] {
            if (const std::string note = simd_note(); !note.empty()) std::fprintf(stderr, "sanenet note: %s\n", note.c_str());
            return true;
        }();
        (void)said;
    }

    const int threads = kernels::resolve_threads(o.threads);
    kernels::scoped_flush_denormals ftz;
    trainer tr(m, o.optimizer, o.batch_size, threads, o.seed);
    if (o.threads == 0) tr.choose_threads();
    tr.set_loss(loss);
    evaluator eval(m, std::move(loss));
    std::optional<training_monitor> monitor;
    if (o.monitor) monitor.emplace(m, x, o, sink);
    divergence_watch watch(o.thresholds);
    sample_order order(n, o.seed ^ 0x243F6A8885A308D3ull, false);
    trainer::snapshot good;
    using clock = std::chrono::steady_clock;
    lr_schedule schedule(o.schedule, learning_rate_of(o.optimizer), o.epochs, (n + o.batch_size - 1) / o.batch_size);
    early_stopper early(o.early_stopping);
    std::vector<float> best_params;  // the best epoch's weights, for EarlyStopping::restore_best
    int first = 1;
    if (resume) {
        if (!order.restore(resume->order)) throw io_error("the checkpoint's sample order does not match the training data");
        tr.restore(resume->snapshot);
        watch.restore(resume->watch);
        if (monitor) monitor->restore(resume->monitor);
        schedule.restore(resume->schedule);
        early.restore(resume->early);
        best_params = resume->best_params;
        first = resume->epochs_done + 1;
    }
    const run_record run = o.checkpoint ? (resume ? resume->run : record_run(m, o, x, y)) : run_record{};
    float rate = learning_rate_of(o.optimizer);  // the rate of the last step taken

    auto diverge = [&](const std::string& what, int epoch) {
        const float at = rate;
        tr.restore(good);
        h.stop = StopReason::diverged;
        h.stop_message = divergence_message(what, epoch, o, at);
        progress.clear();
        throw divergence_error(h.stop_message, h);
    };
    // A failed write loses nothing: the fit goes on, the last checkpoint stays as it was.
    auto checkpoint = [&](int epochs_done, bool finished) {
        run_state s;
        s.epochs_done = epochs_done;
        s.finished = finished;
        s.run = run;
        s.history = h;
        tr.save(s.snapshot);
        s.order = order.save();
        s.watch = watch.save();
        if (monitor) s.monitor = monitor->save();
        s.early = early.save();
        s.best_params = best_params;
        s.schedule = schedule.save();
        try {
            hooks.write(o.checkpoint->path, m, s);
        } catch (const io_error& e) {
            std::string why = e.what();
            if (why.starts_with("sanenet: ")) why.erase(0, 9);
            sink.report({"checkpoint", Severity::warning,
                         "sanenet checkpoint: the checkpoint after epoch " + std::to_string(epochs_done) + " was not written (" +
                             why + "); training goes on and the last checkpoint written stays as it was",
                         "epoch " + std::to_string(epochs_done)},
                        false);
        }
    };

    for (int epoch = first; epoch <= o.epochs; ++epoch) {
        tr.save(good);
        if (o.shuffle) order.shuffle();
        order.rewind();
        const auto t0 = clock::now();
        double loss_sum = 0.0;
        std::size_t step = 0;
        tr.set_learning_rate(static_cast<float>(schedule.rate(epoch - 1, 0)));
        // The update is already applied when on_step sees the loss; a divergence restores the
        // epoch's start anyway.
        train_steps(tr, x, y, order, o.batch_size, n, o.clip_grad_norm, [&](std::size_t rows, double loss, bool clipped) {
            const std::size_t done = order.position();
            rate = tr.learning_rate();
            if (!std::isfinite(loss))
                diverge("the training loss became " + format_number(loss) + " in epoch " + std::to_string(epoch) + " at sample " +
                            std::to_string(done - rows),
                        epoch);
            if (o.monitor && watch.add(loss))
                diverge("the smoothed training loss rose to " + format_number(watch.smoothed()) + ", over " +
                            format_number(o.thresholds.divergence_factor) + " times its minimum " +
                            format_number(watch.minimum()) + ", in epoch " + std::to_string(epoch),
                        epoch);
            if (monitor) monitor->after_step(tr, clipped);
            loss_sum += loss * static_cast<double>(rows);
            progress.update(epoch, done, loss_sum / static_cast<double>(done));
            if (schedule.per_step()) tr.set_learning_rate(static_cast<float>(schedule.rate(epoch - 1, ++step)));
            return true;
        });
        // The last update may have left non-finite weights behind a finite loss.
        if (!kernels::all_finite(m.params(), m.parameter_count()))
            diverge("the weights became non-finite in epoch " + std::to_string(epoch), epoch);
        EpochRecord rec;
        rec.epoch = epoch;
        rec.train_loss = loss_sum / static_cast<double>(n);
        rec.seconds = std::chrono::duration<double>(clock::now() - t0).count();
        rec.samples_per_second = rec.seconds > 0 ? static_cast<double>(n) / rec.seconds : 0.0;
        rec.learning_rate = rate;
        if (o.validation) {
            const Evaluation e = eval.run(m, o.validation->x, targets_of(o.validation->y), threads);
            rec.val_loss = e.loss;
            rec.val_metric = e.metric;
        }
        const std::optional<double> previous =
            h.epochs.empty() ? std::nullopt : std::optional<double>(h.epochs.back().train_loss);
        h.epochs.push_back(rec);
        progress.end_epoch(epoch, rec.train_loss, rec.val_loss, rec.val_metric, rec.samples_per_second, rec.seconds);
        bool stop = false;
        if (rec.val_loss) {
            bool improved = false;
            stop = early.end_epoch(epoch, *rec.val_loss, improved);
            if (improved) {
                h.best_epoch = epoch;
                if (early.restores()) best_params.assign(m.params(), m.params() + m.parameter_count());
            }
            schedule.end_epoch(*rec.val_loss);
        }
        if (monitor) monitor->end_epoch(rec, previous, threads);
        if (stop) h.stop = StopReason::early_stopped;
        // The last epoch's checkpoint is the final one, written once the fit has ended.
        if (o.checkpoint && !stop && epoch < o.epochs && epoch % o.checkpoint->every_epochs == 0) checkpoint(epoch, false);
        if (o.on_epoch) o.on_epoch(rec);
        if (stop) break;
    }

    const int last = h.epochs.empty() ? 0 : h.epochs.back().epoch;
    const bool restored = early.restores() && h.best_epoch > 0 && h.best_epoch != last && !best_params.empty();
    if (restored) std::copy(best_params.begin(), best_params.end(), m.params());
    if (h.stop == StopReason::early_stopped) {
        h.stop_message = early_stop_message(h, o, restored);
        if (o.progress) {
            progress.clear();
            std::fprintf(stderr, "sanenet note: %s\n", h.stop_message.c_str());
        }
    }
    if (monitor) {
        if (early.active()) monitor->end_early_stopping(h, restored);
        monitor->end_fit(h, shape, y, restored);
    }
    if (o.checkpoint) checkpoint(last, true);
    return h;
}

SANENET_INLINE Evaluation evaluate_model(const model& m, const matrix& x, const targets& t, int threads) {
    check_shapes(shape_of(m), x, t, "x");
    std::vector<Diagnostic> non_finite;
    if (find_non_finite(x, "x", non_finite) || (t.values && find_non_finite(*t.values, "the targets", non_finite, true)))
        throw lint_error(non_finite.front().id, non_finite.front().message);
    evaluator e(m);
    return e.run(m, x, t, kernels::resolve_threads(threads));
}

SANENET_INLINE std::vector<Diagnostic> check_data(const net_shape& s, const matrix& x, const targets& t,
                                                  const FitOptions& options, Waivers net_waivers) {
    check_shapes(s, x, t, "x");
    if (options.validation) check_shapes(s, options.validation->x, targets_of(options.validation->y), "validation x");
    std::vector<Diagnostic> found = data_lints(s, x, t, data_check_of(options));
    const Waivers allow = options.allow | net_waivers;
    std::erase_if(found, [allow](const Diagnostic& d) { return waived(d, allow); });
    return found;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
