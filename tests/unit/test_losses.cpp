// FitOptions::loss, ::output_weights and ::class_weights (train/losses.hpp): options that cannot
// apply are refused before any step; the validation loss, L2.3's baseline and L9.2's bound
// under each loss and weighting, against values computed here by hand (from predict(), from
// small hand-made columns, by quadrature); find_learning_rate at a fit's settings. The training
// step itself faces the oracle (test_oracle.cpp), PyTorch (make parity) and central differences
// (test_gradients.cpp).
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Reg = sn::Network<sn::Regression, NoDropout, sn::Input<4>, sn::Dense<32>, sn::ELU, sn::Dense<3>, sn::Identity>;
using Cls = sn::Network<sn::Classification<3>, NoDropout, sn::Input<4>, sn::Dense<32>, sn::ELU, sn::Dense<3>, sn::Softmax>;
using Tags = sn::Network<sn::MultiLabel<2>, NoDropout, sn::Input<4>, sn::Dense<32>, sn::ELU, sn::Dense<2>, sn::Sigmoid>;

constexpr double pi = 3.14159265358979323846;

// Three standardized-looking outputs of 4 normal inputs, with noise; some rows get a large error
// (an outlier) so that MSE, MAE and Huber differ.
sn::matrix reg_targets(const sn::matrix& x, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    const std::size_t n = x.shape()[0];
    sn::matrix y = sn::matrix::from_shape({n, 3});
    for (std::size_t i = 0; i < n; ++i) {
        y(i, 0) = static_cast<float>(0.6 * x(i, 0) - 0.4 * x(i, 1) + 0.3 * r.normal());
        y(i, 1) = static_cast<float>(0.8 * std::tanh(x(i, 2)) + 0.3 * r.normal() + (i % 17 == 0 ? 3.0 : 0.0));
        y(i, 2) = static_cast<float>(0.5 * x(i, 3) * x(i, 0) + 0.3 * r.normal());
    }
    return y;
}

sn::labels cls_labels(const sn::matrix& x) {
    sn::labels y = sn::labels::from_shape({x.shape()[0]});
    for (std::size_t i = 0; i < x.shape()[0]; ++i) y(i) = x(i, 0) > 0.5f ? 0 : (x(i, 1) > 0.f ? 1 : 2);
    return y;
}

// ---- losses computed here, from predict(), in double ---------------------------------

double regression_loss_by_hand(const sn::matrix& p, const sn::matrix& y, const sn::Loss& loss, const std::vector<float>& w) {
    double s = 0.0;
    for (std::size_t i = 0; i < p.shape()[0]; ++i)
        for (std::size_t j = 0; j < p.shape()[1]; ++j) {
            const double e = static_cast<double>(p(i, j)) - y(i, j), a = std::fabs(e);
            double l = e * e;
            if (std::holds_alternative<sn::MAE>(loss)) l = a;
            if (const auto* h = std::get_if<sn::Huber>(&loss)) {
                const double d = h->delta;
                l = a <= d ? 0.5 * e * e : d * a - 0.5 * d * d;
            }
            s += (w.empty() ? 1.0 : w[j]) * l;
        }
    return s / static_cast<double>(p.size());
}

// sum_i w_{y_i} (-log p_{y_i}) / sum_i w_{y_i}, from the probabilities.
double cross_entropy_by_hand(const sn::matrix& p, const sn::labels& y, const std::vector<float>& w) {
    double s = 0.0, total = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double wi = w.empty() ? 1.0 : w[static_cast<std::size_t>(y(i))];
        s -= wi * std::log(static_cast<double>(p(i, static_cast<std::size_t>(y(i)))));
        total += wi;
    }
    return s / total;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The option `set` is refused by fit with an argument_error whose message holds every part, before
