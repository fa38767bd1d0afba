// load_csv: headers, quoting, CRLF/BOM/blank lines, CsvTable lookups, and every error with file:line.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

// `text` as the file data.csv in `dir`.
fs::path write_text(const temp_dir& dir, const std::string& text) { return write_file(dir.path / "data.csv", text); }

std::string io_error_of(const fs::path& p, const sn::data::CsvOptions& options = {}) {
    return message_of<sn::io_error>([&] { (void)sn::data::load_csv(p, options); },
                                    "load_csv accepted the bad file " + p.string());
}

void check_values(const sn::matrix& m, const std::vector<std::vector<float>>& expected) {
    REQUIRE(m.shape()[0] == expected.size());
    for (std::size_t r = 0; r < expected.size(); ++r) {
        REQUIRE(m.shape()[1] == expected[r].size());
        for (std::size_t c = 0; c < expected[r].size(); ++c) {
            INFO("row " << r << ", column " << c);
            CHECK(m(r, c) == expected[r][c]);
        }
    }
}

}  // namespace

TEST_CASE("load_csv reads a header and rows of numbers") {
    temp_dir dir;
    const auto t = sn::data::load_csv(write_text(dir, "a,b,c\n1,2,3\n4.5,-5e-1,6\n"));
    CHECK(t.columns == std::vector<std::string>{"a", "b", "c"});
    check_values(t.values, {{1, 2, 3}, {4.5f, -0.5f, 6}});
}

TEST_CASE("load_csv detects the header unless told") {
    temp_dir dir;
    SUBCASE("numbers only: no header, columns named by position") {
        const auto t = sn::data::load_csv(write_text(dir, "1,2\n3,4\n"));
        CHECK(t.columns == std::vector<std::string>{"0", "1"});
        check_values(t.values, {{1, 2}, {3, 4}});
    }
    SUBCASE("one non-numeric field makes the first line a header") {
        const auto t = sn::data::load_csv(write_text(dir, "1,y\n3,4\n"));
        CHECK(t.columns == std::vector<std::string>{"1", "y"});
        check_values(t.values, {{3, 4}});
    }
    SUBCASE("header = true on a numeric first line") {
        const auto t = sn::data::load_csv(write_text(dir, "1,2\n3,4\n"), {.header = true});
        CHECK(t.columns == std::vector<std::string>{"1", "2"});
        check_values(t.values, {{3, 4}});
    }
    SUBCASE("header = false on a text first line is a non-numeric cell") {
        const fs::path p = write_text(dir, "a,b\n3,4\n");
        const auto msg = io_error_of(p, {.header = false});
        CHECK(contains(msg, p.string() + ":1: column 1: 'a' is not a number"));
    }
}

TEST_CASE("load_csv handles BOM, CRLF, surrounding spaces and trailing blank lines") {
    temp_dir dir;
    const auto t = sn::data::load_csv(write_text(dir, "\xEF\xBB\xBF x , y \r\n 1.5 , -2 \r\n3e2,\t+4\r\n\r\n\n  \n"));
    CHECK(t.columns == std::vector<std::string>{"x", "y"});
    check_values(t.values, {{1.5f, -2}, {300, 4}});
}

TEST_CASE("load_csv handles double-quoted fields") {
    temp_dir dir;
    const auto t = sn::data::load_csv(write_text(dir, "\"name, with comma\",\"say \"\"hi\"\"\",plain\n\"1\", \" 2 \" ,3\n"));
    CHECK(t.columns == std::vector<std::string>{"name, with comma", "say \"hi\"", "plain"});
    check_values(t.values, {{1, 2, 3}});
}

