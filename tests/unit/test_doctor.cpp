// The learning-rate range test and the doctor: each probe finds its mistake with its severity,
// clears the healthy twin and obeys its waiver; neither touches the network.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Classifier = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU,
                               sn::Dense<4>, sn::Softmax>;

// "error", "warning" or "info" for the first finding with this ID; "absent" when none has it.
std::string severity(const sn::Report& r, const std::string& id) {
    const auto it = std::find_if(r.findings.begin(), r.findings.end(), [&](const sn::Diagnostic& d) { return d.id == id; });
    if (it == r.findings.end()) return "absent";
    return it->severity == sn::Severity::error ? "error" : it->severity == sn::Severity::warning ? "warning" : "info";
}

// The mean cross-entropy -ln p[label] of the network's predicted probabilities, in double.
template <class N>
double cross_entropy(const N& net, const sn::matrix& x, const sn::labels& y) {
    const sn::matrix p = net.predict(x);
    double sum = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) sum -= std::log(static_cast<double>(p(i, static_cast<std::size_t>(y(i)))));
    return sum / static_cast<double>(y.size());
}

// The last Dense layer's bias of class 0 raised: the untrained network is confident in class 0.
template <class N>
void favour_class_0(N& net, float bias) {
    const auto& stages = net.engine().stages();
    const auto last_dense =
        std::find_if(stages.rbegin(), stages.rend(), [](const auto& st) { return st.k == sn::detail::kind::dense; });
    net.engine().params()[last_dense->b] = bias;
}

// The value of attribute `name` of the element that starts at s[at] ("" when it has none).
std::string attribute(const std::string& s, std::size_t at, const std::string& name) {
    const std::size_t end = s.find('>', at), a = s.find(" " + name + "=\"", at);
    if (a == std::string::npos || a > end) return "";
    const std::size_t b = a + name.size() + 3;
    return s.substr(b, s.find('"', b) - b);
}

// Empty when `s` is an XML declaration and one <svg> element (in the SVG namespace) in which
// every tag is closed in order, every attribute is name="value", and '&' only starts an
// entity; otherwise what is wrong.
std::string xml_problem(const std::string& s) {
    const std::string decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    if (s.compare(0, decl.size(), decl) != 0) return "no XML declaration";
    std::vector<std::string> open;
    int roots = 0;
    for (std::size_t i = decl.size(); i < s.size();) {
        if (s[i] == '&') {
            const std::size_t semi = s.find(';', i);
            const std::string entity = s.substr(i, semi == std::string::npos ? 1 : semi + 1 - i);
            if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" && entity != "&apos;")
                return "a bare '&' at " + std::to_string(i);
        }
        if (s[i] != '<') {
            if (open.empty() && s[i] != '\n') return "text outside the root at " + std::to_string(i);
            ++i;
            continue;
        }
        const std::size_t tag = i;
        const bool closing = s.compare(i, 2, "</") == 0;
        std::size_t j = i + (closing ? 2 : 1);
        const std::size_t name_end = s.find_first_of(" />\n", j);
        if (name_end == std::string::npos || name_end == j) return "a tag without a name at " + std::to_string(i);
        const std::string name = s.substr(j, name_end - j);
        j = name_end;
        while (j < s.size() && s[j] == ' ') {  // attributes: name="value" with no '<' or '"' inside
            const std::size_t eq = s.find('=', j);
            if (eq == std::string::npos || s.compare(eq, 2, "=\"") != 0)
                return "an attribute without a quoted value in <" + name + ">";
            const std::size_t close = s.find('"', eq + 2);
            if (close == std::string::npos || s.find('<', eq + 2) < close)
                return "an unterminated attribute value in <" + name + ">";
            j = close + 1;
        }
        const bool empty = s.compare(j, 2, "/>") == 0;
        if (!empty && s.compare(j, 1, ">") != 0) return "<" + name + "> is not closed at " + std::to_string(j);
        i = j + (empty ? 2 : 1);
        if (closing) {
            if (open.empty() || open.back() != name)
                return "</" + name + "> does not close " + (open.empty() ? "anything" : "<" + open.back() + ">");
            open.pop_back();
        } else {
            if (open.empty() && ++roots > 1) return "a second root element <" + name + ">";
            if (open.empty() && (name != "svg" || attribute(s, tag, "xmlns") != "http://www.w3.org/2000/svg"))
                return "the root is not an <svg> in the SVG namespace";
            if (!empty) open.push_back(name);
        }
    }
    if (roots != 1) return "no <svg> element";
    return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

// The number that is all of `text`, or NaN when `text` is not exactly one finite number.
double number(const std::string& text) {
    double v = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && end == text.data() + text.size() && std::isfinite(v) ? v : std::nan("");
}

}  // namespace

