// Every run-time lint fires with its ID and severity on a minimal bad case, stays silent on
// its clean twin, and obeys its waiver (FitOptions::allow, or sn::Allow in the network type).
// Data lints run in sn::check_data and before fit's first step; monitors run during fit.
// Warnings also go to stderr, one line each, unless progress is off.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                               sn::Dense<4>, sn::Softmax>;
using Regressor = sn::Network<sn::Regression, sn::Input<4>, sn::Dropout<0.9>, sn::Dense<64>, sn::ELU, sn::Dense<2>, sn::Identity>;

bool has(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    return std::any_of(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
}

std::size_t count_of(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; }));
}

// The first finding with this ID, or an empty one (id "") when there is none.
sn::Diagnostic finding(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    const auto it = std::find_if(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
    return it == v.end() ? sn::Diagnostic{} : *it;
}

// "error", "warning" or "info" for the first finding with this ID; "absent" when none has it.
std::string severity(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    const auto it = std::find_if(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
    if (it == v.end()) return "absent";
    return it->severity == sn::Severity::error ? "error" : it->severity == sn::Severity::warning ? "warning" : "info";
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

// Biases of -50 before the first hidden layer's ReLU (stage 1, after the Dropout): every unit dead.
template <class N>
void kill_first_hidden_layer(N& net) {
    const auto& st = net.engine().stages()[1];
    for (int j = 0; j < st.out; ++j) net.engine().params()[st.b + static_cast<std::size_t>(j)] = -50.f;
}

// The text cut at each '\n'; a last line without one counts too.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t end = text.find('\n', at);
        lines.push_back(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
        at = end == std::string::npos ? text.size() : end + 1;
    }
    return lines;
}

// What the library must print for a warning: its message with "warning " after "sanenet ".
std::string warning_line(const sn::Diagnostic& d) {
    REQUIRE(d.message.rfind("sanenet " + d.id + " ", 0) == 0);
    return "sanenet warning " + d.message.substr(8);
}

std::vector<std::string> warning_lines(const sn::History& h) {
    std::vector<std::string> v;
    for (const auto& d : h.diagnostics) v.push_back(warning_line(d));
    return v;
}

}  // namespace

TEST_CASE("L1.1 unnormalized inputs: raw byte-range features are an error; z-scored, [0,1] and [-1,1] are not") {
    const auto d = blobs(400, 1);
    sn::matrix raw = d.x * 40.f + 128.f;  // pixel-like 0-255
    auto o = quiet(2);
    o.validation = sn::Validation{d.x, d.y};
    CHECK(lint_error_id([&] {
              Classifier net;
              sn::fit(net, raw, d.y, o);
          }) == "L1.1");
    const auto found = sn::check_data<Classifier>(raw, d.y, o);
    REQUIRE(has(found, "L1.1"));
    CHECK(found.front().severity == sn::Severity::error);
    CHECK(found.front().message.find("sanenet L1.1 unnormalized-inputs:") == 0);
    CHECK(found.front().message.find("Waive: FitOptions::allow = sn::allow<sn::lint::UnnormalizedInputs>()") !=
          std::string::npos);

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

TEST_CASE("L3.1 non-finite data: an error; fit and evaluate refuse it") {
    auto d = blobs(200, 30);
    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, quiet(2)), "L3.1"));
    d.x(5, 2) = std::numeric_limits<float>::infinity();
    Classifier net;
    CHECK(lint_error_id([&] { sn::fit(net, d.x, d.y, quiet(2)); }) == "L3.1");
    CHECK(lint_error_id([&] { sn::evaluate(net, d.x, d.y); }) == "L3.1");
    const auto found = sn::check_data<Classifier>(d.x, d.y, quiet(2));
    CHECK(severity(found, "L3.1") == "error");
    REQUIRE(has(found, "L3.1"));
    CHECK(found.front().message.find("row 5, column 2") != std::string::npos);
    CHECK(found.front().message.find("1 non-finite value in all") != std::string::npos);
}

TEST_CASE("L1.2 feature scale spread is a warning naming the narrowest feature; FitOptions::allow waives it") {
    const auto d = blobs(400, 2), v = blobs(100, 3);
    auto o = quiet(1);
    o.validation = sn::Validation{v.x, v.y};
    sn::matrix spread = d.x;
    for (std::size_t i = 0; i < 400; ++i) spread(i, 3) *= 0.001f;  // a feature in other units
    const auto found = sn::check_data<Classifier>(spread, d.y, o);
    CHECK(severity(found, "L1.2") == "warning");
    CHECK(finding(found, "L1.2").message.find("at feature 3, ") != std::string::npos);
    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, o), "L1.2"));
    Classifier fired, waived;
    CHECK(severity(sn::fit(fired, spread, d.y, o).diagnostics, "L1.2") == "warning");

    o.allow = sn::allow<sn::lint::FeatureScaleSpread>();
    CHECK_FALSE(has(sn::check_data<Classifier>(spread, d.y, o), "L1.2"));
    CHECK_FALSE(sn::fit(waived, spread, d.y, o).fired("L1.2"));
}

