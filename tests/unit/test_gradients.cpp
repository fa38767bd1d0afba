// Finite-difference gradient checks for every layer kind, activation and loss: the
// analytic gradient of the engine against central differences of its own loss, with the
// same dropout masks and noise, at batches of 1, 2, 5 and 9 rows (each reaches other GEMM
// paths), and on 2 threads at a width where the GEMMs split.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace sn = sanenet;

// Tiny networks exercise the arithmetic; the width and regularization lints are beside the point here.
using Quiet = sn::Allow<sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>;

namespace {

struct check_result {
    std::size_t checked = 0;
    std::size_t bad = 0;
    double worst = 0.0;
    std::string first_bad;
    bool same_loss = false;  // both trainers saw the same loss: the same masks and noise
    std::size_t nonzero = 0;  // checked parameters whose analytic gradient is not zero
};

struct check_setup {
    std::uint64_t seed = 7;
    std::size_t rows = 5;
    int threads = 1;
    std::vector<std::size_t> which = {};  // the parameters to check; all when empty
    float scale_analytic = 1.f;  // != 1 corrupts the analytic gradient, to prove the check can fail
    sn::detail::loss_config loss = {};  // FitOptions' loss and weights (train/losses.hpp)
};

// Fills the trainer's batch with N(0, 1) inputs and task-appropriate targets.
void fill_batch(sn::detail::trainer& tr, std::size_t rows, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    const auto& m = tr.net();
    const std::size_t in = static_cast<std::size_t>(m.input_size()), k = static_cast<std::size_t>(m.output_size());
    for (std::size_t i = 0; i < rows * in; ++i) tr.input()[i] = static_cast<float>(r.normal());
    for (std::size_t i = 0; i < rows; ++i) tr.target_labels()[i] = static_cast<std::int32_t>(r.below(k));
    for (std::size_t i = 0; i < rows * k; ++i)
        tr.target_values()[i] =
            m.task().k == sn::detail::task_kind::multilabel ? static_cast<float>(r.uniform()) : static_cast<float>(r.normal());
}

// Central differences of the training loss against the analytic gradient.
check_result gradient_check(sn::detail::model& m, const check_setup& s) {
    // Two trainers with the same seed draw the same dropout masks and noise for their first
    // step: one takes the analytic gradient, the other only evaluates the loss and so never
    // moves on to the next masks.
    sn::detail::trainer analytic(m, sn::SGD{}, s.rows, s.threads, s.seed), numeric(m, sn::SGD{}, s.rows, s.threads, s.seed);
    analytic.set_loss(s.loss);
    numeric.set_loss(s.loss);
    fill_batch(analytic, s.rows, s.seed);
    fill_batch(numeric, s.rows, s.seed);
    const double loss = analytic.forward_backward(s.rows);
    check_result r;
    r.same_loss = numeric.forward_loss(s.rows) == loss;
    float* p = m.params();
    auto difference = [&](std::size_t i, float eps) {
        const float orig = p[i];
        p[i] = orig + eps;
        const double up = numeric.forward_loss(s.rows);
        p[i] = orig - eps;
        const double down = numeric.forward_loss(s.rows);
        p[i] = orig;
        return (up - down) / (2.0 * static_cast<double>(eps));
    };
    auto relative_error = [](double a, double n) { return std::fabs(a - n) / (1e-3 + std::max(std::fabs(a), std::fabs(n))); };
    std::vector<std::size_t> which = s.which;
    if (which.empty()) {
        which.resize(m.parameter_count());
        std::iota(which.begin(), which.end(), std::size_t{0});
    }
    for (const std::size_t i : which) {
        const double a = static_cast<double>(analytic.gradients()[i]) * s.scale_analytic, fd = difference(i, 2e-3f);
        double err = relative_error(a, fd);
        // A ReLU kink inside [-eps, eps] shows as a mismatch that vanishes with a smaller step, float
        // rounding of a tiny gradient as one that vanishes with a larger step; a wrong gradient matches at no step.
        if (err > 0.03) err = std::min(relative_error(a, difference(i, 2.5e-4f)), relative_error(a, difference(i, 1e-2f)));
        ++r.checked;
        r.nonzero += a != 0.0;
        r.worst = std::max(r.worst, err);
        if (err > 0.03 && r.bad++ == 0)
            r.first_bad =
                "parameter " + std::to_string(i) + ": analytic " + std::to_string(a) + ", numeric " + std::to_string(fd);
    }
    return r;
}

// Biases start at zero; give them values so that their gradients are exercised off zero.
void randomize_biases(sn::detail::model& m, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    for (const auto& st : m.stages())
        if (st.k == sn::detail::kind::dense)
            for (int j = 0; j < st.out; ++j)
                m.params()[st.b + static_cast<std::size_t>(j)] = static_cast<float>(0.1 * r.normal());
}

// Every parameter, at 1 and 2 rows (dX = dZ W^T row by row, kernels::gemv), 5 and 9 (dot
// products with the rows in the lanes; 9 rows fill more than one AVX2 register). Not a
// template, so that the checks are compiled once, not once per network.
void expect_gradients_match(sn::detail::model& m, const std::string& summary, std::size_t parameters, std::uint64_t seed) {
    randomize_biases(m, seed + 1);
    INFO(summary);
    for (const std::size_t rows : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{9}}) {
        const check_result res = gradient_check(m, {.seed = seed, .rows = rows});
        INFO("rows " << rows << ": worst relative error " << res.worst << "; " << res.first_bad);
        CHECK(res.same_loss);
        CHECK(res.checked == parameters);
        CHECK(res.bad == 0);
    }
}
template <class Net>
void expect_gradients_match(std::uint64_t seed = 7) {
    Net net{sn::Seed{seed}};
    expect_gradients_match(net.engine(), net.summary(), Net::parameter_count, seed);
}