// any step (the network unchanged, on_epoch never called); and by the doctor and the range test.
template <class Net, class Y>
void expect_refused(const sn::matrix& x, const Y& y, const std::function<void(sn::FitOptions&)>& set,
                    const std::vector<std::string>& parts) {
    Net net;
    const std::vector<float> before = params_of(net);
    sn::FitOptions o = quiet(2);
    int epochs = 0;
    o.on_epoch = [&](const sn::EpochRecord&) { ++epochs; };
    set(o);
    const std::string m = message_of<sn::argument_error>([&] { sn::fit(net, x, y, o); });
    INFO(m);
    for (const std::string& part : parts) CHECK(contains(m, part));
    CHECK(epochs == 0);
    CHECK(same_bits(params_of(net), before));
    // An sn::error that is a std::invalid_argument, as every argument error.
    CHECK_THROWS_AS(sn::fit(net, x, y, o), std::invalid_argument);
    CHECK(message_of<sn::argument_error>([&] { sn::doctor(net, x, y, o); }) == m);
    CHECK(message_of<sn::argument_error>([&] { sn::find_learning_rate(net, x, y, o); }) == m);
}

}  // namespace

TEST_CASE("a loss or weights that cannot apply are refused before any step, naming the option and the task") {
    const sn::matrix x = normal_matrix(64, 4, 1);
    const sn::matrix ry = reg_targets(x, 2);
    const sn::labels cy = cls_labels(x);
    sn::matrix ty = sn::matrix::from_shape({64, 2});
    for (std::size_t i = 0; i < ty.size(); ++i) ty.data()[i] = static_cast<float>(i % 3 == 0);
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();

    // A loss other than MSE outside Regression.
    expect_refused<Cls>(x, cy, [](auto& o) { o.loss = sn::MAE{}; },
                        {"FitOptions::loss is sn::MAE{}", "Classification<3>", "softmax cross-entropy", "Regression only"});
    expect_refused<Tags>(x, ty, [](auto& o) { o.loss = sn::Huber{}; },
                         {"FitOptions::loss is sn::Huber{}", "MultiLabel<2>", "sigmoid cross-entropy"});
    // Huber's delta.
    for (const float d : {0.f, -1.f, nan, inf})
        expect_refused<Reg>(x, ry, [d](auto& o) { o.loss = sn::Huber{.delta = d}; },
                            {"FitOptions::loss is sn::Huber{.delta = ", "task Regression", "finite delta > 0"});
    // Output weights: count, sign, finiteness, all zero, task.
    expect_refused<Reg>(x, ry, [](auto& o) { o.output_weights = {1.f, 2.f}; },
                        {"FitOptions::output_weights has 2 values", "task Regression", "expected 3, one per output"});
    expect_refused<Reg>(x, ry, [](auto& o) { o.output_weights = {1.f, 1.f, 1.f, 1.f}; },
                        {"FitOptions::output_weights has 4 values", "expected 3"});
    expect_refused<Reg>(x, ry, [](auto& o) { o.output_weights = {1.f, -0.5f, 1.f}; },
                        {"FitOptions::output_weights[1] is -0.5", "task Regression", "finite weight >= 0"});
    expect_refused<Reg>(x, ry, [nan](auto& o) { o.output_weights = {1.f, 1.f, nan}; },
                        {"FitOptions::output_weights[2] is nan", "finite weight >= 0"});
    expect_refused<Reg>(x, ry, [inf](auto& o) { o.output_weights = {inf, 1.f, 1.f}; },
                        {"FitOptions::output_weights[0] is inf", "finite weight >= 0"});
    expect_refused<Reg>(x, ry, [](auto& o) { o.output_weights = {0.f, 0.f, 0.f}; },
                        {"FitOptions::output_weights are all 0", "task Regression", "at least one weight > 0"});
    expect_refused<Cls>(x, cy, [](auto& o) { o.output_weights = {1.f, 1.f, 1.f}; },
                        {"FitOptions::output_weights has 3 values, but the task is Classification<3>", "Regression only",
                         "FitOptions::class_weights"});
    expect_refused<Tags>(x, ty, [](auto& o) { o.output_weights = {1.f, 2.f}; },
                         {"FitOptions::output_weights has 2 values, but the task is MultiLabel<2>", "Regression only"});
    // Class weights likewise.
    expect_refused<Cls>(x, cy, [](auto& o) { o.class_weights = {1.f, 2.f}; },
                        {"FitOptions::class_weights has 2 values", "task Classification<3>", "expected 3, one per class"});
    expect_refused<Cls>(x, cy, [](auto& o) { o.class_weights = {1.f, 2.f, -3.f}; },
                        {"FitOptions::class_weights[2] is -3", "task Classification<3>", "finite weight >= 0"});
    expect_refused<Cls>(x, cy, [nan](auto& o) { o.class_weights = {nan, 2.f, 3.f}; }, {"FitOptions::class_weights[0] is nan"});
    expect_refused<Cls>(x, cy, [](auto& o) { o.class_weights = {0.f, 0.f, 0.f}; },
                        {"FitOptions::class_weights are all 0", "task Classification<3>"});
    expect_refused<Reg>(x, ry, [](auto& o) { o.class_weights = {1.f, 2.f, 3.f}; },
                        {"FitOptions::class_weights has 3 values, but the task is Regression", "Classification only",
                         "FitOptions::output_weights"});
    expect_refused<Tags>(x, ty, [](auto& o) { o.class_weights = {1.f, 2.f}; },
                         {"FitOptions::class_weights has 2 values, but the task is MultiLabel<2>", "Classification only"});

    // What may apply does: MSE (the default) for every task, weights of the right count with zeros.
    Cls c;
    auto o = quiet(1);
    o.class_weights = {0.f, 1.f, 2.f};
    CHECK_NOTHROW(sn::fit(c, x, cy, o));
    Reg r;
    o = quiet(1);
    o.loss = sn::Huber{.delta = 0.25f};
    o.output_weights = {0.f, 1.f, 0.f};
    CHECK_NOTHROW(sn::fit(r, x, ry, o));
    Tags t;
    CHECK_NOTHROW(sn::fit(t, x, ty, quiet(1)));
}

