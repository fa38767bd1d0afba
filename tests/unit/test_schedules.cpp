// The learning-rate schedules: the rates each one gives (values worked out by hand from
// PyTorch's documented formulas); training under each one against the double-precision
// reference trainer, stepped at rates this file computes the way torch.optim.lr_scheduler
// does (its recursive forms, in double); and the options that cannot apply.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"
#include "reference_trainer.hpp"
#include "schedule_cases.hpp"
#include "oracle_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

// ---- torch.optim.lr_scheduler, written from PyTorch 1.13's code -------------------------

constexpr double pi = 3.14159265358979323846;

// The rate of the next step. after_step() after every batch, after_epoch(val) after every
// epoch, in the order a PyTorch loop calls scheduler.step(): per batch for OneCycleLR and the
// warm-up's LinearLR, per epoch for the others (ReduceLROnPlateau with the validation loss).
class torch_schedule {
public:
    torch_schedule(const sn::Schedule& s, double base, int epochs, int steps_per_epoch)
        : s_(s),
          base_(base),
          lr_(base),
          epochs_(epochs),
          spe_(steps_per_epoch) {
        if (const auto* c = std::get_if<sn::CosineLR>(&s_); c && c->warmup_epochs > 0) {
            // LinearLR(start_factor = 1 / T, end_factor = 1, total_iters = T - 1); at construction lr * start.
            warmup_steps_ = c->warmup_epochs * spe_;
            lr_ = base_ / warmup_steps_;
        }
        if (const auto* o = std::get_if<sn::OneCycleLR>(&s_)) lr_ = one_cycle(*o, 0);
    }
    double lr() const { return lr_; }

    void after_step() {
        ++step_;
        if (const auto* o = std::get_if<sn::OneCycleLR>(&s_)) {
            lr_ = one_cycle(*o, step_);
            return;
        }
        if (step_ < warmup_steps_) {  // LinearLR's chainable form
            const double start = 1.0 / warmup_steps_, end = 1.0, total = warmup_steps_ - 1;
            const int k = step_;
            if (k <= total) lr_ *= 1.0 + (end - start) / (total * start + (k - 1) * (end - start));
        }
    }

    void after_epoch(double val_loss) {
        ++epoch_;
        std::visit(
            [&](const auto& s) {
                using S = std::decay_t<decltype(s)>;
                if constexpr (std::is_same_v<S, sn::StepLR>) {
                    if (epoch_ % s.step_epochs == 0) lr_ *= static_cast<double>(s.gamma);
                } else if constexpr (std::is_same_v<S, sn::ExponentialLR>) {
                    lr_ *= static_cast<double>(s.gamma);
                } else if constexpr (std::is_same_v<S, sn::CosineLR>) {
                    if (epoch_ < s.warmup_epochs) return;
                    const double eta = s.min_lr;
                    const int k = epoch_ - s.warmup_epochs;  // the cosine scheduler's last_epoch after its step
                    if (k == 0) return;  // created after the warm-up: lr stays the base rate
                    if (s.restart_epochs > 0) {  // CosineAnnealingWarmRestarts, T_mult = 1
                        const int t_cur = k % s.restart_epochs;
                        lr_ = eta + (base_ - eta) * (1 + std::cos(pi * t_cur / s.restart_epochs)) / 2;
                        return;
                    }
                    const double t_max = epochs_ - s.warmup_epochs;
                    if (static_cast<int>(k - 1 - t_max) % static_cast<int>(2 * t_max) == 0)
                        lr_ = lr_ + (base_ - eta) * (1 - std::cos(pi / t_max)) / 2;
                    else
                        lr_ = (1 + std::cos(pi * k / t_max)) / (1 + std::cos(pi * (k - 1) / t_max)) * (lr_ - eta) + eta;
                } else if constexpr (std::is_same_v<S, sn::ReduceLROnPlateau>) {
                    if (val_loss < best_ * (1.0 - 1e-4)) {
                        best_ = val_loss;
                        bad_ = 0;
                    } else {
                        ++bad_;
                    }
                    if (bad_ > s.patience) {
                        const double reduced = std::max(lr_ * static_cast<double>(s.factor), static_cast<double>(s.min_lr));
                        if (lr_ - reduced > 1e-8) lr_ = reduced;
                        bad_ = 0;
                    }
                }
            },
            s_);
    }

private:
    // OneCycleLR.get_lr: two phases, cosine annealing.
    double one_cycle(const sn::OneCycleLR& o, int step) const {
        const double total = static_cast<double>(epochs_) * spe_;
        const double max_lr = o.max_lr, initial = max_lr / 25.0, min_lr = initial / 1e4;
        struct phase {
            double end_step, start_lr, end_lr;
        };
        const phase phases[2] = {{static_cast<double>(o.pct_start) * total - 1, initial, max_lr}, {total - 1, max_lr, min_lr}};
        double start_step = 0, lr = 0;
        for (int i = 0; i < 2; ++i) {
            const phase& p = phases[i];
            if (step <= p.end_step || i == 1) {
                const double pct = (step - start_step) / (p.end_step - start_step);
                lr = p.end_lr + (p.start_lr - p.end_lr) / 2.0 * (std::cos(pi * pct) + 1);
                break;
            }
            start_step = p.end_step;
        }
        return lr;
    }

