// Finite-difference gradient checks for every layer kind, activation and loss: the
// analytic gradient of the engine against central differences of its own loss, with the
// same dropout masks and noise.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
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
};

// Fills the trainer's batch with N(0, 1) inputs and task-appropriate targets.
void fill_batch(sn::detail::trainer& tr, std::size_t rows, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    const auto& m = tr.net();
    const std::size_t in = static_cast<std::size_t>(m.input_size()), k = static_cast<std::size_t>(m.output_size());
    for (std::size_t i = 0; i < rows * in; ++i) tr.input()[i] = static_cast<float>(r.normal());
    for (std::size_t i = 0; i < rows; ++i) tr.target_labels()[i] = static_cast<std::int32_t>(r.below(k));
    for (std::size_t i = 0; i < rows * k; ++i)
        tr.target_values()[i] = m.task().k == sn::detail::task_kind::multilabel ? static_cast<float>(r.uniform())
                                                                                 : static_cast<float>(r.normal());
}

// Central differences of the training loss for every parameter, against the analytic gradient.
// scale_analytic != 1 corrupts the analytic gradient, to prove the check can fail.
check_result gradient_check(sn::detail::model& m, std::uint64_t seed, float scale_analytic = 1.f) {
    constexpr std::size_t rows = 5;
    sn::detail::trainer tr(m, sn::SGD{}, rows, 1, seed);
    fill_batch(tr, rows, seed);
    float* p = m.params();
    auto numeric = [&](std::size_t i, float eps) {
        const float orig = p[i];
        p[i] = orig + eps;
        const double up = tr.forward_loss(rows);
        p[i] = orig - eps;
        const double down = tr.forward_loss(rows);
        p[i] = orig;
        return (up - down) / (2.0 * static_cast<double>(eps));
    };
    auto relative_error = [](double a, double n) { return std::fabs(a - n) / (1e-3 + std::max(std::fabs(a), std::fabs(n))); };
    // Both step sizes before forward_backward, which moves on to the next dropout masks.
    std::vector<double> fd(m.parameter_count()), fd_small(m.parameter_count()), fd_large(m.parameter_count());
    for (std::size_t i = 0; i < m.parameter_count(); ++i) {
        fd[i] = numeric(i, 2e-3f);
        fd_small[i] = numeric(i, 2.5e-4f);
        fd_large[i] = numeric(i, 1e-2f);
    }
    tr.forward_backward(rows);
    check_result r;
    for (std::size_t i = 0; i < m.parameter_count(); ++i) {
        const double a = static_cast<double>(tr.gradients()[i]) * scale_analytic;
        double err = relative_error(a, fd[i]);
        // A ReLU kink inside [-eps, eps] shows as a mismatch that vanishes with a smaller step, float
        // rounding of a tiny gradient as one that vanishes with a larger step; a wrong gradient matches at no step.
        if (err > 0.03) err = std::min(relative_error(a, fd_small[i]), relative_error(a, fd_large[i]));
        ++r.checked;
        r.worst = std::max(r.worst, err);
        if (err > 0.03 && r.bad++ == 0)
            r.first_bad = "parameter " + std::to_string(i) + ": analytic " + std::to_string(a) + ", numeric " + std::to_string(fd[i]);
    }
    return r;
}

template <class Net>
void expect_gradients_match(std::uint64_t seed = 7) {
    Net net{sn::Seed{seed}};
    // Biases start at zero; give them values so that their gradients are exercised off zero.
    sn::kernels::rng r(seed + 1);
    for (const auto& st : net.engine().stages())
        if (st.k == sn::detail::kind::dense)
            for (int j = 0; j < st.out; ++j) net.engine().params()[st.b + static_cast<std::size_t>(j)] = static_cast<float>(0.1 * r.normal());
    const check_result res = gradient_check(net.engine(), seed);
    INFO(net.summary());
    INFO("worst relative error " << res.worst << "; " << res.first_bad);
    CHECK(res.checked == Net::parameter_count);
    CHECK(res.bad == 0);
}

}  // namespace