TEST_CASE("the validation loss is the chosen loss with its weights, over chunks of 256 rows, as computed from predict()") {
    const sn::matrix x = normal_matrix(800, 4, 3), vx = normal_matrix(700, 4, 4);  // 3 chunks of validation
    const sn::matrix y = reg_targets(x, 5), vy = reg_targets(vx, 6);
    struct variant {
        sn::Loss loss;
        std::vector<float> weights;
    };
    for (const variant& v : {variant{sn::MSE{}, {}}, variant{sn::MAE{}, {}}, variant{sn::Huber{.delta = 0.5f}, {}},
                             variant{sn::MSE{}, {2.f, 0.f, 0.5f}}, variant{sn::MAE{}, {1.f, 3.f, 0.25f}},
                             variant{sn::Huber{.delta = 1.5f}, {0.5f, 1.f, 2.f}}}) {
        Reg net{sn::Seed{8}};
        auto o = quiet(2);
        o.loss = v.loss;
        o.output_weights = v.weights;
        o.validation = sn::Validation{vx, vy};
        const sn::History h = sn::fit(net, x, y, o);
        const double by_hand = regression_loss_by_hand(net.predict(vx, 1), vy, v.loss, v.weights);
        INFO("loss index " << v.loss.index() << ", " << v.weights.size() << " weights: by hand " << by_hand);
        CHECK(*h.epochs.back().val_loss == doctest::Approx(by_hand).epsilon(1e-5));
    }
    // The three losses differ on these targets (their outliers), so the checks above are not one check.
    Reg net{sn::Seed{8}};
    const sn::matrix p = net.predict(vx, 1);
    const double mse = regression_loss_by_hand(p, vy, sn::MSE{}, {}), mae = regression_loss_by_hand(p, vy, sn::MAE{}, {}),
                 huber = regression_loss_by_hand(p, vy, sn::Huber{.delta = 0.5f}, {});
    CHECK(std::fabs(mse - mae) > 0.1);
    CHECK(std::fabs(mae - huber) > 0.1);

    // Class weights: CrossEntropyLoss(weight) over the whole validation set, across its chunks.
    const sn::labels cy = cls_labels(x), vcy = cls_labels(vx);
    for (const std::vector<float>& w : {std::vector<float>{1.f, 4.f, 0.5f}, std::vector<float>{0.f, 1.f, 2.f}}) {
        Cls cls{sn::Seed{9}};
        auto o = quiet(2);
        o.class_weights = w;
        o.validation = sn::Validation{vx, vcy};
        const sn::History h = sn::fit(cls, x, cy, o);
        const sn::matrix probabilities = cls.predict(vx, 1);
        const double by_hand = cross_entropy_by_hand(probabilities, vcy, w);
        INFO("class weights " << w[0] << ", " << w[1] << ", " << w[2] << ": by hand " << by_hand << ", unweighted "
                              << cross_entropy_by_hand(probabilities, vcy, {}));
        CHECK(*h.epochs.back().val_loss == doctest::Approx(by_hand).epsilon(1e-5));
        CHECK(std::fabs(by_hand - cross_entropy_by_hand(probabilities, vcy, {})) > 1e-3);
        // sn::evaluate has no options: it reports the task's own, unweighted loss.
        CHECK(sn::evaluate(cls, vx, vcy, 1).loss == doctest::Approx(cross_entropy_by_hand(probabilities, vcy, {})).epsilon(1e-5));
    }
}