    sn::Schedule s_;
    double base_, lr_;
    int epochs_, spe_;
    int step_ = 0, epoch_ = 0, warmup_steps_ = 0;
    double best_ = std::numeric_limits<double>::infinity();
    int bad_ = 0;
};

// ---- a schedule case against the reference trainer ---------------------------------------

using namespace oracle;

struct outcome {
    double error = 0.0;  // largest |sanenet - reference| / largest |reference update|
    double update = 0.0;
    double rate_error = 0.0;  // largest relative difference of an epoch's learning rate
    std::vector<double> rates;  // sanenet's, per epoch
};

outcome run(const schedule_case& sc) {
    const oracle_case& c = sc.base;
    const std::size_t inputs = static_cast<std::size_t>(c.specs.front().out),
                      outputs = static_cast<std::size_t>(c.specs.back().out);
    const std::size_t n = c.samples;
    const data d = make_data(c), v = make_validation(c);
    const bool cls = c.task.k == task_kind::classification;
    sn::detail::model m = make_model(c);
    const std::vector<float> start(m.params(), m.params() + m.parameter_count());

    const std::vector<reference::op> ops = reference_ops(c.specs);
    const reference::loss_kind loss = reference_loss(c.task.k);
    reference::mlp ref(ops, loss);
    std::vector<const sn::detail::stage*> dense_stages;
    for (const auto& st : m.stages())
        if (st.k == kind::dense) dense_stages.push_back(&st);
    REQUIRE(dense_stages.size() == ref.weights.size());
    REQUIRE(ref.norm_gains.empty());
    for (std::size_t l = 0; l < dense_stages.size(); ++l) {
        std::copy(m.params() + dense_stages[l]->w, m.params() + dense_stages[l]->w + ref.weights[l].size(),
                  ref.weights[l].begin());
        std::copy(m.params() + dense_stages[l]->b, m.params() + dense_stages[l]->b + ref.biases[l].size(), ref.biases[l].begin());
    }

    const sn::History h = sn::detail::fit_model(m, d.x, d.targets(), fit_options(sc, v), {});
    REQUIRE(h.epochs.size() == static_cast<std::size_t>(c.epochs));

    const auto rows_of = [&](const data& from, std::size_t b, std::size_t rows, std::vector<double>& xb,
                             std::vector<double>& tb) {
        xb.assign(from.x.data() + b * inputs, from.x.data() + (b + rows) * inputs);
        tb.clear();
        if (cls)
            for (std::size_t i = b; i < b + rows; ++i) tb.push_back(from.labels(i));
        else
            tb.assign(from.values.data() + b * outputs, from.values.data() + (b + rows) * outputs);
    };
    const int steps_per_epoch = static_cast<int>((n + c.batch - 1) / c.batch);
    torch_schedule sched(sc.schedule, sn::learning_rate_of(c.optimizer), c.epochs, steps_per_epoch);
    outcome out;
    for (int e = 0; e < c.epochs; ++e) {
        double last = 0.0;
        for (std::size_t b = 0; b < n; b += c.batch) {
            const std::size_t rows = std::min(c.batch, n - b);
            std::vector<double> xb, tb;
            rows_of(d, b, rows, xb, tb);
            // The optimizer takes the rate as a float, as sanenet's and PyTorch's float32 steps do.
            last = static_cast<double>(static_cast<float>(sched.lr()));
            std::visit(
                [&](const auto& opt) {
                    using O = std::decay_t<decltype(opt)>;
                    const int r = static_cast<int>(rows);
                    if constexpr (std::is_same_v<O, sn::SGD>)
                        ref.step(xb, tb, r, reference::sgd{last, opt.momentum, opt.weight_decay, opt.nesterov});
                    else if constexpr (std::is_same_v<O, sn::AdamW>)
                        ref.step(xb, tb, r, reference::adam{last, opt.beta1, opt.beta2, opt.epsilon, opt.weight_decay, true});
                    else
                        ref.step(xb, tb, r, reference::adam{last, opt.beta1, opt.beta2, opt.epsilon, 0.0, false});
                },
                c.optimizer);
            sched.after_step();
        }
        double val = 0.0;
        if (sc.validation) {
            std::vector<double> xv, tv;
            rows_of(v, 0, n, xv, tv);
            val = ref.gradients(xv, tv, static_cast<int>(n));
            // The validation loss the schedule saw agrees with sanenet's.
            CHECK(h.epochs[static_cast<std::size_t>(e)].val_loss.value() == doctest::Approx(val).epsilon(1e-4));
        }
        sched.after_epoch(val);
        const double got = h.epochs[static_cast<std::size_t>(e)].learning_rate;
        out.rates.push_back(got);
        out.rate_error = std::max(out.rate_error, std::fabs(got - last) / last);
    }

    double diff = 0.0;
    const auto compare = [&](const std::vector<double>& want, std::size_t offset) {
        for (std::size_t i = 0; i < want.size(); ++i) {
            out.update = std::max(out.update, std::fabs(want[i] - start[offset + i]));
            diff = std::max(diff, std::fabs(want[i] - m.params()[offset + i]));
        }
    };
    for (std::size_t l = 0; l < dense_stages.size(); ++l) {
        compare(ref.weights[l], dense_stages[l]->w);
        compare(ref.biases[l], dense_stages[l]->b);
    }
    out.error = out.update > 0.0 ? diff / out.update : 1.0;
    return out;
}

