// Network as a type: shapes and parameter counts at compile time, summary(), initialization,
// predict and predict_one, and their shape errors.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cmath>
#include <cstring>
#include <vector>

namespace sn = sanenet;
using sanenet_test::NoDropout;

using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU, sn::Dropout<0.9>,
                        sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
static_assert(sn::valid<Mlp>);
static_assert(Mlp::input_size == 784);
static_assert(Mlp::output_size == 10);
static_assert(Mlp::parameter_count == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
static_assert(Mlp::layers.size() == 9);
static_assert(Mlp::layers[1].k == sn::detail::kind::dropout && Mlp::layers[1].param == 0.9f);
static_assert(Mlp::layers[2].in == 784 && Mlp::layers[2].out == 256 && Mlp::layers[2].i == sn::detail::init::he);
static_assert(Mlp::layers[7].i == sn::detail::init::lecun);  // Dense's default initializer

// Allow<> is not a layer: it changes neither the shapes nor the indices.
using Waived = sn::Network<sn::Regression, sn::Allow<sn::lint::BoundedRegressionOutput, sn::lint::NoRegularization>, sn::Input<8>, sn::Dense<32>, sn::ELU, sn::Dense<3>,
                           sn::Tanh>;
static_assert(Waived::layers.size() == 5 && Waived::layers[0].k == sn::detail::kind::input);
static_assert(Waived::waivers.waives<sn::lint::BoundedRegressionOutput>());
static_assert(!Waived::waivers.waives<sn::lint::TooDeep>());
static_assert(Waived::parameter_count == 8 * 32 + 32 + 32 * 3 + 3);

using Small = sn::Network<sn::Regression, NoDropout, sn::Input<3>, sn::Dense<16, sn::He>, sn::ReLU, sn::Dense<2>, sn::Identity>;

TEST_CASE("summary lists every layer with its output shape and parameters") {
    const std::string s = Mlp{}.summary();
    CHECK(s.find("Network<Classification<10>>") != std::string::npos);
    CHECK(s.find("Dropout<0.9>") != std::string::npos);
    CHECK(s.find("Dense<256, He>") != std::string::npos);
    CHECK(s.find("(batch, 128)") != std::string::npos);
    CHECK(s.find("200960") != std::string::npos);
    CHECK(s.find("Total parameters: 235146") != std::string::npos);
    CHECK(s.find("softmax cross-entropy") != std::string::npos);
}

TEST_CASE("initialization: same seed same weights, biases zero, scale from fan-in") {
    Mlp a{sn::Seed{3}}, b{sn::Seed{3}}, c{sn::Seed{4}};
    const std::size_t n = Mlp::parameter_count;
    CHECK(std::memcmp(a.engine().params(), b.engine().params(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(a.engine().params(), c.engine().params(), n * sizeof(float)) != 0);
    const auto& st = a.engine().stages();
    for (const auto& s : st) {
        if (s.k != sn::detail::kind::dense) continue;
        const float* w = a.engine().params() + s.w;
        const std::size_t count = static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out);
        double ss = 0.0;
        for (std::size_t i = 0; i < count; ++i) ss += static_cast<double>(w[i]) * w[i];
        const double sd = std::sqrt(ss / static_cast<double>(count));
        const bool he = Mlp::layers[s.spec].i == sn::detail::init::he;
        const double expected = std::sqrt((he ? 2.0 : 1.0) / s.in);
        INFO("layer " << s.spec);
        CHECK(sd == doctest::Approx(expected).epsilon(0.08));
        for (int j = 0; j < s.out; ++j) CHECK(a.engine().params()[s.b + static_cast<std::size_t>(j)] == 0.f);
    }
}

TEST_CASE("Zeros and Constant<V> initialize exactly (they exist so that lint L9.1 can reject them)") {
    using Z = sn::Network<sn::Regression, sn::Allow<sn::lint::ConstantInit, sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>, sn::Input<2>, sn::Dense<4, sn::Constant<0.5>>, sn::ELU, sn::Dense<1, sn::Zeros>, sn::Identity>;
    Z z;
    const auto& st = z.engine().stages();
    CHECK(z.engine().params()[st[0].w] == 0.5f);
    CHECK(z.engine().params()[st[0].w + 7] == 0.5f);
    CHECK(z.engine().params()[st[1].w] == 0.f);
}

TEST_CASE("predict returns probabilities; predict_one gives the same numbers") {
    Mlp net{sn::Seed{1}};
    sn::kernels::rng r(2);
    sn::matrix x = sn::matrix::from_shape({300, 784});
    for (auto& v : x) v = static_cast<float>(r.normal());
    const sn::matrix p = net.predict(x);
    REQUIRE(p.shape()[0] == 300);
    REQUIRE(p.shape()[1] == 10);
    std::vector<float> one(10);
    for (std::size_t i : {std::size_t{0}, std::size_t{257}, std::size_t{299}}) {
        double s = 0.0;
        for (std::size_t j = 0; j < 10; ++j) {
            CHECK(p(i, j) >= 0.f);
            s += p(i, j);
        }
        CHECK(s == doctest::Approx(1.0).epsilon(1e-5));
        net.predict_one(std::span<const float>(x.data() + i * 784, 784), one);
        for (std::size_t j = 0; j < 10; ++j) CHECK(one[j] == doctest::Approx(p(i, j)).epsilon(1e-5));
    }
    // Inference is deterministic and leaves dropout off.
    CHECK(net.predict(x) == p);
}

TEST_CASE("wrong input widths are shape errors that name both shapes") {
    Small net;
    const sn::matrix x = sn::matrix::from_shape({5, 4});
    CHECK_THROWS_WITH_AS(net.predict(x), doctest::Contains("(5, 4)"), sn::shape_error);
    CHECK_THROWS_WITH_AS(net.predict(x), doctest::Contains("(5, 3)"), sn::shape_error);
    std::vector<float> in(4), out(2), out3(3), in3(3);
    CHECK_THROWS_AS(net.predict_one(in, out), sn::shape_error);
    CHECK_THROWS_AS(net.predict_one(in3, out3), sn::shape_error);
    CHECK_NOTHROW(net.predict_one(in3, out));
    CHECK(net.predict(sn::matrix::from_shape({0, 3})).shape()[0] == 0);
}

TEST_CASE("build_info names the SIMD architecture") {
    CHECK(sn::build_info().find(sn::kernels::arch_name()) != std::string::npos);
}
