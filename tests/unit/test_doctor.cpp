// The learning-rate range test and the doctor: each probe finds its mistake and clears the
// healthy twin; neither touches the network.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;

}  // namespace

TEST_CASE("find_learning_rate: explodes, suggests a tenth of the largest stable rate, leaves the network alone") {
    const auto d = blobs(1000, 1);
    Classifier net;
    const auto before = params_of(net);
    const sn::LrFinding f = sn::find_learning_rate(net, d.x, d.y, sn::LrOptions{.optimizer = sn::SGD{.momentum = 0.9f}, .threads = 1});
    CHECK(params_of(net) == before);
    REQUIRE(f.exploded());
    CHECK(f.max_stable < f.exploded_at);
    CHECK(f.suggested == doctest::Approx(f.max_stable / 10));
    REQUIRE(f.curve.size() >= 2);
    for (std::size_t i = 1; i < f.curve.size(); ++i) CHECK(f.curve[i].learning_rate > f.curve[i - 1].learning_rate);
    CHECK(f.curve.front().learning_rate == doctest::Approx(1e-7));
    // The suggestion trains; ten times the explosion point does not.
    auto o = quiet(sn::SGD{.learning_rate = static_cast<float>(f.suggested), .momentum = 0.9f});
    o.epochs = 3;
    o.allow = sn::allow<sn::lint::NoValidation>();
    Classifier good;
    sn::fit(good, d.x, d.y, o);
    CHECK(sn::accuracy(good.predict(d.x), d.y) > 0.9);
    o.optimizer = sn::SGD{.learning_rate = static_cast<float>(10 * f.exploded_at), .momentum = 0.9f};
    Classifier bad;
    CHECK_THROWS_AS(sn::fit(bad, d.x, d.y, o), sn::divergence_error);
}

TEST_CASE("find_learning_rate: a curve that never explodes says so; the plot is written") {
    const auto d = blobs(500, 2);
    Classifier net;
    const auto f = sn::find_learning_rate(net, d.x, d.y, sn::LrOptions{.stop = 1e-5, .steps = 20, .threads = 1});
    CHECK_FALSE(f.exploded());
    CHECK(f.max_stable == doctest::Approx(1e-5));
    CHECK(f.to_string().find("no explosion") != std::string::npos);
    const temp_dir dir("lr");
    const auto path = dir.path / "lr.svg";
    sn::plot::learning_rate_svg(f, path);
    std::ifstream in(path);
    std::string svg((std::istreambuf_iterator<char>(in)), {});
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find("learning rate") != std::string::npos);
    CHECK_THROWS_AS(sn::find_learning_rate(net, d.x, d.y, sn::LrOptions{.start = 1.0, .stop = 0.1}), std::invalid_argument);
}

TEST_CASE("doctor: a healthy setup has no error, seven checks, and the network is untouched") {
    const auto d = blobs(1000, 3), v = blobs(200, 4);
    Classifier net;
    const auto before = params_of(net);
    auto o = quiet();
    o.validation = sn::Validation{v.x, v.y};
    const sn::Report r = sn::doctor(net, d.x, d.y, o);
    INFO(r.to_string());
    CHECK(r.healthy());
    CHECK(r.findings.empty());
    CHECK(r.checks.size() == 7);
    CHECK(r.overfits_small_set);
    CHECK(r.loss_at_init == doctest::Approx(std::log(4.0)).epsilon(0.5));
    CHECK(r.learning_rate.exploded());
    CHECK(params_of(net) == before);
    CHECK(r.to_string().find("Nothing found") != std::string::npos);
}

TEST_CASE("doctor: raw inputs and a learning rate of 1 are both named, errors first") {
    auto d = blobs(1000, 5);
    const sn::matrix raw = d.x * 60.f + 128.f;
    Classifier net;
    auto o = quiet(sn::Adam{.learning_rate = 1.f});
    o.allow = sn::allow<sn::lint::NoValidation>();
    const sn::Report r = sn::doctor(net, raw, d.y, o);
    INFO(r.to_string());
    CHECK(r.found("L1.1"));
    CHECK(r.found("L6.1"));
    CHECK(r.found("L9.2"));
    CHECK_FALSE(r.healthy());
    CHECK(r.findings.front().severity == sn::Severity::error);
    CHECK(r.findings.back().severity == sn::Severity::warning);
}

TEST_CASE("doctor X6: samples that contradict each other cannot be fitted") {
    auto d = blobs(400, 6);
    for (std::size_t i = 0; i < 16; ++i)
        for (std::size_t j = 0; j < 10; ++j) d.x(i, j) = d.x(0, j);  // one input, four labels
    Classifier net;
    auto o = quiet();
    o.allow = sn::allow<sn::lint::NoValidation>();
    const sn::Report r = sn::doctor(net, d.x, d.y, o);
    CHECK(r.found("X6"));
    CHECK_FALSE(r.overfits_small_set);
    CHECK_FALSE(sn::doctor(net, blobs(400, 7).x, blobs(400, 7).y, o).found("X6"));
}

TEST_CASE("doctor L8.1: ReLUs dead before training") {
    const auto d = blobs(400, 8);
    Classifier net;
    const auto& st = net.engine().stages()[1];
    for (int j = 0; j < st.out; ++j) net.engine().params()[st.b + static_cast<std::size_t>(j)] = -50.f;
    auto o = quiet();
    o.allow = sn::allow<sn::lint::NoValidation>();
    CHECK(sn::doctor(net, d.x, d.y, o).found("L8.1"));
}

TEST_CASE("doctor L9.3: a deep stack whose initial weights are far too small loses the signal") {
    using Deep = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh,
                             sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh, sn::Dense<4>, sn::Softmax>;
    const auto d = blobs(400, 10);
    auto o = quiet();
    o.allow = sn::allow<sn::lint::NoValidation>();
    Deep healthy;
    CHECK_FALSE(sn::doctor(healthy, d.x, d.y, o).found("L9.3"));
    Deep tiny;
    scale_dense_weights(tiny, 0.1f);
    const sn::Report r = sn::doctor(tiny, d.x, d.y, o);
    INFO(r.to_string());
    CHECK(r.found("L9.3"));
}

TEST_CASE("doctor stops at NaN data, and waivers apply") {
    auto d = blobs(200, 9);
    d.x(3, 3) = std::nanf("");
    Classifier net;
    auto o = quiet();
    const sn::Report r = sn::doctor(net, d.x, d.y, o);
    CHECK(r.found("L3.1"));
    CHECK(r.checks.back().result.find("skipped") != std::string::npos);
    o.allow = sn::allow<sn::lint::NoValidation>();
    CHECK_FALSE(sn::doctor(net, blobs(200, 9).x, blobs(200, 9).y, o).found("L2.1"));
}