TEST_CASE("class weights change what is learned: a class weighted 0 is never predicted, one weighted up is favoured") {
    // Three overlapping classes; weighting class 2 by 0 leaves the network no reason to predict it.
    const auto d = blobs(1200, 11);
    using Four = sn::Network<sn::Classification<4>, NoDropout, sn::Input<10>, sn::Dense<32>, sn::ELU, sn::Dense<4>, sn::Softmax>;
    const auto predicted = [&](const std::vector<float>& w) {
        Four net{sn::Seed{12}};
        auto o = quiet(4);
        o.class_weights = w;
        sn::fit(net, d.x, d.y, o);
        const sn::ConfusionMatrix cm = sn::confusion_matrix(net.predict(d.x, 1), d.y);
        std::vector<std::int64_t> per_class(4, 0);
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < 4; ++j) per_class[j] += cm.counts(i, j);
        return per_class;
    };
    const std::vector<std::int64_t> plain = predicted({}), zero = predicted({1.f, 1.f, 0.f, 1.f});
    INFO("predicted per class, unweighted: " << plain[0] << " " << plain[1] << " " << plain[2] << " " << plain[3]
                                             << "; class 2 weighted 0: " << zero[0] << " " << zero[1] << " " << zero[2] << " "
                                             << zero[3]);
    CHECK(plain[2] > 250);
    CHECK(zero[2] < 30);
}