TEST_CASE("find_learning_rate: explodes, suggests a tenth of the largest stable rate, leaves the network alone") {
    const auto d = blobs(1000, 1);
    Classifier net;
    const auto before = params_of(net);
    const sn::LrFinding f =
        sn::find_learning_rate(net, d.x, d.y, sn::LrOptions{.optimizer = sn::SGD{.momentum = 0.9f}, .threads = 1});
    CHECK(params_of(net) == before);
    REQUIRE(f.exploded());
    CHECK(f.max_stable < f.exploded_at);
    CHECK(f.suggested == doctest::Approx(f.max_stable / 10).scale(0));
    REQUIRE(f.curve.size() >= 2);
    for (std::size_t i = 1; i < f.curve.size(); ++i) CHECK(f.curve[i].learning_rate > f.curve[i - 1].learning_rate);
    CHECK(f.curve.front().learning_rate == doctest::Approx(1e-7).scale(0));
    // The suggestion trains; ten times the explosion point does not.
    auto o = quiet(sn::SGD{.learning_rate = static_cast<float>(f.suggested), .momentum = 0.9f});
    o.epochs = 3;
    o.allow = sn::allow<sn::lint::NoValidation>();
    Classifier good;
    sn::fit(good, d.x, d.y, o);
    CHECK(sn::accuracy(good.predict(d.x), d.y) > 0.9);
    o.optimizer = sn::SGD{.learning_rate = static_cast<float>(10 * f.exploded_at), .momentum = 0.9f};
    Classifier bad;
    CHECK_THROWS_AS(sn::fit(bad, d.x, d.y, o), sn::divergence_error);
}

TEST_CASE("find_learning_rate: a curve that never explodes says so; the plot is written") {
    const auto d = blobs(500, 2);
    Classifier net;
    const auto f = sn::find_learning_rate(net, d.x, d.y, sn::LrOptions{.stop = 1e-5, .steps = 20, .threads = 1});
    CHECK_FALSE(f.exploded());
    CHECK(f.max_stable == doctest::Approx(1e-5).scale(0));
    CHECK(f.to_string().find("no explosion") != std::string::npos);
    const temp_dir dir("lr");
    const auto path = dir.path / "lr.svg";
    sn::plot::learning_rate_svg(f, path);
    const std::string svg = read_text(path);
    CHECK(xml_problem(svg) == "");
    CHECK(svg.find("learning rate") != std::string::npos);
    // The curve: one polyline with a point per step, each x,y a finite number inside the plot
    // area (x 90-720, y 70-400), and a dot on each point.
    const std::size_t line = svg.find("<polyline class=\"curve\"");
    REQUIRE(line != std::string::npos);
    CHECK(svg.find("<polyline", line + 1) == std::string::npos);
    std::vector<double> xs, ys;
    const std::string points = attribute(svg, line, "points");
    for (std::size_t at = 0; at < points.size();) {
        const std::size_t space = std::min(points.find(' ', at), points.size()), comma = points.find(',', at);
        REQUIRE(comma < space);
        xs.push_back(number(points.substr(at, comma - at)));
        ys.push_back(number(points.substr(comma + 1, space - comma - 1)));
        at = space + 1;
    }
    REQUIRE(xs.size() == f.curve.size());
    std::size_t dots = 0;
    for (std::size_t at = svg.find("<circle class=\"curve\""); at != std::string::npos;
         at = svg.find("<circle class=\"curve\"", at + 1), ++dots) {
        REQUIRE(dots < xs.size());
        CHECK(number(attribute(svg, at, "cx")) == xs[dots]);
        CHECK(number(attribute(svg, at, "cy")) == ys[dots]);
    }
    CHECK(dots == xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        INFO("point ", i, ": ", xs[i], ",", ys[i]);
        CHECK((xs[i] >= 90 && xs[i] <= 720));
        CHECK((ys[i] >= 70 && ys[i] <= 400));
    }
    // The rates grow by a constant factor on a log axis: equal steps in x. y is the smoothed
    // loss on a linear axis, growing upwards: an affine, decreasing function of it.
    const auto lo =
        std::min_element(f.curve.begin(), f.curve.end(), [](const auto& a, const auto& b) { return a.smoothed < b.smoothed; });
    const auto hi =
        std::max_element(f.curve.begin(), f.curve.end(), [](const auto& a, const auto& b) { return a.smoothed < b.smoothed; });
    REQUIRE(hi->smoothed > lo->smoothed);
    const double y_lo = ys[static_cast<std::size_t>(lo - f.curve.begin())],
                 y_hi = ys[static_cast<std::size_t>(hi - f.curve.begin())];
    CHECK(y_hi < y_lo);
    for (std::size_t i = 1; i < xs.size(); ++i) {
        INFO("point ", i);
        CHECK(std::fabs((xs[i] - xs[i - 1]) - (xs[1] - xs[0])) <= 0.21);  // coordinates have one decimal
        const double y = y_lo + (f.curve[i].smoothed - lo->smoothed) / (hi->smoothed - lo->smoothed) * (y_hi - y_lo);
        CHECK(std::fabs(ys[i] - y) <= 0.16);
    }
    // The suggestion's marker, 1e-6, halfway along the log axis from 1e-7 to 1e-5.
    const std::size_t marker = svg.find("<line class=\"marker\"");
    REQUIRE(marker != std::string::npos);
    CHECK(std::fabs(number(attribute(svg, marker, "x1")) - (xs.front() + xs.back()) / 2) <= 0.11);
    CHECK_THROWS_AS(sn::find_learning_rate(net, d.x, d.y, sn::LrOptions{.start = 1.0, .stop = 0.1}), sn::argument_error);
}

