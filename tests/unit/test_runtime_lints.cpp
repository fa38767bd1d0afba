// Every run-time lint fires with its ID on a minimal bad case, stays silent on its clean
// twin, and obeys its waiver. Data lints run in sn::check_data and before fit's first step;
// monitors run during fit.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
using Regressor = sn::Network<sn::Regression, sn::Input<4>, sn::Dropout<0.9>, sn::Dense<64>, sn::ELU, sn::Dense<2>, sn::Identity>;

bool has(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    return std::any_of(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
}

template <class F>
std::string lint_error_id(F&& f) {
    try {
        f();
    } catch (const sn::lint_error& e) {
        return e.id();
    }
    return "none";
}

}  // namespace

TEST_CASE("L1.1 unnormalized inputs: raw byte-range features are an error; z-scored, [0,1] and [-1,1] are not") {
    const auto d = blobs(400, 1);
    sn::matrix raw = d.x * 40.f + 128.f;  // pixel-like 0-255
    auto o = quiet(2);
    o.validation = sn::Validation{d.x, d.y};
    CHECK(lint_error_id([&] { Classifier net; sn::fit(net, raw, d.y, o); }) == "L1.1");
    const auto found = sn::check_data<Classifier>(raw, d.y, o);
    REQUIRE(has(found, "L1.1"));
    CHECK(found.front().severity == sn::Severity::error);
    CHECK(found.front().message.find("sanenet L1.1 unnormalized-inputs:") == 0);
    CHECK(found.front().message.find("Waive: FitOptions::allow = sn::allow<sn::lint::UnnormalizedInputs>()") != std::string::npos);

    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, o), "L1.1"));
    sn::matrix unit = (raw - xt::amin(raw)()) / (xt::amax(raw)() - xt::amin(raw)());  // [0, 1]
    CHECK_FALSE(has(sn::check_data<Classifier>(unit, d.y, o), "L1.1"));
    sn::matrix sym = unit * 2.f - 1.f;  // [-1, 1]
    CHECK_FALSE(has(sn::check_data<Classifier>(sym, d.y, o), "L1.1"));

    o.allow = sn::allow<sn::lint::UnnormalizedInputs>();
    CHECK_FALSE(has(sn::check_data<Classifier>(raw, d.y, o), "L1.1"));
    Classifier net;
    CHECK_NOTHROW(sn::fit(net, raw, d.y, o));
}

TEST_CASE("L3.1 non-finite data: fit and evaluate refuse it") {
    auto d = blobs(200, 30);
    d.x(5, 2) = std::numeric_limits<float>::infinity();
    Classifier net;
    CHECK(lint_error_id([&] { sn::fit(net, d.x, d.y, quiet(2)); }) == "L3.1");
    CHECK(lint_error_id([&] { sn::evaluate(net, d.x, d.y); }) == "L3.1");
    const auto found = sn::check_data<Classifier>(d.x, d.y, quiet(2));
    REQUIRE(has(found, "L3.1"));
    CHECK(found.front().message.find("row 5, column 2") != std::string::npos);
    CHECK(found.front().message.find("1 non-finite value in all") != std::string::npos);
}

TEST_CASE("L1.2 feature scale spread and L1.3 constant feature are warnings") {
    const auto d = blobs(400, 2);
    auto o = quiet(1);
    o.validation = sn::Validation{d.x, d.y};
    sn::matrix spread = d.x;
    for (std::size_t i = 0; i < 400; ++i) spread(i, 3) *= 0.001f;  // a feature in other units
    auto found = sn::check_data<Classifier>(spread, d.y, o);
    CHECK(has(found, "L1.2"));
    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, o), "L1.2"));

    sn::matrix constant = d.x;
    for (std::size_t i = 0; i < 400; ++i) constant(i, 7) = 0.5f;
    Classifier net;
    const auto h = sn::fit(net, constant, d.y, o);
    REQUIRE(h.fired("L1.3"));
    const auto it = std::find_if(h.diagnostics.begin(), h.diagnostics.end(), [](const auto& x) { return x.id == "L1.3"; });
    CHECK(it->severity == sn::Severity::warning);
    CHECK(it->message.find("7") != std::string::npos);
    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, o), "L1.3"));
    o.allow = sn::allow<sn::lint::ConstantFeature>();
    CHECK_FALSE(has(sn::check_data<Classifier>(constant, d.y, o), "L1.3"));
}

