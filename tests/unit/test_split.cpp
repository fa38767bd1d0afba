// sn::data::split: part sizes and stratified class counts against hand-computed ones, every row
// in exactly one part with its own target, the seed's shuffle, and every bad input.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

// Row i: x = (i, 10 i), label labels[i].
struct numbered {
    sn::matrix x;
    sn::labels y;
};

numbered rows_with_labels(const std::vector<std::int32_t>& labels) {
    numbered d{sn::matrix::from_shape({labels.size(), 2}), sn::labels::from_shape({labels.size()})};
    for (std::size_t i = 0; i < labels.size(); ++i) {
        d.x(i, 0) = static_cast<float>(i);
        d.x(i, 1) = 10.0f * static_cast<float>(i);
        d.y(i) = labels[i];
    }
    return d;
}

// `count` copies of each label, in blocks: {{0, 3}, {1, 2}} -> 0 0 0 1 1.
std::vector<std::int32_t> blocks(const std::vector<std::pair<std::int32_t, std::size_t>>& counts) {
    std::vector<std::int32_t> v;
    for (const auto& [label, count] : counts) v.insert(v.end(), count, label);
    return v;
}

// The original row index of each row of a part (column 0), checking that the rest of the row,
// and its label, are that row's.
std::vector<std::size_t> row_ids(const sn::data::Dataset& part, const numbered& all) {
    std::vector<std::size_t> ids;
    REQUIRE(part.x.shape()[0] == part.y.size());
    for (std::size_t r = 0; r < part.size(); ++r) {
        const auto id = static_cast<std::size_t>(part.x(r, 0));
        REQUIRE(id < all.y.size());
        CHECK(part.x(r, 1) == all.x(id, 1));
        CHECK(part.y(r) == all.y(id));
        ids.push_back(id);
    }
    return ids;
}

// Every row of `all` is in exactly one of the two parts.
void check_partition(const sn::data::Split<sn::data::Dataset>& s, const numbered& all) {
    std::vector<int> seen(all.y.size(), 0);
    for (std::size_t id : row_ids(s.train, all)) ++seen[id];
    for (std::size_t id : row_ids(s.validation, all)) ++seen[id];
    for (std::size_t i = 0; i < seen.size(); ++i) {
        INFO("row " << i);
        CHECK(seen[i] == 1);
    }
}

std::map<std::int32_t, std::size_t> class_counts(const sn::labels& y) {
    std::map<std::int32_t, std::size_t> c;
    for (std::size_t i = 0; i < y.size(); ++i) ++c[y(i)];
    return c;
}

std::string argument_error_of(const numbered& d, const sn::data::SplitOptions& o) {
    return message_of<sn::argument_error>([&] { (void)sn::data::split(d.x, d.y, o); }, "split accepted a bad request");
}

fs::path wine_csv() { return fs::path(__FILE__).parent_path() / ".." / ".." / "examples" / "data" / "wine.csv"; }

}  // namespace

TEST_CASE("split holds out round(validation x rows), shuffled by the seed, every row once") {
    struct sizes_case {
        std::size_t rows;
        double validation;
        std::size_t expected_validation;
    };
    // round(0.3 x 10) = 3; round(0.25 x 10) = round(2.5) = 3 (half up); round(0.2 x 7) = round(1.4) = 1;
    // round(0.5 x 9) = round(4.5) = 5; round(0.9 x 3) = round(2.7) = 3 would empty training (below).
    for (const sizes_case c :
         {sizes_case{10, 0.3, 3}, sizes_case{10, 0.25, 3}, sizes_case{7, 0.2, 1}, sizes_case{9, 0.5, 5}, sizes_case{2, 0.5, 1}}) {
        INFO(c.rows << " rows, validation " << c.validation);
        std::vector<std::int32_t> labels(c.rows);
        for (std::size_t i = 0; i < c.rows; ++i) labels[i] = static_cast<std::int32_t>(i % 3);
        const numbered d = rows_with_labels(labels);
        const auto s = sn::data::split(d.x, d.y, {.validation = c.validation, .seed = 7});
        CHECK(s.validation.size() == c.expected_validation);
        CHECK(s.train.size() == c.rows - c.expected_validation);
        check_partition(s, d);
    }
}

