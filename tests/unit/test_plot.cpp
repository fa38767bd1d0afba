// sn::plot: SVG history/scatter/curve plots and PGM image grids - structure, coordinates read back
// through the axes, data, locale independence, errors, atomic writes; and the metrics they show
// (accuracy, mse, r2, confusion_matrix) on hand-computed examples.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <locale>
#include <optional>
#include <random>
#include <sstream>
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
            for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
                entity = entity || s.compare(i, std::string(e).size(), e) == 0;
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
            if (open.empty() || open.back() != tag.substr(1))
                return "</" + tag.substr(1) + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
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

sn::EpochRecord epoch(int e, double train, std::optional<double> val = std::nullopt,
                      std::optional<double> metric = std::nullopt) {
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

// ---- reading coordinates back from an SVG ----

// One element in document order: its name, attributes and, for <text>, its content.
struct svg_element {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;
    const std::string* find(const std::string& attribute) const {
        for (const auto& [key, value] : attributes)
            if (key == attribute) return &value;
        return nullptr;
    }
    double number(const std::string& attribute) const {
        const std::string* v = find(attribute);
        if (!v) FAIL("<" << name << "> has no " << attribute);
        return v ? std::stod(*v) : nan_value;
    }
    bool has(const std::string& attribute, const std::string& value) const {
        const std::string* v = find(attribute);
        return v && *v == value;
    }
};

std::vector<svg_element> svg_elements(const std::string& s) {
    std::vector<svg_element> out;
    for (std::size_t at = s.find('<'); at != std::string::npos; at = s.find('<', at + 1)) {
        if (s[at + 1] == '/' || s[at + 1] == '?') continue;
        const std::size_t end = s.find('>', at);
        const std::string tag = s.substr(at + 1, end - at - 1);
        svg_element e;
        e.name = tag.substr(0, tag.find_first_of(" /"));
        for (std::size_t q = tag.find("=\""); q != std::string::npos; q = tag.find("=\"", q + 1)) {
            const std::size_t name_begin = tag.rfind(' ', q) + 1, value_end = tag.find('"', q + 2);
            e.attributes.emplace_back(tag.substr(name_begin, q - name_begin), tag.substr(q + 2, value_end - q - 2));
            q = value_end;
        }
        if (e.name == "text") e.text = s.substr(end + 1, s.find("</text>", end) - end - 1);
        out.push_back(std::move(e));
    }
    return out;
}

// A number and nothing else (tick labels), as the SVG prints it: "0.25", "-3", "1e-5".
std::optional<double> as_number(const std::string& t) {
    if (t.empty() || t.find_first_not_of("0123456789.-e") != std::string::npos) return std::nullopt;
    std::size_t used = 0;
    const double v = std::stod(t, &used);
    return used == t.size() ? std::optional<double>(v) : std::nullopt;
}

// data = a + b * position, or log10(data) = a + b * position on a log axis; fitted to the
// tick labels and their tick marks by least squares.
struct axis_map {
    double a = 0, b = 0;
    bool log = false;
    double worst_residual = 0;  // in pixels: how far the ticks lie from one straight map
    std::size_t ticks = 0;
    double value(double position) const { return log ? std::pow(10.0, a + b * position) : a + b * position; }
    double position(double v) const { return ((log ? std::log10(v) : v) - a) / b; }
};

axis_map fit_axis(const std::vector<std::pair<double, double>>& ticks, bool log) {  // (position, label)
    axis_map m;
    m.log = log;
    m.ticks = ticks.size();
    if (ticks.size() < 2) return m;
    double sp = 0, sv = 0, spp = 0, spv = 0;
    const double n = static_cast<double>(ticks.size());
    for (const auto& [pos, label] : ticks) {
        const double v = log ? std::log10(label) : label;
        sp += pos;
        sv += v;
        spp += pos * pos;
        spv += pos * v;
    }
    m.b = (n * spv - sp * sv) / (n * spp - sp * sp);
    m.a = (sv - m.b * sp) / n;
    for (const auto& [pos, label] : ticks) m.worst_residual = std::max(m.worst_residual, std::fabs(m.position(label) - pos));
    return m;
}

// A plotting area (its frame rectangle) with the two maps read from its tick marks and labels.
struct plot_area {
    double left, top, width, height;
    axis_map x, y;
    bool contains(double px, double py) const {
        return px >= left - 0.05 && px <= left + width + 0.05 && py >= top - 0.05 && py <= top + height + 0.05;
    }
};

// Every frame (a rectangle with fill="none") with its axes: a tick mark is a short line right
// before a text that is only a number; vertical on the frame's bottom edge for x, horizontal
// ending at its left edge for y.
std::vector<plot_area> plot_areas(const std::vector<svg_element>& el, bool log_y = false) {
    std::vector<plot_area> areas;
    for (const auto& e : el)
        if (e.name == "rect" && e.has("fill", "none"))
            areas.push_back({e.number("x"), e.number("y"), e.number("width"), e.number("height"), {}, {}});
    std::vector<std::vector<std::pair<double, double>>> xt(areas.size()), yt(areas.size());
    for (std::size_t i = 1; i < el.size(); ++i) {
        const auto label = el[i].name == "text" ? as_number(el[i].text) : std::nullopt;
        if (!label || el[i - 1].name != "line") continue;
        const svg_element& mark = el[i - 1];
        const double x1 = mark.number("x1"), y1 = mark.number("y1"), x2 = mark.number("x2"), y2 = mark.number("y2");
        for (std::size_t a = 0; a < areas.size(); ++a) {
            const plot_area& p = areas[a];
            if (x1 == x2 && std::fabs(y2 - y1) <= 6 && std::fabs(y1 - (p.top + p.height)) < 0.05 && x1 >= p.left - 0.05 &&
                x1 <= p.left + p.width + 0.05)
                xt[a].emplace_back(x1, *label);
            if (y1 == y2 && std::fabs(x2 - x1) <= 6 && std::fabs(x2 - p.left) < 0.05 && y1 >= p.top - 0.05 &&
                y1 <= p.top + p.height + 0.05)
                yt[a].emplace_back(y1, *label);
        }
    }
    for (std::size_t a = 0; a < areas.size(); ++a) {
        areas[a].x = fit_axis(xt[a], false);
        areas[a].y = fit_axis(yt[a], log_y);
    }
    return areas;
}

// Empty when the axes are readable: at least 3 ticks each, all on one straight map (within the
// 0.1-pixel rounding of the coordinates), values growing to the right and upwards. Else what is wrong.
std::string axes_problem(const plot_area& p) {
    std::ostringstream why;
    why << "frame at (" << p.left << ", " << p.top << "):";
    const std::size_t clean = why.str().size();
    if (p.x.ticks < 3 || p.y.ticks < 3) why << " " << p.x.ticks << " x ticks and " << p.y.ticks << " y ticks;";
    if (!(p.x.worst_residual < 0.11)) why << " x ticks " << p.x.worst_residual << " px off a straight map;";
    if (!(p.y.worst_residual < 0.11)) why << " y ticks " << p.y.worst_residual << " px off a straight map;";
    if (!(p.x.b > 0)) why << " x values do not grow to the right;";
    if (!(p.y.b < 0)) why << " y values do not grow upwards (SVG y grows downwards);";
    return why.str().size() == clean ? std::string() : why.str();
}

// Empty when the drawn point (px, py) is inside the frame and within 0.1 pixel of where the
// data (x, y) belong on the axes; else what it reads as.
std::string point_problem(const plot_area& p, double px, double py, double x, double y) {
    if (p.contains(px, py) && std::fabs(p.x.position(x) - px) < 0.11 && std::fabs(p.y.position(y) - py) < 0.11) return {};
    std::ostringstream why;
    why << "point (" << px << ", " << py << ") reads as (" << p.x.value(px) << ", " << p.y.value(py) << "), expected (" << x
        << ", " << y << ") at (" << p.x.position(x) << ", " << p.y.position(y) << ")"
        << (p.contains(px, py) ? "" : ", outside the frame");
    return why.str();
}

// "x1,y1 x2,y2 ..." of a polyline.
std::vector<std::pair<double, double>> polyline_points(const svg_element& e) {
    std::vector<std::pair<double, double>> pts;
    const std::string* points = e.find("points");
    REQUIRE(points != nullptr);
    std::istringstream in(*points);
    in.imbue(std::locale::classic());
    std::string pair;
    while (in >> pair) {
        const std::size_t comma = pair.find(',');
        pts.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
    }
    return pts;
}

std::vector<const svg_element*> with_class(const std::vector<svg_element>& el, const std::string& name, const std::string& css) {
    std::vector<const svg_element*> out;
    for (const auto& e : el)
        if (e.name == name && e.has("class", css)) out.push_back(&e);
    return out;
}

}  // namespace

