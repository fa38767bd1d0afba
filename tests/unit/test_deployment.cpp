// Scalers attached to a network (issue 15): predict, predict_one, evaluate, fit,
// find_learning_rate and doctor on raw data against the same network without scalers on data
// standardized by sn::Standardizer itself (the independent side), the attach checks, and the
// fixed-extent predict_one.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Arm = sn::Network<sn::Regression, sn::Input<3>, sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU, sn::Dense<32, sn::He>,
                        sn::ELU, sn::Dense<2>, sn::Identity>;
using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU,
                               sn::Dense<4>, sn::Softmax>;

// Inputs and targets in raw units, far from standardized (L1.1 and L1.4 fire on them).
struct raw_data {
    sn::matrix x, y;
};
raw_data raw_arm(std::size_t n, std::uint64_t seed) {
    const sn::matrix z = normal_matrix(n, 3, seed);
    raw_data d{sn::matrix::from_shape({n, 3}), sn::matrix::from_shape({n, 2})};
    for (std::size_t i = 0; i < n; ++i) {
        d.x(i, 0) = 180.f + 30.f * z(i, 0);
        d.x(i, 1) = 0.002f * z(i, 1);
        d.x(i, 2) = -400.f + 50.f * z(i, 2);
        d.y(i, 0) = 1000.f + 2.f * d.x(i, 0) + 50000.f * d.x(i, 1);
        d.y(i, 1) = 0.1f * d.x(i, 2) * z(i, 0);
    }
    return d;
}

bool same(const sn::matrix& a, const sn::matrix& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

template <class N>
std::vector<float> params(const N& net) {
    return params_of(net);
}

struct fixture {
    raw_data train = raw_arm(200, 1), val = raw_arm(50, 2);
    sn::Standardizer sx, sy;
    fixture() {
        sx.fit(train.x);
        sy.fit(train.y);
    }
};

}  // namespace

TEST_CASE("predict and predict_one on raw inputs equal the plain network on Standardizer::transform, in the targets' units") {
    fixture f;
    Arm scaled{sn::Seed{3}}, plain{sn::Seed{3}};
    scaled.attach_input_scaler(f.sx);
    scaled.attach_target_scaler(f.sy);
    const sn::matrix expected = f.sy.inverse_transform(plain.predict(f.sx.transform(f.val.x), 1));
    const sn::matrix got = scaled.predict(f.val.x, 1);
    CHECK(same(got, expected));
    for (std::size_t i : {std::size_t{0}, std::size_t{17}, std::size_t{49}}) {
        CAPTURE(i);
        const std::array<float, 3> in = {f.val.x(i, 0), f.val.x(i, 1), f.val.x(i, 2)};
        std::array<float, 2> out{}, plain_out{};
        scaled.predict_one(in, out);  // the fixed-extent overload
        const sn::matrix z = f.sx.transform(sn::matrix{{in[0], in[1], in[2]}});
        plain.predict_one(std::span<const float>(z.data(), 3), plain_out);
        const sn::matrix back = f.sy.inverse_transform(sn::matrix{{plain_out[0], plain_out[1]}});
        CHECK(out[0] == back(0, 0));
        CHECK(out[1] == back(0, 1));
        // The dynamic overload gives the same.
        std::vector<float> vin(in.begin(), in.end()), vout(2);
        scaled.predict_one(vin, vout);
        CHECK(vout[0] == out[0]);
        CHECK(vout[1] == out[1]);
    }
    // Detached, the network takes standardized inputs again.
    scaled.detach_scalers();
    CHECK(same(scaled.predict(f.sx.transform(f.val.x), 1), plain.predict(f.sx.transform(f.val.x), 1)));
}

