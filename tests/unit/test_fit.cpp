// sn::fit end to end: convergence on small synthetic tasks of every kind, validated on held-out
// rows against scores computed here from predict(); determinism across seeds and threads at
// shapes that split; the checks before the first step; divergence (L6.1) in a later epoch
// restoring that epoch's start; the History.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

// k Gaussian blobs in d dimensions around random centers (N(0, 1.5^2) per coordinate, from
// centers_seed); each row's class and its noise N(0, noise^2) from noise_seed: the same centers
// with another noise seed give held-out rows of the same task. Random classes, not i % k, so
// that rows 256 apart (the evaluator's chunks) need not share a label. Unlike
// sanenet_test::blobs, whose centers are fixed.
blobs_data random_blobs(std::size_t n, std::size_t d, int k, std::uint64_t centers_seed, std::uint64_t noise_seed,
                        double noise = 0.5) {
    // The noise stream is keyed apart, so that equal seeds do not replay the centers as noise.
    sn::kernels::rng c(centers_seed), r(noise_seed ^ 0x6A09E667F3BCC908ull);
    std::vector<std::vector<double>> centers(static_cast<std::size_t>(k), std::vector<double>(d));
    for (auto& center : centers)
        for (auto& v : center) v = 1.5 * c.normal();
    blobs_data b{sn::matrix::from_shape({n, d}), sn::labels::from_shape({n})};
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t cls = r.below(static_cast<std::uint64_t>(k));
        b.y(i) = static_cast<std::int32_t>(cls);
        for (std::size_t j = 0; j < d; ++j) b.x(i, j) = static_cast<float>(centers[cls][j] + noise * r.normal());
    }
    return b;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ---- scores computed here from predict(), independently of fit's evaluator --------------

// Mean cross-entropy -log p(label) from the probabilities (the evaluator works from the
// logits), and the share of rows whose largest probability is the label's.
struct class_scores {
    double loss = 0.0, accuracy = 0.0;
};
class_scores class_scores_by_hand(const sn::matrix& p, const sn::labels& y) {
    const std::size_t n = p.shape()[0], k = p.shape()[1];
    class_scores s;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t label = static_cast<std::size_t>(y(i));
        std::size_t best = 0;
        for (std::size_t j = 1; j < k; ++j)
            if (p(i, j) > p(i, best)) best = j;
        s.accuracy += best == label;
        s.loss -= std::log(static_cast<double>(p(i, label)));
    }
    s.loss /= static_cast<double>(n);
    s.accuracy /= static_cast<double>(n);
    return s;
}

// Per output, R^2 = 1 - (sum of squared errors) / (total sum of squares about the output's
// mean), averaged over the outputs; and the mean squared error. Two passes, in double.
struct regression_scores {
    double r2 = 0.0, mse = 0.0;
};
regression_scores regression_scores_by_hand(const sn::matrix& pred, const sn::matrix& y) {
    const std::size_t n = y.shape()[0], k = y.shape()[1];
    regression_scores s;
    for (std::size_t j = 0; j < k; ++j) {
        double mean = 0.0;
        for (std::size_t i = 0; i < n; ++i) mean += y(i, j);
        mean /= static_cast<double>(n);
        double sse = 0.0, sst = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double e = static_cast<double>(pred(i, j)) - y(i, j), c = y(i, j) - mean;
            sse += e * e;
            sst += c * c;
        }
        s.r2 += 1.0 - sse / sst;
        s.mse += sse;
    }
    s.r2 /= static_cast<double>(k);
    s.mse /= static_cast<double>(n * k);
    return s;
}

// Share of (row, label) pairs where the probability is on the target's side of 1/2.
double label_accuracy_by_hand(const sn::matrix& p, const sn::matrix& t) {
    double hits = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) hits += (p.data()[i] > 0.5f) == (t.data()[i] >= 0.5f);
    return hits / static_cast<double>(p.size());
}

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                               sn::Dense<4>, sn::Softmax>;
using Regressor = sn::Network<sn::Regression, NoDropout, sn::Input<3>, sn::Dense<64, sn::He>, sn::ELU, sn::Dense<64, sn::He>,
                              sn::ELU, sn::Dense<2>, sn::Identity>;

