// sn::fit end to end: convergence on small synthetic tasks of every kind, determinism,
// the checks before the first step, divergence (L6.1) restoring the last good weights,
// validation and the History.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

// k Gaussian blobs in d dimensions around random centers (N(0, 1.5^2) per coordinate), noise
// N(0, 0.5^2); unlike sanenet_test::blobs, whose centers are fixed.
blobs_data random_blobs(std::size_t n, std::size_t d, int k, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    std::vector<std::vector<double>> centers(static_cast<std::size_t>(k), std::vector<double>(d));
    for (auto& c : centers)
        for (auto& v : c) v = 1.5 * r.normal();
    blobs_data b{sn::matrix::from_shape({n, d}), sn::labels::from_shape({n})};
    for (std::size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(i % static_cast<std::size_t>(k));
        b.y(i) = c;
        for (std::size_t j = 0; j < d; ++j) b.x(i, j) = static_cast<float>(centers[static_cast<std::size_t>(c)][j] + 0.5 * r.normal());
    }
    return b;
}

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dropout<0.9>, sn::Dense<4>, sn::Softmax>;
using Regressor = sn::Network<sn::Regression, NoDropout, sn::Input<3>, sn::Dense<64, sn::He>, sn::ELU, sn::Dense<64, sn::He>, sn::ELU, sn::Dense<2>,
                              sn::Identity>;

}  // namespace

TEST_CASE("classification converges on Gaussian blobs") {
    const auto train = random_blobs(2000, 10, 4, 1), val = random_blobs(500, 10, 4, 1);
    Classifier net;
    const double before = sn::accuracy(net.predict(val.x), val.y);
    auto o = quiet(5);
    o.validation = sn::Validation{val.x, val.y};
    const sn::History h = sn::fit(net, train.x, train.y, o);
    REQUIRE(h.epochs.size() == 5);
    CHECK(h.metric == "accuracy");
    CHECK(h.epochs.back().train_loss < h.epochs.front().train_loss);
    CHECK(*h.epochs.back().val_metric > 0.97);
    CHECK(before < 0.6);
    CHECK(sn::accuracy(net.predict(val.x), val.y) == doctest::Approx(*h.epochs.back().val_metric));
    const sn::Evaluation e = sn::evaluate(net, val.x, val.y);
    CHECK(e.loss == doctest::Approx(*h.epochs.back().val_loss).epsilon(1e-4));
    CHECK(h.stop == sn::StopReason::completed);
}

TEST_CASE("regression converges on a smooth two-output function (R^2)") {
    const sn::matrix x = normal_matrix(3000, 3, 5);
    sn::matrix y = sn::matrix::from_shape({3000, 2});
    for (std::size_t i = 0; i < 3000; ++i) {
        y(i, 0) = std::sin(x(i, 0)) + 0.5f * x(i, 1) * x(i, 2);
        y(i, 1) = std::tanh(x(i, 1) - x(i, 0));
    }
    sn::Standardizer ys;
    const sn::matrix yz = ys.fit_transform(y);
    Regressor net;
    auto o = quiet(15, 32);
    o.optimizer = sn::Adam{.learning_rate = 2e-3f};
    const sn::History h = sn::fit(net, x, yz, o);
    const sn::matrix pred = ys.inverse_transform(net.predict(x));
    CHECK(sn::r2(pred, y) > 0.95);
    CHECK(sn::mse(net.predict(x), yz) < 0.05);
    CHECK(h.metric == "r2");
}

TEST_CASE("MultiLabel and Binary converge with sigmoid cross-entropy") {
    const sn::matrix x = normal_matrix(2000, 4, 8);
    sn::matrix y = sn::matrix::from_shape({2000, 3});
    sn::matrix yb = sn::matrix::from_shape({2000, 1});
    for (std::size_t i = 0; i < 2000; ++i) {
        y(i, 0) = x(i, 0) > 0;
        y(i, 1) = x(i, 1) + x(i, 2) > 0;
        y(i, 2) = x(i, 3) * x(i, 0) > 0;
        yb(i, 0) = x(i, 0) * x(i, 0) + x(i, 1) * x(i, 1) < 1.4f;  // inside a circle
    }
    sn::Network<sn::MultiLabel<3>, NoDropout, sn::Input<4>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<3>, sn::Sigmoid> multi;
    auto o = quiet(20, 16);
    o.validation = sn::Validation{x, y};
    const auto hm = sn::fit(multi, x, y, o);
    CHECK(*hm.epochs.back().val_metric > 0.95);

    sn::Network<sn::Binary, NoDropout, sn::Input<4>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<1>, sn::Sigmoid> binary;
    o.validation = sn::Validation{x, yb};
    const auto hb = sn::fit(binary, x, yb, o);
    CHECK(*hb.epochs.back().val_metric > 0.95);
    sn::labels yl = sn::labels::from_shape({2000});
    for (std::size_t i = 0; i < 2000; ++i) yl(i) = yb(i, 0) > 0.5f;
    CHECK(sn::accuracy(binary.predict(x), yl) > 0.95);
}

