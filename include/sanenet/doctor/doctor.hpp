// sn::doctor: "my network isn't working, what should I do?" It runs every check that does
// not need a full training run - the data lints, the loss at initialization (L9.2), the
// dead-unit probe (L8.1), the signal's scale through the layers (L9.3), whether the network can overfit 16 samples with regularization
// off (X6), the learning-rate range test against the rate the user chose (L6.1) and a
// short run at the user's settings (L6.1, L2.3) - and prints what it checked and what it
// found, most important first, each with its fix.
#pragma once

#include <sanenet/data/standardizer.hpp>
#include <sanenet/lints/data.hpp>
#include <sanenet/train/trainer.hpp>
#include <sanenet/train/fit.hpp>
#include <sanenet/train/loop.hpp>
#include <sanenet/train/lr_finder.hpp>
#include <sanenet/train/monitors.hpp>
#include <sanenet/train/options.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#endif

namespace sanenet::inline SANENET_ABI {

struct Check {
    std::string name;  // what was checked
    Severity outcome = Severity::info;  // info: passed
    std::string result;  // the numbers
};

struct Report {
    std::string network;  // task and sizes
    std::vector<Check> checks;  // in the order they ran
    std::vector<Diagnostic> findings;  // errors first, then warnings
    double loss_at_init = 0.0;
    double expected_loss_at_init = 0.0;  // ln K for classification; 0 means no expectation
    bool overfits_small_set = false;  // X6
    LrFinding learning_rate;