// Two smooth functions of three inputs.
sn::matrix regression_targets(const sn::matrix& x) {
    sn::matrix y = sn::matrix::from_shape({x.shape()[0], 2});
    for (std::size_t i = 0; i < x.shape()[0]; ++i) {
        y(i, 0) = std::sin(x(i, 0)) + 0.5f * x(i, 1) * x(i, 2);
        y(i, 1) = std::tanh(x(i, 1) - x(i, 0));
    }
    return y;
}

// Three labels of four inputs, and a Binary target: inside a circle.
sn::matrix multilabel_targets(const sn::matrix& x) {
    sn::matrix y = sn::matrix::from_shape({x.shape()[0], 3});
    for (std::size_t i = 0; i < x.shape()[0]; ++i) {
        y(i, 0) = x(i, 0) > 0;
        y(i, 1) = x(i, 1) + x(i, 2) > 0;
        y(i, 2) = x(i, 3) * x(i, 0) > 0;
    }
    return y;
}
sn::matrix binary_targets(const sn::matrix& x) {
    sn::matrix y = sn::matrix::from_shape({x.shape()[0], 1});
    for (std::size_t i = 0; i < x.shape()[0]; ++i) y(i, 0) = x(i, 0) * x(i, 0) + x(i, 1) * x(i, 1) < 1.4f;
    return y;
}

}  // namespace

TEST_CASE(
    "classification converges on Gaussian blobs; held-out loss and accuracy match a cross-entropy computed from predict()") {
    // Same centers, other noise: held-out rows of the same task. Noise 1.5 leaves a few of
    // them misclassified, so that the accuracies compared below are not all 1.
    const auto train = random_blobs(2000, 10, 4, 1, 1, 1.5), val = random_blobs(500, 10, 4, 1, 2, 1.5);
    Classifier net;
    const double before = class_scores_by_hand(net.predict(val.x), val.y).accuracy;
    auto o = quiet(5);
    o.validation = sn::Validation{val.x, val.y};
    const sn::History h = sn::fit(net, train.x, train.y, o);
    REQUIRE(h.epochs.size() == 5);
    CHECK_FALSE(h.fired("L2.2"));  // no validation row is a training row
    CHECK(h.metric == "accuracy");
    CHECK(h.epochs.back().train_loss < h.epochs.front().train_loss);
    CHECK(before < 0.6);
    CHECK(h.stop == sn::StopReason::completed);

    const class_scores hand = class_scores_by_hand(net.predict(val.x, 1), val.y);
    INFO("by hand: loss " << hand.loss << ", accuracy " << hand.accuracy);
    CHECK(hand.accuracy > 0.97);
    CHECK(hand.accuracy < 1.0);
    CHECK(*h.epochs.back().val_metric == doctest::Approx(hand.accuracy).epsilon(1e-12));
    // Float probabilities against the evaluator's log-softmax: a few ulps of each row's loss.
    CHECK(*h.epochs.back().val_loss == doctest::Approx(hand.loss).epsilon(1e-5));
    const sn::Evaluation e = sn::evaluate(net, val.x, val.y);
    CHECK(e.metric_name == "accuracy");
    CHECK(e.metric == doctest::Approx(hand.accuracy).epsilon(1e-12));
    CHECK(e.loss == doctest::Approx(hand.loss).epsilon(1e-5));
}