TEST_CASE("L1.4 unnormalized regression targets are an error") {
    const sn::matrix x = normal_matrix(300, 4, 3);
    sn::matrix y = sn::matrix::from_shape({300, 2});
    for (std::size_t i = 0; i < 300; ++i) {
        y(i, 0) = x(i, 0) + x(i, 1);
        y(i, 1) = x(i, 2) - x(i, 3);
    }
    auto o = quiet(1);
    o.validation = sn::Validation{x, y};
    CHECK_FALSE(has(sn::check_data<Regressor>(x, y, o), "L1.4"));
    sn::matrix raw = y * 1000.f + 500.f;
    o.validation = sn::Validation{x, raw};
    CHECK(lint_error_id([&] { Regressor net; sn::fit(net, x, raw, o); }) == "L1.4");
    o.allow = sn::allow<sn::lint::UnnormalizedTargets>();
    CHECK_FALSE(has(sn::check_data<Regressor>(x, raw, o), "L1.4"));
}

TEST_CASE("L2.1 no validation and L2.2 validation leak are warnings") {
    const auto d = blobs(400, 4), v = blobs(100, 5);
    Classifier net;
    auto o = quiet(1);
    CHECK(sn::fit(net, d.x, d.y, o).fired("L2.1"));
    o.validation = sn::Validation{v.x, v.y};
    const auto clean = sn::fit(net, d.x, d.y, o);
    CHECK_FALSE(clean.fired("L2.1"));
    CHECK_FALSE(clean.fired("L2.2"));
    o.validation = sn::Validation{sn::take_rows(d.x, 0, 100), sn::take_rows(d.y, 0, 100)};
    CHECK(sn::fit(net, d.x, d.y, o).fired("L2.2"));
}

TEST_CASE("L2.3 no better than a constant prediction: labels unrelated to the inputs") {
    auto d = blobs(800, 6);
    const auto v = blobs(200, 7);
    auto o = quiet(3);
    o.validation = sn::Validation{v.x, v.y};
    Classifier clean;
    CHECK_FALSE(sn::fit(clean, d.x, d.y, o).fired("L2.3"));
    sn::kernels::rng r(9);
    for (std::size_t i = 0; i < 800; ++i) d.y(i) = static_cast<std::int32_t>(r.below(4));  // labels shuffled away from x
    sn::labels vy = v.y;
    for (std::size_t i = 0; i < 200; ++i) vy(i) = static_cast<std::int32_t>(r.below(4));
    o.validation = sn::Validation{v.x, vy};
    Classifier broken;
    CHECK(sn::fit(broken, d.x, d.y, o).fired("L2.3"));
}

TEST_CASE("L4.3 overfitting: a big network on a tiny, noisy set") {
    using Big = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoRegularization>, sn::Input<10>, sn::Dense<512, sn::He>, sn::ReLU,
                            sn::Dense<512, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
    auto d = blobs(48, 8);
    sn::kernels::rng r(3);
    for (std::size_t i = 0; i < 48; i += 3) d.y(i) = static_cast<std::int32_t>(r.below(4));  // label noise to memorize
    const auto v = blobs(400, 9);
    auto o = quiet(60, 8);
    o.validation = sn::Validation{v.x, v.y};
    o.allow = sn::allow<sn::lint::DeadUnits>();
    Big big;
    CHECK(sn::fit(big, d.x, d.y, o).fired("L4.3"));
    const auto many = blobs(2000, 10);
    Classifier clean;
    o.epochs = 5;
    o.batch_size = 32;
    CHECK_FALSE(sn::fit(clean, many.x, many.y, o).fired("L4.3"));
}

TEST_CASE("L5.1 large batch is a warning; L5.2 a batch larger than the data an error") {
    const auto d = blobs(400, 11), v = blobs(100, 12);
    auto o = quiet(1, 128);
    o.validation = sn::Validation{v.x, v.y};
    Classifier net;
    CHECK(sn::fit(net, d.x, d.y, o).fired("L5.1"));
    o.batch_size = 32;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L5.1"));
    o.batch_size = 401;
    CHECK(lint_error_id([&] { sn::fit(net, d.x, d.y, o); }) == "L5.2");
    o.batch_size = 128;
    o.thresholds.max_batch = 256;  // thresholds are overridable
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L5.1"));
}