// ---- the rates of a small fit ---------------------------------------------------------------

using Tiny = sn::Network<sn::Regression, NoDropout, sn::Input<3>, sn::Dense<8>, sn::Tanh, sn::Dense<1>, sn::Identity>;

struct tiny_data {
    sn::matrix x, y;
};
tiny_data tiny(std::size_t n) {
    tiny_data t{normal_matrix(n, 3, 11), sn::matrix::from_shape({n, 1})};
    for (std::size_t i = 0; i < n; ++i) t.y(i, 0) = 0.5f * t.x(i, 0) - 0.25f * t.x(i, 2);
    return t;
}

// EpochRecord::learning_rate of each epoch of a fit of `epochs` epochs on 16 samples in batches
// of 4 (4 steps per epoch) at SGD's rate 0.1.
std::vector<double> epoch_rates(const sn::Schedule& s, int epochs) {
    const tiny_data t = tiny(16);
    Tiny net{sn::Seed{2}};
    sn::FitOptions o = quiet(epochs, 4);
    o.optimizer = sn::SGD{.learning_rate = 0.1f, .momentum = 0.f};
    o.allow = sn::allow<sn::lint::NoValidation>();
    o.schedule = s;
    std::vector<double> rates;
    for (const auto& e : sn::fit(net, t.x, t.y, o).epochs) rates.push_back(e.learning_rate);
    return rates;
}

void check_rates(const std::vector<double>& got, const std::vector<double>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6).scale(0));  // relative: the rates are small
    }
}

}  // namespace