// A deterministic sample of every Dense layer's parameters: `weights` of its weights (drawn
// with replacement) and its first `biases` biases.
std::vector<std::size_t> sample_parameters(const sn::detail::model& m, std::size_t weights, std::size_t biases,
                                           std::uint64_t seed) {
    sn::kernels::rng r(seed);
    std::vector<std::size_t> out;
    for (const auto& st : m.stages()) {
        if (st.k != sn::detail::kind::dense) continue;
        const std::size_t wn = static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out);
        for (std::size_t i = 0; i < weights; ++i) out.push_back(st.w + r.below(wn));
        for (std::size_t j = 0; j < biases && j < static_cast<std::size_t>(st.out); ++j) out.push_back(st.b + j);
    }
    return out;
}

// Wide enough that at 9 rows every GEMM of the first two Dense layers splits between threads:
// forward 9 x 300 x 200 and 9 x 200 x 300, dX = dZ W^T 9 x 300 x 200, dW 200 x 300 x 9 and
// 300 x 200 x 9 multiply-adds, each >= kernels::detail_gemm::parallel_min_fma.
using Wide = sn::Network<sn::Classification<10>, Quiet, sn::Input<200>, sn::Dense<300, sn::He>, sn::ReLU, sn::Dense<200, sn::He>,
                         sn::ReLU, sn::Dense<10>, sn::Softmax>;
constexpr std::size_t wide_rows = 9;
static_assert(static_cast<double>(wide_rows) * 300 * 200 >= sn::kernels::detail_gemm::parallel_min_fma);

}  // namespace

TEST_CASE("the gradient check detects a wrong gradient") {
    using Net = sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<6, sn::He>, sn::ELU, sn::Dense<2>, sn::Identity>;
    Net net;
    for (const std::size_t rows : {std::size_t{1}, std::size_t{5}}) {
        INFO("rows " << rows);
        const check_result right = gradient_check(net.engine(), {.seed = 3, .rows = rows});
        CHECK(right.bad == 0);
        const check_result wrong = gradient_check(net.engine(), {.seed = 3, .rows = rows, .scale_analytic = 1.1f});
        CHECK(wrong.bad > Net::parameter_count / 2);
    }
}

TEST_CASE("gradients: Dense with every hidden activation, mean squared error") {
    expect_gradients_match<
        sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<6, sn::He>, sn::ReLU, sn::Dense<5, sn::He>, sn::LeakyReLU,
                    sn::Dense<5, sn::Xavier>, sn::Tanh, sn::Dense<4, sn::LeCunUniform>, sn::ELU, sn::Dense<2>, sn::Identity>>();
    expect_gradients_match<sn::Network<sn::Regression, Quiet, sn::Input<4>, sn::Dense<6, sn::HeUniform>, sn::LeakyReLUWith<0.2>,
                                       sn::Dense<5>, sn::ELUWith<0.5>, sn::Dense<3, sn::XavierUniform>, sn::Identity>>();
}