TEST_CASE("regression converges on a smooth two-output function; held-out R^2 and MSE match values computed from predict()") {
    const sn::matrix x = normal_matrix(3000, 3, 5), xv = normal_matrix(1000, 3, 6);
    const sn::matrix y = regression_targets(x), yv = regression_targets(xv);
    sn::Standardizer ys;
    const sn::matrix yz = ys.fit_transform(y), yvz = ys.transform(yv);
    Regressor net;
    auto o = quiet(15, 32);
    o.optimizer = sn::Adam{.learning_rate = 2e-3f};
    o.validation = sn::Validation{xv, yvz};
    const sn::History h = sn::fit(net, x, yz, o);
    REQUIRE(h.epochs.size() == 15);
    CHECK(h.metric == "r2");
    CHECK_FALSE(h.fired("L2.2"));

    const regression_scores hand = regression_scores_by_hand(net.predict(xv, 1), yvz);
    INFO("by hand: R^2 " << hand.r2 << ", MSE " << hand.mse);
    CHECK(hand.r2 > 0.95);
    // Same predictions, so only the summation differs (the evaluator's one-pass sums in double).
    CHECK(*h.epochs.back().val_metric == doctest::Approx(hand.r2).epsilon(1e-9));
    // The evaluator sums squared errors in float within each chunk.
    CHECK(*h.epochs.back().val_loss == doctest::Approx(hand.mse).epsilon(1e-5));
    const sn::Evaluation e = sn::evaluate(net, xv, yvz);
    CHECK(e.metric_name == "r2");
    CHECK(e.metric == doctest::Approx(hand.r2).epsilon(1e-9));
    CHECK(e.loss == doctest::Approx(hand.mse).epsilon(1e-5));
    // R^2 is the same on the original scale: the Standardizer's inverse is affine per output.
    CHECK(regression_scores_by_hand(ys.inverse_transform(net.predict(xv, 1)), yv).r2 == doctest::Approx(hand.r2).epsilon(1e-6));
}

TEST_CASE("MultiLabel and Binary converge with sigmoid cross-entropy; held-out per-label accuracy matches predict()") {
    const sn::matrix x = normal_matrix(2000, 4, 8), xv = normal_matrix(1000, 4, 9);
    const sn::matrix y = multilabel_targets(x), yv = multilabel_targets(xv);
    sn::Network<sn::MultiLabel<3>, NoDropout, sn::Input<4>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<3>, sn::Sigmoid> multi;
    auto o = quiet(20, 16);
    o.validation = sn::Validation{xv, yv};
    const auto hm = sn::fit(multi, x, y, o);
    CHECK_FALSE(hm.fired("L2.2"));
    const double multi_hand = label_accuracy_by_hand(multi.predict(xv, 1), yv);
    INFO("MultiLabel per-label accuracy by hand " << multi_hand);
    CHECK(multi_hand > 0.95);
    CHECK(*hm.epochs.back().val_metric == doctest::Approx(multi_hand).epsilon(1e-12));

    const sn::matrix yb = binary_targets(x), ybv = binary_targets(xv);
    sn::Network<sn::Binary, NoDropout, sn::Input<4>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<1>, sn::Sigmoid> binary;
    o.validation = sn::Validation{xv, ybv};
    const auto hb = sn::fit(binary, x, yb, o);
    CHECK_FALSE(hb.fired("L2.2"));
    const double binary_hand = label_accuracy_by_hand(binary.predict(xv, 1), ybv);
    INFO("Binary accuracy by hand " << binary_hand);
    CHECK(binary_hand > 0.95);
    CHECK(*hb.epochs.back().val_metric == doctest::Approx(binary_hand).epsilon(1e-12));
    sn::labels ylv = sn::labels::from_shape({xv.shape()[0]});
    for (std::size_t i = 0; i < ylv.size(); ++i) ylv(i) = ybv(i, 0) > 0.5f;
    CHECK(sn::accuracy(binary.predict(xv), ylv) == doctest::Approx(binary_hand).epsilon(1e-12));
}

namespace {

// The demo's MLP at batch 128: every GEMM but the 10-wide ones reaches
// kernels::detail_gemm::parallel_min_fma, and both dropout layers and the updates of the first
// two weight matrices reach twice trainer::elementwise_grain (2^14 elements, engine.hpp), so
// that 2 threads really split the work. The last batch of 64 rows splits less.
using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
constexpr std::size_t mlp_batch = 128, mlp_rows = 320;
constexpr std::size_t elementwise_split = 2 * (std::size_t{1} << 14);  // twice the grain, which is private to the trainer
static_assert(static_cast<double>(mlp_batch) * 128 * 256 >= sn::kernels::detail_gemm::parallel_min_fma,
              "the smallest split GEMM, 128 x 128 x 256");
static_assert(mlp_batch * 256 >= elementwise_split && 128 * 256 >= elementwise_split, "the second dropout layer and W2's update");

}  // namespace

