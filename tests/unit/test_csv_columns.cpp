// CsvTable as a data set: features(.except), feature_names, labels(column), and their errors
// (an unknown column, .except naming every column, a label cell that is not a non-negative
// integer), each naming the file, the line and the cell.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

fs::path write_text(const temp_dir& dir, const std::string& text) { return write_file(dir.path / "table.csv", text); }

// The table of `text`, read from table.csv in `dir`.
sn::data::CsvTable table_of(const temp_dir& dir, const std::string& text) { return sn::data::load_csv(write_text(dir, text)); }

std::string labels_error(const sn::data::CsvTable& t, const std::string& column) {
    return message_of<sn::io_error>([&] { (void)t.labels(column); }, "labels accepted the column " + column);
}

}  // namespace

TEST_CASE("features takes every column but .except, in file order, and feature_names names them") {
    temp_dir dir;
    const auto t = table_of(dir, "a,b,class,c\n1,2,0,3\n4,5,1,6\n");
    const sn::matrix x = t.features({.except = {"class"}});
    REQUIRE(x.shape()[0] == 2);
    REQUIRE(x.shape()[1] == 3);
    const float expected[2][3] = {{1, 2, 3}, {4, 5, 6}};
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t c = 0; c < 3; ++c) {
            INFO("row " << r << ", column " << c);
            CHECK(x(r, c) == expected[r][c]);
        }
    CHECK(t.feature_names({.except = {"class"}}) == std::vector<std::string>{"a", "b", "c"});

    SUBCASE("no .except: every column") {
        const sn::matrix all = t.features();
        REQUIRE(all.shape()[1] == 4);
        CHECK(all(1, 2) == 1.0f);
        CHECK(t.feature_names() == std::vector<std::string>{"a", "b", "class", "c"});
    }
    SUBCASE("several names, in any order, and a name given twice") {
        const sn::matrix two = t.features({.except = {"c", "a", "c"}});
        REQUIRE(two.shape()[1] == 2);
        CHECK(two(0, 0) == 2.0f);
        CHECK(two(0, 1) == 0.0f);
        CHECK(two(1, 0) == 5.0f);
        CHECK(two(1, 1) == 1.0f);
        CHECK(t.feature_names({.except = {"c", "a", "c"}}) == std::vector<std::string>{"b", "class"});
    }
    SUBCASE("a header that repeats a name: .except drops every column of that name") {
        const auto dup = table_of(dir, "x,y,x\n1,2,3\n");
        const sn::matrix only_y = dup.features({.except = {"x"}});
        REQUIRE(only_y.shape()[1] == 1);
        CHECK(only_y(0, 0) == 2.0f);
        CHECK(dup.feature_names({.except = {"x"}}) == std::vector<std::string>{"y"});
    }
}

TEST_CASE("an unknown column name lists the known ones and names the file") {
    temp_dir dir;
    const fs::path p = write_text(dir, "alcohol,proline,class\n1,2,0\n");
    const auto t = sn::data::load_csv(p);
    auto check_message = [&](const std::string& msg) {
        CHECK(contains(msg, "no column 'clas' in " + p.string()));
        CHECK(contains(msg, "known columns are 'alcohol', 'proline', 'class'"));
    };
    check_message(message_of<sn::argument_error>([&] { (void)t.features({.except = {"clas"}}); }, "features accepted 'clas'"));
    check_message(
        message_of<sn::argument_error>([&] { (void)t.feature_names({.except = {"clas"}}); }, "feature_names accepted 'clas'"));
    check_message(message_of<sn::argument_error>([&] { (void)t.labels("clas"); }, "labels accepted 'clas'"));
    check_message(message_of<sn::argument_error>([&] { (void)t.column("clas"); }, "column accepted 'clas'"));
}

TEST_CASE(".except naming every column is an error") {
    temp_dir dir;
    const fs::path p = write_text(dir, "a,b\n1,2\n");
    const auto t = sn::data::load_csv(p);
    for (const auto& except : {std::vector<std::string>{"a", "b"}, std::vector<std::string>{"b", "a", "b"}}) {
        const std::string msg =
            message_of<sn::argument_error>([&] { (void)t.features({.except = except}); }, "features returned no column");
        CHECK(contains(msg, ".except names every one of the 2 columns of " + p.string()));
        CHECK(contains(msg, "expected at least one column left as a feature"));
        CHECK_THROWS_AS((void)t.feature_names({.except = except}), sn::argument_error);
    }
}

TEST_CASE("labels reads an integer-valued column") {
    temp_dir dir;
    const auto t = table_of(dir, "f,class\n0.5,2\n1.5,0\n2.5,1\n3.5,2147483520\n4.5,-0\n");
    const sn::labels y = t.labels("class");
    REQUIRE(y.size() == 5);
    CHECK(y(0) == 2);
    CHECK(y(1) == 0);
    CHECK(y(2) == 1);
    CHECK(y(3) == 2147483520);  // the largest float below 2^31
    CHECK(y(4) == 0);
}

TEST_CASE("a label cell that is not a non-negative integer names the file, the line and the cell") {
    temp_dir dir;
    SUBCASE("2.7") {
        const fs::path p = write_text(dir, "f,class\n1,0\n2,2.7\n3,1\n");
        const auto t = sn::data::load_csv(p);
        const std::string msg = labels_error(t, "class");
        CHECK(contains(msg, p.string() + ":3: column 2 ('class'): 2.7 is not a class label"));
        CHECK(contains(msg, "expected a non-negative integer"));
    }
    SUBCASE("-1") {
        const fs::path p = write_text(dir, "class,f\n0,1\n1,2\n-1,3\n");
        const auto t = sn::data::load_csv(p);
        CHECK(contains(labels_error(t, "class"), p.string() + ":4: column 1 ('class'): -1 is not a class label"));
    }
    SUBCASE("an empty cell: load_csv refuses it, naming the line and the column") {
        const fs::path p = write_text(dir, "f,class\n1,0\n2,\n");
        const std::string msg = message_of<sn::io_error>([&] { (void)sn::data::load_csv(p); }, "load_csv accepted an empty cell");
        CHECK(contains(msg, p.string() + ":3: column 2 ('class'): empty cell"));
    }
    SUBCASE("nan, inf and 2^31") {
        const fs::path p = write_text(dir, "a,b,c\nnan,inf,2147483648\n");
        const auto t = sn::data::load_csv(p);
        CHECK(contains(labels_error(t, "a"), p.string() + ":2: column 1 ('a'): nan is not a class label"));
        CHECK(contains(labels_error(t, "b"), p.string() + ":2: column 2 ('b'): inf is not a class label"));
        CHECK(contains(labels_error(t, "c"), p.string() + ":2: column 3 ('c'): 2147483648 is not a class label"));
    }
    SUBCASE("the file's line, across a quoted line break and blank lines") {
        const fs::path p = write_text(dir, "\"two\nlines\",class\n1,0\n\n\n2,0.5\n");
        const auto t = sn::data::load_csv(p);
        CHECK(contains(labels_error(t, "class"), p.string() + ":6: column 2 ('class'): 0.5 is not a class label"));
    }
    SUBCASE("a table built in code: the row") {
        sn::data::CsvTable t;
        t.columns = {"class"};
        t.values = sn::matrix::from_shape({2, 1});
        t.values(0, 0) = 1;
        t.values(1, 0) = 1.25f;
        CHECK(contains(labels_error(t, "class"), "the CSV table, row 1: column 1 ('class'): 1.25 is not a class label"));
    }
}