TEST_CASE("the gradient check detects a wrong gradient") {
    using Net = sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<6, sn::He>, sn::ELU, sn::Dense<2>, sn::Identity>;
    Net net;
    const check_result right = gradient_check(net.engine(), 3);
    CHECK(right.bad == 0);
    const check_result wrong = gradient_check(net.engine(), 3, 1.1f);
    CHECK(wrong.bad > Net::parameter_count / 2);
}

TEST_CASE("gradients: Dense with every hidden activation, mean squared error") {
    expect_gradients_match<sn::Network<sn::Regression, Quiet, sn::Input<3>, sn::Dense<6, sn::He>, sn::ReLU, sn::Dense<5, sn::He>, sn::LeakyReLU,
                                       sn::Dense<5, sn::Xavier>, sn::Tanh, sn::Dense<4, sn::LeCunUniform>, sn::ELU, sn::Dense<2>, sn::Identity>>();
    expect_gradients_match<sn::Network<sn::Regression, Quiet, sn::Input<4>, sn::Dense<6, sn::HeUniform>, sn::LeakyReLUWith<0.2>, sn::Dense<5>,
                                       sn::ELUWith<0.5>, sn::Dense<3, sn::XavierUniform>, sn::Identity>>();
}

TEST_CASE("gradients: softmax cross-entropy fused with the output") {
    expect_gradients_match<sn::Network<sn::Classification<4>, Quiet, sn::Input<3>, sn::Dense<7, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>>();
}

TEST_CASE("gradients: sigmoid binary cross-entropy, MultiLabel and Binary") {
    expect_gradients_match<sn::Network<sn::MultiLabel<3>, Quiet, sn::Input<4>, sn::Dense<6>, sn::Tanh, sn::Dense<3>, sn::Sigmoid>>();
    expect_gradients_match<sn::Network<sn::Binary, Quiet, sn::Input<4>, sn::Dense<6>, sn::ELU, sn::Dense<1>, sn::Sigmoid>>();
}

TEST_CASE("gradients: Dropout and GaussianNoise use the same mask forward and backward") {
    expect_gradients_match<sn::Network<sn::Classification<3>, Quiet, sn::Input<4>, sn::GaussianNoise<0.1>, sn::Dropout<0.8>, sn::Dense<6>,
                                       sn::Tanh, sn::Dropout<0.75>, sn::Dense<3>, sn::Softmax>>();
}

TEST_CASE("gradients: an activation as its own stage (after a regularizer) and before the first Dense") {
    expect_gradients_match<sn::Network<sn::Regression, sn::Input<3>, sn::Tanh, sn::Dense<6>, sn::Dropout<0.9>, sn::ELU, sn::Dense<2>,
                                       sn::Identity>>();
}

TEST_CASE("gradients: waived bounded regression outputs (the loss is taken after the activation)") {
    using Allow = sn::Allow<sn::lint::BoundedRegressionOutput, sn::lint::NoRegularization>;
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::Tanh, sn::Dense<2>, sn::Sigmoid>>();
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::ELU, sn::Dense<2>, sn::Tanh>>();
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::ELU, sn::Dense<3>, sn::Softmax>>();
    expect_gradients_match<sn::Network<sn::Regression, Allow, sn::Input<3>, sn::Dense<6>, sn::ELU, sn::Dense<2>, sn::LeakyReLU>>();
}

TEST_CASE("gradients: two Dense layers in a row when X1 is waived") {
    expect_gradients_match<sn::Network<sn::Regression, sn::Allow<sn::lint::MissingNonlinearity, sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>,
                                       sn::Input<3>, sn::Dense<5>, sn::Dense<4>,
                                       sn::ELU, sn::Dense<2>, sn::Identity>>();
}