TEST_CASE("fit with scalers attached takes raw data and trains exactly as fit on standardized data does") {
    fixture f;
    Arm scaled{sn::Seed{5}}, plain{sn::Seed{5}};
    scaled.attach_input_scaler(f.sx);
    scaled.attach_target_scaler(f.sy);
    sn::FitOptions raw_options = quiet(3, 16);
    raw_options.validation = sn::Validation{f.val.x, f.val.y};
    sn::FitOptions std_options = quiet(3, 16);
    std_options.validation = sn::Validation{f.sx.transform(f.val.x), f.sy.transform(f.val.y)};
    const sn::History a = sn::fit(scaled, f.train.x, f.train.y, raw_options);
    const sn::History b = sn::fit(plain, f.sx.transform(f.train.x), f.sy.transform(f.train.y), std_options);
    CHECK(params(scaled) == params(plain));
    CHECK(a.train_loss() == b.train_loss());
    CHECK(a.val_loss() == b.val_loss());
    CHECK(a.val_metric() == b.val_metric());
    CHECK(a.val_metric().back() > 0.5);  // it learned something, in the standardized units it trains in

    // evaluate takes raw data too; its loss is in the standardized units, as the History's.
    const sn::Evaluation ea = sn::evaluate(scaled, f.val.x, f.val.y, 1);
    const sn::Evaluation eb = sn::evaluate(plain, f.sx.transform(f.val.x), f.sy.transform(f.val.y), 1);
    CHECK(ea.loss == eb.loss);
    CHECK(ea.metric == eb.metric);
    CHECK(ea.loss == doctest::Approx(*a.epochs.back().val_loss).epsilon(1e-12));
}

TEST_CASE("the data lints see what the network sees: raw data is L1.1 and L1.4 without scalers, clean with them") {
    fixture f;
    Arm plain{sn::Seed{7}};
    CHECK(message_of<sn::lint_error>([&] { sn::fit(plain, f.train.x, f.train.y, quiet(1)); }).find("L1.1") != std::string::npos);
    Arm with_inputs{sn::Seed{7}};
    with_inputs.attach_input_scaler(f.sx);
    const auto targets = [&] {
        try {
            sn::fit(with_inputs, f.train.x, f.train.y, quiet(1));
        } catch (const sn::lint_error& e) {
            return e.id();
        }
        return std::string("none");
    };
    CHECK(targets() == "L1.4");  // the inputs pass now; the raw targets do not
    Arm both{sn::Seed{7}};
    both.attach_input_scaler(f.sx);
    both.attach_target_scaler(f.sy);
    sn::FitOptions o = quiet(1);
    o.allow = sn::allow<sn::lint::NoValidation>();
    const sn::History h = sn::fit(both, f.train.x, f.train.y, o);
    CHECK(h.diagnostics.empty());
}

TEST_CASE("find_learning_rate and doctor take raw data from a network with scalers") {
    fixture f;
    Arm scaled{sn::Seed{9}}, plain{sn::Seed{9}};
    scaled.attach_input_scaler(f.sx);
    scaled.attach_target_scaler(f.sy);
    const sn::matrix xs = f.sx.transform(f.train.x), ys = f.sy.transform(f.train.y);
    const sn::LrOptions lo{.steps = 40, .threads = 1};
    const sn::LrFinding a = sn::find_learning_rate(scaled, f.train.x, f.train.y, lo);
    const sn::LrFinding b = sn::find_learning_rate(plain, xs, ys, lo);
    REQUIRE(a.curve.size() == b.curve.size());
    for (std::size_t i = 0; i < a.curve.size(); ++i) CHECK(a.curve[i].loss == b.curve[i].loss);
    // The FitOptions overload (issue 14) too, under a fit's loss and output weights.
    sn::FitOptions fo = quiet();
    fo.batch_size = 16;
    fo.threads = 1;
    fo.loss = sn::Huber{.delta = 0.5f};
    fo.output_weights = {1.f, 2.f};
    const sn::LrFinding c = sn::find_learning_rate(scaled, f.train.x, f.train.y, fo);
    const sn::LrFinding e = sn::find_learning_rate(plain, xs, ys, fo);
    REQUIRE(c.curve.size() == e.curve.size());
    for (std::size_t i = 0; i < c.curve.size(); ++i) CHECK(c.curve[i].loss == e.curve[i].loss);

    sn::FitOptions o = quiet();
    o.validation = sn::Validation{f.val.x, f.val.y};
    const sn::Report ra = sn::doctor(scaled, f.train.x, f.train.y, o);
    o.validation = sn::Validation{f.sx.transform(f.val.x), f.sy.transform(f.val.y)};
    const sn::Report rb = sn::doctor(plain, xs, ys, o);
    CHECK_FALSE(ra.found("L1.1"));
    CHECK_FALSE(ra.found("L1.4"));
    CHECK(ra.loss_at_init == rb.loss_at_init);
    REQUIRE(ra.findings.size() == rb.findings.size());
    for (std::size_t i = 0; i < ra.findings.size(); ++i) CHECK(ra.findings[i].id == rb.findings[i].id);
}