TEST_CASE("same seeds give bit-identical weights on 1 and 2 threads at shapes that split; each seed changes them") {
    REQUIRE_MESSAGE(sn::kernels::pool_threads() >= 2,
                    "this test needs 2 cores: on one, threads = 2 runs the 1-thread code and proves nothing");
    const sn::matrix x = normal_matrix(mlp_rows, 784, 4);
    sn::labels y = sn::labels::from_shape({mlp_rows});
    for (std::size_t i = 0; i < mlp_rows; ++i) y(i) = static_cast<std::int32_t>(i * 7 % 10);
    // init_seed: the weights (sn::Seed); fit_seed: the shuffle and the dropout masks (FitOptions::seed).
    auto run = [&](int threads, std::uint64_t init_seed, std::uint64_t fit_seed, bool shuffle = true) {
        Mlp net{sn::Seed{init_seed}};
        auto o = quiet(2, mlp_batch);
        o.threads = threads;
        o.seed = fit_seed;
        o.shuffle = shuffle;
        o.allow = sn::allow<sn::lint::LargeBatch>();
        sn::fit(net, x, y, o);
        return params_of(net);
    };
    const auto one = run(1, 9, 9);
    CHECK(same_bits(run(1, 9, 9), one));
    CHECK(same_bits(run(2, 9, 9), one));
    CHECK(same_bits(run(0, 9, 9), one));  // its full batches run on 1, 2, 1 and 2 threads (detail::thread_choice)
    const auto other_init = run(1, 10, 9), other_fit = run(1, 9, 10);
    CHECK_FALSE(same_bits(other_init, one));
    CHECK_FALSE(same_bits(other_fit, one));
    CHECK_FALSE(same_bits(other_init, other_fit));
    CHECK(same_bits(run(2, 9, 10), other_fit));
    // Without shuffling, the fit seed still changes the dropout masks.
    const auto unshuffled = run(1, 9, 9, false);
    CHECK_FALSE(same_bits(unshuffled, one));
    CHECK_FALSE(same_bits(run(1, 9, 10, false), unshuffled));
    CHECK(same_bits(run(2, 9, 9, false), unshuffled));
}

TEST_CASE("threads = 0 times the first steps on one thread and on all, and keeps the faster") {
    using choice = sn::detail::thread_choice;
    // The counts it asks for, and the one it keeps, for step times given here.
    const auto decide = [](int threads, auto time_of) {
        choice c(threads);
        std::vector<int> asked;
        while (c.deciding()) {
            asked.push_back(c.next());
            c.record(time_of(asked.back(), static_cast<int>(asked.size()) - 1));
        }
        return std::pair{asked, c.next()};
    };
    const auto [asked, faster_two] = decide(2, [](int t, int) { return t == 2 ? 0.5 : 1.0; });
    std::vector<int> expected;
    for (int i = 0; i < choice::trials; ++i) expected.insert(expected.end(), {1, 2});
    CHECK(asked == expected);
    CHECK(faster_two == 2);
    CHECK(decide(2, [](int t, int) { return t == 2 ? 1.2 : 1.0; }).second == 1);
    // Medians: a quarter of slow steps (the OS took the core) do not decide it.
    CHECK(decide(2, [](int t, int i) { return t == 2 ? (i % 8 == 1 ? 9.0 : 0.9) : 1.0; }).second == 2);
    CHECK(decide(2, [](int t, int i) { return t == 1 ? (i % 8 == 0 ? 9.0 : 0.9) : 1.0; }).second == 1);
    // Each count's first steps (cold caches) do not decide it either.
    CHECK(decide(2, [](int t, int i) { return i < 4 ? 5.0 * t : t == 2 ? 0.9 : 1.0; }).second == 2);
    CHECK_FALSE(choice(1).deciding());
    CHECK(choice(1).next() == 1);

    // The trainer runs each timed step on the count asked for, then keeps the choice; steps of
    // fewer rows (an epoch's last batch) are not timed.
    if (sn::kernels::pool_threads() < 2) return;
    Mlp net{sn::Seed{1}};
    sn::detail::trainer tr(net.engine(), sn::SGD{.learning_rate = 0.01f}, 32, 2, 1);
    CHECK(tr.threads() == 2);
    tr.choose_threads();
    std::vector<int> ran;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        ran.push_back(tr.threads());
        if (i == 3) tr.step(16);  // not timed: the count stays
        CHECK(tr.threads() == ran.back());
        tr.step(32);
    }
    CHECK(ran == expected);
    const int kept = tr.threads();
    CHECK((kept == 1 || kept == 2));
    for (int i = 0; i < 3; ++i) {
        tr.step(32);
        CHECK(tr.threads() == kept);
    }
}

