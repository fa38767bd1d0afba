// FitOptions::feature_names: the data lints (L1.1, L1.2, L1.3, L3.1) in check_data, fit and
// the doctor name features as "feature 12 'proline'"; a wrong count of names is an error naming
// both counts; Standardizer::constant_report names the constant features. On the shipped wine
// CSV, L1.1 names proline.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                               sn::Dense<4>, sn::Softmax>;
using Wine = sn::Network<sn::Classification<3>, sn::Input<13>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dropout<0.9>, sn::Dense<3>,
                         sn::Softmax>;

const std::vector<std::string> ten_names = {"f0", "f1", "f2", "width_mm", "f4", "f5", "f6", "flag", "f8", "f9"};

// The message of the first finding with this ID; fails the test when there is none.
std::string message_of_id(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    const auto it = std::find_if(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
    REQUIRE_MESSAGE(it != v.end(), "no finding " << id);
    return it->message;
}

std::string evidence_of_id(const std::vector<sn::Diagnostic>& v, const std::string& id) {
    const auto it = std::find_if(v.begin(), v.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
    REQUIRE_MESSAGE(it != v.end(), "no finding " << id);
    return it->evidence;
}

sn::FitOptions named(const std::vector<std::string>& names, const sanenet_test::blobs_data& val) {
    sn::FitOptions o = quiet(1);
    o.validation = sn::Validation{val.x, val.y};
    o.feature_names = names;
    return o;
}

sn::matrix first_columns(const sn::matrix& x, std::size_t n) {
    sn::matrix out = sn::matrix::from_shape({x.shape()[0], n});
    for (std::size_t r = 0; r < x.shape()[0]; ++r)
        for (std::size_t c = 0; c < n; ++c) out(r, c) = x(r, c);
    return out;
}

fs::path wine_csv() { return fs::path(__FILE__).parent_path() / ".." / ".." / "examples" / "data" / "wine.csv"; }

}  // namespace

TEST_CASE("L1.1 on the raw wine features names proline, in check_data, fit and the doctor") {
    const auto table = sn::data::load_csv(wine_csv());
    const sn::matrix x = table.features({.except = {"class"}});
    const sn::labels y = table.labels("class");
    const std::vector<std::string> names = table.feature_names({.except = {"class"}});
    REQUIRE(names.size() == 13);
    REQUIRE(names[12] == "proline");
    auto [train, val] = sn::data::split(x, y, {.validation = 0.2, .seed = 1, .stratify = true});
    sn::FitOptions o = quiet(1);
    o.validation = sn::Validation{val.x, val.y};

    // Without names, the index alone; the largest RMS is proline's (mean about 746, std 315).
    const std::string plain = message_of_id(sn::check_data<Wine>(train.x, train.y, o), "L1.1");
    CHECK(contains(plain, " at feature 12 (mean "));
    CHECK_FALSE(contains(plain, "proline"));

    o.feature_names = names;
    const auto found = sn::check_data<Wine>(train.x, train.y, o);
    CHECK(contains(message_of_id(found, "L1.1"), " at feature 12 'proline' (mean "));
    // Four features have an RMS above 10: alcohol (about 13), alcalinity_of_ash (about 20),
    // magnesium (about 101) and proline.
    CHECK(evidence_of_id(found, "L1.1") == "features 0 'alcohol', 3 'alcalinity_of_ash', 4 'magnesium', 12 'proline'");
    // L1.2 too: the narrowest range is nonflavanoid_phenols' (0.13 to 0.66), the widest proline's.
    const std::string spread = message_of_id(found, "L1.2");
    CHECK(contains(spread, " at feature 7 'nonflavanoid_phenols', "));
    CHECK(contains(spread, " at feature 12 'proline')"));

    try {
        Wine net;
        sn::fit(net, train.x, train.y, o);
        FAIL("fit trained on raw wine features");
    } catch (const sn::lint_error& e) {
        CHECK(e.id() == "L1.1");
        CHECK(contains(e.what(), " at feature 12 'proline' (mean "));
    }

    o.epochs = 1;
    Wine net;
    const sn::Report r = sn::doctor(net, train.x, train.y, o);
    REQUIRE(r.found("L1.1"));
    const auto it = std::find_if(r.findings.begin(), r.findings.end(), [](const sn::Diagnostic& d) { return d.id == "L1.1"; });
    CHECK(contains(it->message, " at feature 12 'proline' (mean "));
    CHECK(contains(r.to_string(), "feature 12 'proline'"));
}

TEST_CASE("L1.2 names the narrowest and the widest feature") {
    const auto d = blobs(400, 2), v = blobs(100, 3);
    sn::matrix spread = d.x;
    for (std::size_t i = 0; i < 400; ++i) spread(i, 3) *= 0.001f;  // a feature in other units
    const std::string msg = message_of_id(sn::check_data<Classifier>(spread, d.y, named(ten_names, v)), "L1.2");
    CHECK(contains(msg, " at feature 3 'width_mm', "));
    // The widest of the other nine, found here by hand from the same statistics.
    std::size_t widest = 0;
    float widest_range = -1.0f;
    for (std::size_t c = 0; c < 10; ++c) {
        if (c == 3) continue;
        float lo = spread(0, c), hi = spread(0, c);
        for (std::size_t i = 0; i < 400; ++i) lo = std::min(lo, spread(i, c)), hi = std::max(hi, spread(i, c));
        const float range = hi - lo;
        if (range > widest_range) widest_range = range, widest = c;
    }
    CHECK(contains(msg, " at feature " + std::to_string(widest) + " '" + ten_names[widest] + "')"));
}

TEST_CASE("L1.3 names the constant features, in the message and the evidence") {
    const auto d = blobs(400, 2), v = blobs(100, 3);
    sn::matrix constant = d.x;
    for (std::size_t i = 0; i < 400; ++i) {
        constant(i, 3) = -2.f;
        constant(i, 7) = 0.5f;
    }
    const auto found = sn::check_data<Classifier>(constant, d.y, named(ten_names, v));
    CHECK(message_of_id(found, "L1.3")
              .rfind("sanenet L1.3 constant-feature: 2 feature(s) never change in x: 3 'width_mm', 7 'flag';", 0) == 0);
    CHECK(evidence_of_id(found, "L1.3") == "constant features 3 'width_mm', 7 'flag'");
    Classifier net;
    const sn::History h = sn::fit(net, constant, d.y, named(ten_names, v));
    CHECK(evidence_of_id(h.diagnostics, "L1.3") == "constant features 3 'width_mm', 7 'flag'");
}

TEST_CASE("L3.1 names the column of the first non-finite value, in x and in validation x") {
    auto d = blobs(200, 30), v = blobs(50, 31);
    d.x(5, 3) = std::numeric_limits<float>::infinity();
    CHECK(contains(message_of_id(sn::check_data<Classifier>(d.x, d.y, named(ten_names, v)), "L3.1"),
                   "x holds inf at row 5, column 3 'width_mm' ("));
    d = blobs(200, 30);
    v.x(2, 7) = std::numeric_limits<float>::quiet_NaN();
    CHECK(contains(message_of_id(sn::check_data<Classifier>(d.x, d.y, named(ten_names, v)), "L3.1"),
                   "validation x holds nan at row 2, column 7 'flag' ("));
}

TEST_CASE("a wrong count of feature names is an error naming both counts; the network is not trained") {
    const auto d = blobs(200, 4), v = blobs(50, 5);
    std::vector<std::string> nine(ten_names.begin(), ten_names.end() - 1);
    std::vector<std::string> eleven = ten_names;
    eleven.push_back("extra");
    for (const auto* names : {&nine, &eleven}) {
        const std::string counts = std::to_string(names->size()) + " names but x has 10 features";
        INFO(counts);
        const sn::FitOptions o = named(*names, v);
        CHECK(contains(message_of<sn::argument_error>([&] { (void)sn::check_data<Classifier>(d.x, d.y, o); }), counts));
        Classifier net;
        const std::vector<float> before = params_of(net);
        CHECK(contains(message_of<sn::argument_error>([&] { (void)sn::fit(net, d.x, d.y, o); }), counts));
        CHECK(params_of(net) == before);
        CHECK(contains(message_of<sn::argument_error>([&] { (void)sn::doctor(net, d.x, d.y, o); }), counts));
    }
    // No names at all is not a count: the messages use indices.
    const sn::FitOptions none = named({}, v);
    CHECK_NOTHROW((void)sn::check_data<Classifier>(d.x, d.y, none));
}

TEST_CASE("Standardizer::constant_report names the constant features") {
    sn::matrix x = sn::matrix::from_shape({3, 4});
    const float rows[3][4] = {{1, 5, 2, 7}, {2, 5, 4, 7}, {3, 5, 9, 7}};
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 4; ++c) x(r, c) = rows[r][c];
    sn::Standardizer s;
    CHECK_THROWS_AS((void)s.constant_report(), sn::argument_error);
    s.fit(x);
    CHECK(s.constant_report() == "2 constant features, centered and not scaled: feature 1, feature 3");
    CHECK(s.constant_report({"a", "b", "c", "d"}) ==
          "2 constant features, centered and not scaled: feature 1 'b', feature 3 'd'");
    const std::string msg = message_of<sn::argument_error>([&] { (void)s.constant_report({"a", "b", "c"}); });
    CHECK(contains(msg, "3 names for 4 features"));
    sn::Standardizer one;
    one.fit(first_columns(x, 2));
    CHECK(one.constant_report({"a", "b"}) == "1 constant feature, centered and not scaled: feature 1 'b'");
    sn::Standardizer none;
    none.fit(first_columns(x, 1));
    CHECK(none.constant_report({"a"}) == "no constant features");
}
