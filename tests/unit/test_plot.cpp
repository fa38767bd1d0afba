// sn::plot: SVG history/scatter/curve plots and PGM image grids - structure, data, errors, atomic writes.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

// Checks only that the file opens (sanenet_test::write_file also checks the write).
void write_text(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    REQUIRE(out);
    out << s;
}

std::size_t count(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
    return n;
}

// Empty when `s` is an XML declaration followed by one well-formed <svg> element: tags
// balanced and properly nested, attribute quotes paired, '&' only in the five XML entities,
// no '<' in text. Otherwise what is wrong.
std::string svg_problem(const std::string& s) {
    if (s.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) != 0) return "no XML declaration";
    std::size_t i = s.find("?>") + 2;
    std::vector<std::string> open;
    bool seen_root = false;
    while (i < s.size()) {
        if (s[i] == '&') {
            bool entity = false;
            for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) entity = entity || s.compare(i, std::string(e).size(), e) == 0;
            if (!entity) return "bare '&' at " + std::to_string(i);
            ++i;
            continue;
        }
        if (s[i] != '<') {
            if (open.empty() && s[i] != '\n' && s[i] != ' ') return "text outside the root at " + std::to_string(i);
            ++i;
            continue;
        }
        const std::size_t end = s.find('>', i);
        if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
        const std::string tag = s.substr(i + 1, end - i - 1);
        i = end + 1;
        if (std::count(tag.begin(), tag.end(), '"') % 2) return "unpaired quote in <" + tag + ">";
        if (tag.find('<') != std::string::npos) return "'<' inside <" + tag + ">";
        if (tag.starts_with('/')) {
            if (open.empty() || open.back() != tag.substr(1)) return "</" + tag.substr(1) + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
            open.pop_back();
            continue;
        }
        const std::string name = tag.substr(0, tag.find_first_of(" \n/"));
        if (open.empty()) {
            if (seen_root) return "a second root element <" + name + ">";
            if (name != "svg") return "the root is <" + name + ">, not <svg>";
            if (!contains(tag, "xmlns=\"http://www.w3.org/2000/svg\"")) return "no SVG namespace on the root";
            seen_root = true;
        }
        if (!tag.ends_with('/')) open.push_back(name);
    }
    if (!seen_root) return "no <svg> element";
    if (!open.empty()) return "<" + open.back() + "> never closed";
    return {};
}

// Every geometric attribute value is plain numbers: NaN/Inf never reach the drawing.
std::string non_numeric_geometry(const std::string& s) {
    for (const char* attr : {" x=\"", " y=\"", " x1=\"", " y1=\"", " x2=\"", " y2=\"", " cx=\"", " cy=\"", " r=\"", " width=\"",
                             " height=\"", " points=\""}) {
        const std::string a = attr;
        for (std::size_t at = s.find(a); at != std::string::npos; at = s.find(a, at + 1)) {
            const std::size_t b = at + a.size(), e = s.find('"', b);
            const std::string v = s.substr(b, e - b);
            if (v.empty() || v.find_first_not_of("0123456789.-, ") != std::string::npos) return a + v + "\"";
        }
    }
    return {};
}

void check_svg(const std::string& s) {
    CHECK(svg_problem(s) == "");
    CHECK(non_numeric_geometry(s) == "");
    CHECK(count(s, "<svg") == 1);
    CHECK(count(s, "</svg>") == 1);
}

sn::EpochRecord epoch(int e, double train, std::optional<double> val = std::nullopt, std::optional<double> metric = std::nullopt) {
    sn::EpochRecord r;
    r.epoch = e;
    r.train_loss = train;
    r.val_loss = val;
    r.val_metric = metric;
    return r;
}

sn::matrix make_matrix(std::size_t rows, std::size_t cols, const std::vector<float>& v) {
    REQUIRE(v.size() == rows * cols);
    sn::matrix m = sn::matrix::from_shape({rows, cols});
    std::copy(v.begin(), v.end(), m.data());
    return m;
}

std::string fixed4(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.4f", v);
    return b;
}

}  // namespace