TEST_CASE("load_csv counts lines across quoted line breaks and skipped blank lines") {
    temp_dir dir;
    SUBCASE("a header field spanning two lines") {
        const fs::path p = write_text(dir, "\"multi\nline\",b\n1,2\n1,x\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":4: column 2 ('b'): 'x' is not a number"));
    }
    SUBCASE("a blank line between rows") {
        const fs::path p = write_text(dir, "a\n1\n\n2\nx\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":5: column 1 ('a'): 'x' is not a number"));
    }
    SUBCASE("blank lines are not rows") {
        const auto t = sn::data::load_csv(write_text(dir, "\n\na\n1\n\n2\n"));
        CHECK(t.columns == std::vector<std::string>{"a"});
        check_values(t.values, {{1}, {2}});
    }
}

TEST_CASE("load_csv parses nan and inf as numbers, underflow as zero") {
    temp_dir dir;
    const auto t = sn::data::load_csv(write_text(dir, "a,b,c\nnan,inf,-inf\nNaN,1e-50,-1.25\n"));
    REQUIRE(t.values.shape()[0] == 2);
    CHECK(std::isnan(t.values(0, 0)));
    CHECK(std::isinf(t.values(0, 1)));
    CHECK(t.values(0, 1) > 0);
    CHECK(std::isinf(t.values(0, 2)));
    CHECK(t.values(0, 2) < 0);
    CHECK(std::isnan(t.values(1, 0)));
    CHECK(t.values(1, 1) == 0.0f);
    CHECK(t.values(1, 2) == -1.25f);
}

TEST_CASE("load_csv takes other delimiters") {
    temp_dir dir;
    SUBCASE("semicolon, with commas inside quotes") {
        const auto t = sn::data::load_csv(write_text(dir, "p;\"q,r\"\n1;2\n"), {.delimiter = ';'});
        CHECK(t.columns == std::vector<std::string>{"p", "q,r"});
        check_values(t.values, {{1, 2}});
    }
    SUBCASE("tab") {
        const auto t = sn::data::load_csv(write_text(dir, "p\tq\n1\t2\n 3 \t4\n"), {.delimiter = '\t'});
        CHECK(t.columns == std::vector<std::string>{"p", "q"});
        check_values(t.values, {{1, 2}, {3, 4}});
    }
    SUBCASE("a quote or a line break cannot be a delimiter") {
        const fs::path p = write_text(dir, "1\n");
        CHECK_THROWS_AS(sn::data::load_csv(p, {.delimiter = '"'}), sn::argument_error);
        CHECK_THROWS_AS(sn::data::load_csv(p, {.delimiter = '\n'}), std::invalid_argument);
    }
}

TEST_CASE("CsvTable::column and select") {
    temp_dir dir;
    const auto t = sn::data::load_csv(write_text(dir, "x,y,target\n1,2,3\n4,5,6\n7,8,9\n"));
    CHECK(t.column("x") == 0);
    CHECK(t.column("target") == 2);
    const auto m = t.select({"target", "x"});
    check_values(m, {{3, 1}, {6, 4}, {9, 7}});
    try {
        (void)t.column("z");
        FAIL("column accepted an unknown name");
    } catch (const sn::argument_error& e) {
        const std::string msg = e.what();
        CHECK(contains(msg, "'z'"));
        CHECK(contains(msg, "'x', 'y', 'target'"));
    }
    CHECK_THROWS_AS((void)t.select({"x", "nope"}), sn::argument_error);
}

TEST_CASE("load_csv reports missing and empty files") {
    temp_dir dir;
    SUBCASE("missing file") {
        const fs::path p = dir.path / "missing.csv";
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "No such file or directory"));
    }
    SUBCASE("empty file") {
        const fs::path p = write_text(dir, "");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":1: empty file"));
    }
    SUBCASE("a BOM and blank lines only") {
        const fs::path p = write_text(dir, "\xEF\xBB\xBF\r\n\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "empty file"));
    }
    SUBCASE("a header but no data rows") {
        const fs::path p = write_text(dir, "a,b\n\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":1: a header but no data rows"));
    }
}

TEST_CASE("load_csv reports bad rows and cells with file:line, column and expectation") {
    temp_dir dir;
    SUBCASE("ragged row") {
        const fs::path p = write_text(dir, "a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":3: expected 5 fields as in line 1, found 4"));
    }
    SUBCASE("too many fields, counted from the first non-blank line") {
        const fs::path p = write_text(dir, "\n1,2\n1,2,3\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":3: expected 2 fields as in line 2, found 3"));
    }
    SUBCASE("empty cell") {
        const fs::path p = write_text(dir, "a,b\n1,2\n3,\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":3: column 2 ('b'): empty cell: expected a number"));
    }
    SUBCASE("empty quoted cell") {
        const fs::path p = write_text(dir, "a,b\n\"\",2\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":2: column 1 ('a'): empty cell"));
    }
    SUBCASE("non-numeric cell") {
        const fs::path p = write_text(dir, "a,b\n1,2\nabc,3\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":3: column 1 ('a'): 'abc' is not a number"));
    }
    SUBCASE("number followed by text") {
        const fs::path p = write_text(dir, "1,2\n3,4kg\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":2: column 2: '4kg' is not a number"));
    }
    SUBCASE("out of the float range") {
        const fs::path p = write_text(dir, "a\n1e39\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":2: column 1 ('a'): '1e39' is out of the float range"));
    }
    SUBCASE("unterminated quote") {
        const fs::path p = write_text(dir, "a,b\n1,\"2\n3,4\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":2: column 2: unterminated quote"));
    }
    SUBCASE("text after a closing quote") {
        const fs::path p = write_text(dir, "a,b\n\"1\"x,2\n");
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string() + ":2: column 1: found 'x' after a closing quote"));
    }
}