TEST_CASE("gradients: softmax cross-entropy fused with the output") {
    expect_gradients_match<
        sn::Network<sn::Classification<4>, Quiet, sn::Input<3>, sn::Dense<7, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>>();
}

TEST_CASE("gradients: sigmoid binary cross-entropy, MultiLabel and Binary") {
    expect_gradients_match<
        sn::Network<sn::MultiLabel<3>, Quiet, sn::Input<4>, sn::Dense<6>, sn::Tanh, sn::Dense<3>, sn::Sigmoid>>();
    expect_gradients_match<sn::Network<sn::Binary, Quiet, sn::Input<4>, sn::Dense<6>, sn::ELU, sn::Dense<1>, sn::Sigmoid>>();
}

TEST_CASE("gradients: Dropout and GaussianNoise use the same mask forward and backward") {
    expect_gradients_match<sn::Network<sn::Classification<3>, Quiet, sn::Input<4>, sn::GaussianNoise<0.1>, sn::Dropout<0.8>,
                                       sn::Dense<6>, sn::Tanh, sn::Dropout<0.75>, sn::Dense<3>, sn::Softmax>>();
}

TEST_CASE("gradients: an activation as its own stage (after a regularizer) and before the first Dense") {
    expect_gradients_match<sn::Network<sn::Regression, sn::Input<3>, sn::Tanh, sn::Dense<6>, sn::Dropout<0.9>, sn::ELU,
                                       sn::Dense<2>, sn::Identity>>();
}

TEST_CASE("gradients: waived bounded regression outputs (the loss is taken after the activation)") {
    using Allow = sn::Allow<sn::lint::BoundedRegressionOutput, sn::lint::NoRegularization>;
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::Tanh, sn::Dense<2>, sn::Sigmoid>>();
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::ELU, sn::Dense<2>, sn::Tanh>>();
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::ELU, sn::Dense<3>, sn::Softmax>>();
    expect_gradients_match<
        sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::ELU, sn::Dense<2>, sn::LeakyReLU>>();
}

TEST_CASE("gradients: two Dense layers in a row when X1 is waived") {
    expect_gradients_match<sn::Network<
        sn::Regression, sn::Allow<sn::lint::MissingNonlinearity, sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>,
        sn::Input<3>, sn::Dense<5>, sn::Dense<4>, sn::ELU, sn::Dense<2>, sn::Identity>>();
}

TEST_CASE("gradients on 2 threads at a width where the GEMMs split, on a sample of every layer's weights and biases") {
    // The trainer splits its GEMMs for 2 threads whatever the core count; with one core the pool
    // runs both halves on this thread, so the split is checked but not the concurrency.
    if (sn::kernels::pool_threads() < 2) MESSAGE("one core: the 2-thread split runs on one thread");
    Wide net{sn::Seed{11}};
    randomize_biases(net.engine(), 12);
    const std::vector<std::size_t> sample = sample_parameters(net.engine(), 80, 20, 13);
    REQUIRE(sample.size() == 3 * 80 + 20 + 20 + 10);
    const check_result res = gradient_check(net.engine(), {.seed = 11, .rows = wide_rows, .threads = 2, .which = sample});
    INFO("worst relative error " << res.worst << "; " << res.first_bad);
    CHECK(res.same_loss);
    CHECK(res.checked == sample.size());
    CHECK(res.bad == 0);
    const check_result wrong =
        gradient_check(net.engine(), {.seed = 11, .rows = wide_rows, .threads = 2, .which = sample, .scale_analytic = 1.1f});
    CHECK(wrong.bad > sample.size() / 2);
}

// ---- GELU, SiLU and LayerNorm ----------------------------------------------------------

