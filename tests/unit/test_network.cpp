// Network as a type: shapes and parameter counts at compile time, summary(), initialization,
// predict and predict_one, and their shape errors.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

namespace sn = sanenet;
using sanenet_test::NoDropout;

using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
static_assert(sn::valid<Mlp>);
static_assert(Mlp::input_size == 784);
static_assert(Mlp::output_size == 10);
static_assert(Mlp::parameter_count == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
static_assert(Mlp::layers.size() == 9);
static_assert(Mlp::layers[1].k == sn::detail::kind::dropout && Mlp::layers[1].param == 0.9f);
static_assert(Mlp::layers[2].in == 784 && Mlp::layers[2].out == 256 && Mlp::layers[2].i == sn::detail::init::he);
static_assert(Mlp::layers[7].i == sn::detail::init::lecun);  // Dense's default initializer

// Allow<> is not a layer: it changes neither the shapes nor the indices.
using Waived = sn::Network<sn::Regression, sn::Allow<sn::lint::BoundedRegressionOutput, sn::lint::NoRegularization>, sn::Input<8>,
                           sn::Dense<32>, sn::ELU, sn::Dense<3>, sn::Tanh>;
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

TEST_CASE("initialization: same seed same weights, another seed other weights, biases zero") {
    Mlp a{sn::Seed{3}}, b{sn::Seed{3}}, c{sn::Seed{4}};
    const std::size_t n = Mlp::parameter_count;
    CHECK(std::memcmp(a.engine().params(), b.engine().params(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(a.engine().params(), c.engine().params(), n * sizeof(float)) != 0);
    std::size_t dense = 0;
    for (const auto& s : a.engine().stages()) {
        if (s.k != sn::detail::kind::dense) continue;
        ++dense;
        INFO("layer " << s.spec);
        CHECK(std::count(a.engine().params() + s.b, a.engine().params() + s.b + s.out, 0.f) == s.out);
    }
    CHECK(dense == 3);
}

namespace {

// 100 -> 400 -> 100: fan-in and fan-out differ by a factor 4, one way in the first layer and the
// other way in the second, so a fan-out in place of a fan-in changes the scale by 2. 40000 weights
// a layer: the sample statistics are within about 1-2 % of the truth, far closer than any wrong factor.
template <class Init>
using InitNet =
    sn::Network<sn::Regression, NoDropout, sn::Input<100>, sn::Dense<400, Init>, sn::Tanh, sn::Dense<100, Init>, sn::Identity>;

double lecun_sd(double fan_in, double) { return std::sqrt(1.0 / fan_in); }
double he_sd(double fan_in, double) { return std::sqrt(2.0 / fan_in); }
double xavier_sd(double fan_in, double fan_out) { return std::sqrt(2.0 / (fan_in + fan_out)); }

// Every Dense of an InitNet: mean 0, standard deviation sd(fan_in, fan_out), the shape of a
// normal or of a uniform on +-sqrt(3) sd, biases exactly zero. Tolerances are 5 standard errors.
void check_initializer(const sn::detail::model& net, double (*sd)(double, double), bool uniform) {
    const float* p = net.params();
    std::vector<std::pair<int, int>> fans;
    for (const auto& st : net.stages()) {
        if (st.k != sn::detail::kind::dense) continue;
        fans.emplace_back(st.in, st.out);
        const double expected = sd(st.in, st.out);
        const std::size_t n = static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out);
        const double root_n = std::sqrt(static_cast<double>(n));
        double sum = 0, squares = 0, largest = 0;
        std::size_t within_half_bound = 0, within_1sd = 0, within_2sd = 0;
        const double bound = std::sqrt(3.0) * expected;
        for (std::size_t i = 0; i < n; ++i) {
            const double w = p[st.w + i];
            sum += w;
            squares += w * w;
            largest = std::max(largest, std::fabs(w));
            within_half_bound += std::fabs(w) < bound / 2;
            within_1sd += std::fabs(w) < expected;
            within_2sd += std::fabs(w) < 2 * expected;
        }
        const double mean = sum / static_cast<double>(n), rms = std::sqrt(squares / static_cast<double>(n));
        INFO("Dense " << st.in << "->" << st.out << ": mean " << mean << ", sd " << rms << ", expected sd " << expected
                      << ", largest |w| " << largest);
        CHECK(std::fabs(mean) < 5 * expected / root_n);
        // The sample sd's standard error is sd * sqrt((kurtosis - 1) / 4n): kurtosis 3 (normal), 1.8 (uniform).
        CHECK(std::fabs(rms - expected) < 5 * expected * std::sqrt((uniform ? 0.8 : 2.0) / 4.0) / root_n);
        // |share - prob| over 5 standard errors of a share: 0 when within, else the excess.
        const auto excess = [&](std::size_t count, double prob) {
            return std::max(0.0, std::fabs(static_cast<double>(count) / static_cast<double>(n) - prob) -
                                     5 * std::sqrt(prob * (1 - prob)) / root_n);
        };
        if (uniform) {
            // Inside +-sqrt(3) sd (up to the rounding to float), reaching its ends, and flat: half
            // the values within half the bound (a normal with the same sd has 0.614 there).
            CHECK(largest <= bound * (1 + 1e-6));
            CHECK(largest > bound * (1 - 1e-3));  // 40000 draws all below: probability e^-40
            CHECK(excess(within_half_bound, 0.5) == 0.0);
        } else {
            // Normal: 68.3 % within 1 sd and 95.4 % within 2 (a uniform has 57.7 % and 100 %).
            CHECK(excess(within_1sd, 0.682689492) == 0.0);
            CHECK(excess(within_2sd, 0.954499736) == 0.0);
            CHECK(largest > bound);  // a normal's tail passes where a uniform stops
        }
        CHECK(std::count(p + st.b, p + st.b + st.out, 0.f) == st.out);  // biases exactly zero
    }
    CHECK(fans == std::vector<std::pair<int, int>>{{100, 400}, {400, 100}});
}

}  // namespace

TEST_CASE("initialization: each initializer's mean, scale from fan-in (Xavier: fan-in + fan-out) and shape") {
    SUBCASE("LeCun: normal, sd sqrt(1/fan_in)") { check_initializer(InitNet<sn::LeCun>{sn::Seed{21}}.engine(), lecun_sd, false); }
    SUBCASE("He: normal, sd sqrt(2/fan_in)") { check_initializer(InitNet<sn::He>{sn::Seed{21}}.engine(), he_sd, false); }
    SUBCASE("Xavier: normal, sd sqrt(2/(fan_in+fan_out))") {
        check_initializer(InitNet<sn::Xavier>{sn::Seed{21}}.engine(), xavier_sd, false);
    }
    SUBCASE("LeCunUniform") { check_initializer(InitNet<sn::LeCunUniform>{sn::Seed{21}}.engine(), lecun_sd, true); }
    SUBCASE("HeUniform") { check_initializer(InitNet<sn::HeUniform>{sn::Seed{21}}.engine(), he_sd, true); }
    SUBCASE("XavierUniform") { check_initializer(InitNet<sn::XavierUniform>{sn::Seed{21}}.engine(), xavier_sd, true); }
}

TEST_CASE("Zeros and Constant<V> initialize exactly (they exist so that lint L9.1 can reject them)") {
    using Z =
        sn::Network<sn::Regression, sn::Allow<sn::lint::ConstantInit, sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>,
                    sn::Input<2>, sn::Dense<4, sn::Constant<0.5>>, sn::ELU, sn::Dense<1, sn::Zeros>, sn::Identity>;
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
    // Inference is deterministic.
    CHECK(net.predict(x) == p);
}

TEST_CASE("inference leaves dropout off: predict is the same network's without its Dropout layers, bit for bit") {
    using Plain = sn::Network<sn::Classification<10>, NoDropout, sn::Input<784>, sn::Dense<256, sn::He>, sn::ReLU,
                              sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
    Mlp net{sn::Seed{1}};
    Plain plain{sn::Seed{2}};
    // Dropout holds no parameters: both store the same Dense layers at the same offsets.
    REQUIRE(Plain::parameter_count == Mlp::parameter_count);
    std::vector<std::size_t> offsets_net, offsets_plain;
    for (const auto& st : net.engine().stages())
        if (st.k == sn::detail::kind::dense) offsets_net.insert(offsets_net.end(), {st.w, st.b});
    for (const auto& st : plain.engine().stages())
        if (st.k == sn::detail::kind::dense) offsets_plain.insert(offsets_plain.end(), {st.w, st.b});
    REQUIRE(offsets_net == offsets_plain);
    REQUIRE(std::memcmp(net.engine().params(), plain.engine().params(), Mlp::parameter_count * sizeof(float)) != 0);
    std::copy(net.engine().params(), net.engine().params() + Mlp::parameter_count, plain.engine().params());

    const sn::matrix x = sanenet_test::normal_matrix(300, 784, 5);
    for (int threads : {1, 0}) {
        const sn::matrix p = net.predict(x, threads), q = plain.predict(x, threads);
        REQUIRE(p.shape() == q.shape());
        INFO("threads " << threads);
        CHECK(std::memcmp(p.data(), q.data(), p.size() * sizeof(float)) == 0);
    }
    std::vector<float> one(10), other(10);
    for (std::size_t i : {std::size_t{0}, std::size_t{299}}) {
        net.predict_one(std::span<const float>(x.data() + i * 784, 784), one);
        plain.predict_one(std::span<const float>(x.data() + i * 784, 784), other);
        CHECK(std::memcmp(one.data(), other.data(), one.size() * sizeof(float)) == 0);
    }
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