TEST_CASE("each schedule's rates per epoch, worked out by hand from PyTorch's formulas") {
    SUBCASE("ConstantLR, the default: the optimizer's rate") {
        const tiny_data t = tiny(16);
        Tiny net{sn::Seed{2}};
        sn::FitOptions o = quiet(3, 4);
        o.optimizer = sn::SGD{.learning_rate = 0.1f, .momentum = 0.f};
        o.allow = sn::allow<sn::lint::NoValidation>();
        std::vector<double> rates;
        for (const auto& e : sn::fit(net, t.x, t.y, o).epochs) rates.push_back(e.learning_rate);
        check_rates(rates, {0.1, 0.1, 0.1});
    }
    SUBCASE("StepLR: times gamma every step_epochs epochs") {
        check_rates(epoch_rates(sn::StepLR{.step_epochs = 2, .gamma = 0.5f}, 6), {0.1, 0.1, 0.05, 0.05, 0.025, 0.025});
    }
    SUBCASE("ExponentialLR: times gamma every epoch") {
        check_rates(epoch_rates(sn::ExponentialLR{.gamma = 0.5f}, 4), {0.1, 0.05, 0.025, 0.0125});
    }
    SUBCASE("CosineLR: from the rate to min_lr over T_max = epochs") {
        // 0.1 (1 + cos(pi t / 4)) / 2 for t = 0..3.
        check_rates(epoch_rates(sn::CosineLR{}, 4), {0.1, 0.085355339059327, 0.05, 0.014644660940673});
        // min_lr 0.02: 0.02 + 0.08 (1 + cos(pi t / 4)) / 2.
        check_rates(epoch_rates(sn::CosineLR{.min_lr = 0.02f}, 4), {0.1, 0.088284271247462, 0.06, 0.031715728752538});
    }
    SUBCASE("CosineLR with warm restarts every 3 epochs") {
        // 0.01 + 0.09 (1 + cos(pi t / 3)) / 2, t = epoch mod 3.
        check_rates(epoch_rates(sn::CosineLR{.min_lr = 0.01f, .restart_epochs = 3}, 7),
                    {0.1, 0.0775, 0.0325, 0.1, 0.0775, 0.0325, 0.1});
    }
    SUBCASE("CosineLR with a warm-up of 2 epochs: linear from 0 step by step, then the cosine over the rest") {
        // 8 warm-up steps at 0.1 (s + 1) / 8: epoch 1 ends at 0.05, epoch 2 at 0.1; then T_max = 2.
        check_rates(epoch_rates(sn::CosineLR{.warmup_epochs = 2}, 4), {0.05, 0.1, 0.1, 0.05});
    }
    SUBCASE("OneCycleLR: the last step's rate of each epoch") {
        // 8 steps, up to step 0.25 * 8 - 1 = 1, down to 0.1 / 25 / 1e4 = 4e-7 at step 7; step 3
        // is a third of the way down: 4e-7 + (0.1 - 4e-7) (1 + cos(pi / 3)) / 2.
        check_rates(epoch_rates(sn::OneCycleLR{.max_lr = 0.1f, .pct_start = 0.25f}, 2), {0.0750001, 4e-7});
    }
}

TEST_CASE("the rates within an epoch (OneCycleLR, the warm-up) and ReduceLROnPlateau's decisions") {
    SUBCASE("OneCycleLR, every step") {
        const sn::detail::lr_schedule s(sn::OneCycleLR{.max_lr = 0.1f, .pct_start = 0.25f}, 0.5, 2, 4);
        CHECK(s.per_step());
        const double want[8] = {0.004, 0.1, 0.093301297, 0.0750001, 0.0500002, 0.0250003, 0.006699103, 4e-7};
        for (int k = 0; k < 8; ++k) {
            CAPTURE(k);
            CHECK(s.rate(k / 4, static_cast<std::size_t>(k % 4)) == doctest::Approx(want[k]).epsilon(1e-6).scale(0));
        }
    }
    SUBCASE("the warm-up, every step, and the epochs after it") {
        const sn::detail::lr_schedule s(sn::CosineLR{.warmup_epochs = 1}, 0.2, 3, 5);
        CHECK(s.per_step());
        for (int k = 0; k < 5; ++k)
            CHECK(s.rate(0, static_cast<std::size_t>(k)) == doctest::Approx(0.2 * (k + 1) / 5).epsilon(1e-12).scale(0));
        CHECK(s.rate(1, 3) == doctest::Approx(0.2).epsilon(1e-12).scale(0));
        CHECK(s.rate(2, 0) == doctest::Approx(0.1).epsilon(1e-12).scale(0));
        CHECK_FALSE(sn::detail::lr_schedule(sn::CosineLR{}, 0.2, 3, 5).per_step());
    }
    SUBCASE("ReduceLROnPlateau: factor after more than `patience` epochs without a relative improvement of 1e-4") {
        sn::detail::lr_schedule s(sn::ReduceLROnPlateau{.factor = 0.5f, .patience = 1, .min_lr = 0.02f}, 0.1, 20, 4);
        CHECK_FALSE(s.per_step());
        // 0.99995 is not 1e-4 below 1.0: a bad epoch; 1.2 a second one, more than patience 1.
        const double losses[] = {1.0, 0.99995, 1.2, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6};
        const double want[] = {0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02};
        for (std::size_t e = 0; e < 10; ++e) {
            s.end_epoch(losses[e]);
            CAPTURE(e);
            CHECK(s.rate(static_cast<int>(e) + 1, 0) == doctest::Approx(want[e]).epsilon(1e-7).scale(0));  // min_lr is a float
        }
    }
}