TEST_CASE("L6.1 a finite loss that explodes (smoothed) stops the fit and restores the weights") {
    const auto d = blobs(4000, 13), v = blobs(200, 14);
    auto o = quiet(3, 16);
    o.validation = sn::Validation{v.x, v.y};
    Classifier net;
    sn::fit(net, d.x, d.y, quiet(1));
    const std::vector<float> before(net.engine().params(), net.engine().params() + Classifier::parameter_count);
    o.optimizer = sn::SGD{.learning_rate = 3.0f, .momentum = 0.9f};
    std::string message;
    try {
        sn::fit(net, d.x, d.y, o);
    } catch (const sn::divergence_error& e) {
        message = e.what();
        CHECK(e.id() == "L6.1");
    }
    REQUIRE_FALSE(message.empty());
    CHECK(message.find("smoothed") != std::string::npos);
    CHECK(std::equal(before.begin(), before.end(), net.engine().params()));
    // A sane rate on the same data does not trip it.
    o.optimizer = sn::SGD{.learning_rate = 0.01f, .momentum = 0.9f};
    CHECK_NOTHROW(sn::fit(net, d.x, d.y, o));
}

TEST_CASE("L6.2 clipping active on most steps masks the learning rate") {
    const auto d = blobs(400, 15), v = blobs(100, 16);
    auto o = quiet(1);
    o.validation = sn::Validation{v.x, v.y};
    o.clip_grad_norm = 1e-3f;
    Classifier net;
    CHECK(sn::fit(net, d.x, d.y, o).fired("L6.2"));
    o.clip_grad_norm = 1e6f;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L6.2"));
    o.clip_grad_norm = std::nullopt;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L6.2"));
}

TEST_CASE("L8.1 dead ReLUs: a layer whose units never fire on the probe set") {
    const auto d = blobs(600, 17), v = blobs(100, 18);
    auto o = quiet(1);
    o.validation = sn::Validation{v.x, v.y};
    Classifier net;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L8.1"));
    const auto& st = net.engine().stages()[1];  // Dense<64> + ReLU
    for (int j = 0; j < st.out; ++j) net.engine().params()[st.b + static_cast<std::size_t>(j)] = -50.f;
    const auto h = sn::fit(net, d.x, d.y, o);
    CHECK(h.fired("L8.1"));
    using Leaky = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::LeakyReLU, sn::Dense<4>, sn::Softmax>;
    Leaky leaky;
    const auto& ls = leaky.engine().stages()[1];
    for (int j = 0; j < ls.out; ++j) leaky.engine().params()[ls.b + static_cast<std::size_t>(j)] = -50.f;
    CHECK_FALSE(sn::fit(leaky, d.x, d.y, o).fired("L8.1"));
}

TEST_CASE("L8.2 vanishing gradients: a deep tanh stack with tiny weights stalls") {
    using Deep = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoRegularization>, sn::Input<10>, sn::Dense<32>, sn::Tanh, sn::Dense<32>,
                             sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh,
                             sn::Dense<4>, sn::Softmax>;
    const auto d = blobs(800, 19), v = blobs(100, 20);
    auto o = quiet(4);
    o.validation = sn::Validation{v.x, v.y};
    o.optimizer = sn::SGD{.learning_rate = 0.01f, .momentum = 0.f};
    o.allow = sn::allow<sn::lint::NoBetterThanBaseline>();
    Deep healthy;
    CHECK_FALSE(sn::fit(healthy, d.x, d.y, o).fired("L8.2"));
    Deep tiny;
    scale_dense_weights(tiny, 0.02f);
    CHECK(sn::fit(tiny, d.x, d.y, o).fired("L8.2"));
}

TEST_CASE("warnings go to stderr as one line each, unless progress is off") {
    const auto d = blobs(200, 21);
    Classifier net;
    auto o = quiet(1);
    o.progress = true;  // stderr is not a terminal in the tests: no live line, but warnings print
    const auto h = sn::fit(net, d.x, d.y, o);
    CHECK(h.fired("L2.1"));
    // Network-level waivers (sn::Allow in the type) apply to run-time lints too.
    using Waived = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoValidation>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>,
                               sn::ReLU, sn::Dense<4>, sn::Softmax>;
    Waived w;
    CHECK_FALSE(sn::fit(w, d.x, d.y, quiet(1)).fired("L2.1"));
}