namespace {

// The gains and biases of every LayerNorm, off their initial 1 and 0, so that their gradients
// (and the gains' part in dX) are exercised at other values.
void randomize_layer_norms(sn::detail::model& m, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    for (const auto& st : m.stages())
        if (st.k == sn::detail::kind::layer_norm)
            for (int j = 0; j < st.out; ++j) {
                m.params()[st.w + static_cast<std::size_t>(j)] = static_cast<float>(1.0 + 0.5 * r.normal());
                m.params()[st.b + static_cast<std::size_t>(j)] = static_cast<float>(0.3 * r.normal());
            }
}

// The offsets of every LayerNorm gain and bias.
std::vector<std::size_t> layer_norm_parameters(const sn::detail::model& m) {
    std::vector<std::size_t> out;
    for (const auto& st : m.stages())
        if (st.k == sn::detail::kind::layer_norm)
            for (std::size_t j = 0; j < static_cast<std::size_t>(st.out); ++j) {
                out.push_back(st.w + j);
                out.push_back(st.b + j);
            }
    return out;
}

// Every parameter at 1, 2, 5 and 9 rows, on 1 and 2 threads; then the LayerNorm gains and
// biases alone, each of which must have a gradient that is not zero (so that their check
// above is not vacuous), `layer_norms` LayerNorm parameters in all.
void expect_gradients_match_threads(sn::detail::model& m, const std::string& summary, std::size_t parameters,
                                    std::size_t layer_norms, std::uint64_t seed) {
    randomize_biases(m, seed + 1);
    randomize_layer_norms(m, seed + 2);
    INFO(summary);
    const std::vector<std::size_t> ln = layer_norm_parameters(m);
    CHECK(ln.size() == layer_norms);
    for (const int threads : {1, 2}) {
        for (const std::size_t rows : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{9}}) {
            const check_result res = gradient_check(m, {.seed = seed, .rows = rows, .threads = threads});
            INFO("threads " << threads << ", rows " << rows << ": worst relative error " << res.worst << "; " << res.first_bad);
            CHECK(res.same_loss);
            CHECK(res.checked == parameters);
            CHECK(res.bad == 0);
            if (ln.empty()) continue;
            const check_result norms = gradient_check(m, {.seed = seed, .rows = rows, .threads = threads, .which = ln});
            INFO("LayerNorm gains and biases: " << norms.first_bad);
            CHECK(norms.bad == 0);
            CHECK(norms.nonzero == ln.size());
        }
    }
}
template <class Net>
void expect_gradients_match_threads(std::size_t layer_norms, std::uint64_t seed = 7) {
    Net net{sn::Seed{seed}};
    expect_gradients_match_threads(net.engine(), net.summary(), Net::parameter_count, layer_norms, seed);
}

}  // namespace

TEST_CASE("gradients: GELU and SiLU as hidden activations, on the input, and at widths with a vector tail") {
    expect_gradients_match_threads<sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<6, sn::He>, sn::GELU, sn::Dense<5>,
                                               sn::SiLU, sn::Dense<2>, sn::Identity>>(0);
    expect_gradients_match_threads<sn::Network<sn::Classification<3>, Quiet, sn::Input<4>, sn::SiLU, sn::Dense<19, sn::He>,
                                               sn::GELU, sn::Dense<17>, sn::SiLU, sn::Dense<3>, sn::Softmax>>(0, 9);
    expect_gradients_match_threads<
        sn::Network<sn::MultiLabel<2>, Quiet, sn::Input<5>, sn::GELU, sn::Dense<7>, sn::GELU, sn::Dense<2>, sn::Sigmoid>>(0, 10);
}

TEST_CASE("gradients: LayerNorm after a Dense, with its gain and bias gradients") {
    expect_gradients_match_threads<sn::Network<sn::Classification<3>, Quiet, sn::Input<4>, sn::Dense<13, sn::He>, sn::LayerNorm,
                                               sn::GELU, sn::Dense<3>, sn::Softmax>>(2 * 13);
    // Straight into the next Dense, at a width of two vectors and a tail at AVX-512.
    expect_gradients_match_threads<sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<33>, sn::LayerNorm, sn::Dense<5>,
                                               sn::SiLU, sn::Dense<2>, sn::Identity>>(2 * 33, 11);
}

TEST_CASE(
    "gradients: LayerNorm after an activation (fused into a Dense, and a stage of its own), after Dropout and on the input") {
    expect_gradients_match_threads<sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<7>, sn::Tanh, sn::LayerNorm,
                                               sn::Dense<5>, sn::SiLU, sn::LayerNorm, sn::Dense<2>, sn::Identity>>(2 * 7 + 2 * 5,
                                                                                                                   12);
    expect_gradients_match_threads<sn::Network<sn::Classification<4>, Quiet, sn::Input<5>, sn::LayerNorm, sn::Dense<9, sn::He>,
                                               sn::GELU, sn::Dropout<0.8>, sn::LayerNorm, sn::Dense<4>, sn::Softmax>>(
        2 * 5 + 2 * 9, 13);
}