TEST_CASE("history_svg: two panels, one point per finite value, legend, labels, best epochs") {
    temp_dir dir("history");
    sn::History h;
    h.metric = "accuracy";
    h.epochs = {epoch(1, 1.0, 1.2, 0.50), epoch(2, 0.8, 0.9, 0.70), epoch(3, 0.6, 0.7, 0.80),
                epoch(4, 0.5, 0.75, 0.85), epoch(5, 0.45, 0.8, 0.84)};
    const fs::path file = dir.path / "history.svg";
    sn::plot::history_svg(h, file);
    const std::string s = read_text(file);
    check_svg(s);

    CHECK(count(s, "<circle class=\"train\"") == 5);
    CHECK(count(s, "<circle class=\"val\"") == 10);  // 5 validation losses + 5 metric values
    CHECK(count(s, "<polyline class=\"train\"") == 1);
    CHECK(count(s, "<polyline class=\"val\"") == 2);
    CHECK(count(s, "class=\"best\"") == 2);
    CHECK(contains(s, ">Training history</text>"));
    CHECK(contains(s, ">Loss</text>"));
    CHECK(contains(s, ">Validation accuracy</text>"));
    CHECK(contains(s, ">epoch</text>"));
    CHECK(contains(s, ">loss</text>"));  // 0.45 .. 1.2: a linear axis
    CHECK(contains(s, ">accuracy</text>"));
    CHECK(contains(s, ">train loss</text>"));
    CHECK(contains(s, ">validation</text>"));
    CHECK(contains(s, ">best validation epoch</text>"));
    CHECK(contains(s, ">best validation 0.7 at epoch 3</text>"));  // lowest validation loss
    CHECK(contains(s, ">best 0.85 at epoch 4</text>"));            // highest metric
    CHECK_FALSE(contains(s, "lints fired"));
    CHECK(dir.names() == std::vector<std::string>{"history.svg"});
}

TEST_CASE("history_svg: log y exactly when the losses span more than a factor 20") {
    temp_dir dir("log");
    const fs::path file = dir.path / "h.svg";
    const auto plot = [&](std::vector<double> train) {
        sn::History h;
        h.metric = "r2";
        for (std::size_t i = 0; i < train.size(); ++i) h.epochs.push_back(epoch(static_cast<int>(i) + 1, train[i]));
        sn::plot::history_svg(h, file);
        const std::string s = read_text(file);
        check_svg(s);
        return s;
    };
    CHECK(contains(plot({2.5, 0.5, 0.1}), ">loss (log scale)</text>"));  // factor 25
    CHECK(contains(plot({2.1, 0.5, 0.1}), ">loss (log scale)</text>"));  // factor 21
    CHECK(contains(plot({2.0, 0.5, 0.1}), ">loss</text>"));              // factor 20: linear
    CHECK_FALSE(contains(plot({2.0, 0.5, 0.1}), "log scale"));
    CHECK_FALSE(contains(plot({10.0, 1.0, 0.0}), "log scale"));  // a zero loss cannot go on a log axis

    SUBCASE("the log axis has decade ticks") {
        const std::string s = plot({100.0, 10.0, 1.0, 0.1, 0.01});
        for (const char* t : {">0.01</text>", ">0.1</text>", ">1</text>", ">10</text>", ">100</text>"}) CHECK(contains(s, t));
    }
    SUBCASE("NaN and Inf neither decide the scale nor stretch the axis") {
        const std::string s = plot({2.0, nan_value, 1.5, inf_value, 1.0, -inf_value});
        CHECK_FALSE(contains(s, "log scale"));
        CHECK(count(s, "<circle class=\"train\"") == 3);
        CHECK(count(s, "<polyline class=\"train\"") == 0);  // every run between skipped values is one point long
        CHECK(contains(s, ">2</text>"));
        CHECK(contains(s, ">1</text>"));
        CHECK_FALSE(contains(s, ">2.2</text>"));  // the y ticks end at the largest finite loss
        CHECK_FALSE(contains(s, ">0.8</text>"));
    }
    SUBCASE("no validation: the metric panel says so, no validation series or best marker") {
        const std::string s = plot({1.0, 0.5});
        CHECK(contains(s, ">Validation R²</text>"));
        CHECK(contains(s, ">no validation data</text>"));
        CHECK(count(s, "class=\"val\"") == 0);
        CHECK(count(s, "class=\"best\"") == 0);
        CHECK_FALSE(contains(s, ">validation</text>"));
    }
}