TEST_CASE("L2.3's baseline is the best constant under the fit's loss and weights, by hand") {
    using sn::detail::baseline_loss;
    using sn::detail::loss_config;
    using sn::detail::regression_loss;
    const sn::detail::net_shape one{{sn::detail::task_kind::regression, 0}, 1, 1};
    const auto column = [](std::vector<float> v) {
        sn::matrix m = sn::matrix::from_shape({v.size(), 1});
        for (std::size_t i = 0; i < v.size(); ++i) m(i, 0) = v[i];
        return m;
    };
    loss_config mse, mae, huber;
    mae.kind = regression_loss::mae;
    huber.kind = regression_loss::huber;
    // MSE: the mean 13/3; MAE: the median 2. Validation 0 and 1 (the mean's MAE would be 23/6).
    const sn::matrix t1 = column({1.f, 2.f, 10.f}), v1 = column({0.f, 1.f});
    const double mean = 13.0 / 3.0;
    CHECK(baseline_loss(one, {nullptr, &t1}, {nullptr, &v1}, mse) ==
          doctest::Approx(((0 - mean) * (0 - mean) + (1 - mean) * (1 - mean)) / 2));
    CHECK(baseline_loss(one, {nullptr, &t1}, {nullptr, &v1}, mae) == doctest::Approx((2.0 + 1.0) / 2));
    // Huber (delta 1): sum clamp(t - c, -1, 1) = 0 for t = 0, 0, 0, 10 at c = 1/3. Validation
    // 1/3 + 0.5 (quadratic piece: 0.125) and 1/3 + 3 (linear piece: 3 - 0.5).
    const sn::matrix t2 = column({0.f, 0.f, 0.f, 10.f}), v2 = column({1.f / 3 + 0.5f, 1.f / 3 + 3.f});
    CHECK(baseline_loss(one, {nullptr, &t2}, {nullptr, &v2}, huber) == doctest::Approx((0.125 + 2.5) / 2).epsilon(1e-6));
    // Output weights: each output's best constant, weighted; two outputs weighted 2 and 0.5.
    const sn::detail::net_shape two{{sn::detail::task_kind::regression, 0}, 1, 2};
    sn::matrix t3 = sn::matrix::from_shape({2, 2}), v3 = sn::matrix::from_shape({1, 2});
    t3(0, 0) = 1.f, t3(1, 0) = 3.f, t3(0, 1) = -1.f, t3(1, 1) = -1.f;  // means 2 and -1
    v3(0, 0) = 4.f, v3(0, 1) = 1.f;  // errors 2 and 2
    loss_config weighted;
    weighted.weights = {2.f, 0.5f};
    CHECK(baseline_loss(two, {nullptr, &t3}, {nullptr, &v3}, weighted) == doctest::Approx((2 * 4.0 + 0.5 * 4.0) / 2));
    // Class weights: train labels 0, 0, 0, 1, 2 with weights 1, 2, 0.5: Laplace counts 4, 2, 2,
    // times the weights 4, 4, 1, so p = 4/9, 4/9, 1/9; validation labels 0, 1, 2, 2 weigh 1 + 2 + 0.5 + 0.5.
    const sn::detail::net_shape three{{sn::detail::task_kind::classification, 3}, 1, 3};
    sn::labels tl = sn::labels::from_shape({5}), vl = sn::labels::from_shape({4});
    tl(0) = 0, tl(1) = 0, tl(2) = 0, tl(3) = 1, tl(4) = 2;
    vl(0) = 0, vl(1) = 1, vl(2) = 2, vl(3) = 2;
    loss_config cw;
    cw.weights = {1.f, 2.f, 0.5f};
    CHECK(baseline_loss(three, {&tl, nullptr}, {&vl, nullptr}, cw) ==
          doctest::Approx((-1 * std::log(4.0 / 9) - 2 * std::log(4.0 / 9) - 2 * 0.5 * std::log(1.0 / 9)) / 4));
    // Unweighted, the frequencies 4/8, 2/8, 2/8.
    CHECK(baseline_loss(three, {&tl, nullptr}, {&vl, nullptr}, {}) == doctest::Approx((-std::log(0.5) - 3 * std::log(0.25)) / 4));
}

TEST_CASE("L2.3 under MAE: fires on targets the inputs say nothing about, as the MAE of a median; silent on a learnable one") {
    // Targets unrelated to the inputs: the best any network can do on held-out rows is a median,
    // whose MAE is about 0.8 on standard normal targets. Measured against an MSE baseline (about
    // 1) it would pass for learning.
    const sn::matrix x = normal_matrix(800, 4, 21), vx = normal_matrix(300, 4, 22);
    const sn::matrix noise = normal_matrix(800, 3, 23), vnoise = normal_matrix(300, 3, 24);
    auto o = quiet(3, 16);
    o.loss = sn::MAE{};
    o.validation = sn::Validation{vx, vnoise};
    Reg net{sn::Seed{25}};
    const sn::History h = sn::fit(net, x, noise, o);
    INFO(h.epochs.back().val_loss.value_or(-1));
    CHECK(h.fired("L2.3"));
    CHECK(*h.epochs.back().val_loss < 0.9);  // below the MSE baseline's 0.9 x 1
    o.allow = sn::allow<sn::lint::NoBetterThanBaseline>();
    Reg waived{sn::Seed{25}};
    CHECK_FALSE(sn::fit(waived, x, noise, o).fired("L2.3"));

    o.allow = {};
    o.validation = sn::Validation{vx, reg_targets(vx, 27)};
    Reg learns{sn::Seed{25}};
    CHECK_FALSE(sn::fit(learns, x, reg_targets(x, 26), o).fired("L2.3"));
}