TEST_CASE("history_svg: two panels, one point per finite value, legend, labels, best epochs") {
    temp_dir dir("history");
    sn::History h;
    h.metric = "accuracy";
    h.epochs = {epoch(1, 1.0, 1.2, 0.50), epoch(2, 0.8, 0.9, 0.70), epoch(3, 0.6, 0.7, 0.80), epoch(4, 0.5, 0.75, 0.85),
                epoch(5, 0.45, 0.8, 0.84)};
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
    CHECK(contains(s, ">best 0.85 at epoch 4</text>"));  // highest metric
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
    CHECK(contains(plot({2.0, 0.5, 0.1}), ">loss</text>"));  // factor 20: linear
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
    h.epochs = {epoch(1, 1.0, 1.1, 0.5), epoch(2, 0.9),           epoch(3, 0.8, nan_value, 0.6),
                epoch(4, 0.7, 0.9, 0.7), epoch(5, 0.6, 0.8, 0.8), epoch(6, 0.5, 0.7, 0.9)};
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

TEST_CASE("scatter_svg: every point sits at (target, prediction) on the axes that its tick labels describe") {
    temp_dir dir("scatter_xy");
    const fs::path file = dir.path / "s.svg";
    const auto check_scatter = [&](const sn::matrix& pred, const sn::matrix& target) {
        sn::plot::scatter_svg(pred, target, file);
        const std::string s = read_text(file);
        check_svg(s);
        const auto el = svg_elements(s);
        auto areas = plot_areas(el);
        const std::size_t n = target.shape()[0], k = target.shape()[1];
        REQUIRE(areas.size() == k);
        std::sort(areas.begin(), areas.end(), [](const plot_area& a, const plot_area& b) { return a.left < b.left; });
        const auto circles = with_class(el, "circle", "point");
        REQUIRE(circles.size() == n * k);
        for (std::size_t j = 0; j < k; ++j) {
            const plot_area& p = areas[j];
            CAPTURE(j);
            CHECK(axes_problem(p) == "");
            // Rows in order, each at (target, prediction).
            std::size_t row = 0;
            for (const svg_element* c : circles) {
                if (!p.contains(c->number("cx"), c->number("cy"))) continue;
                REQUIRE(row < n);
                CAPTURE(row);
                CHECK(point_problem(p, c->number("cx"), c->number("cy"), target(row, j), pred(row, j)) == "");
                ++row;
            }
            CHECK(row == n);
            // One scale for both axes, so the dashed diagonal, corner to corner, is y = x.
            std::vector<std::string> diagonals;
            for (const auto& e : el)
                if (e.name == "line" && e.has("stroke-dasharray", "6 4") && p.contains(e.number("x1"), e.number("y1"))) {
                    const double x1 = e.number("x1"), y1 = e.number("y1"), x2 = e.number("x2"), y2 = e.number("y2");
                    diagonals.push_back(point_problem(p, x1, y1, p.x.value(x1), p.x.value(x1)) +
                                        point_problem(p, x2, y2, p.x.value(x2), p.x.value(x2)) +
                                        (std::fabs(x2 - x1) > 0.9 * p.width ? "" : "shorter than the frame"));
                }
            CHECK(diagonals == std::vector<std::string>{""});
            // The data fill the panel: its smallest and largest values lie within 10 % of the frame's edges.
            double lo = inf_value, hi = -inf_value;
            for (std::size_t i = 0; i < n; ++i) {
                lo = std::min({lo, static_cast<double>(pred(i, j)), static_cast<double>(target(i, j))});
                hi = std::max({hi, static_cast<double>(pred(i, j)), static_cast<double>(target(i, j))});
            }
            const double margins[4] = {p.x.position(lo) - p.left, p.left + p.width - p.x.position(hi),
                                       p.top + p.height - p.y.position(lo), p.y.position(hi) - p.top};
            CHECK(*std::max_element(std::begin(margins), std::end(margins)) < 0.1 * std::min(p.width, p.height));
        }
    };
    SUBCASE("two columns on different ranges") {
        check_scatter(make_matrix(5, 2, {1.5f, 12.f, 2.f, 18.f, 2.5f, 33.f, 5.f, 41.f, 4.2f, 47.f}),
                      make_matrix(5, 2, {1.f, 10.f, 2.f, 20.f, 3.f, 30.f, 4.f, 40.f, 5.f, 50.f}));
    }
    SUBCASE("one column around zero") {
        check_scatter(make_matrix(4, 1, {-2.5f, -1.5f, 0.5f, 1.f}), make_matrix(4, 1, {-3.f, -1.f, 0.f, 2.f}));
    }
}

TEST_CASE("history_svg: every point and line vertex sits at (epoch, value) on the axes that its tick labels describe") {
    temp_dir dir("history_xy");
    const fs::path file = dir.path / "h.svg";
    // The vertices of the polylines and the circles of `css` in the panel, as data.
    const auto check_series = [](const std::vector<svg_element>& el, const plot_area& p, const std::string& css,
                                 const std::vector<double>& epochs, const std::vector<double>& values) {
        CAPTURE(css);
        std::vector<std::pair<double, double>> vertices, dots;
        for (const svg_element* e : with_class(el, "polyline", css))
            for (const auto& v : polyline_points(*e))
                if (p.contains(v.first, v.second)) vertices.push_back(v);
        for (const svg_element* e : with_class(el, "circle", css))
            if (p.contains(e->number("cx"), e->number("cy"))) dots.emplace_back(e->number("cx"), e->number("cy"));
        for (const auto* drawn : {&vertices, &dots}) {
            REQUIRE(drawn->size() == values.size());
            for (std::size_t i = 0; i < values.size(); ++i)
                CHECK(point_problem(p, (*drawn)[i].first, (*drawn)[i].second, epochs[i], values[i]) == "");
        }
    };
    const auto ring = [](const std::vector<svg_element>& el, const plot_area& p) {
        for (const svg_element* e : with_class(el, "circle", "best"))
            if (p.contains(e->number("cx"), e->number("cy"))) return std::make_pair(e->number("cx"), e->number("cy"));
        FAIL("no best-epoch ring in the panel");
        return std::make_pair(0.0, 0.0);
    };
    const std::vector<double> epochs = {1, 2, 3, 4, 5};

    SUBCASE("linear loss axis; the metric panel has its own y axis") {
        const std::vector<double> train = {1.0, 0.8, 0.6, 0.5, 0.45}, val = {1.2, 0.9, 0.7, 0.75, 0.8},
                                  metric = {0.5, 0.7, 0.8, 0.85, 0.84};
        sn::History h;
        h.metric = "accuracy";
        for (std::size_t i = 0; i < 5; ++i) h.epochs.push_back(epoch(static_cast<int>(i) + 1, train[i], val[i], metric[i]));
        sn::plot::history_svg(h, file);
        const std::string s = read_text(file);
        check_svg(s);
        const auto el = svg_elements(s);
        auto areas = plot_areas(el);
        REQUIRE(areas.size() == 2);
        std::sort(areas.begin(), areas.end(), [](const plot_area& a, const plot_area& b) { return a.left < b.left; });
        const plot_area &loss = areas[0], &met = areas[1];
        CHECK(axes_problem(loss) == "");
        CHECK(axes_problem(met) == "");
        check_series(el, loss, "train", epochs, train);
        check_series(el, loss, "val", epochs, val);
        check_series(el, met, "val", epochs, metric);
        const auto [lx, ly] = ring(el, loss);
        CHECK(point_problem(loss, lx, ly, 3, 0.7) == "");  // lowest validation loss
        const auto [mx, my] = ring(el, met);
        CHECK(point_problem(met, mx, my, 4, 0.85) == "");  // highest metric
    }
    SUBCASE("log loss axis: four decades") {
        const std::vector<double> train = {100.0, 10.0, 1.0, 0.1, 0.01};
        sn::History h;
        h.metric = "r2";
        for (std::size_t i = 0; i < 5; ++i) h.epochs.push_back(epoch(static_cast<int>(i) + 1, train[i]));
        sn::plot::history_svg(h, file);
        const std::string s = read_text(file);
        check_svg(s);
        REQUIRE(contains(s, ">loss (log scale)</text>"));
        const auto el = svg_elements(s);
        auto areas = plot_areas(el, true);
        REQUIRE(areas.size() == 2);
        std::sort(areas.begin(), areas.end(), [](const plot_area& a, const plot_area& b) { return a.left < b.left; });
        CHECK(axes_problem(areas[0]) == "");
        check_series(el, areas[0], "train", epochs, train);
        // Equal ratios are equal distances: the five points are evenly spaced in y.
        const auto dots = with_class(el, "circle", "train");
        REQUIRE(dots.size() == 5);
        for (std::size_t i = 1; i + 1 < 5; ++i)
            CHECK(std::fabs((dots[i + 1]->number("cy") - dots[i]->number("cy")) -
                            (dots[i]->number("cy") - dots[i - 1]->number("cy"))) < 0.15);
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
    const std::string many = message_of<sn::argument_error>([&] { sn::plot::scatter_svg(wide, wide, file); });
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
                        {.title = "Learning-rate range test",
                         .x_label = "learning rate",
                         .y_label = "loss",
                         .log_x = true,
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
    for (const char* t : {">1e-5</text>", ">0.0001</text>", ">0.001</text>", ">0.01</text>", ">0.1</text>"})
        CHECK(contains(s, t));

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

namespace {

// ',' for the decimal point and '.' between groups of three digits, as in de_DE.
struct comma_numpunct : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    char do_thousands_sep() const override { return '.'; }
    std::string do_grouping() const override { return "\3"; }
};

// What each SVG writer puts in its file for one fixed set of inputs with fractional numbers
// everywhere: tick labels, subtitles, R², marker labels, coordinates, and a count above 1000.
std::vector<std::string> every_svg(const fs::path& dir) {
    sn::History h;
    h.metric = "accuracy";
    for (int e = 1; e <= 12; ++e) h.epochs.push_back(epoch(e, 1.5 / e, 1.7 / e + 0.01 * e, 0.5 + 0.03 * e));
    sn::plot::history_svg(h, dir / "h.svg");
    const std::size_t n = 1200;
    sn::matrix target = sn::matrix::from_shape({n, 2}), pred = target;
    for (std::size_t i = 0; i < 2 * n; ++i) {
        target.data()[i] = 0.25f * static_cast<float>(i % 37) - 3.5f;
        pred.data()[i] = target.data()[i] + 0.125f * static_cast<float>(i % 5);
    }
    sn::plot::scatter_svg(pred, target, dir / "s.svg");
    sn::plot::curve_svg({0.5, 1.5, 2.5, 3.5}, {0.25, 0.75, 1.25, 0.125}, dir / "c.svg",
                        {.title = "t", .x_label = "x", .y_label = "y", .markers = {{1.25, "mark"}, {2.75, ""}}});
    sn::plot::curve_svg({1e-5, 1e-4, 1e-3, 1e-2}, {2.5, 1.5, 0.5, 9.5}, dir / "l.svg",
                        {.log_x = true, .markers = {{3e-4, "lr"}}});
    return {read_text(dir / "h.svg"), read_text(dir / "s.svg"), read_text(dir / "c.svg"), read_text(dir / "l.svg")};
}

// Empty when equal, else the first differing stretch of each.
std::string first_difference(const std::string& got, const std::string& want) {
    if (got == want) return {};
    std::size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    const std::size_t from = i < 40 ? 0 : i - 40;
    return "at byte " + std::to_string(i) + ": got \"" + got.substr(from, 80) + "\", want \"" + want.substr(from, 80) + "\"";
}

// Restores the global C++ locale, the C locale's LC_NUMERIC and LOCPATH however the test ends.
struct locale_guard {
    std::locale cpp = std::locale();
    std::string c = std::setlocale(LC_NUMERIC, nullptr);
    std::optional<std::string> locpath =
        std::getenv("LOCPATH") ? std::optional<std::string>(std::getenv("LOCPATH")) : std::nullopt;
    ~locale_guard() {
        std::locale::global(cpp);
        std::setlocale(LC_NUMERIC, c.c_str());
#if defined(__GLIBC__)
        if (locpath)
            ::setenv("LOCPATH", locpath->c_str(), 1);
        else
            ::unsetenv("LOCPATH");
#endif
    }
};

}  // namespace

TEST_CASE("numbers in the SVG files use '.' whatever the global C++ locale or the C locale says") {
    temp_dir dir("locale");
    locale_guard guard;
    const std::vector<std::string> reference = every_svg(dir.path);  // in the classic "C" locale
    for (const auto& svg : reference) check_svg(svg);
    CHECK(contains(reference[0], ">best validation 0.2617 at epoch 12</text>"));  // 1.7 / 12 + 0.12
    CHECK(contains(reference[1], ">1200 samples; mean R² = "));
    CHECK(contains(reference[2], ">0.5</text>"));
    CHECK(contains(reference[2], ">mark (1.25)</text>"));
    CHECK(contains(reference[3], ">lr (0.0003)</text>"));

    SUBCASE("a global std::locale with ',' as the decimal point and '.' between thousands") {
        std::locale::global(std::locale(std::locale::classic(), new comma_numpunct));
        std::ostringstream probe;  // the locale is in force: a stream made now follows it
        probe << 0.5 << ' ' << 12000;
        REQUIRE(probe.str() == "0,5 12.000");
        const std::vector<std::string> under = every_svg(dir.path);
        for (std::size_t i = 0; i < reference.size(); ++i) {
            CAPTURE(i);
            CHECK(first_difference(under[i], reference[i]) == "");
        }
    }
    SUBCASE("a C locale whose LC_NUMERIC has ',' as the decimal point, built here (no installed locale needed)") {
#if defined(__GLIBC__)
        // glibc's compiled LC_NUMERIC: magic, 6 items, their offsets, then decimal point ",",
        // thousands separator ".", grouping 3;3, the two as wide characters, codeset "UTF-8".
        const bytes lc_numeric = {0x14, 0x11, 0x03, 0x20, 6,   0, 0,    0, 0x20, 0, 0,    0, 0x22, 0,   0,   0,   0x24, 0,
                                  0,    0,    0x28, 0,    0,   0, 0x2c, 0, 0,    0, 0x30, 0, 0,    0,   ',', 0,   '.',  0,
                                  3,    3,    0,    0,    ',', 0, 0,    0, '.',  0, 0,    0, 'U',  'T', 'F', '-', '8',  0};
        fs::create_directories(dir.path / "locales" / "sanenet_comma");
        write_file(dir.path / "locales" / "sanenet_comma" / "LC_NUMERIC", lc_numeric);
        ::setenv("LOCPATH", (dir.path / "locales").c_str(), 1);
        REQUIRE(std::setlocale(LC_NUMERIC, "sanenet_comma") != nullptr);
        char probe[32];
        std::snprintf(probe, sizeof probe, "%.1f %g", 0.5, 0.25);
        REQUIRE(std::string(probe) == "0,5 0,25");  // printf-style formatting follows it
        const std::vector<std::string> under = every_svg(dir.path);
        for (std::size_t i = 0; i < reference.size(); ++i) {
            CAPTURE(i);
            CHECK(first_difference(under[i], reference[i]) == "");
        }
#else
        MESSAGE("not glibc: the C-locale half needs glibc's locale file format; the std::locale half ran");
#endif
    }
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
    const auto px = [&](std::size_t x, std::size_t y) {
        return static_cast<int>(static_cast<unsigned char>(s[header.size() + y * 7 + x]));
    };
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
    CHECK_THROWS_AS(sn::plot::image_grid_pgm(images, 3, 2, {0}, file, 0), sn::argument_error);
    CHECK(dir.names().empty());
}

TEST_CASE("misclassified: rows whose predicted class is not the label, in order, at most max") {
    const sn::matrix p = make_matrix(5, 3,
                                     {0.7f, 0.2f, 0.1f,  // 0: predicted 0, label 0
                                      0.1f, 0.8f, 0.1f,  // 1: predicted 1, label 2 - wrong
                                      0.2f, 0.2f, 0.6f,  // 2: predicted 2, label 2
                                      0.5f, 0.4f, 0.1f,  // 3: predicted 0, label 1 - wrong
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

namespace {

sn::labels make_labels(const std::vector<std::int32_t>& v) {
    sn::labels y = sn::labels::from_shape({v.size()});
    std::copy(v.begin(), v.end(), y.data());
    return y;
}

// One hand-computed value: what it is, what the library gave, the exact answer, and how far
// from it the library may be (0: not at all).
struct expected_value {
    std::string what;
    double got, want, tolerance = 0.0;
};

void check_values(const std::vector<expected_value>& values) {
    for (const auto& v : values) {
        INFO(v.what << ": got " << v.got << ", want " << v.want);
        CHECK(std::fabs(v.got - v.want) <= v.tolerance);
    }
}

// "shape_error: <message>" for a shape_error, "other: ..." for any other exception, else "no exception".
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const sn::shape_error& e) {
        return std::string("shape_error: ") + e.what();
    } catch (const std::exception& e) {
        return std::string("other: ") + e.what();
    }
    return "no exception";
}

}  // namespace

TEST_CASE("accuracy, mse and r2 on hand-computed examples") {
    const sn::matrix p = make_matrix(5, 3,
                                     {0.7f, 0.2f, 0.1f,  // predicted 0
                                      0.1f, 0.8f, 0.1f,  // 1
                                      0.2f, 0.2f, 0.6f,  // 2
                                      0.5f, 0.4f, 0.1f,  // 0
                                      0.1f, 0.3f, 0.6f});  // 2
    const sn::matrix binary = make_matrix(4, 1, {0.5f, 0.49f, 0.9f, 0.1f});  // one output, p >= 0.5 is class 1: 1, 0, 1, 0
    const sn::matrix pred = make_matrix(2, 2, {1.f, 2.f, 3.f, 4.f}), y = make_matrix(2, 2, {0.f, 2.f, 3.f, 1.f});
    // r2: y = 1 2 3 4 has mean 2.5 and SST = 2.25 + 0.25 + 0.25 + 2.25 = 5.
    const sn::matrix y1 = make_matrix(4, 1, {1.f, 2.f, 3.f, 4.f});
    // Two outputs: the first as above, predicted 1 2 3 5 (SSE 1): 0.8; the second y = 2 4 6 8 (SST 20)
    // predicted 3 4 6 8 (SSE 1): 0.95. Their mean is 0.875 (pooling the sums would give 1 - 2/25 = 0.92).
    const sn::matrix y2 = make_matrix(4, 2, {1.f, 2.f, 2.f, 4.f, 3.f, 6.f, 4.f, 8.f});
    const sn::matrix p2 = make_matrix(4, 2, {1.f, 3.f, 2.f, 4.f, 3.f, 6.f, 5.f, 8.f});
    // A third output whose target is constant: 1 when predicted exactly, else 0 (never NaN or -Inf).
    const sn::matrix y3 = make_matrix(4, 3, {1.f, 2.f, 7.f, 2.f, 4.f, 7.f, 3.f, 6.f, 7.f, 4.f, 8.f, 7.f});
    const sn::matrix p3 = make_matrix(4, 3, {1.f, 3.f, 7.f, 2.f, 4.f, 7.f, 3.f, 6.f, 7.f, 5.f, 8.f, 7.f});
    sn::matrix p3_off = p3;
    p3_off(2, 2) = 7.5f;
    const double close = 1e-12;
    check_values({
        {"accuracy, right at rows 0, 2, 4", sn::accuracy(p, make_labels({0, 2, 2, 1, 2})), 3.0 / 5.0},
        {"accuracy, all right", sn::accuracy(p, make_labels({0, 1, 2, 0, 2})), 1.0},
        {"accuracy, all wrong", sn::accuracy(p, make_labels({1, 0, 0, 2, 1})), 0.0},
        {"accuracy, one output", sn::accuracy(binary, make_labels({1, 1, 1, 0})), 3.0 / 4.0},
        {"accuracy, no rows", sn::accuracy(sn::matrix::from_shape({0, 3}), sn::labels::from_shape({0})), 0.0},
        {"mse (1 + 0 + 0 + 9) / 4", sn::mse(pred, y), 2.5},
        {"mse, arguments swapped", sn::mse(y, pred), 2.5},
        {"mse of a matrix with itself", sn::mse(pred, pred), 0.0},
        {"mse in double (4097^2 is not a float)", sn::mse(make_matrix(1, 1, {4097.f}), make_matrix(1, 1, {0.f})),
         4097.0 * 4097.0},
        {"mse, no rows", sn::mse(sn::matrix::from_shape({0, 2}), sn::matrix::from_shape({0, 2})), 0.0},
        {"r2, SSE 1 of SST 5", sn::r2(make_matrix(4, 1, {1.f, 2.f, 3.f, 5.f}), y1), 0.8, close},
        {"r2, exact", sn::r2(y1, y1), 1.0},
        {"r2, predicting the mean", sn::r2(make_matrix(4, 1, {2.5f, 2.5f, 2.5f, 2.5f}), y1), 0.0, close},
        {"r2, worse than the mean: SSE 8 of SST 2",
         sn::r2(make_matrix(3, 1, {3.f, 2.f, 1.f}), make_matrix(3, 1, {1.f, 2.f, 3.f})), -3.0, close},
        {"r2, two outputs: the mean of 0.8 and 0.95", sn::r2(p2, y2), 0.875, close},
        {"r2, constant target predicted exactly", sn::r2(p3, y3), (0.8 + 0.95 + 1.0) / 3.0, close},
        {"r2, constant target missed", sn::r2(p3_off, y3), (0.8 + 0.95 + 0.0) / 3.0, close},
        {"r2, no rows", sn::r2(sn::matrix::from_shape({0, 2}), sn::matrix::from_shape({0, 2})), 0.0},
    });
    CHECK(contains(error_of([&] { sn::accuracy(p, make_labels({0, 1})); }),
                   "shape_error: sanenet: accuracy: predictions have 5 rows but the targets have 2"));
    CHECK(contains(error_of([&] { sn::mse(pred, sn::matrix::from_shape({2, 3})); }),
                   "shape_error: sanenet: mse: predictions have shape (2, 2)"));
    CHECK(contains(error_of([&] { sn::r2(p2, y1); }), "shape_error: sanenet: r2: predictions have shape (4, 2)"));
}

TEST_CASE("confusion_matrix: counts(true class, predicted class), recall per class, and its table") {
    const sn::matrix p = make_matrix(6, 3,
                                     {0.6f, 0.3f, 0.1f,  // predicted 0, true 0
                                      0.5f, 0.4f, 0.1f,  // 0, true 1
                                      0.2f, 0.7f, 0.1f,  // 1, true 1
                                      0.1f, 0.2f, 0.7f,  // 2, true 2
                                      0.3f, 0.3f, 0.4f,  // 2, true 0
                                      0.1f, 0.8f, 0.1f});  // 1, true 1
    const sn::labels y = make_labels({0, 1, 1, 2, 0, 1});
    const sn::ConfusionMatrix cm = sn::confusion_matrix(p, y);
    // One output (Binary): two classes, p >= 0.5 is class 1. Predicted 1, 0, 1, 0, 1 for labels 1, 0, 0, 1, 1.
    const sn::ConfusionMatrix b =
        sn::confusion_matrix(make_matrix(5, 1, {0.9f, 0.2f, 0.6f, 0.4f, 0.5f}), make_labels({1, 0, 0, 1, 1}));
    const sn::ConfusionMatrix none = sn::confusion_matrix(sn::matrix::from_shape({0, 3}), sn::labels::from_shape({0}));
    REQUIRE(cm.classes() == 3);
    REQUIRE(b.classes() == 2);
    REQUIRE(none.classes() == 3);
    // The counts row by row (true class), "|" between rows.
    const auto counts = [](const sn::ConfusionMatrix& m) {
        std::string r;
        for (std::size_t i = 0; i < m.classes(); ++i)
            for (std::size_t j = 0; j < m.classes(); ++j) r += (j ? " " : i ? " | " : "") + std::to_string(m.counts(i, j));
        return r;
    };
    CHECK(counts(cm) == "1 0 1 | 1 2 0 | 0 0 1");
    CHECK(counts(b) == "1 1 | 1 2");
    CHECK(counts(none) == "0 0 0 | 0 0 0 | 0 0 0");
    check_values({{"recall of class 0 (1 of 2)", cm.recall(0), 0.5},
                  {"recall of class 1 (2 of 3)", cm.recall(1), 2.0 / 3.0},
                  {"recall of class 2 (1 of 1)", cm.recall(2), 1.0},
                  {"recall of class 1, one output (2 of 3)", b.recall(1), 2.0 / 3.0},
                  {"recall of a class without samples", none.recall(1), 0.0}});

    // The table: true classes as rows (named), their counts by predicted class, then the recall.
    const std::string table = cm.to_string({"cat", "dog", "emu"});
    std::istringstream lines(table);
    std::string line;
    std::vector<std::string> rows;  // the first five words of each class's line
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string w, first5;
        for (int i = 0; i < 5 && words >> w; ++i) first5 += (i ? " " : "") + w;
        if (first5.starts_with("cat ") || first5.starts_with("dog ") || first5.starts_with("emu ")) rows.push_back(first5);
    }
    INFO(table);
    CHECK(contains(table, "predicted"));
    CHECK(contains(table, "recall"));
    std::string joined;
    for (const auto& r : rows) joined += (joined.empty() ? "" : " | ") + r;
    CHECK(joined == "cat 1 0 1 0.500 | dog 1 2 0 0.667 | emu 0 0 1 1.000");

    // Labels outside [0, K) and row-count mismatches are shape errors.
    CHECK(contains(error_of([&] { sn::confusion_matrix(p, make_labels({0, 1, 3, 2, 0, 1})); }),
                   "shape_error: sanenet: confusion_matrix: label 3 at row 2 is outside [0, 3)"));
    CHECK(contains(error_of([&] { sn::confusion_matrix(p, make_labels({0, 1, 1, 2, -1, 1})); }),
                   "shape_error: sanenet: confusion_matrix: label -1 at row 4"));
    CHECK(contains(error_of([&] { sn::confusion_matrix(p, make_labels({0, 1})); }),
                   "shape_error: sanenet: confusion_matrix: predictions have 6 rows but the targets have 2"));
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
        CHECK(contains(occupied, "it is a directory, expected the path of a file"));
        CHECK(fs::is_directory(dir.path / "occupied" / "inside"));
        CHECK(read_text(good) == "old content");

        writers[w](good);  // and a successful write replaces the old file
        CHECK(read_text(good) != "old content");
        write_text(good, "old content");
    }
    CHECK(dir.names() == std::vector<std::string>{"good.svg", "occupied"});
}