TEST_CASE("SGD with momentum, Nesterov and AdamW all train") {
    const auto train = random_blobs(1000, 10, 4, 3);
    for (const sn::Optimizer& opt : {sn::Optimizer{sn::SGD{.learning_rate = 0.05f, .momentum = 0.9f}},
                                     sn::Optimizer{sn::SGD{.learning_rate = 0.05f, .momentum = 0.9f, .nesterov = true}},
                                     sn::Optimizer{sn::AdamW{.learning_rate = 1e-3f, .weight_decay = 0.01f}}}) {
        Classifier net;
        auto o = quiet(5);
        o.optimizer = opt;
        sn::fit(net, train.x, train.y, o);
        CHECK(sn::accuracy(net.predict(train.x), train.y) > 0.95);
    }
}

TEST_CASE("same seed and threads give bit-identical weights; so do 1 and 2 threads") {
    const auto train = random_blobs(1000, 10, 4, 4);
    auto run = [&](int threads, std::uint64_t seed) {
        Classifier net{sn::Seed{seed}};
        auto o = quiet(2, 128);  // large enough that the GEMMs are split between threads
        o.threads = threads;
        o.seed = seed;
        o.allow = sn::allow<sn::lint::LargeBatch>();
        sn::fit(net, train.x, train.y, o);
        return params_of(net);
    };
    const auto a = run(1, 9), b = run(1, 9), c = run(2, 9), d = run(1, 10);
    CHECK(a == b);
    CHECK(a == c);
    CHECK(a != d);
}

TEST_CASE("a small batch's fused weight update equals GEMM + update, for every optimizer and rule branch") {
    // Batches up to trainer::fused_max_rows apply each weight gradient as it is computed; a
    // clip bound no gradient reaches takes the unfused path (gradients, then the update).
    const sn::Optimizer opts[] = {sn::SGD{.learning_rate = 0.05f, .momentum = 0.9f},
                                  sn::SGD{.learning_rate = 0.05f, .momentum = 0.f},
                                  sn::SGD{.learning_rate = 0.05f, .momentum = 0.9f, .nesterov = true, .weight_decay = 0.01f},
                                  sn::SGD{.learning_rate = 0.05f, .momentum = 0.f, .weight_decay = 0.01f},
                                  sn::Adam{.learning_rate = 1e-2f},
                                  sn::AdamW{.learning_rate = 1e-2f, .weight_decay = 0.1f}};
    for (std::size_t o = 0; o < std::size(opts); ++o)
        for (std::size_t rows : {std::size_t{1}, std::size_t{3}, std::size_t{6}}) {
            Classifier fused_net{sn::Seed{5}}, plain_net{sn::Seed{5}};
            sn::detail::trainer fused(fused_net.engine(), opts[o], 8, 1, 1), plain(plain_net.engine(), opts[o], 8, 1, 1);
            sn::kernels::rng r(7);
            for (std::size_t i = 0; i < rows * 10; ++i) fused.input()[i] = plain.input()[i] = static_cast<float>(r.normal());
            for (std::size_t i = 0; i < rows; ++i) fused.target_labels()[i] = plain.target_labels()[i] = static_cast<std::int32_t>(i % 4);
            for (int step = 0; step < 3; ++step) {
                fused.step(rows);
                plain.step(rows, 1e30f);
            }
            INFO("optimizer " << o << ", batch " << rows);
            const auto a = params_of(fused_net), b = params_of(plain_net);
            double worst = 0.0;
            for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
            CHECK(worst < 1e-5);
            CHECK(a != params_of(Classifier{sn::Seed{5}}));  // the steps did change the weights
            for (std::size_t l = 0; l < fused.dense_layers(); ++l)
                CHECK(fused.weight_gradient_norm(l) == doctest::Approx(plain.weight_gradient_norm(l)).epsilon(1e-4));
        }
}