TEST_CASE("split is a function of the seed, and shuffles") {
    const numbered d = rows_with_labels(std::vector<std::int32_t>(40, 0));
    const auto a = sn::data::split(d.x, d.y, {.validation = 0.25, .seed = 3});
    const auto b = sn::data::split(d.x, d.y, {.validation = 0.25, .seed = 3});
    const auto c = sn::data::split(d.x, d.y, {.validation = 0.25, .seed = 4});
    CHECK(row_ids(a.train, d) == row_ids(b.train, d));
    CHECK(row_ids(a.validation, d) == row_ids(b.validation, d));
    CHECK(row_ids(a.validation, d) != row_ids(c.validation, d));
    // Not the first or the last 10 rows in file order: the chance that a shuffle of 40 gives
    // either is 2 / C(40, 10), about 2e-9.
    std::vector<std::size_t> first(10), last(10);
    for (std::size_t i = 0; i < 10; ++i) first[i] = i, last[i] = 30 + i;
    auto sorted = row_ids(a.validation, d);
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted != first);
    CHECK(sorted != last);
    // The training part is not in file order either.
    const auto train = row_ids(a.train, d);
    CHECK_FALSE(std::is_sorted(train.begin(), train.end()));
}

TEST_CASE("a stratified split gives each class round(validation x its rows), at least 1 and at most all but 1") {
    // Class 0: 10 rows, round(2) = 2; class 1: 7, round(1.4) = 1; class 2: 3, round(0.6) = 1;
    // class 3: 1 row, stays in training; class 4: 2 rows, round(0.4) = 0, raised to 1;
    // class 5: 4 rows at validation 0.2, round(0.8) = 1. 27 rows: 6 held out, 21 kept.
    const numbered d = rows_with_labels(blocks({{0, 10}, {1, 7}, {2, 3}, {3, 1}, {4, 2}, {5, 4}}));
    for (std::uint64_t seed : {1u, 2u, 99u}) {
        INFO("seed " << seed);
        const auto s = sn::data::split(d.x, d.y, {.validation = 0.2, .seed = seed, .stratify = true});
        check_partition(s, d);
        const std::map<std::int32_t, std::size_t> held{{0, 2}, {1, 1}, {2, 1}, {4, 1}, {5, 1}};
        const std::map<std::int32_t, std::size_t> kept{{0, 8}, {1, 6}, {2, 2}, {3, 1}, {4, 1}, {5, 3}};
        CHECK(class_counts(s.validation.y) == held);
        CHECK(class_counts(s.train.y) == kept);
    }
    SUBCASE("a large fraction keeps one row of each class in training") {
        // Class 0: round(0.9 x 10) = 9; class 1: round(6.3) = 6; class 2: round(2.7) = 3, lowered to 2;
        // class 4: round(1.8) = 2, lowered to 1; class 5: round(3.6) = 4, lowered to 3.
        const auto s = sn::data::split(d.x, d.y, {.validation = 0.9, .seed = 5, .stratify = true});
        check_partition(s, d);
        CHECK(class_counts(s.validation.y) == std::map<std::int32_t, std::size_t>{{0, 9}, {1, 6}, {2, 2}, {4, 1}, {5, 3}});
        CHECK(class_counts(s.train.y) == std::map<std::int32_t, std::size_t>{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}});
    }
}

TEST_CASE("a stratified split of the shipped wine data: 59, 71 and 48 rows give 12, 14 and 10") {
    const auto table = sn::data::load_csv(wine_csv());
    const sn::matrix x = table.features({.except = {"class"}});
    const sn::labels y = table.labels("class");
    REQUIRE(class_counts(y) == std::map<std::int32_t, std::size_t>{{0, 59}, {1, 71}, {2, 48}});
    // round(0.2 x 59) = round(11.8) = 12, round(14.2) = 14, round(9.6) = 10.
    const auto [train, val] = sn::data::split(x, y, {.validation = 0.2, .seed = 1, .stratify = true});
    CHECK(class_counts(val.y) == std::map<std::int32_t, std::size_t>{{0, 12}, {1, 14}, {2, 10}});
    CHECK(class_counts(train.y) == std::map<std::int32_t, std::size_t>{{0, 47}, {1, 57}, {2, 38}});
    // The file is sorted by class; each part comes out shuffled.
    CHECK_FALSE(std::is_sorted(val.y.begin(), val.y.end()));
    CHECK_FALSE(std::is_sorted(train.y.begin(), train.y.end()));
    // Each part's rows are rows of the file, with their own class: proline (column 12) and
    // alcohol (column 0) identify a wine row here.
    for (const auto* part : {&train, &val})
        for (std::size_t r = 0; r < part->size(); ++r) {
            bool found = false;
            for (std::size_t i = 0; i < y.size() && !found; ++i)
                found = x(i, 0) == part->x(r, 0) && x(i, 12) == part->x(r, 12) && x(i, 5) == part->x(r, 5) && y(i) == part->y(r);
            CHECK(found);
        }
}