TEST_CASE("gradients on 2 threads where the GEMMs split, through LayerNorm, GELU and SiLU, LayerNorm gains and biases sampled") {
    using WideNorm = sn::Network<sn::Classification<10>, Quiet, sn::Input<200>, sn::Dense<300, sn::He>, sn::LayerNorm, sn::GELU,
                                 sn::Dense<200, sn::He>, sn::SiLU, sn::LayerNorm, sn::Dense<10>, sn::Softmax>;
    WideNorm net{sn::Seed{21}};
    randomize_biases(net.engine(), 22);
    randomize_layer_norms(net.engine(), 23);
    std::vector<std::size_t> sample = sample_parameters(net.engine(), 60, 15, 24);
    sn::kernels::rng r(25);
    for (const auto& st : net.engine().stages())
        if (st.k == sn::detail::kind::layer_norm)
            for (int i = 0; i < 25; ++i) {
                sample.push_back(st.w + r.below(static_cast<std::uint64_t>(st.out)));
                sample.push_back(st.b + r.below(static_cast<std::uint64_t>(st.out)));
            }
    REQUIRE(sample.size() == 3 * 60 + 15 + 15 + 10 + 2 * 2 * 25);
    const check_result res = gradient_check(net.engine(), {.seed = 21, .rows = wide_rows, .threads = 2, .which = sample});
    INFO("worst relative error " << res.worst << "; " << res.first_bad);
    CHECK(res.same_loss);
    CHECK(res.checked == sample.size());
    CHECK(res.bad == 0);
    CHECK(res.nonzero == sample.size());
    const check_result wrong =
        gradient_check(net.engine(), {.seed = 21, .rows = wide_rows, .threads = 2, .which = sample, .scale_analytic = 1.1f});
    CHECK(wrong.bad > sample.size() / 2);
}

// ---- the regression losses, output weights and class weights (issue 14) ----------------

namespace {

using sn::detail::loss_config;
using sn::detail::regression_loss;

// The errors y - t of the batch gradient_check builds (the same inputs and targets): how many lie
// inside the Huber delta and how many outside, so that a check of both pieces is not vacuous.
struct error_spread {
    std::size_t inside = 0, outside = 0;
};
error_spread errors_around(sn::detail::model& m, std::size_t rows, std::uint64_t seed, float delta) {
    sn::detail::trainer tr(m, sn::SGD{}, rows, 1, seed);
    fill_batch(tr, rows, seed);
    const std::size_t in = static_cast<std::size_t>(m.input_size()), k = static_cast<std::size_t>(m.output_size());
    sn::matrix x = sn::matrix::from_shape({rows, in});
    std::copy(tr.input(), tr.input() + rows * in, x.data());
    const sn::matrix y = sn::detail::predict(m, x, 1);
    error_spread e;
    for (std::size_t i = 0; i < rows * k; ++i) (std::fabs(y.data()[i] - tr.target_values()[i]) < delta ? e.inside : e.outside)++;
    return e;
}

// Every parameter at 1, 2, 5 and 9 rows (or `row_counts`) under `loss`, most of them with a
// gradient that is not zero, and the check fails with the analytic gradient scaled by 1.1.
void expect_loss_gradients_match(sn::detail::model& m, const std::string& summary, const loss_config& loss, std::uint64_t seed,
                                 const std::vector<std::size_t>& row_counts = {1, 2, 5, 9}) {
    randomize_biases(m, seed + 1);
    INFO(summary << "; loss " << sn::detail::loss_name(loss));
    for (const std::size_t rows : row_counts) {
        const check_result res = gradient_check(m, {.seed = seed, .rows = rows, .loss = loss});
        INFO("rows " << rows << ": worst relative error " << res.worst << "; " << res.first_bad);
        CHECK(res.same_loss);
        CHECK(res.checked == m.parameter_count());
        CHECK(res.bad == 0);
        CHECK(res.nonzero > m.parameter_count() / 2);
    }
    const check_result wrong = gradient_check(m, {.seed = seed, .rows = 5, .scale_analytic = 1.1f, .loss = loss});
    CHECK(wrong.bad > m.parameter_count() / 2);
}

loss_config regression_config(regression_loss kind, float delta = 1.f, std::vector<float> weights = {}) {
    loss_config c;
    c.kind = kind;
    c.delta = delta;
    c.weights = std::move(weights);
    return c;
}

using Reg3 = sn::Network<sn::Regression, Quiet, sn::Input<4>, sn::Dense<7, sn::He>, sn::ELU, sn::Dense<5>, sn::Tanh, sn::Dense<3>,
                         sn::Identity>;

}  // namespace