    // No finding of severity error.
    bool healthy() const;
    // Whether a finding has this lint id (e.g. "L6.1").
    bool found(std::string_view id) const;
    // The report as sn::doctor prints it: what was checked, then the findings, most important first.
    std::string to_string() const;
};

namespace detail {

// The doctor's checks on the model itself (sn::doctor below).
SANENET_INLINE Report doctor(const model& m, const matrix& x, const targets& y, const FitOptions& o, Waivers net_waivers);

}  // namespace detail

// Runs the doctor's checks for training net on (x, y) with options (the batch size,
// optimizer and rate you intend to use); prints the report unless options.progress is
// false, and returns it. The network is not changed.
template <class Net, class Y>
Report doctor(const Net& net, const matrix& x, const Y& y, const FitOptions& options = {}) {
    const detail::read_use use(net.engine(), "doctor");
    const detail::scaled_data d(net.engine(), x, detail::targets_for<Net>(y), &options);  // raw with scalers attached
    Report r = detail::doctor(net.engine(), d.x(), d.y(), d.options(), Net::waivers);
    if (options.progress) std::fputs(r.to_string().c_str(), stdout);
    return r;
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE bool Report::healthy() const {
    return std::none_of(findings.begin(), findings.end(), [](const Diagnostic& d) { return d.severity == Severity::error; });
}

SANENET_INLINE bool Report::found(std::string_view id) const {
    return std::any_of(findings.begin(), findings.end(), [&](const Diagnostic& d) { return d.id == id; });
}

SANENET_INLINE std::string Report::to_string() const {
    static constexpr const char* tag[] = {"ok", "warning", "error"};
    std::string s = "sanenet doctor: " + network + "\n\nChecked:\n";
    for (const Check& c : checks) {
        std::string t = std::string("  [") + tag[static_cast<int>(c.outcome)] + "]";
        t.resize(12, ' ');
        s += t + c.name + ": " + c.result + "\n";
    }
    if (findings.empty()) return s + "\nNothing found: train, and look at the validation curve (sn::plot::history_svg).\n";
    s += "\nFindings, most important first:\n";
    for (std::size_t i = 0; i < findings.size(); ++i) s += std::to_string(i + 1) + ". " + findings[i].message + "\n";
    return s;
}

namespace detail {

// The loss of the network as it is, in inference mode, on up to 1024 samples, under the fit's loss.
SANENET_INLINE double loss_on_sample(const model& m, const matrix& x, const targets& y, int threads, const loss_config& loss) {
    const std::size_t n = std::min<std::size_t>(x.shape()[0], 1024);
    const matrix xs = take_rows(x, 0, n);
    evaluator e(m, loss);
    if (y.cls) {
        const labels ys = take_rows(*y.cls, 0, n);
        return e.run(m, xs, {&ys, nullptr}, threads).loss;
    }
    const matrix ys = take_rows(*y.values, 0, n);
    return e.run(m, xs, {nullptr, &ys}, threads).loss;
}

// X6: full-batch training on the first `count` samples with dropout and noise off. Returns
// the final classification error (share of the samples) or the MSE relative to the
// targets' variance, and whether it reached the threshold.
SANENET_INLINE std::pair<double, bool> overfit_small_set(model m, const matrix& x, const targets& y, const Thresholds& t,
                                                         int threads) {
    const std::size_t n = std::min(x.shape()[0], t.overfit_probe_samples);
    const std::size_t k = static_cast<std::size_t>(m.output_size());
    trainer tr(m, Adam{.learning_rate = 1e-3f}, n, threads, 1);
    tr.set_regularization(false);
    for (std::size_t i = 0; i < n; ++i) tr.load_sample(i, x, y, i);  // score() reads the targets from here
    double variance = 1.0;
    if (y.values && m.task().k == task_kind::regression) {
        const column_stats s = column_statistics(take_rows(*y.values, 0, n)).value();  // finite: the data lints ran first
        variance = 0.0;
        for (double sd : s.stddev) variance += sd * sd / static_cast<double>(k);
        variance = std::max(variance, 1e-12);
    }
    const matrix xs = take_rows(x, 0, n);
    auto score = [&] {
        const matrix p = predict(m, xs, threads);
        if (m.task().k == task_kind::regression) {
            double se = 0.0;
            for (std::size_t i = 0; i < n * k; ++i) {
                const double e = static_cast<double>(p.data()[i]) - tr.target_values()[i];
                se += e * e;
            }
            return se / static_cast<double>(n * k) / variance;
        }
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (y.cls)
                wrong += predicted_class(p, i) != tr.target_labels()[i];
            else
                for (std::size_t j = 0; j < k; ++j) wrong += (p(i, j) >= 0.5f) != (tr.target_values()[i * k + j] >= 0.5f);
        }
        return static_cast<double>(wrong) / static_cast<double>(y.cls ? n : n * k);
    };
    const double limit = m.task().k == task_kind::regression ? t.overfit_probe_max_mse : t.overfit_probe_max_error;
    double s = score();
    if (!(s <= limit)) {
        sample_order same(n, 0, true);  // the same n samples, in order, every step
        std::size_t step = 0;
        train_steps(tr, x, y, same, n, static_cast<std::size_t>(std::max(t.overfit_probe_steps, 0)), std::nullopt,
                    [&](std::size_t, double, bool) {
                        if (++step % 50 == 0) s = score();
                        return !(s <= limit);
                    });
    }
    s = score();
    return {s, s <= limit};
}

struct trial_result {
    bool finite = true, exploded = false;
    int steps = 0;
    double initial_loss = 0.0, final_loss = 0.0, dead_share = 0.0;
};

// Up to Thresholds::short_run_steps steps of training on a copy at the user's optimizer,
// rate, batch, clipping and loss.
SANENET_INLINE trial_result short_run(model m, const matrix& x, const targets& y, const FitOptions& o, int threads,
                                      const loss_config& loss) {
    const std::size_t n = x.shape()[0], batch = std::min(o.batch_size, n);
    trainer tr(m, o.optimizer, batch, threads, o.seed);
    tr.set_loss(loss);
    sample_order order(n, o.seed, true);
    order.shuffle();
    divergence_watch watch(o.thresholds);
    trial_result res;
    res.initial_loss = loss_on_sample(m, x, y, threads, loss);
    // steps counts the steps before the one that diverged (if any).
    train_steps(tr, x, y, order, batch, static_cast<std::size_t>(std::max(o.thresholds.short_run_steps, 0)), o.clip_grad_norm,
                [&](std::size_t, double loss, bool) {
                    if (!std::isfinite(loss))
                        res.finite = false;
                    else if (watch.add(loss))
                        res.exploded = true;
                    else
                        ++res.steps;
                    return res.finite && !res.exploded;
                });
    res.final_loss = res.finite ? loss_on_sample(m, x, y, threads, loss) : std::numeric_limits<double>::infinity();
    if (!std::isfinite(res.final_loss)) res.finite = false;
    if (res.finite) res.dead_share = activity_probe(m, x, o.thresholds.probe_samples).run(threads).dead_share;
    return res;
}

SANENET_INLINE Report doctor(const model& m, const matrix& x, const targets& y, const FitOptions& o, Waivers net_waivers) {
    const net_shape shape{m.task(), m.input_size(), m.output_size()};
    check_shapes(shape, x, y, "x");
    if (o.validation) check_shapes(shape, o.validation->x, targets_of(o.validation->y), "validation x");
    const loss_config loss = loss_config_of(o, m.task(), m.output_size());
    const Thresholds& t = o.thresholds;
    const Waivers allow = o.allow | net_waivers;
    const int threads = kernels::resolve_threads(o.threads);
    kernels::scoped_flush_denormals ftz;
    Report r;
    r.network = task_name(m.task()) + ", " + std::to_string(m.input_size()) + " inputs -> " + std::to_string(m.output_size()) +
                " outputs, " + std::to_string(m.parameter_count()) + " parameters, " + std::to_string(x.shape()[0]) + " samples";
    auto add = [&](Diagnostic d) {
        if (!waived(d, allow)) r.findings.push_back(std::move(d));
    };
    auto check = [&](std::string name, std::size_t findings_before, std::string result) {
        Severity worst = Severity::info;
        for (std::size_t i = findings_before; i < r.findings.size(); ++i) worst = std::max(worst, r.findings[i].severity);
        r.checks.push_back({std::move(name), worst, std::move(result)});
    };

    // 1. The data lints.
    std::size_t before = r.findings.size();
    for (Diagnostic& d : data_lints(shape, x, y, data_check_of(o))) add(std::move(d));
    const bool data_ok = std::none_of(r.findings.begin(), r.findings.end(), [](const Diagnostic& d) { return d.id == "L3.1"; });
    check("data lints (L1.x, L2.x, L3.1, L5.x)", before,
          std::to_string(r.findings.size() - before) + (r.findings.size() - before == 1 ? " finding" : " findings"));
    if (!data_ok) {
        r.checks.push_back({"the probes below", Severity::error, "skipped: the data hold NaN or Inf"});
        return r;
    }

    // 2. L9.2: the loss of the untrained network.
    before = r.findings.size();
    r.loss_at_init = loss_on_sample(m, x, y, threads, loss);
    const std::size_t k = static_cast<std::size_t>(m.output_size());
    std::string expectation;
    bool off = false;
    if (m.task().k == task_kind::regression) {
        // The bound is an MSE, in units of the standardized targets' variance; under another loss
        // or output weights it becomes that loss of errors with that variance.
        const double bound = loss_of_normal_errors(loss, t.loss_at_init_regression);
        off = !(r.loss_at_init <= bound);
        expectation = "at most " + format_number(bound) + " on standardized targets";
        if (!loss.plain())
            expectation +=
                " (the " + loss_name(loss) + " of errors of variance " + format_number(t.loss_at_init_regression) + ")";
    } else {
        // Class weights leave it at ln K: every row of a uniform guess has loss ln K.
        const double classes = m.task().k == task_kind::classification ? static_cast<double>(k) : 2.0;
        r.expected_loss_at_init = std::log(classes);
        off = !(std::fabs(r.loss_at_init - r.expected_loss_at_init) <= t.loss_at_init_factor * r.expected_loss_at_init);
        expectation =
            "ln " + format_number(classes) + " = " + format_number(r.expected_loss_at_init) + " for an uninformed guess";
    }
    if (off)
        add(tagged<lint::LossAtInit>(
            "LossAtInit", Severity::warning,
            "the loss of the untrained network is " + format_number(r.loss_at_init) + ", expected " + expectation +
                ": the initial outputs are far from neutral, so the first steps only undo the start (article item 9)",
            "normalize inputs and targets (article item 1), keep He/LeCun/Xavier init with zero biases",
            "loss at init " + format_number(r.loss_at_init)));
    check("loss at initialization (L9.2)", before, format_number(r.loss_at_init) + ", expected " + expectation);

    // 3. L8.1 and L9.3 at initialization: dead ReLUs, and the signal's scale through the layers.
    before = r.findings.size();
    const activity_probe::result at_init = activity_probe(m, x, t.probe_samples).run(threads);
    if (at_init.dead_share >= t.dead_unit_share)
        add(tagged<lint::DeadUnits>(
            "DeadUnits", Severity::warning,
            format_number(100 * at_init.dead_share) + "% of the units of the ReLU after layer " +
                std::to_string(at_init.dead_layer) +
                " (Input is 0) output 0 for every probe sample before any training: they get no gradient (article item 8)",
            "use sn::LeakyReLU or sn::ELU, normalize the inputs, keep biases at zero",
            "layer " + std::to_string(at_init.dead_layer)));
    check("dead ReLU units at initialization (L8.1)", before,
          at_init.dead_layer == npos
              ? "none"
              : format_number(100 * at_init.dead_share) + "% in the ReLU after layer " + std::to_string(at_init.dead_layer));

    before = r.findings.size();
    const std::vector<double>& rms = at_init.hidden_rms;
    std::string signal = "one hidden layer";
    if (rms.size() >= 2) {
        const double ratio = rms.back() / std::max(rms.front(), 1e-30);
        signal = "last / first hidden layer RMS " + format_number(ratio);
        if (!(ratio >= 1.0 / t.max_signal_ratio && ratio <= t.max_signal_ratio))
            add(tagged<lint::SignalAtInit>(
                "SignalAtInit", Severity::warning,
                "at initialization the activations " + std::string(ratio < 1 ? "shrink" : "grow") + " by a factor " +
                    format_number(ratio < 1 ? 1 / ratio : ratio) + " from the first hidden layer (RMS " +
                    format_number(rms.front()) + ") to the last (RMS " + format_number(rms.back()) + "): the " +
                    (ratio < 1 ? "gradients vanish" : "gradients explode") + " on the way back (article item 9)",
                "initialize with sn::He for ReLU-family layers and sn::LeCun or sn::Xavier for Tanh, keep the weights as "
                "initialized, "
                "and use fewer layers (article item 10)",
                signal));
    }
    check("signal scale through the layers at initialization (L9.3)", before, signal);

    // 4. X6: can it fit 16 samples with regularization off?
    before = r.findings.size();
    // With the task's own loss: the probe asks whether the network can fit, and a class weighted 0
    // could not be fitted under the user's.
    const auto [error, overfits] = overfit_small_set(m, x, y, t, threads);
    r.overfits_small_set = overfits;
    const std::string measure = m.task().k == task_kind::regression ? "relative MSE " : "error ";
    if (!overfits)
        add(make_diagnostic(
            "X6", "cannot-overfit", "", Severity::error,
            "the network cannot fit " + std::to_string(std::min(x.shape()[0], t.overfit_probe_samples)) +
                " samples with dropout and noise off (" + measure + format_number(error) + " after " +
                std::to_string(t.overfit_probe_steps) +
                " Adam steps): something between the data, the targets and the loss is broken",
            "look at a few samples and their targets (article item 2), then check normalization (item 1) and the output "
            "activation (item 7)",
            measure + format_number(error)));
    check("fits " + std::to_string(std::min(x.shape()[0], t.overfit_probe_samples)) + " samples, regularization off (X6)", before,
          measure + format_number(error));

    // 5. The learning-rate range test against the rate the user chose. On unnormalized data
    // its curve says little (a network fed raw values dies rather than explodes), so when
    // L1.1 or L1.4 fired, test the data as their fix would make them.
    const matrix* lx = &x;
    targets ly = y;
    matrix fixed_x, fixed_y;
    std::string on;
    if (r.found("L1.1")) {
        fixed_x = Standardizer{}.fit_transform(x);
        lx = &fixed_x;
        on = " (on standardized inputs, as L1.1's fix makes them)";
    }
    if (r.found("L1.4") && y.values) {
        fixed_y = Standardizer{}.fit_transform(*y.values);
        ly = {nullptr, &fixed_y};
        on = " (on standardized data, as L1.x's fixes make them)";
    }
    before = r.findings.size();
    r.learning_rate = find_learning_rate(m, *lx, ly, lr_options_of(o), loss);
    const double chosen = learning_rate_of(o.optimizer);
    if (r.learning_rate.exploded() && chosen > r.learning_rate.max_stable)
        add(make_diagnostic(
            "L6.1", "diverged", "", Severity::error,
            "the learning rate " + format_number(chosen) + " is above the largest stable rate " +
                format_number(r.learning_rate.max_stable) + " found by the range test" + on + ", where the loss explodes at " +
                format_number(r.learning_rate.exploded_at) + ": training will diverge",
            "use about " + format_number(r.learning_rate.suggested) + ", a tenth of the largest stable rate (article item 6)",
            r.learning_rate.to_string()));
    else if (o.clip_grad_norm && r.learning_rate.exploded() && chosen > r.learning_rate.max_stable / 3)
        add(tagged<lint::ClippingMasksLR>(
            "ClippingMasksLR", Severity::warning,
            "gradient clipping is on and the learning rate " + format_number(chosen) + " is close to the largest stable rate " +
                format_number(r.learning_rate.max_stable) + ": clipping would hide the divergence (article item 6)",
            "turn clipping off and use about " + format_number(r.learning_rate.suggested), r.learning_rate.to_string()));
    check("learning rate " + format_number(chosen) + " against the range test" + on, before, r.learning_rate.to_string());

    // 6. A short run at the user's settings: does the loss fall, and below a constant prediction?
    before = r.findings.size();
    const trial_result trial = short_run(m, *lx, ly, o, threads, loss);
    const double base = baseline_loss(shape, ly, ly, loss);
    if (!trial.finite || trial.exploded) {
        if (!r.found("L6.1"))
            add(make_diagnostic(
                "L6.1", "diverged", "", Severity::error,
                "a short run at learning rate " + format_number(chosen) + on + " diverged after " + std::to_string(trial.steps) +
                    " steps (" +
                    (trial.finite ? "the smoothed loss rose over " + format_number(t.divergence_factor) + "x its minimum"
                                  : std::string("the loss became non-finite")) +
                    ")",
                "use about " + format_number(r.learning_rate.suggested) + ", a tenth of the largest stable rate (article item 6)",
                "loss " + format_number(trial.final_loss)));
    } else if (trial.final_loss >= t.baseline_ratio * base) {
        add(tagged<lint::NoBetterThanBaseline>(
            "NoBetterThanBaseline", Severity::warning,
            "after " + std::to_string(trial.steps) + " steps at learning rate " + format_number(chosen) + " the loss is " +
                format_number(trial.final_loss) + ", no better than predicting a constant (" + format_number(base) + ")" +
                (trial.dead_share >= t.dead_unit_share
                     ? "; " + format_number(100 * trial.dead_share) + "% of a ReLU layer's units are dead"
                     : "") +
                ": the network is not learning at this rate",
            std::string(r.found("L1.1") ? "normalize the inputs (article item 1), then " : "") +
                (r.learning_rate.exploded()
                     ? "use about " + format_number(r.learning_rate.suggested) + " (the range test's suggestion, article item 6)"
                     : std::string("look at the data and the targets (article item 2): the range test found no rate "
                                   "at which the loss even explodes")),
            "loss " + format_number(trial.final_loss) + ", baseline " + format_number(base)));
    }
    check("a short run at these settings, " + std::to_string(trial.steps) + " steps" + on, before,
          trial.finite ? "loss " + format_number(trial.initial_loss) + " -> " + format_number(trial.final_loss) +
                             " (constant prediction: " + format_number(base) + ")"
                       : "the loss became non-finite");

    // Errors first, each group in the order found (a stable partition by hand: libstdc++'s
    // stable_sort draws a deprecation warning from clang 19).
    std::vector<Diagnostic> ordered;
    for (Severity s : {Severity::error, Severity::warning, Severity::info})
        for (Diagnostic& d : r.findings)
            if (d.severity == s) ordered.push_back(std::move(d));
    r.findings = std::move(ordered);
    return r;
}

}  // namespace detail

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