TEST_CASE("L1.3 constant features: one warning that lists exactly the constant features") {
    const auto d = blobs(400, 2), v = blobs(100, 3);
    auto o = quiet(1);
    o.validation = sn::Validation{v.x, v.y};
    sn::matrix constant = d.x;
    for (std::size_t i = 0; i < 400; ++i) {
        constant(i, 3) = -2.f;
        constant(i, 7) = 0.5f;
    }
    Classifier net;
    const auto h = sn::fit(net, constant, d.y, o);
    CHECK(count_of(h.diagnostics, "L1.3") == 1);
    CHECK(severity(h.diagnostics, "L1.3") == "warning");
    const sn::Diagnostic f = finding(h.diagnostics, "L1.3");
    CHECK(f.message.rfind("sanenet L1.3 constant-feature: 2 feature(s) never change in x: 3, 7;", 0) == 0);
    CHECK(f.evidence == "constant features 3, 7");
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
    CHECK(lint_error_id([&] {
              Regressor net;
              sn::fit(net, x, raw, o);
          }) == "L1.4");
    CHECK(severity(sn::check_data<Regressor>(x, raw, o), "L1.4") == "error");
    o.allow = sn::allow<sn::lint::UnnormalizedTargets>();
    CHECK_FALSE(has(sn::check_data<Regressor>(x, raw, o), "L1.4"));
}

TEST_CASE("L2.1 no validation and L2.2 validation leak (over 1% of the rows) are warnings; both can be waived") {
    const auto d = blobs(400, 4), v = blobs(100, 5);
    Classifier net;
    auto o = quiet(1);
    CHECK(severity(sn::fit(net, d.x, d.y, o).diagnostics, "L2.1") == "warning");
    o.validation = sn::Validation{v.x, v.y};
    const auto clean = sn::fit(net, d.x, d.y, o);
    CHECK_FALSE(clean.fired("L2.1"));
    CHECK_FALSE(clean.fired("L2.2"));

    // 1 shared row of 100 is within the 1% allowed; 2 are not.
    sn::matrix vx = v.x;
    for (std::size_t j = 0; j < 10; ++j) vx(40, j) = d.x(7, j);
    o.validation = sn::Validation{vx, v.y};
    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, o), "L2.2"));
    for (std::size_t j = 0; j < 10; ++j) vx(90, j) = d.x(300, j);
    o.validation = sn::Validation{vx, v.y};
    const auto two = sn::check_data<Classifier>(d.x, d.y, o);
    CHECK(severity(two, "L2.2") == "warning");
    CHECK(finding(two, "L2.2").message.find(": 2 of the 100 validation rows also appear in the training data") !=
          std::string::npos);

    o.validation = sn::Validation{sn::take_rows(d.x, 0, 100), sn::take_rows(d.y, 0, 100)};
    const auto leak = sn::fit(net, d.x, d.y, o);
    CHECK(severity(leak.diagnostics, "L2.2") == "warning");
    CHECK(finding(leak.diagnostics, "L2.2").evidence == "100 shared rows");
    // The same leak waived, in the options and in the network's type.
    using LeakWaived = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::ValidationLeak>, sn::Input<10>, sn::Dropout<0.9>,
                                   sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
    LeakWaived by_type;
    CHECK_FALSE(sn::fit(by_type, d.x, d.y, o).fired("L2.2"));
    CHECK_FALSE(has(sn::check_data<LeakWaived>(d.x, d.y, o), "L2.2"));
    o.allow = sn::allow<sn::lint::ValidationLeak>();
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L2.2"));
}

TEST_CASE("L2.3 no better than a constant prediction: labels unrelated to the inputs; a warning that can be waived") {
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
    Classifier broken, waived;
    CHECK(severity(sn::fit(broken, d.x, d.y, o).diagnostics, "L2.3") == "warning");
    o.allow = sn::allow<sn::lint::NoBetterThanBaseline>();
    CHECK_FALSE(sn::fit(waived, d.x, d.y, o).fired("L2.3"));
}