TEST_CASE("history_svg: NaN breaks a line, missing validation epochs are simply absent") {
    temp_dir dir("nan");
    sn::History h;
    h.metric = "accuracy";
    h.epochs = {epoch(1, 1.0, 1.1, 0.5), epoch(2, 0.9), epoch(3, 0.8, nan_value, 0.6), epoch(4, 0.7, 0.9, 0.7), epoch(5, 0.6, 0.8, 0.8),
                epoch(6, 0.5, 0.7, 0.9)};
    const fs::path file = dir.path / "h.svg";
    sn::plot::history_svg(h, file);
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(count(s, "<circle class=\"train\"") == 6);
    CHECK(count(s, "<polyline class=\"train\"") == 1);
    // Validation loss at 1, 3 (NaN), 4, 5, 6: 4 points; the NaN splits 1 | 4-5-6, so one polyline;
    // the metric at 1, 3, 4, 5, 6 is one polyline of 5 points.
    CHECK(count(s, "<circle class=\"val\"") == 4 + 5);
    CHECK(count(s, "<polyline class=\"val\"") == 2);
    CHECK(contains(s, ">best validation 0.7 at epoch 6</text>"));
}

TEST_CASE("history_svg: long histories are bare lines; divergence and fired lints go in the footer") {
    temp_dir dir("long");
    sn::History h;
    h.metric = "accuracy";
    for (int e = 1; e <= 80; ++e) h.epochs.push_back(epoch(e, 1.0 / e, 1.2 / e, 1.0 - 1.0 / e));
    h.epochs[40].train_loss = nan_value;  // epoch 42 stands alone between two skipped values
    h.epochs[42].train_loss = inf_value;
    h.stop = sn::StopReason::diverged;
    h.stop_message = "loss became NaN at step 12 & <stopped>";
    h.diagnostics.push_back({"L4.3", sn::Severity::warning, "overfitting", ""});
    h.diagnostics.push_back({"L5.1", sn::Severity::warning, "large batch", ""});
    h.diagnostics.push_back({"L4.3", sn::Severity::warning, "overfitting again", ""});
    const fs::path file = dir.path / "h.svg";
    sn::plot::history_svg(h, file);
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(count(s, "<circle class=\"train\"") == 1);  // the lone point: a line of one point would be invisible
    CHECK(count(s, "<polyline class=\"train\"") == 2);
    CHECK(count(s, "class=\"best\"") == 2);
    CHECK(contains(s, ">loss (log scale)</text>"));  // 1/80 .. 1.2
    CHECK(contains(s, "training diverged: loss became NaN at step 12 &amp; &lt;stopped&gt;"));
    CHECK(contains(s, "lints fired: L4.3, L5.1 "));
}

TEST_CASE("history_svg: an empty history is a valid SVG saying so") {
    temp_dir dir("empty");
    const fs::path file = dir.path / "h.svg";
    sn::plot::history_svg(sn::History{}, file);
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(contains(s, ">no epochs</text>"));
    CHECK(count(s, "<circle") == 0);
}

TEST_CASE("scatter_svg: one panel per column, R^2 as sn::r2 computes it, y = x diagonal") {
    temp_dir dir("scatter");
    std::mt19937 g(7);
    std::normal_distribution<float> nd;
    const std::size_t n = 300;
    sn::matrix target = sn::matrix::from_shape({n, 3}), pred = target;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            target(i, j) = nd(g) * static_cast<float>(j + 1) + 5.0f * static_cast<float>(j);
            pred(i, j) = target(i, j) + 0.5f * nd(g);
        }
    const fs::path file = dir.path / "s.svg";
    sn::plot::scatter_svg(pred, target, file);
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(count(s, "<circle class=\"point\"") == 3 * n);
    CHECK(count(s, "stroke-dasharray=\"6 4\"") == 3);  // one diagonal per panel
    CHECK(contains(s, ">target</text>"));
    CHECK(contains(s, ">prediction</text>"));
    CHECK(contains(s, "mean R² = " + fixed4(sn::r2(pred, target))));
    for (std::size_t j = 0; j < 3; ++j) {
        sn::matrix p = sn::matrix::from_shape({n, 1}), t = p;
        for (std::size_t i = 0; i < n; ++i) {
            p(i, 0) = pred(i, j);
            t(i, 0) = target(i, j);
        }
        CHECK(contains(s, ">output " + std::to_string(j) + ": R² = " + fixed4(sn::r2(p, t)) + "</text>"));
    }
}