TEST_CASE("clipping by global gradient norm is off by default and bounds the step when on") {
    Classifier net;
    sn::detail::trainer tr(net.engine(), sn::SGD{}, 8, 1, 1);
    sn::kernels::rng r(1);
    for (std::size_t i = 0; i < 80; ++i) tr.input()[i] = static_cast<float>(100.0 * r.normal());
    for (std::size_t i = 0; i < 8; ++i) tr.target_labels()[i] = static_cast<std::int32_t>(i % 4);
    tr.forward_backward(8);
    CHECK(tr.clip(1.f));
    CHECK(tr.last_gradient_norm() > 1.0);
    CHECK(std::sqrt(sn::kernels::sum_squares(tr.gradients(), Classifier::parameter_count)) == doctest::Approx(1.0).epsilon(1e-4));
    CHECK_FALSE(tr.clip(1e9f));
    CHECK_FALSE(sn::FitOptions{}.clip_grad_norm.has_value());
}

TEST_CASE("bad input is rejected before any step, and the network is left untouched") {
    const auto d = random_blobs(100, 10, 4, 6);
    Classifier net;
    const std::vector<float> before = params_of(net);
    auto o = quiet(1);

    CHECK_THROWS_WITH_AS(sn::fit(net, normal_matrix(100, 9, 1), d.y, o), doctest::Contains("(100, 9)"), sn::shape_error);
    sn::labels bad = d.y;
    bad(17) = 4;
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, bad, o), doctest::Contains("row 17"), sn::shape_error);
    bad(17) = -1;
    CHECK_THROWS_AS(sn::fit(net, d.x, bad, o), sn::shape_error);
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, sn::take_rows(d.y, 0, 50), o), doctest::Contains("50"), sn::shape_error);

    sn::matrix nan_x = d.x;
    nan_x(42, 3) = std::nanf("");
    try {
        sn::fit(net, nan_x, d.y, o);
        FAIL("expected lint_error L3.1");
    } catch (const sn::lint_error& e) {
        CHECK(e.id() == "L3.1");
        CHECK(std::string(e.what()).find("row 42, column 3") != std::string::npos);
    }
    auto big = quiet(1, 101);
    try {
        sn::fit(net, d.x, d.y, big);
        FAIL("expected lint_error L5.2");
    } catch (const sn::lint_error& e) {
        CHECK(e.id() == "L5.2");
    }
    auto val = quiet(1);
    val.validation = sn::Validation{normal_matrix(10, 11, 2), d.y};
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, d.y, val), doctest::Contains("validation"), sn::shape_error);
    auto zero_lr = quiet(1);
    zero_lr.optimizer = sn::Adam{.learning_rate = 0.f};
    CHECK_THROWS_AS(sn::fit(net, d.x, d.y, zero_lr), std::invalid_argument);

    sn::matrix y = sn::matrix::from_shape({100, 2});
    y.fill(0.f);
    y(3, 1) = std::numeric_limits<float>::infinity();
    Regressor reg;
    try {
        sn::fit(reg, normal_matrix(100, 3, 3), y, o);
        FAIL("expected lint_error L3.1");
    } catch (const sn::lint_error& e) {
        CHECK(e.id() == "L3.1");
        CHECK(std::string(e.what()).find("targets") != std::string::npos);
    }
    CHECK(std::memcmp(before.data(), net.engine().params(), before.size() * sizeof(float)) == 0);
}

TEST_CASE("L6.1: a diverging fit restores the weights of the last good epoch and keeps its History") {
    const auto d = random_blobs(500, 10, 4, 7);
    Classifier net;
    auto o = quiet(1);
    sn::fit(net, d.x, d.y, o);  // one good epoch
    const std::vector<float> good = params_of(net);
    o.epochs = 5;
    o.optimizer = sn::SGD{.learning_rate = 1e6f, .momentum = 0.9f};
    try {
        sn::fit(net, d.x, d.y, o);
        FAIL("expected divergence_error");
    } catch (const sn::divergence_error& e) {
        CHECK(e.id() == "L6.1");
        CHECK(e.history().stop == sn::StopReason::diverged);
        CHECK(std::string(e.what()).find("find_learning_rate") != std::string::npos);
    }
    CHECK(std::memcmp(good.data(), net.engine().params(), good.size() * sizeof(float)) == 0);
    CHECK(sn::kernels::all_finite(net.engine().params(), Classifier::parameter_count));
}

TEST_CASE("on_epoch sees every epoch; epochs = 0 trains nothing") {
    const auto d = random_blobs(200, 10, 4, 8);
    Classifier net;
    int calls = 0;
    auto o = quiet(3);
    o.on_epoch = [&](const sn::EpochRecord& e) { CHECK(e.epoch == ++calls); };
    sn::fit(net, d.x, d.y, o);
    CHECK(calls == 3);
    const std::vector<float> before = params_of(net);
    const auto h = sn::fit(net, d.x, d.y, quiet(0));
    CHECK(h.epochs.empty());
    CHECK(std::memcmp(before.data(), net.engine().params(), before.size() * sizeof(float)) == 0);
}