TEST_CASE("doctor: a healthy setup has no error, seven checks, and the network is untouched") {
    const auto d = blobs(1000, 3), v = blobs(200, 4);
    Classifier net;
    const auto before = params_of(net);
    auto o = quiet();
    o.validation = sn::Validation{v.x, v.y};
    const sn::Report r = sn::doctor(net, d.x, d.y, o);
    INFO(r.to_string());
    CHECK(r.healthy());
    CHECK(r.findings.empty());
    CHECK(r.checks.size() == 7);
    CHECK(r.overfits_small_set);
    // The loss at init is the mean cross-entropy of the untrained network's probabilities.
    CHECK(r.loss_at_init == doctest::Approx(cross_entropy(net, d.x, d.y)).epsilon(1e-6));
    CHECK(r.expected_loss_at_init == doctest::Approx(std::log(4.0)).epsilon(1e-12));
    CHECK(r.learning_rate.exploded());
    CHECK(params_of(net) == before);
    CHECK(r.to_string().find("Nothing found") != std::string::npos);
}

TEST_CASE("doctor: raw inputs and a learning rate of 1 are both named, errors first") {
    auto d = blobs(1000, 5);
    const sn::matrix raw = d.x * 60.f + 128.f;
    Classifier net;
    auto o = quiet(sn::Adam{.learning_rate = 1.f});
    o.allow = sn::allow<sn::lint::NoValidation>();
    const sn::Report r = sn::doctor(net, raw, d.y, o);
    INFO(r.to_string());
    CHECK(severity(r, "L1.1") == "error");
    CHECK(severity(r, "L6.1") == "error");
    CHECK(severity(r, "L9.2") == "warning");
    CHECK_FALSE(r.healthy());
    CHECK(r.findings.front().severity == sn::Severity::error);
    CHECK(r.findings.back().severity == sn::Severity::warning);
}