TEST_CASE("L4.3 overfitting: a network that memorizes a tiny, noisy set; dropout on the same data cures it") {
    using Plain = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoRegularization>, sn::Input<10>, sn::Dense<128, sn::He>,
                              sn::ReLU, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
    // The lint's fix: the same layers with dropout, keep 0.9 on the inputs and 0.5 on the hidden layer.
    using Dropped = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                                sn::Dropout<0.5>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
    auto d = blobs(48, 8);
    sn::kernels::rng r(3);
    for (std::size_t i = 0; i < 48; i += 3) d.y(i) = static_cast<std::int32_t>(r.below(4));  // label noise to memorize
    const auto v = blobs(400, 9);
    auto o = quiet(60, 8);
    o.validation = sn::Validation{v.x, v.y};
    Plain plain, waived;
    const auto h = sn::fit(plain, d.x, d.y, o);
    CHECK(severity(h.diagnostics, "L4.3") == "warning");
    Dropped dropped;
    const auto cured = sn::fit(dropped, d.x, d.y, o);
    CHECK_FALSE(cured.fired("L4.3"));
    CHECK(*cured.epochs.back().val_loss < *h.epochs.back().val_loss);  // it does generalize better
    o.allow = sn::allow<sn::lint::Overfitting>();
    CHECK_FALSE(sn::fit(waived, d.x, d.y, o).fired("L4.3"));
}