TEST_CASE("without dropout, the fit seed changes the result through the shuffle alone") {
    const auto d = random_blobs(200, 10, 4, 3, 3);
    auto run = [&](std::uint64_t fit_seed, bool shuffle) {
        sn::Network<sn::Classification<4>, NoDropout, sn::Input<10>, sn::Dense<32, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>
            net{sn::Seed{3}};
        auto o = quiet(2);
        o.seed = fit_seed;
        o.shuffle = shuffle;
        sn::fit(net, d.x, d.y, o);
        return params_of(net);
    };
    CHECK_FALSE(same_bits(run(1, true), run(2, true)));
    CHECK(same_bits(run(1, false), run(2, false)));  // nothing else of this fit depends on the seed
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
            for (std::size_t i = 0; i < rows; ++i)
                fused.target_labels()[i] = plain.target_labels()[i] = static_cast<std::int32_t>(i % 4);
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
    const auto d = random_blobs(100, 10, 4, 6, 16);
    Classifier net;
    const std::vector<float> before = params_of(net);
    int epochs_run = 0;
    auto o = quiet(1);
    o.on_epoch = [&](const sn::EpochRecord&) { ++epochs_run; };
    const auto option_error = [&](const sn::FitOptions& bad_options) {
        return message_of<sn::argument_error>([&] { sn::fit(net, d.x, d.y, bad_options); });
    };
    // The ID of the lint_error fit throws, whose message must contain `part`.
    const auto lint_id = [&](const sn::matrix& x, const sn::FitOptions& bad_options, const std::string& part) {
        try {
            sn::fit(net, x, d.y, bad_options);
            FAIL("expected lint_error naming " << part);
        } catch (const sn::lint_error& e) {
            CHECK(contains(e.what(), part));
            return e.id();
        }
        return std::string();
    };

    CHECK_THROWS_WITH_AS(sn::fit(net, normal_matrix(100, 9, 1), d.y, o), doctest::Contains("(100, 9)"), sn::shape_error);
    sn::labels bad = d.y;
    bad(17) = 4;
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, bad, o), doctest::Contains("row 17"), sn::shape_error);
    bad(17) = -1;
    CHECK_THROWS_AS(sn::fit(net, d.x, bad, o), sn::shape_error);
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, sn::take_rows(d.y, 0, 50), o), doctest::Contains("50"), sn::shape_error);
    CHECK_THROWS_WITH_AS(sn::fit(net, sn::matrix::from_shape({0, 10}), sn::labels::from_shape({0}), o),
                         doctest::Contains("x has no rows"), sn::shape_error);
    sn::matrix nan_x = d.x;
    nan_x(42, 3) = std::nanf("");
    CHECK(lint_id(nan_x, o, "row 42, column 3") == "L3.1");
    sn::FitOptions c = o;
    c.batch_size = 101;
    CHECK(lint_id(d.x, c, "batch_size 101") == "L5.2");

    // Validation data: wrong width, no rows, a NaN.
    c = o;
    c.validation = sn::Validation{normal_matrix(10, 11, 2), d.y};
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, d.y, c), doctest::Contains("validation"), sn::shape_error);
    c.validation = sn::Validation{sn::matrix::from_shape({0, 10}), sn::labels::from_shape({0})};
    CHECK_THROWS_WITH_AS(sn::fit(net, d.x, d.y, c), doctest::Contains("validation x has no rows"), sn::shape_error);
    sn::matrix nan_val = d.x;
    nan_val(5, 2) = std::nanf("");
    c.validation = sn::Validation{nan_val, d.y};
    CHECK(lint_id(d.x, c, "validation x holds nan at row 5, column 2") == "L3.1");

    // Options that make no sense (fit.hpp check_options).
    c = o;
    c.batch_size = 0;
    CHECK(contains(option_error(c), "batch_size is 0"));
    c = o;
    c.epochs = -1;
    CHECK(contains(option_error(c), "epochs is -1"));
    c = o;
    c.optimizer = sn::Adam{.learning_rate = 0.f};
    CHECK(contains(option_error(c), "learning_rate is 0"));
    c.optimizer = sn::SGD{.learning_rate = std::nanf("")};
    CHECK(contains(option_error(c), "learning_rate is"));
    c.optimizer = sn::AdamW{.learning_rate = -1e-3f};
    CHECK(contains(option_error(c), "learning_rate is -0.001"));
    c.optimizer = sn::Adam{.learning_rate = std::numeric_limits<float>::infinity()};
    CHECK(contains(option_error(c), "learning_rate is inf"));
    for (const float clip : {0.f, -1.f, std::nanf(""), std::numeric_limits<float>::infinity()}) {
        INFO("clip_grad_norm " << clip);
        c = o;
        c.clip_grad_norm = clip;
        CHECK(contains(option_error(c), "clip_grad_norm is"));
    }
    // The optimizers' constants, in torch.optim's ranges (a momentum or beta >= 1 can only diverge).
    const std::pair<sn::Optimizer, const char*> bad_optimizers[] = {
        {sn::SGD{.momentum = -0.1f}, "SGD::momentum is -0.1, expected a value in [0, 1)"},
        {sn::SGD{.momentum = 1.f}, "SGD::momentum is 1, expected a value in [0, 1)"},
        {sn::SGD{.momentum = std::nanf("")}, "SGD::momentum is nan"},
        {sn::SGD{.momentum = 0.f, .nesterov = true}, "Nesterov needs momentum"},
        {sn::SGD{.weight_decay = -1.f}, "SGD::weight_decay is -1, expected a finite value >= 0"},
        {sn::Adam{.beta1 = 1.f}, "Adam::beta1 is 1, expected a value in [0, 1)"},
        {sn::Adam{.beta2 = -0.5f}, "Adam::beta2 is -0.5"},
        {sn::AdamW{.beta1 = std::nanf("")}, "AdamW::beta1 is nan"},
        {sn::Adam{.epsilon = -1.f}, "Adam::epsilon is -1, expected a finite value >= 0"},
        {sn::AdamW{.epsilon = std::nanf("")}, "AdamW::epsilon is nan"},
        {sn::AdamW{.weight_decay = -5.f}, "AdamW::weight_decay is -5"},
        {sn::AdamW{.weight_decay = std::numeric_limits<float>::infinity()}, "AdamW::weight_decay is inf"},
    };
    for (const auto& [opt, message] : bad_optimizers) {
        INFO(message);
        c = o;
        c.optimizer = opt;
        CHECK(contains(option_error(c), message));
    }

    // Regression targets: an Inf in training, a NaN in validation.
    sn::matrix y = sn::matrix::from_shape({100, 2});
    y.fill(0.f);
    y(3, 1) = std::numeric_limits<float>::infinity();
    Regressor reg;
    const std::vector<float> reg_before = params_of(reg);
    const sn::matrix rx = normal_matrix(100, 3, 3);
    CHECK_THROWS_WITH_AS(sn::fit(reg, rx, y, o),
                         doctest::Contains("L3.1 non-finite-data: the targets hold inf at row 3, column 1"), sn::lint_error);
    sn::matrix nan_targets = normal_matrix(10, 2, 5);
    nan_targets(3, 1) = std::nanf("");
    c = o;
    c.validation = sn::Validation{normal_matrix(10, 3, 6), nan_targets};
    CHECK_THROWS_WITH_AS(sn::fit(reg, rx, normal_matrix(100, 2, 4), c),
                         doctest::Contains("L3.1 non-finite-data: the validation targets hold nan at row 3, column 1"),
                         sn::lint_error);

    CHECK(epochs_run == 0);
    CHECK(same_bits(params_of(net), before));
    CHECK(same_bits(params_of(reg), reg_before));
}