TEST_CASE("scatter_svg: non-finite pairs are skipped; more than 5000 points are subsampled deterministically") {
    temp_dir dir("scatter_big");
    SUBCASE("NaN and Inf") {
        const sn::matrix pred = make_matrix(5, 1, {1.0f, std::nanf(""), 3.0f, 4.0f, 5.5f});
        const sn::matrix target = make_matrix(5, 1, {1.0f, 2.0f, std::numeric_limits<float>::infinity(), 4.0f, 5.0f});
        const fs::path file = dir.path / "s.svg";
        sn::plot::scatter_svg(pred, target, file);
        const std::string s = read_text(file);
        check_svg(s);
        CHECK(count(s, "<circle class=\"point\"") == 3);
        CHECK(contains(s, ">2 non-finite pairs skipped</text>"));
        const sn::matrix fp = make_matrix(3, 1, {1.0f, 4.0f, 5.5f}), ft = make_matrix(3, 1, {1.0f, 4.0f, 5.0f});
        CHECK(contains(s, ">R² = " + fixed4(sn::r2(fp, ft)) + "</text>"));
        CHECK_FALSE(contains(s, "mean R²"));  // one column: the panel says it
    }
    SUBCASE("12000 rows") {
        const std::size_t n = 12000;
        sn::matrix target = sn::matrix::from_shape({n, 2}), pred = target;
        for (std::size_t i = 0; i < 2 * n; ++i) {
            target.data()[i] = static_cast<float>(i % 97) * 0.1f;
            pred.data()[i] = static_cast<float>(i % 89) * 0.1f;
        }
        const fs::path a = dir.path / "a.svg", b = dir.path / "b.svg";
        sn::plot::scatter_svg(pred, target, a);
        sn::plot::scatter_svg(pred, target, b);
        const std::string s = read_text(a);
        check_svg(s);
        CHECK(count(s, "<circle class=\"point\"") == 2 * 5000);
        CHECK(contains(s, "12000 samples, 5000 shown per panel"));
        CHECK(s == read_text(b));
    }
}

TEST_CASE("scatter_svg: shape mismatch and too many columns") {
    temp_dir dir("scatter_err");
    const fs::path file = dir.path / "s.svg";
    const sn::matrix a = sn::matrix::from_shape({3, 2}), b = sn::matrix::from_shape({3, 1});
    const std::string msg = message_of<sn::shape_error>([&] { sn::plot::scatter_svg(a, b, file); });
    CHECK(contains(msg, "(3, 2)"));
    CHECK(contains(msg, "(3, 1)"));
    sn::matrix wide = sn::matrix::from_shape({4, 9});
    wide.fill(1.0f);
    const std::string many = message_of<std::invalid_argument>([&] { sn::plot::scatter_svg(wide, wide, file); });
    CHECK(contains(many, "9 output columns"));
    CHECK(dir.names().empty());

    sn::matrix eight = sn::matrix::from_shape({4, 8});
    for (std::size_t i = 0; i < eight.size(); ++i) eight.data()[i] = static_cast<float>(i);
    sn::plot::scatter_svg(eight, eight, file);
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(count(s, "<circle class=\"point\"") == 32);
    CHECK(count(s, ": R² = 1.0000</text>") == 8);
    CHECK(contains(s, "mean R² = 1.0000"));

    SUBCASE("a NaN in one column: the mean is over the panels' R²") {
        sn::matrix pred = eight;
        pred(0, 0) = std::nanf("");  // column 0 keeps rows 1..3, still predicted exactly
        pred(1, 1) += 4.0f;
        sn::plot::scatter_svg(pred, eight, file);
        const std::string t = read_text(file);
        check_svg(t);
        sn::matrix p1 = sn::matrix::from_shape({4, 1}), t1 = p1;
        for (std::size_t i = 0; i < 4; ++i) {
            p1(i, 0) = pred(i, 1);
            t1(i, 0) = eight(i, 1);
        }
        const double r1 = sn::r2(p1, t1);
        CHECK(contains(t, ">output 1: R² = " + fixed4(r1) + "</text>"));
        CHECK(contains(t, "mean R² = " + fixed4((7.0 + r1) / 8.0)));
        CHECK(count(t, "<circle class=\"point\"") == 31);
    }
}

