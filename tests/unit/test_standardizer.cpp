// Standardizer: statistics against hand-computed values, groups, constant features, round trips, errors.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

sn::matrix make(const std::vector<std::vector<float>>& rows) {
    const std::size_t cols = rows.empty() ? 0 : rows[0].size();
    auto m = sn::matrix::from_shape({rows.size(), cols});
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < cols; ++c) m(r, c) = rows[r][c];
    return m;
}

const sn::matrix four_by_two = make({{1, 10}, {2, 20}, {3, 30}, {4, 40}});

}  // namespace

TEST_CASE("Standardizer per feature: population mean and std, zero mean and unit std after") {
    sn::Standardizer s;
    CHECK_FALSE(s.fitted());
    s.fit(four_by_two);
    CHECK(s.fitted());
    CHECK(s.features() == 2);
    // mean (2.5, 25); variance 1.25 and 125 (divided by n, as the data is the population).
    REQUIRE(s.mean().size() == 2);
    CHECK(s.mean()[0] == doctest::Approx(2.5));
    CHECK(s.mean()[1] == doctest::Approx(25.0));
    CHECK(s.scale()[0] == doctest::Approx(std::sqrt(1.25)));
    CHECK(s.scale()[1] == doctest::Approx(std::sqrt(125.0)));
    CHECK(s.constant_features().empty());

    const auto z = s.transform(four_by_two);
    REQUIRE(z.shape()[0] == 4);
    REQUIRE(z.shape()[1] == 2);
    CHECK(z(0, 0) == doctest::Approx(-1.5 / std::sqrt(1.25)));
    CHECK(z(3, 1) == doctest::Approx(15.0 / std::sqrt(125.0)));
    for (std::size_t c = 0; c < 2; ++c) {
        double sum = 0, squares = 0;
        for (std::size_t r = 0; r < 4; ++r) sum += z(r, c);
        for (std::size_t r = 0; r < 4; ++r) squares += (z(r, c) - sum / 4) * (z(r, c) - sum / 4);
        CHECK(sum / 4 == doctest::Approx(0.0).epsilon(1e-6));
        CHECK(std::sqrt(squares / 4) == doctest::Approx(1.0));
    }
}

TEST_CASE("Standardizer uses the training statistics on other data") {
    sn::Standardizer s;
    s.fit(four_by_two);
    const auto z = s.transform(make({{2.5f, 25}, {0, 0}}));
    CHECK(z(0, 0) == doctest::Approx(0.0));
    CHECK(z(0, 1) == doctest::Approx(0.0));
    CHECK(z(1, 0) == doctest::Approx(-2.5 / std::sqrt(1.25)));
    CHECK(z(1, 1) == doctest::Approx(-25.0 / std::sqrt(125.0)));
}

TEST_CASE("Standardizer statistics are computed in double") {
    // Float spacing at 1e6 is 0.0625, so these values are exact; a float sum of squares is not.
    sn::Standardizer s;
    s.fit(make({{1.0e6f}, {1.0e6f + 1}, {1.0e6f + 2}, {1.0e6f + 3}}));
    CHECK(s.mean()[0] == 1000001.5f);
    CHECK(s.scale()[0] == doctest::Approx(std::sqrt(1.25)).epsilon(1e-6));
    const auto z = s.transform(make({{1.0e6f}}));
    CHECK(z(0, 0) == doctest::Approx(-1.5 / std::sqrt(1.25)).epsilon(1e-6));
}

TEST_CASE("Standardizer groups share one mean and one std over all their values") {
    // Features 0 and 1 form a group over the values 0..5; feature 2 is constant; feature 3 alone.
    const auto x = make({{0, 1, 5, 1}, {2, 3, 5, 2}, {4, 5, 5, 6}});
    const double group_std = std::sqrt(17.5 / 6.0);
    for (const auto& group : {std::vector<std::size_t>{0, 1}, std::vector<std::size_t>{1, 0}}) {
        sn::Standardizer s;
        s.fit(x, {group});
        REQUIRE(s.features() == 4);
        CHECK(s.mean()[0] == doctest::Approx(2.5));
        CHECK(s.mean()[1] == doctest::Approx(2.5));
        CHECK(s.scale()[0] == doctest::Approx(group_std));
        CHECK(s.scale()[1] == doctest::Approx(group_std));
        CHECK(s.mean()[2] == doctest::Approx(5.0));
        CHECK(s.scale()[2] == 1.0f);
        CHECK(s.mean()[3] == doctest::Approx(3.0));
        CHECK(s.scale()[3] == doctest::Approx(std::sqrt(14.0 / 3.0)));
        CHECK(s.constant_features() == std::vector<std::size_t>{2});

        const auto z = s.transform(x);
        CHECK(z(0, 0) == doctest::Approx(-2.5 / group_std));
        CHECK(z(2, 1) == doctest::Approx(2.5 / group_std));
        CHECK(z(1, 2) == 0.0f);
    }
}