TEST_CASE("training under each schedule matches the reference trainer stepped at torch.optim.lr_scheduler's rates") {
    std::printf("schedules on %s: largest parameter difference / largest update, and of the epochs' rates\n",
                sn::kernels::arch_name());
    for (const schedule_case& sc : schedule_cases()) {
        const outcome o = run(sc);
        std::printf("  %-100s %.2e (rates %.1e)\n", sc.base.name.c_str(), o.error, o.rate_error);
        INFO(sc.base.name << ": parameters differ by " << o.error << " of the update (" << o.update << "), the rates by "
                          << o.rate_error);
        CHECK(o.update > 1e-3);
        CHECK(o.error < 1e-4);
        CHECK(o.rate_error < 1e-6);
        // The schedule did change the rate.
        CHECK(std::adjacent_find(o.rates.begin(), o.rates.end(), std::not_equal_to<>()) != o.rates.end());
    }
}

TEST_CASE("a schedule that cannot apply is an argument_error naming the option, before any step") {
    const tiny_data t = tiny(16);
    struct bad_case {
        sn::Schedule schedule;
        bool validation;
        std::string names;
    };
    const std::vector<bad_case> cases = {
        {sn::StepLR{.step_epochs = 2, .gamma = 0.f}, false, "StepLR::gamma is 0, expected a finite value > 0"},
        {sn::StepLR{.step_epochs = 2, .gamma = -0.5f}, false, "StepLR::gamma is -0.5"},
        {sn::StepLR{.step_epochs = 0}, false, "StepLR::step_epochs is 0, expected >= 1"},
        {sn::ExponentialLR{.gamma = 0.f}, false, "ExponentialLR::gamma is 0"},
        {sn::ExponentialLR{.gamma = std::numeric_limits<float>::quiet_NaN()}, false, "ExponentialLR::gamma is nan"},
        {sn::CosineLR{.min_lr = -0.1f}, false, "CosineLR::min_lr is -0.1, expected a finite value >= 0"},
        {sn::CosineLR{.min_lr = 0.5f}, false, "CosineLR::min_lr is 0.5, expected at most the optimizer's learning_rate 0.1"},
        {sn::CosineLR{.warmup_epochs = 5}, false, "CosineLR::warmup_epochs is 5, expected fewer than the 5 epochs"},
        {sn::CosineLR{.warmup_epochs = -1}, false, "CosineLR::warmup_epochs is -1"},
        {sn::CosineLR{.restart_epochs = -2}, false, "CosineLR::restart_epochs is -2"},
        {sn::OneCycleLR{.max_lr = 0.f}, false, "OneCycleLR::max_lr is 0"},
        {sn::OneCycleLR{.pct_start = 1.f}, false, "OneCycleLR::pct_start is 1, expected a value in (0, 1)"},
        {sn::OneCycleLR{.pct_start = 0.f}, false, "OneCycleLR::pct_start is 0"},
        {sn::ReduceLROnPlateau{.factor = 0.f}, true, "ReduceLROnPlateau::factor is 0, expected a value in (0, 1)"},
        {sn::ReduceLROnPlateau{.factor = 1.f}, true, "ReduceLROnPlateau::factor is 1"},
        {sn::ReduceLROnPlateau{.patience = -1}, true, "ReduceLROnPlateau::patience is -1"},
        {sn::ReduceLROnPlateau{}, false, "ReduceLROnPlateau watches the validation loss, and FitOptions::validation is not set"},
    };
    for (const bad_case& c : cases) {
        CAPTURE(c.names);
        Tiny net{sn::Seed{2}};
        const std::vector<float> before = params_of(net);
        sn::FitOptions o = quiet(5, 4);
        o.optimizer = sn::SGD{.learning_rate = 0.1f};
        o.schedule = c.schedule;
        if (c.validation) o.validation = sn::Validation{t.x, t.y};
        int epochs_seen = 0;
        o.on_epoch = [&](const sn::EpochRecord&) { ++epochs_seen; };
        const std::string what = message_of<sn::argument_error>([&] { sn::fit(net, t.x, t.y, o); });
        CHECK(contains(what, "FitOptions::schedule: "));
        CHECK(contains(what, c.names));
        CHECK(epochs_seen == 0);
        CHECK(params_of(net) == before);
        // argument_error is an std::invalid_argument, as every bad option is.
        CHECK_THROWS_AS(sn::fit(net, t.x, t.y, o), std::invalid_argument);
    }
}