TEST_CASE("curve_svg: line broken at skipped points, log axes, labelled markers") {
    temp_dir dir("curve");
    const fs::path file = dir.path / "c.svg";
    std::vector<double> x, y;
    for (int i = 0; i < 20; ++i) {
        x.push_back(1e-5 * std::pow(10.0, 0.25 * i));
        y.push_back(2.0 - 0.05 * i);
    }
    y[7] = nan_value;
    y[19] = inf_value;
    sn::plot::curve_svg(x, y, file,
                        {.title = "Learning-rate range test", .x_label = "learning rate", .y_label = "loss", .log_x = true,
                         .markers = {{0.1, "explodes"}, {0.01, "suggested"}}});
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(count(s, "<circle class=\"curve\"") == 18);
    CHECK(count(s, "<polyline class=\"curve\"") == 2);  // 0-6 and 8-18
    CHECK(count(s, "<line class=\"marker\"") == 2);
    CHECK(contains(s, ">explodes (0.1)</text>"));
    CHECK(contains(s, ">suggested (0.01)</text>"));
    CHECK(contains(s, ">Learning-rate range test</text>"));
    CHECK(contains(s, ">learning rate (log scale)</text>"));
    CHECK(contains(s, ">loss</text>"));
    for (const char* t : {">1e-5</text>", ">0.0001</text>", ">0.001</text>", ">0.01</text>", ">0.1</text>"}) CHECK(contains(s, t));

    SUBCASE("values <= 0 are skipped on a log axis, markers there too") {
        sn::plot::curve_svg({-1.0, 0.0, 1.0, 10.0, 100.0}, {1.0, 2.0, 3.0, 0.0, 5.0}, file,
                            {.log_x = true, .log_y = true, .markers = {{-3.0, "negative"}, {10.0, ""}}});
        const std::string t = read_text(file);
        check_svg(t);
        CHECK(count(t, "<circle class=\"curve\"") == 2);
        CHECK(count(t, "<polyline class=\"curve\"") == 0);
        CHECK(count(t, "<line class=\"marker\"") == 1);
        CHECK_FALSE(contains(t, "negative"));
        CHECK(contains(t, ">10</text>"));
    }
    SUBCASE("sizes differ") {
        const std::string msg = message_of<sn::shape_error>([&] { sn::plot::curve_svg({1.0, 2.0}, {1.0}, file); });
        CHECK(contains(msg, "x has 2 values but y has 1"));
    }
    SUBCASE("nothing finite: a valid, empty plot") {
        sn::plot::curve_svg({nan_value, 1.0}, {1.0, inf_value}, file);
        const std::string t = read_text(file);
        check_svg(t);
        CHECK(contains(t, ">no finite points</text>"));
    }
}

TEST_CASE("numbers do not follow the C locale's decimal separator") {
    const char* previous = std::setlocale(LC_NUMERIC, nullptr);
    const std::string saved = previous ? previous : "C";
    const char* comma = nullptr;
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE", "fr_FR"})
        if (!comma && std::setlocale(LC_NUMERIC, name)) comma = name;
    if (!comma) {
        MESSAGE("no comma-decimal locale installed; the locale check only ran std::to_chars in the C locale");
    }
    temp_dir dir("locale");
    const fs::path file = dir.path / "c.svg";
    sn::plot::curve_svg({0.5, 1.5, 2.5}, {0.25, 0.75, 1.25}, file);
    std::setlocale(LC_NUMERIC, saved.c_str());
    const std::string s = read_text(file);
    check_svg(s);
    CHECK(contains(s, ">0.5</text>"));
    CHECK_FALSE(contains(s, "0,5"));
}