TEST_CASE("attaching checks the Standardizer: fitted, on the network's width") {
    Arm net{sn::Seed{11}};
    sn::Standardizer unfitted;
    CHECK(contains(message_of<sn::argument_error>([&] { net.attach_input_scaler(unfitted); }),
                   "attach_input_scaler: the Standardizer is not fitted"));
    sn::Standardizer four;
    four.fit(normal_matrix(10, 4, 1));
    CHECK(contains(message_of<sn::shape_error>([&] { net.attach_input_scaler(four); }),
                   "attach_input_scaler: the Standardizer was fitted on 4 features, the network's input has 3"));
    CHECK(contains(message_of<sn::shape_error>([&] { net.attach_target_scaler(four); }),
                   "attach_target_scaler: the Standardizer was fitted on 4 features, the network's output has 2"));
    CHECK_FALSE(net.has_input_scaler());
    CHECK_FALSE(net.has_target_scaler());
    // A constant feature's scale is 1 (Standardizer's rule), which is a valid scale.
    sn::matrix x = normal_matrix(10, 3, 2);
    for (std::size_t i = 0; i < 10; ++i) x(i, 1) = 5.f;
    sn::Standardizer with_constant;
    with_constant.fit(x);
    net.attach_input_scaler(with_constant);
    CHECK(net.has_input_scaler());
}

// A target scaler is for Regression: on a classifier the call does not compile.
template <class Net>
concept takes_target_scaler = requires(Net& n, const sn::Standardizer& s) { n.attach_target_scaler(s); };
static_assert(takes_target_scaler<Arm>);
static_assert(!takes_target_scaler<Classifier>);

// The fixed-extent overload is noexcept and chosen for arguments whose type holds the sizes.
static_assert(noexcept(std::declval<const Arm&>().predict_one(std::declval<std::span<const float, 3>>(),
                                                              std::declval<std::span<float, 2>>())));
static_assert(noexcept(std::declval<const Arm&>().predict_one(std::declval<const std::array<float, 3>&>(),
                                                              std::declval<std::array<float, 2>&>())));
static_assert(!noexcept(std::declval<const Arm&>().predict_one(std::declval<const std::vector<float>&>(),
                                                               std::declval<std::vector<float>&>())));

TEST_CASE("predict_one: the fixed-extent overload for sized types, a clear shape_error for a wrong dynamic length") {
    Arm net{sn::Seed{13}};
    const float in[3] = {0.1f, -0.2f, 0.3f};
    float out[2] = {};
    net.predict_one(in, out);  // C arrays: the fixed-extent overload
    std::vector<float> vin(in, in + 3), vout(2);
    net.predict_one(vin, vout);
    CHECK(vout[0] == out[0]);
    std::vector<float> four(4), one(1);
    CHECK(message_of<sn::shape_error>([&] { net.predict_one(std::span<const float>(four), std::span<float>(vout)); }) ==
          "sanenet: predict_one: got an input span of 4 values and an output span of 2, the network takes 3 and gives 2");
    CHECK(contains(message_of<sn::shape_error>([&] { net.predict_one(vin, one); }),
                   "an output span of 1, the network takes 3 and gives 2"));
}