TEST_CASE("gradients: MAE (torch.nn.L1Loss) and Huber (torch.nn.HuberLoss) on both sides of delta") {
    Reg3 net{sn::Seed{31}};
    expect_loss_gradients_match(net.engine(), net.summary(), regression_config(regression_loss::mae), 31);
    for (const float delta : {0.5f, 1.f, 1.5f}) {
        const error_spread e = errors_around(net.engine(), 9, 31, delta);
        INFO("delta " << delta << ": " << e.inside << " errors inside, " << e.outside << " outside");
        CHECK(e.inside >= 3);
        CHECK(e.outside >= 3);
        expect_loss_gradients_match(net.engine(), net.summary(), regression_config(regression_loss::huber, delta), 31);
    }
}

TEST_CASE("gradients: output weights under MSE, MAE and Huber, a weight of 0 included") {
    Reg3 net{sn::Seed{32}};
    const std::vector<float> w = {2.f, 0.f, 0.5f};
    expect_loss_gradients_match(net.engine(), net.summary(), regression_config(regression_loss::mse, 1.f, w), 32);
    expect_loss_gradients_match(net.engine(), net.summary(), regression_config(regression_loss::mae, 1.f, w), 32);
    expect_loss_gradients_match(net.engine(), net.summary(), regression_config(regression_loss::huber, 0.7f, w), 32);
}

TEST_CASE("gradients: class weights (torch.nn.CrossEntropyLoss(weight)), normalized by the batch's total weight") {
    using Net = sn::Network<sn::Classification<4>, Quiet, sn::Input<3>, sn::Dense<7>, sn::ELU, sn::Dense<4>, sn::Softmax>;
    Net net{sn::Seed{33}};
    loss_config c;
    c.weights = {1.f, 4.f, 0.5f, 2.5f};
    expect_loss_gradients_match(net.engine(), net.summary(), c, 33);
    // A class of weight 0: its rows add nothing; batches of 5 and 9 rows hold other classes too.
    c.weights = {1.f, 0.f, 3.f, 0.5f};
    expect_loss_gradients_match(net.engine(), net.summary(), c, 34, {5, 9});
    // A batch whose rows all weigh 0: loss 0 and no gradient (PyTorch's 0 / 0 would be NaN).
    sn::detail::trainer tr(net.engine(), sn::SGD{}, 3, 1, 35);
    tr.set_loss(c);
    fill_batch(tr, 3, 35);
    for (std::size_t i = 0; i < 3; ++i) tr.target_labels()[i] = 1;
    CHECK(tr.forward_backward(3) == 0.0);
    CHECK(std::all_of(tr.gradients(), tr.gradients() + Net::parameter_count, [](float g) { return g == 0.f; }));
    tr.target_labels()[1] = 2;  // one row of weight 3: the batch's loss is that row's
    CHECK(tr.forward_backward(3) > 0.0);
    CHECK(std::any_of(tr.gradients(), tr.gradients() + Net::parameter_count, [](float g) { return g != 0.f; }));
}

TEST_CASE("gradients: a hidden Sigmoid (legal since issue 14, warning L8.3), fused into a Dense and as a stage of its own") {
    expect_gradients_match<sn::Network<sn::Regression, sn::Allow<sn::lint::HiddenSigmoid, sn::lint::NoRegularization>,
                                       sn::Input<3>, sn::Sigmoid, sn::Dense<6>, sn::Sigmoid, sn::Dense<2>, sn::Identity>>();
    expect_gradients_match<sn::Network<sn::Classification<3>, Quiet, sn::Allow<sn::lint::HiddenSigmoid>, sn::Input<4>,
                                       sn::Dense<8>, sn::Sigmoid, sn::Dropout<0.8>, sn::Dense<3>, sn::Softmax>>();
}