TEST_CASE("image_grid_pgm: P5 header, grid layout with grey gaps, per-image min..max scaling") {
    temp_dir dir("pgm");
    // Three 3 x 2 images: a ramp 0..5, a ramp scaled by -10 (so inverted), a constant.
    sn::matrix images = sn::matrix::from_shape({3, 6});
    for (std::size_t i = 0; i < 6; ++i) {
        images(0, i) = static_cast<float>(i);
        images(1, i) = -10.0f * static_cast<float>(i);
        images(2, i) = 7.0f;
    }
    const fs::path file = dir.path / "g.pgm";
    sn::plot::image_grid_pgm(images, 3, 2, {1, 0, 2}, file, 2);
    const std::string s = read_text(file);
    const std::string header = "P5\n7 5\n255\n";  // 2 across: 3+1+3, 2 down: 2+1+2
    REQUIRE(s.size() == header.size() + 7 * 5);
    CHECK(s.substr(0, header.size()) == header);
    const auto px = [&](std::size_t x, std::size_t y) { return static_cast<int>(static_cast<unsigned char>(s[header.size() + y * 7 + x])); };
    // tile 0 = image 1 (0, -10, ..., -50): 0 -> 255, -50 -> 0
    CHECK(px(0, 0) == 255);
    CHECK(px(1, 0) == 204);
    CHECK(px(2, 1) == 0);
    // tile 1 = image 0 at x 4..6: 0 1 2 / 3 4 5 -> 0 51 102 / 153 204 255
    CHECK(px(4, 0) == 0);
    CHECK(px(5, 0) == 51);
    CHECK(px(6, 0) == 102);
    CHECK(px(4, 1) == 153);
    CHECK(px(6, 1) == 255);
    // gaps
    CHECK(px(3, 0) == 128);
    CHECK(px(3, 1) == 128);
    for (std::size_t x = 0; x < 7; ++x) CHECK(px(x, 2) == 128);
    // tile 2 = the constant image at (0, 3): black; the empty fourth slot stays grey
    CHECK(px(0, 3) == 0);
    CHECK(px(2, 4) == 0);
    CHECK(px(4, 3) == 128);
    CHECK(px(6, 4) == 128);

    SUBCASE("fewer rows than columns: the grid is as wide as the rows; NaN pixels are black") {
        images(0, 5) = std::nanf("");
        sn::plot::image_grid_pgm(images, 3, 2, {0}, file);
        const std::string t = read_text(file);
        REQUIRE(t.size() == std::string("P5\n3 2\n255\n").size() + 6);
        CHECK(t.substr(0, 11) == "P5\n3 2\n255\n");
        CHECK(static_cast<unsigned char>(t[11 + 4]) == 255);  // 4 is now the maximum
        CHECK(static_cast<unsigned char>(t[11 + 5]) == 0);
    }
    SUBCASE("no rows: one grey tile") {
        sn::plot::image_grid_pgm(images, 3, 2, {}, file);
        const std::string t = read_text(file);
        CHECK(t == std::string("P5\n3 2\n255\n") + std::string(6, static_cast<char>(128)));
    }
}

TEST_CASE("image_grid_pgm: bad sizes and rows are shape errors, and nothing is written") {
    temp_dir dir("pgm_err");
    const sn::matrix images = sn::matrix::from_shape({4, 6});
    const fs::path file = dir.path / "g.pgm";
    const std::string wide = message_of<sn::shape_error>([&] { sn::plot::image_grid_pgm(images, 4, 2, {0}, file); });
    CHECK(contains(wide, "(4, 6)"));
    CHECK(contains(wide, "4 x 2"));
    CHECK(contains(wide, "8 columns"));
    CHECK_THROWS_AS(sn::plot::image_grid_pgm(images, 0, 6, {0}, file), sn::shape_error);
    const std::string row = message_of<sn::shape_error>([&] { sn::plot::image_grid_pgm(images, 3, 2, {1, 4}, file); });
    CHECK(contains(row, "row 4 is outside the 4 rows"));
    CHECK_THROWS_AS(sn::plot::image_grid_pgm(images, 3, 2, {0}, file, 0), std::invalid_argument);
    CHECK(dir.names().empty());
}