TEST_CASE("Standardizer leaves constant features centered and reports them") {
    const auto x = make({{7, 1, -3}, {7, 2, -3}, {7, 3, -3}});
    sn::Standardizer s;
    const auto z = s.fit_transform(x);
    CHECK(s.constant_features() == std::vector<std::size_t>{0, 2});
    CHECK(s.scale()[0] == 1.0f);
    CHECK(s.scale()[2] == 1.0f);
    for (std::size_t r = 0; r < 3; ++r) {
        CHECK(z(r, 0) == 0.0f);
        CHECK(z(r, 2) == 0.0f);
        CHECK(std::isfinite(z(r, 1)));
    }
    const auto back = s.inverse_transform(z);
    CHECK(back(1, 0) == 7.0f);
    CHECK(back(2, 2) == -3.0f);

    SUBCASE("a constant group") {
        s.fit(make({{4, 4, 1}, {4, 4, 2}}), {{0, 1}});
        CHECK(s.constant_features() == std::vector<std::size_t>{0, 1});
        CHECK(s.mean()[0] == 4.0f);
    }
    SUBCASE("refitting forgets the old constant features") {
        s.fit(four_by_two);
        CHECK(s.constant_features().empty());
        CHECK(s.features() == 2);
    }
}

TEST_CASE("Standardizer inverse_transform(transform(x)) == x within 1e-5") {
    std::uint32_t state = 2024;
    auto next = [&] {
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(state >> 8) / static_cast<float>(1u << 24);  // [0, 1)
    };
    auto x = sn::matrix::from_shape({50, 6});
    const float spread[6] = {0.01f, 0.1f, 1.0f, 3.0f, 5.0f, 8.0f};
    const float offset[6] = {-2.0f, 1.0f, 0.0f, -1.0f, 2.0f, 0.5f};
    for (std::size_t r = 0; r < 50; ++r)
        for (std::size_t c = 0; c < 6; ++c) x(r, c) = offset[c] + spread[c] * (next() - 0.5f);
    for (int grouped = 0; grouped < 2; ++grouped) {
        sn::Standardizer s;
        if (grouped)
            s.fit(x, {{3, 4}, {0}});
        else
            s.fit(x);
        const auto back = s.inverse_transform(s.transform(x));
        float worst = 0;
        for (std::size_t r = 0; r < 50; ++r)
            for (std::size_t c = 0; c < 6; ++c) worst = std::max(worst, std::abs(back(r, c) - x(r, c)));
        INFO("grouped " << grouped);
        CHECK(worst <= 1e-5f);
    }
}

TEST_CASE("Standardizer refuses to transform before fit or at the wrong width") {
    sn::Standardizer s;
    auto msg = message_of<sn::argument_error>([&] { (void)s.transform(four_by_two); });
    CHECK(contains(msg, "transform called before fit"));
    msg = message_of<sn::argument_error>([&] { (void)s.inverse_transform(four_by_two); });
    CHECK(contains(msg, "inverse_transform called before fit"));

    s.fit(four_by_two);
    msg = message_of<sn::shape_error>([&] { (void)s.transform(make({{1, 2, 3}, {4, 5, 6}})); });
    CHECK(contains(msg, "(2, 3)"));
    CHECK(contains(msg, "(4, 2)"));
    CHECK(contains(msg, "expected shape (2, 2)"));
    msg = message_of<sn::shape_error>([&] { (void)s.inverse_transform(make({{1}})); });
    CHECK(contains(msg, "inverse_transform"));
    CHECK(contains(msg, "(1, 1)"));
    CHECK(contains(msg, "(4, 2)"));
}

TEST_CASE("Standardizer::fit rejects empty, non-finite data and bad groups, keeping its old state") {
    sn::Standardizer s;
    s.fit(four_by_two);

    auto msg = message_of<sn::argument_error>([&] { s.fit(sn::matrix::from_shape({0, 3})); });
    CHECK(contains(msg, "0 rows"));

    auto with_nan = make({{1, 2, 3}, {4, 5, std::numeric_limits<float>::quiet_NaN()}});
    msg = message_of<sn::argument_error>([&] { s.fit(with_nan); });
    CHECK(contains(msg, "feature 2, row 1"));
    CHECK(contains(msg, "nan"));

    auto with_inf = make({{1, -std::numeric_limits<float>::infinity()}, {4, 5}});
    msg = message_of<sn::argument_error>([&] { s.fit(with_inf); });
    CHECK(contains(msg, "feature 1, row 0"));
    CHECK(contains(msg, "inf"));

    const auto x = make({{1, 2, 3}, {4, 5, 6}});
    msg = message_of<sn::argument_error>([&] { s.fit(x, {{0, 5}}); });
    CHECK(contains(msg, "feature 5"));
    CHECK(contains(msg, "3 features"));
    msg = message_of<sn::argument_error>([&] { s.fit(x, {{0, 1}, {1, 2}}); });
    CHECK(contains(msg, "feature 1 is in group 0 and in group 1"));
    msg = message_of<sn::argument_error>([&] { s.fit(x, {{2, 2}}); });
    CHECK(contains(msg, "feature 2 is listed twice in group 0"));
    msg = message_of<sn::argument_error>([&] { s.fit(x, {{0}, {}}); });
    CHECK(contains(msg, "group 1 is empty"));

    // Every failed fit left the first fit in place.
    CHECK(s.features() == 2);
    CHECK(s.mean()[1] == doctest::Approx(25.0));
}

TEST_CASE("Standardizer::fit_transform equals fit then transform") {
    sn::Standardizer a, b;
    const auto z1 = a.fit_transform(four_by_two);
    const auto z2 = b.fit(four_by_two).transform(four_by_two);
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 2; ++c) CHECK(z1(r, c) == z2(r, c));
    const auto z3 = a.fit_transform(four_by_two, {{0, 1}});
    CHECK(a.mean()[0] == doctest::Approx(13.75));
    CHECK(z3(0, 0) == doctest::Approx((1 - 13.75) / a.scale()[0]));
}