namespace {

// What each L6.1 branch of fit.hpp says.
constexpr const char* non_finite_loss = "the training loss became ";
constexpr const char* smoothed_loss = "the smoothed training loss rose to ";
constexpr const char* non_finite_weights = "the weights became non-finite";

// What a fit that diverged left behind, and what on_epoch saw before.
struct divergence {
    std::string message;
    sn::History history;
    std::vector<sn::EpochRecord> seen;  // the records on_epoch got
    std::vector<std::vector<float>> after_epoch;  // the weights after each finished epoch
};

// Fits with an on_epoch that records every epoch and, after epoch k - 1, calls `corrupt`,
// which changes the training data in place (fit reads x and y by reference at every step).
// The data, not the weights: the weights at the start of epoch k are then those on_epoch saw
// after epoch k - 1. The fit must throw L6.1.
template <class Net, class Y>
divergence diverge_in_epoch(Net& net, const sn::matrix& x, const Y& y, sn::FitOptions o, int k,
                            const std::function<void()>& corrupt) {
    divergence d;
    o.on_epoch = [&](const sn::EpochRecord& e) {
        d.seen.push_back(e);
        d.after_epoch.push_back(params_of(net));
        if (e.epoch == k - 1) corrupt();
    };
    try {
        sn::fit(net, x, y, o);
        FAIL("expected divergence_error (L6.1) in epoch " << k);
    } catch (const sn::divergence_error& e) {
        CHECK(e.id() == "L6.1");
        d.message = e.what();
        d.history = e.history();
    }
    return d;
}

// L6.1 in epoch k > 1: the History holds exactly the k - 1 finished epochs as on_epoch saw
// them and says diverged; the network holds its weights at the start of epoch k, bit for bit
// (`restored`: its weights after the fit threw); the message names `branch` and no other.
void check_divergence(const divergence& d, const std::vector<float>& restored, int k, const char* branch) {
    INFO(d.message);
    REQUIRE(d.seen.size() == static_cast<std::size_t>(k - 1));
    REQUIRE(d.history.epochs.size() == static_cast<std::size_t>(k - 1));
    for (std::size_t i = 0; i < d.seen.size(); ++i) {
        CHECK(d.history.epochs[i].epoch == static_cast<int>(i) + 1);
        CHECK(d.history.epochs[i].train_loss == d.seen[i].train_loss);
    }
    CHECK(d.history.stop == sn::StopReason::diverged);
    CHECK(d.history.stop_message == d.message);
    for (const char* b : {non_finite_loss, smoothed_loss, non_finite_weights}) CHECK(contains(d.message, b) == (b == branch));
    CHECK(contains(d.message, "in epoch " + std::to_string(k)));
    CHECK(contains(d.message, "restored to its weights at the start of epoch " + std::to_string(k)));
    CHECK(same_bits(restored, d.after_epoch.back()));
}

}  // namespace