TEST_CASE("L5.1 large batch is a warning that can be waived; L5.2 a batch larger than the data an error") {
    const auto d = blobs(400, 11), v = blobs(100, 12);
    auto o = quiet(1, 128);
    o.validation = sn::Validation{v.x, v.y};
    Classifier net;
    CHECK(severity(sn::fit(net, d.x, d.y, o).diagnostics, "L5.1") == "warning");
    o.batch_size = 32;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L5.1"));
    o.batch_size = 400;
    CHECK_FALSE(has(sn::check_data<Classifier>(d.x, d.y, o), "L5.2"));
    o.batch_size = 401;
    CHECK(lint_error_id([&] { sn::fit(net, d.x, d.y, o); }) == "L5.2");
    CHECK(severity(sn::check_data<Classifier>(d.x, d.y, o), "L5.2") == "error");
    o.batch_size = 128;
    o.thresholds.max_batch = 256;  // thresholds are overridable
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L5.1"));
    o.thresholds = {};
    o.allow = sn::allow<sn::lint::LargeBatch>();
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

TEST_CASE("L6.2 clipping active on most steps masks the learning rate: a warning that can be waived") {
    const auto d = blobs(400, 15), v = blobs(100, 16);
    auto o = quiet(1);
    o.validation = sn::Validation{v.x, v.y};
    o.clip_grad_norm = 1e-3f;
    Classifier net;
    CHECK(severity(sn::fit(net, d.x, d.y, o).diagnostics, "L6.2") == "warning");
    o.allow = sn::allow<sn::lint::ClippingMasksLR>();
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L6.2"));
    o.allow = {};
    o.clip_grad_norm = 1e6f;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L6.2"));
    o.clip_grad_norm = std::nullopt;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L6.2"));
}

TEST_CASE("L8.1 dead ReLUs: a layer whose units never fire on the probe set; a warning that can be waived") {
    const auto d = blobs(600, 17), v = blobs(100, 18);
    auto o = quiet(1);
    o.validation = sn::Validation{v.x, v.y};
    Classifier net;
    CHECK_FALSE(sn::fit(net, d.x, d.y, o).fired("L8.1"));
    Classifier dead, waived;  // the same seed: the same weights
    kill_first_hidden_layer(dead);
    kill_first_hidden_layer(waived);
    const auto h = sn::fit(dead, d.x, d.y, o);
    CHECK(severity(h.diagnostics, "L8.1") == "warning");
    CHECK(finding(h.diagnostics, "L8.1").evidence == "layer 2");  // Input 0, Dropout 1, Dense<64> 2
    using Leaky = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::LeakyReLU,
                              sn::Dense<4>, sn::Softmax>;
    Leaky leaky;
    kill_first_hidden_layer(leaky);
    CHECK_FALSE(sn::fit(leaky, d.x, d.y, o).fired("L8.1"));
    o.allow = sn::allow<sn::lint::DeadUnits>();
    CHECK_FALSE(sn::fit(waived, d.x, d.y, o).fired("L8.1"));
}

TEST_CASE("L8.2 vanishing gradients: a deep tanh stack with tiny weights stalls; sn::Allow in the type waives it") {
    using Deep = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoRegularization>, sn::Input<10>, sn::Dense<32>, sn::Tanh,
                             sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh,
                             sn::Dense<32>, sn::Tanh, sn::Dense<4>, sn::Softmax>;
    using DeepWaived =
        sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoRegularization, sn::lint::VanishingGradient>, sn::Input<10>,
                    sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh,
                    sn::Dense<32>, sn::Tanh, sn::Dense<32>, sn::Tanh, sn::Dense<4>, sn::Softmax>;
    const auto d = blobs(800, 19), v = blobs(100, 20);
    auto o = quiet(4);
    o.validation = sn::Validation{v.x, v.y};
    o.optimizer = sn::SGD{.learning_rate = 0.01f, .momentum = 0.f};
    o.allow = sn::allow<sn::lint::NoBetterThanBaseline>();
    Deep healthy;
    CHECK_FALSE(sn::fit(healthy, d.x, d.y, o).fired("L8.2"));
    Deep tiny;
    scale_dense_weights(tiny, 0.02f);
    CHECK(severity(sn::fit(tiny, d.x, d.y, o).diagnostics, "L8.2") == "warning");
    DeepWaived waived;
    scale_dense_weights(waived, 0.02f);
    Deep same;
    scale_dense_weights(same, 0.02f);
    REQUIRE(params_of(waived) == params_of(same));  // the same start as `tiny`
    CHECK_FALSE(sn::fit(waived, d.x, d.y, o).fired("L8.2"));
}

TEST_CASE("warnings go to stderr as one line each, once per fit, unless progress is off") {
    const auto d = blobs(200, 21), v = blobs(100, 22);
    auto o = quiet(1);
    o.progress = true;  // stderr is a file here, not a terminal: no live line, but warnings print
    sn::History h;
    // The first fit with progress on may add one "sanenet note:" about the SIMD build (once per process).
    std::vector<std::string> first = lines_of(stderr_of([&] {
        Classifier net;
        h = sn::fit(net, d.x, d.y, o);
    }));
    CHECK(std::count_if(first.begin(), first.end(), [](const std::string& l) { return l.rfind("sanenet note: ", 0) == 0; }) <= 1);
    std::erase_if(first, [](const std::string& l) { return l.rfind("sanenet note: ", 0) == 0; });
    REQUIRE(h.diagnostics.size() == 1);
    CHECK(first == warning_lines(h));

    // One warning (L2.1): exactly its line, with the documented prefix, and nothing else.
    std::string err = stderr_of([&] {
        Classifier net;
        h = sn::fit(net, d.x, d.y, o);
    });
    REQUIRE(h.diagnostics.size() == 1);
    CHECK(err == warning_line(h.diagnostics[0]) + "\n");
    CHECK(err.rfind("sanenet warning L2.1 no-validation: no validation data", 0) == 0);
    CHECK(err.find('\r') == std::string::npos);  // no live progress line on a non-terminal

    // Two warnings (L2.1, L5.1): two lines, in the History's order.
    o.batch_size = 128;
    err = stderr_of([&] {
        Classifier net;
        h = sn::fit(net, d.x, d.y, o);
    });
    REQUIRE(h.diagnostics.size() == 2);
    CHECK(lines_of(err) == warning_lines(h));
    CHECK(err.find("sanenet warning L5.1 large-batch: ") != std::string::npos);
    CHECK(std::count(err.begin(), err.end(), '\n') == 2);

    // L6.2 holds in every one of 3 epochs: one line all the same, as in the History.
    o.batch_size = 16;
    o.epochs = 3;
    o.clip_grad_norm = 1e-3f;
    o.validation = sn::Validation{v.x, v.y};
    err = stderr_of([&] {
        Classifier net;
        h = sn::fit(net, d.x, d.y, o);
    });
    CHECK(count_of(h.diagnostics, "L6.2") == 1);
    REQUIRE(h.diagnostics.size() == 1);
    CHECK(err == warning_line(h.diagnostics[0]) + "\n");
    CHECK(err.rfind("sanenet warning L6.2 clipping-masks-lr: ", 0) == 0);

    // Progress off: the same three fits record their warnings and print nothing.
    o.progress = false;
    std::size_t recorded = 0;
    err = stderr_of([&] {
        Classifier a, b, c;
        recorded += sn::fit(a, d.x, d.y, o).diagnostics.size();
        auto one = o;
        one.epochs = 1;
        one.clip_grad_norm = std::nullopt;
        one.validation = std::nullopt;
        recorded += sn::fit(b, d.x, d.y, one).diagnostics.size();
        one.batch_size = 128;
        recorded += sn::fit(c, d.x, d.y, one).diagnostics.size();
    });
    CHECK(recorded == 4);
    CHECK(err == "");

    // A waived warning is not printed either (sn::Allow in the type applies to run-time lints).
    auto loud = quiet(1);
    loud.progress = true;
    err = stderr_of([&] {
        Classifier net;
        h = sn::fit(net, d.x, d.y, loud);
    });
    CHECK(severity(h.diagnostics, "L2.1") == "warning");
    CHECK(err.rfind("sanenet warning L2.1 ", 0) == 0);
    using Waived = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoValidation>, sn::Input<10>, sn::Dropout<0.9>,
                               sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
    err = stderr_of([&] {
        Waived w;
        h = sn::fit(w, d.x, d.y, loud);
    });
    CHECK_FALSE(h.fired("L2.1"));
    CHECK(err == "");
}