TEST_CASE("doctor L9.2: an untrained network sure of one class is the only finding; both waivers silence it") {
    const auto d = blobs(1000, 3), v = blobs(200, 4);
    auto o = quiet();
    o.validation = sn::Validation{v.x, v.y};
    Classifier neutral, sure;
    CHECK_FALSE(sn::doctor(neutral, d.x, d.y, o).found("L9.2"));
    favour_class_0(sure, 6.f);
    const double by_hand = cross_entropy(sure, d.x, d.y);
    REQUIRE(by_hand > 2 * std::log(4.0));  // |L0 - ln 4| > ln 4: far from an uninformed guess
    const sn::Report r = sn::doctor(sure, d.x, d.y, o);
    INFO(r.to_string());
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0].id == "L9.2");
    CHECK(severity(r, "L9.2") == "warning");
    CHECK(r.healthy());
    CHECK(r.loss_at_init == doctest::Approx(by_hand).epsilon(1e-6));
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.4g", by_hand);
    CHECK(r.findings[0].message.find("the loss of the untrained network is " + std::string(shown) + ", expected ln 4 = 1.386") !=
          std::string::npos);
    CHECK(r.checks[1].outcome == sn::Severity::warning);  // the row "loss at initialization (L9.2)"

    o.allow = sn::allow<sn::lint::LossAtInit>();
    const sn::Report waived = sn::doctor(sure, d.x, d.y, o);
    CHECK_FALSE(waived.found("L9.2"));
    CHECK(waived.findings.empty());
    CHECK(waived.loss_at_init == r.loss_at_init);  // still measured and shown
    CHECK(waived.checks[1].outcome == sn::Severity::info);
    using Waived = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::LossAtInit>, sn::Input<10>, sn::Dropout<0.9>,
                               sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
    Waived by_type;
    favour_class_0(by_type, 6.f);
    REQUIRE(params_of(by_type) == params_of(sure));
    o.allow = {};
    CHECK_FALSE(sn::doctor(by_type, d.x, d.y, o).found("L9.2"));
}

TEST_CASE("doctor X6: samples that contradict each other cannot be fitted") {
    auto d = blobs(400, 6);
    for (std::size_t i = 0; i < 16; ++i)
        for (std::size_t j = 0; j < 10; ++j) d.x(i, j) = d.x(0, j);  // one input, four labels
    Classifier net;
    auto o = quiet();
    o.allow = sn::allow<sn::lint::NoValidation>();
    const sn::Report r = sn::doctor(net, d.x, d.y, o);
    CHECK(severity(r, "X6") == "error");
    CHECK_FALSE(r.healthy());
    CHECK_FALSE(r.overfits_small_set);
    CHECK_FALSE(sn::doctor(net, blobs(400, 7).x, blobs(400, 7).y, o).found("X6"));
}

TEST_CASE("doctor L8.1: ReLUs dead before training, a warning that can be waived") {
    const auto d = blobs(400, 8);
    Classifier net;
    auto o = quiet();
    o.allow = sn::allow<sn::lint::NoValidation>();
    CHECK_FALSE(sn::doctor(net, d.x, d.y, o).found("L8.1"));
    const auto& st = net.engine().stages()[1];
    for (int j = 0; j < st.out; ++j) net.engine().params()[st.b + static_cast<std::size_t>(j)] = -50.f;
    CHECK(severity(sn::doctor(net, d.x, d.y, o), "L8.1") == "warning");
    o.allow = sn::allow<sn::lint::NoValidation, sn::lint::DeadUnits>();
    CHECK_FALSE(sn::doctor(net, d.x, d.y, o).found("L8.1"));
}

TEST_CASE("doctor L9.3: a deep stack whose initial weights are far too small loses the signal") {
    using Deep =
        sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh,
                    sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh, sn::Dense<4>, sn::Softmax>;
    const auto d = blobs(400, 10);
    auto o = quiet();
    o.allow = sn::allow<sn::lint::NoValidation>();
    Deep healthy;
    CHECK_FALSE(sn::doctor(healthy, d.x, d.y, o).found("L9.3"));
    Deep tiny;
    scale_dense_weights(tiny, 0.1f);
    const sn::Report r = sn::doctor(tiny, d.x, d.y, o);
    INFO(r.to_string());
    CHECK(severity(r, "L9.3") == "warning");
    o.allow = sn::allow<sn::lint::NoValidation, sn::lint::SignalAtInit>();
    CHECK_FALSE(sn::doctor(tiny, d.x, d.y, o).found("L9.3"));
}

TEST_CASE("doctor stops at NaN data, and waivers apply") {
    auto d = blobs(200, 9);
    d.x(3, 3) = std::nanf("");
    Classifier net;
    auto o = quiet();
    const sn::Report r = sn::doctor(net, d.x, d.y, o);
    CHECK(r.found("L3.1"));
    CHECK(r.checks.back().result.find("skipped") != std::string::npos);
    o.allow = sn::allow<sn::lint::NoValidation>();
    CHECK_FALSE(sn::doctor(net, blobs(200, 9).x, blobs(200, 9).y, o).found("L2.1"));
}