TEST_CASE("L9.2's regression bound under another loss is that loss of N(0, 10) errors, by quadrature") {
    // Simpson's rule over [-12 sd, 12 sd] of l(e) phi(e / sd) / sd.
    const auto expected = [](const std::function<double(double)>& l, double variance) {
        const double sd = std::sqrt(variance), a = -12 * sd, b = 12 * sd;
        const int n = 200000;
        const double h = (b - a) / n;
        double s = 0.0;
        for (int i = 0; i <= n; ++i) {
            const double e = a + i * h, f = l(e) * std::exp(-0.5 * e * e / variance) / std::sqrt(2 * pi * variance);
            s += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
        }
        return s * h / 3;
    };
    sn::detail::loss_config c;
    CHECK(sn::detail::loss_of_normal_errors(c, 10.0) == 10.0);  // MSE: the bound itself
    c.kind = sn::detail::regression_loss::mae;
    CHECK(sn::detail::loss_of_normal_errors(c, 10.0) == doctest::Approx(expected([](double e) { return std::fabs(e); }, 10.0)));
    CHECK(sn::detail::loss_of_normal_errors(c, 10.0) == doctest::Approx(2.5231).epsilon(1e-4));
    c.kind = sn::detail::regression_loss::huber;
    for (const float delta : {0.25f, 1.f, 3.f, 20.f}) {
        c.delta = delta;
        const double d = delta;
        const auto huber = [d](double e) { return std::fabs(e) <= d ? 0.5 * e * e : d * (std::fabs(e) - 0.5 * d); };
        INFO("delta " << delta);
        CHECK(sn::detail::loss_of_normal_errors(c, 10.0) == doctest::Approx(expected(huber, 10.0)).epsilon(1e-7));
    }
    c.delta = 1.f;
    c.weights = {2.f, 0.f, 1.f};  // mean weight 1
    const double unweighted = expected([](double e) { return std::fabs(e) <= 1 ? 0.5 * e * e : std::fabs(e) - 0.5; }, 10.0);
    CHECK(sn::detail::loss_of_normal_errors(c, 10.0) == doctest::Approx(unweighted).epsilon(1e-7));
    c.kind = sn::detail::regression_loss::mse;
    c.weights = {3.f, 3.f, 3.f};
    CHECK(sn::detail::loss_of_normal_errors(c, 10.0) == doctest::Approx(30.0));
}

TEST_CASE("doctor L9.2 under MAE: the loss at init is the MAE, against the MAE of N(0, 10) errors") {
    const sn::matrix x = normal_matrix(600, 4, 31);
    const sn::matrix y = reg_targets(x, 32);
    auto o = quiet();
    o.loss = sn::MAE{};
    o.allow = sn::allow<sn::lint::NoValidation>();
    const auto mae_on_first_1024 = [&](const Reg& net) { return regression_loss_by_hand(net.predict(x, 1), y, sn::MAE{}, {}); };

    Reg neutral{sn::Seed{33}};
    const sn::Report calm = sn::doctor(neutral, x, y, o);
    INFO(calm.to_string());
    CHECK(calm.loss_at_init == doctest::Approx(mae_on_first_1024(neutral)).epsilon(1e-5));
    CHECK_FALSE(calm.found("L9.2"));
    CHECK(contains(calm.checks[1].result, "expected at most 2.523 on standardized targets (the MAE of errors of variance 10)"));

    // Weights grown until the untrained network's MAE is about 3.5: over 2.523, under 10 (the MSE's bound).
    Reg loud{sn::Seed{33}};
    while (mae_on_first_1024(loud) < 3.5) scale_dense_weights(loud, 1.2f);
    const double mae = mae_on_first_1024(loud);
    REQUIRE(mae < 10.0);
    const sn::Report r = sn::doctor(loud, x, y, o);
    INFO(r.to_string());
    CHECK(r.found("L9.2"));
    CHECK(r.loss_at_init == doctest::Approx(mae).epsilon(1e-5));
    o.allow = sn::allow<sn::lint::NoValidation, sn::lint::LossAtInit>();
    CHECK_FALSE(sn::doctor(loud, x, y, o).found("L9.2"));

    // Output weights scale the bound by their mean: MSE weighted 2, 2, 2 allows 20.
    o.loss = sn::MSE{};
    o.output_weights = {2.f, 2.f, 2.f};
    o.allow = sn::allow<sn::lint::NoValidation>();
    CHECK(contains(sn::doctor(neutral, x, y, o).checks[1].result, "expected at most 20 on standardized targets"));
}