TEST_CASE("L6.1: a learning rate far too high diverges in the first epoch and restores the weights fit was given") {
    const auto d = random_blobs(500, 10, 4, 7, 17);
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
        INFO(e.what());
        CHECK(e.id() == "L6.1");
        CHECK(e.history().epochs.empty());
        CHECK(e.history().stop == sn::StopReason::diverged);
        CHECK(contains(e.what(), non_finite_loss));
        CHECK(contains(e.what(), "restored to its weights at the start of epoch 1"));
        CHECK(contains(e.what(), "find_learning_rate"));
    }
    CHECK(same_bits(params_of(net), good));
}

TEST_CASE("L6.1 in epoch 3: a non-finite loss restores the weights at the start of epoch 3 and keeps epochs 1-2") {
    auto d = random_blobs(500, 10, 4, 7, 27);
    Classifier net;
    const std::vector<float> initial = params_of(net);
    auto o = quiet(5);
    o.shuffle = false;  // row 499 is then in the epoch's last batch, after 31 updates of epoch 3
    // Inf, not NaN: a ReLU maps NaN to 0, so a NaN input leaves the loss finite (only the weights go NaN).
    const divergence dv = diverge_in_epoch(net, d.x, d.y, o, 3, [&] { d.x(499, 3) = std::numeric_limits<float>::infinity(); });
    check_divergence(dv, params_of(net), 3, non_finite_loss);
    CHECK(contains(dv.message, "in epoch 3 at sample 496"));
    // The start of epoch 3 is neither the start of epoch 2 nor the initial weights.
    REQUIRE(dv.after_epoch.size() == 2);
    CHECK_FALSE(same_bits(dv.after_epoch[0], dv.after_epoch[1]));
    CHECK_FALSE(same_bits(initial, dv.after_epoch[1]));
}