TEST_CASE("split of a matrix of targets keeps each target row with its x row") {
    const std::size_t n = 9;
    sn::matrix x = sn::matrix::from_shape({n, 1}), y = sn::matrix::from_shape({n, 2});
    for (std::size_t i = 0; i < n; ++i) {
        x(i, 0) = static_cast<float>(i);
        y(i, 0) = 100.0f + static_cast<float>(i);
        y(i, 1) = -static_cast<float>(i);
    }
    const auto [train, val] = sn::data::split(x, y, {.validation = 0.5, .seed = 2});
    CHECK(val.size() == 5);  // round(4.5) = 5
    CHECK(train.size() == 4);
    std::vector<int> seen(n, 0);
    for (const auto* part : {&train, &val}) {
        REQUIRE(part->y.shape()[1] == 2);
        for (std::size_t r = 0; r < part->size(); ++r) {
            const auto id = static_cast<std::size_t>(part->x(r, 0));
            REQUIRE(id < n);
            ++seen[id];
            CHECK(part->y(r, 0) == 100.0f + static_cast<float>(id));
            CHECK(part->y(r, 1) == -static_cast<float>(id));
        }
    }
    for (int s : seen) CHECK(s == 1);
    const std::string msg = message_of<sn::argument_error>(
        [&] { (void)sn::data::split(x, y, {.validation = 0.5, .stratify = true}); }, "split stratified a matrix");
    CHECK(contains(msg, "stratify = true needs class labels"));
}

TEST_CASE("a validation fraction outside (0, 1) is an error") {
    const numbered d = rows_with_labels(blocks({{0, 5}, {1, 5}}));
    for (const double v : {0.0, 1.0, -0.2, 1.5, 20.0, std::numeric_limits<double>::quiet_NaN()}) {
        INFO("validation " << v);
        for (const bool stratify : {false, true}) {
            const std::string msg = argument_error_of(d, {.validation = v, .stratify = stratify});
            CHECK(contains(msg, "SplitOptions::validation = "));
            CHECK(contains(msg, "is outside (0, 1)"));
        }
        sn::matrix y = sn::matrix::from_shape({10, 1});
        CHECK_THROWS_AS((void)sn::data::split(d.x, y, {.validation = v}), sn::argument_error);
    }
    CHECK(contains(argument_error_of(d, {.validation = 1.5}), "validation = 1.5 is outside"));
}

TEST_CASE("a split that leaves a part empty is an error") {
    SUBCASE("the validation part") {
        // round(0.1 x 4) = 0.
        const std::string msg = argument_error_of(rows_with_labels({0, 1, 0, 1}), {.validation = 0.1});
        CHECK(contains(
            msg, "validation = 0.1 of 4 rows rounds to 0 validation and 4 training rows, leaving the validation part empty"));
    }
    SUBCASE("the training part") {
        // round(0.9 x 3) = 3.
        const std::string msg = argument_error_of(rows_with_labels({0, 1, 0}), {.validation = 0.9});
        CHECK(contains(msg, "rounds to 3 validation and 0 training rows, leaving the training part empty"));
    }
    SUBCASE("one row") {
        // round(0.2) = 0 empties the validation part; round(0.5) = round(0.8) = 1, the training part.
        CHECK(contains(argument_error_of(rows_with_labels({0}), {.validation = 0.2}), "leaving the validation part empty"));
        CHECK(contains(argument_error_of(rows_with_labels({0}), {.validation = 0.5}), "leaving the training part empty"));
        CHECK(contains(argument_error_of(rows_with_labels({0}), {.validation = 0.8}), "leaving the training part empty"));
    }
    SUBCASE("stratified, every class a single row") {
        const std::string msg = argument_error_of(rows_with_labels({0, 1, 2}), {.validation = 0.5, .stratify = true});
        CHECK(contains(msg, "3 classes of one row each"));
        CHECK(contains(msg, "leaves the validation part empty"));
    }
    SUBCASE("a matrix of targets") {
        const sn::matrix x = sn::matrix::from_shape({4, 1});
        const sn::matrix y = sn::matrix::from_shape({4, 1});
        CHECK_THROWS_AS((void)sn::data::split(x, y, {.validation = 0.1}), sn::argument_error);
    }
}

TEST_CASE("split refuses x and y of different row counts, and no rows") {
    const numbered d = rows_with_labels({0, 1, 0, 1});
    const sn::labels three = sn::labels::from_shape({3});
    const std::string msg =
        message_of<sn::shape_error>([&] { (void)sn::data::split(d.x, three); }, "split accepted 4 rows and 3 labels");
    CHECK(contains(msg, "x has 4 rows but y has 3"));
    const sn::matrix none = sn::matrix::from_shape({0, 2});
    const sn::labels no_labels = sn::labels::from_shape({0});
    CHECK_THROWS_AS((void)sn::data::split(none, no_labels), sn::shape_error);
}