TEST_CASE("find_learning_rate(net, x, y, FitOptions): the fit's batch, optimizer, seed, threads, L6.1 factor and loss") {
    const auto d = blobs(400, 41);
    using Four = sn::Network<sn::Classification<4>, NoDropout, sn::Input<10>, sn::Dense<32>, sn::ELU, sn::Dense<4>, sn::Softmax>;
    const Four net{sn::Seed{42}};
    const std::vector<float> before = params_of(net);
    const auto same_curve = [](const sn::LrFinding& a, const sn::LrFinding& b) {
        if (a.curve.size() != b.curve.size() || a.max_stable != b.max_stable) return false;
        for (std::size_t i = 0; i < a.curve.size(); ++i)
            if (a.curve[i].learning_rate != b.curve[i].learning_rate || a.curve[i].loss != b.curve[i].loss) return false;
        return true;
    };
    sn::FitOptions o = quiet();
    o.batch_size = 8;
    o.optimizer = sn::SGD{.learning_rate = 0.5f, .momentum = 0.5f};  // the rate itself is swept
    o.seed = 5;
    o.threads = 2;
    o.thresholds.divergence_factor = 3.0;
    const sn::LrFinding f = sn::find_learning_rate(net, d.x, d.y, o);
    const sn::LrFinding same = sn::find_learning_rate(
        net, d.x, d.y,
        sn::LrOptions{.optimizer = sn::SGD{.momentum = 0.5f}, .batch_size = 8, .explosion_factor = 3.0, .seed = 5, .threads = 2});
    CHECK(same_curve(f, same));
    CHECK(f.exploded());
    CHECK(same_bits(params_of(net), before));
    // Each setting is used: another batch, optimizer, seed or factor gives another curve.
    for (const std::function<void(sn::FitOptions&)>& change :
         {std::function<void(sn::FitOptions&)>([](auto& p) { p.batch_size = 16; }),
          std::function<void(sn::FitOptions&)>([](auto& p) { p.optimizer = sn::Adam{}; }),
          std::function<void(sn::FitOptions&)>([](auto& p) { p.seed = 6; }),
          std::function<void(sn::FitOptions&)>([](auto& p) { p.thresholds.divergence_factor = 1.5; })}) {
        sn::FitOptions other = o;
        change(other);
        CHECK_FALSE(same_curve(sn::find_learning_rate(net, d.x, d.y, other), f));
    }
    // The threads change no bit.
    o.threads = 1;
    CHECK(same_curve(sn::find_learning_rate(net, d.x, d.y, o), f));
    // A braced list is still LrOptions.
    CHECK(sn::find_learning_rate(net, d.x, d.y, {.stop = 1e-5, .steps = 20, .threads = 1}).curve.size() == 20);

    // The loss: with one batch of every row, the first step's loss is the loss at init, by hand.
    o.batch_size = 400;
    o.class_weights = {1.f, 3.f, 0.5f, 2.f};
    const sn::LrFinding weighted = sn::find_learning_rate(net, d.x, d.y, o);
    const sn::matrix p = net.predict(d.x, 1);
    CHECK(weighted.curve.front().loss == doctest::Approx(cross_entropy_by_hand(p, d.y, o.class_weights)).epsilon(1e-5));
    CHECK(std::fabs(cross_entropy_by_hand(p, d.y, o.class_weights) - cross_entropy_by_hand(p, d.y, {})) > 1e-3);

    const sn::matrix rx = normal_matrix(300, 4, 43);
    const sn::matrix ry = reg_targets(rx, 44);
    const Reg reg{sn::Seed{45}};
    sn::FitOptions ro = quiet();
    ro.batch_size = 300;
    ro.loss = sn::Huber{.delta = 0.5f};
    ro.output_weights = {1.f, 2.f, 0.5f};
    CHECK(sn::find_learning_rate(reg, rx, ry, ro).curve.front().loss ==
          doctest::Approx(regression_loss_by_hand(reg.predict(rx, 1), ry, ro.loss, ro.output_weights)).epsilon(1e-5));
}