TEST_CASE("misclassified: rows whose predicted class is not the label, in order, at most max") {
    const sn::matrix p = make_matrix(5, 3, {0.7f, 0.2f, 0.1f,    // 0: predicted 0, label 0
                                            0.1f, 0.8f, 0.1f,    // 1: predicted 1, label 2 - wrong
                                            0.2f, 0.2f, 0.6f,    // 2: predicted 2, label 2
                                            0.5f, 0.4f, 0.1f,    // 3: predicted 0, label 1 - wrong
                                            0.1f, 0.1f, 0.8f});  // 4: predicted 2, label 0 - wrong
    sn::labels y = sn::labels::from_shape({5});
    const std::int32_t ys[] = {0, 2, 2, 1, 0};
    std::copy(std::begin(ys), std::end(ys), y.data());
    CHECK(sn::plot::misclassified(p, y) == std::vector<std::size_t>{1, 3, 4});
    CHECK(sn::plot::misclassified(p, y, 2) == std::vector<std::size_t>{1, 3});
    CHECK(sn::plot::misclassified(p, y, 0).empty());

    SUBCASE("one output: p >= 0.5 is class 1") {
        const sn::matrix b = make_matrix(4, 1, {0.5f, 0.49f, 0.9f, 0.1f});
        sn::labels yb = sn::labels::from_shape({4});
        const std::int32_t v[] = {1, 1, 0, 0};
        std::copy(std::begin(v), std::end(v), yb.data());
        CHECK(sn::plot::misclassified(b, yb) == std::vector<std::size_t>{1, 2});
    }
    SUBCASE("row counts differ") {
        const sn::labels shorter = sn::labels::from_shape({4});
        const std::string msg = message_of<sn::shape_error>([&] { sn::plot::misclassified(p, shorter); });
        CHECK(contains(msg, "5 rows"));
        CHECK(contains(msg, "4"));
    }
}

TEST_CASE("every writer: a failed write is an io_error naming the path, the old file stays, no temporary file") {
    temp_dir dir("io");
    const fs::path good = dir.path / "good.svg";
    write_text(good, "old content");
    sn::History h;
    h.epochs = {epoch(1, 1.0)};
    const sn::matrix m = make_matrix(2, 1, {1.0f, 2.0f});
    const std::vector<std::function<void(const fs::path&)>> writers = {
        [&](const fs::path& p) { sn::plot::history_svg(h, p); },
        [&](const fs::path& p) { sn::plot::scatter_svg(m, m, p); },
        [&](const fs::path& p) { sn::plot::curve_svg({1.0, 2.0}, {3.0, 4.0}, p); },
        [&](const fs::path& p) { sn::plot::image_grid_pgm(m, 1, 1, {0, 1}, p); },
    };
    fs::create_directories(dir.path / "occupied" / "inside");
    for (std::size_t w = 0; w < writers.size(); ++w) {
        CAPTURE(w);
        const std::string below_file = message_of<sn::io_error>([&] { writers[w](good / "plot.svg"); });
        CHECK(contains(below_file, (good / "plot.svg").string()));
        CHECK(contains(below_file, "Not a directory"));
        const std::string absent = message_of<sn::io_error>([&] { writers[w](dir.path / "absent" / "plot.svg"); });
        CHECK(contains(absent, "absent"));
        CHECK(contains(absent, "No such file or directory"));
        const std::string occupied = message_of<sn::io_error>([&] { writers[w](dir.path / "occupied"); });
        CHECK(contains(occupied, "occupied"));
        CHECK(contains(occupied, "renaming"));
        CHECK(fs::is_directory(dir.path / "occupied" / "inside"));
        CHECK(read_text(good) == "old content");

        writers[w](good);  // and a successful write replaces the old file
        CHECK(read_text(good) != "old content");
        write_text(good, "old content");
    }
    CHECK(dir.names() == std::vector<std::string>{"good.svg", "occupied"});
}