TEST_CASE("L6.1 in epoch 3: a smoothed loss far above its minimum restores the weights at the start of epoch 3") {
    auto d = random_blobs(500, 10, 4, 7, 37);
    Classifier net;
    // Every label moved to the next class and the inputs scaled up: the loss jumps to several
    // times its minimum at once, before the network can adapt, and stays finite.
    const divergence dv = diverge_in_epoch(net, d.x, d.y, quiet(5), 3, [&] {
        for (auto& label : d.y) label = (label + 1) % 4;
        for (auto& v : d.x) v *= 10.f;
    });
    check_divergence(dv, params_of(net), 3, smoothed_loss);
    REQUIRE(dv.after_epoch.size() == 2);
    CHECK_FALSE(same_bits(dv.after_epoch[0], dv.after_epoch[1]));
}

namespace {

// Zero weights and zero targets give exactly zero gradients, so that even an SGD learning rate
// of 3e38 changes nothing until the targets move; then one update overflows the output bias,
// while the loss of that step, computed before the update, is finite.
using ZeroNet = sn::Network<sn::Regression, sn::Allow<sn::lint::ConstantInit, sn::lint::NoRegularization>, sn::Input<3>,
                            sn::Dense<8, sn::Zeros>, sn::Tanh, sn::Dense<1, sn::Zeros>, sn::Identity>;

}  // namespace

TEST_CASE("L6.1 in epoch 4: weights made non-finite by an epoch's last update, behind a finite loss") {
    const sn::matrix x = normal_matrix(4, 3, 11);
    sn::matrix y = sn::matrix::from_shape({4, 1});
    y.fill(0.f);
    ZeroNet net;
    auto o = quiet(6, 4);  // one step per epoch: each update is its epoch's last
    o.optimizer = sn::SGD{.learning_rate = 3e38f, .momentum = 0.f};
    o.allow = sn::allow<sn::lint::UnnormalizedTargets>();  // constant targets, on purpose
    const divergence dv = diverge_in_epoch(net, x, y, o, 4, [&] { y.fill(100.f); });
    check_divergence(dv, params_of(net), 4, non_finite_weights);
    const std::vector<float> p = params_of(net);
    CHECK(std::all_of(p.begin(), p.end(), [](float v) { return v == 0.f; }));
}

TEST_CASE("on_epoch sees every epoch; epochs = 0 trains nothing") {
    const auto d = random_blobs(200, 10, 4, 8, 8);
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

TEST_CASE("the progress line's numbers: durations as m:ss or h:mm:ss, rates with k and M") {
    CHECK(sn::detail::format_duration(-3.0) == "0:00");
    CHECK(sn::detail::format_duration(59.4) == "0:59");
    CHECK(sn::detail::format_duration(61.0) == "1:01");
    CHECK(sn::detail::format_duration(3725.0) == "1:02:05");
    CHECK(sn::detail::format_rate(950.4) == "950");
    CHECK(sn::detail::format_rate(12345.0) == "12.3k");
    CHECK(sn::detail::format_rate(1.26e6) == "1.3M");
}
