// sn::plot: look at your results (article item 2). Training history, prediction-vs-target
// scatter and any x-y curve as plain SVG; image grids as binary PGM; no dependency.
// Every file is written atomically; NaN/Inf values are skipped, never drawn, and never
// stretch an axis. Numbers are printed by core/format.hpp (printf %g/%f, locale-independent).
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/file.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/train/lr_finder.hpp>
#include <sanenet/train/metrics.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#endif

namespace sanenet::inline SANENET_ABI {

namespace plot {

// What curve_svg draws around the data; the learning-rate range test is the first user.
struct CurveOptions {
    // Default member initializers everywhere: designated initializers that leave fields out
    // stay clean under g++'s -Wmissing-field-initializers.
    std::string title{}, x_label{}, y_label{};
    bool log_x = false, log_y = false;  // values <= 0 are skipped on a log axis
    std::vector<std::pair<double, std::string>> markers{};  // vertical lines at x, with labels
};

// Two panels: loss per epoch (train and validation; log y when the positive losses span more
// than a factor 20) and the validation metric per epoch, with the best validation epoch
// ringed in each (lowest loss, highest metric); below them, when the learning rate changed
// (a schedule), a third with EpochRecord::learning_rate per epoch (log y likewise). Fired
// lints, a divergence and early stopping go in the footer.
SANENET_INLINE void history_svg(const History& h, const std::filesystem::path& path);

// Prediction (y) against target (x), one square panel per output column with the y = x
// diagonal and that column's R^2 (over its finite pairs; sn::r2 of the column when all are
// finite) in the title. More than 5000 finite pairs: every k-th is drawn, deterministically.
SANENET_INLINE void scatter_svg(const matrix& prediction, const matrix& target, const std::filesystem::path& path);

// One line through (x[i], y[i]) in order, with labelled vertical markers. A point that cannot be
// drawn (NaN/Inf, or <= 0 on a log axis) breaks the line. Markers count in the x range.
SANENET_INLINE void curve_svg(const std::vector<double>& x, const std::vector<double>& y, const std::filesystem::path& path,
                              const CurveOptions& options = {});

// Rows `rows` of `images` (each a width x height image, row-major) as a grid of `columns`
// tiles with 1-pixel grey gaps, written as binary PGM (P5). Each tile is scaled from its own
// finite min..max to 0..255 (a constant tile is black; NaN/Inf pixels are black). No rows: one
// grey tile, so a perfect classifier still gets a valid file.
SANENET_INLINE void image_grid_pgm(const matrix& images, std::size_t width, std::size_t height,
                                   const std::vector<std::size_t>& rows, const std::filesystem::path& path,
                                   std::size_t columns = 10);

// Up to `max` rows, in order, whose predicted class (argmax; p >= 0.5 for one output)
// differs from the label: the rows to pass to image_grid_pgm.
SANENET_INLINE std::vector<std::size_t> misclassified(const matrix& probabilities, const labels& y, std::size_t max = 100);

// The range test's curve: loss against learning rate (log scale), with the explosion and
// the suggestion marked.
SANENET_INLINE void learning_rate_svg(const LrFinding& f, const std::filesystem::path& path);

}  // namespace plot
}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

namespace detail::svg {

inline constexpr std::size_t marker_limit = 50;  // a series with more points is a bare line
inline constexpr std::size_t scatter_limit = 5000;
inline constexpr std::size_t max_scatter_panels = 8;

inline constexpr const char* train_color = "#1f77b4";
inline constexpr const char* val_color = "#ff7f0e";
inline constexpr const char* best_color = "#2ca02c";
inline constexpr const char* marker_color = "#d62728";
inline constexpr const char* rate_color = "#9467bd";

// printf("%.<precision>g") without the locale, and with a short exponent: 1e-05 -> 1e-5.
SANENET_INLINE std::string num(double v, int precision = 6) {
    if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf");
    if (v == 0.0) v = 0.0;  // no "-0"
    std::string s = format_number(v, precision);
    if (const std::size_t e = s.find('e'); e != std::string::npos) {
        std::size_t i = e + 1;
        const bool negative = s[i] == '-';
        if (s[i] == '+' || s[i] == '-') ++i;
        while (i + 1 < s.size() && s[i] == '0') ++i;
        s = s.substr(0, e) + (negative ? "e-" : "e") + s.substr(i);
    }
    return s;
}

// printf("%.<decimals>f") without the locale; "-0.00" prints as "0.00".
SANENET_INLINE std::string fixed(double v, int decimals) {
    if (!std::isfinite(v)) return num(v);
    std::string s = format_fixed(v, decimals);
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return s;
}

// An SVG coordinate: one decimal, "12.0" printed as "12".
SANENET_INLINE std::string coord(double v) {
    std::string s = fixed(v, 1);
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s == "-0" ? "0" : s;
}

// Text content or attribute value; control characters XML 1.0 forbids become '?'.
SANENET_INLINE std::string escape(std::string_view t) {
    std::string s;
    s.reserve(t.size());
    for (const char c : t) {
        switch (c) {
            case '&': s += "&amp;"; break;
            case '<': s += "&lt;"; break;
            case '>': s += "&gt;"; break;
            case '"': s += "&quot;"; break;
            case '\'': s += "&apos;"; break;
            default: s += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') ? '?' : c; break;
        }
    }
    return s;
}

// Approximate rendered width of a sans-serif text, for centring legends.
SANENET_INLINE double text_width(std::string_view t, double font_size) {
    std::size_t glyphs = 0;
    for (const char c : t) glyphs += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return 0.58 * font_size * static_cast<double>(glyphs);
}

SANENET_INLINE std::string shorten(std::string s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    std::size_t cut = max_bytes - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
    s.resize(cut);
    return s + "...";
}

// Finite (and, on a log axis, positive) values seen so far.
struct extent {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    bool log = false;

    bool accepts(double v) const { return std::isfinite(v) && (!log || v > 0.0); }
    void add(double v) {
        if (!accepts(v)) return;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    bool empty() const { return !(lo <= hi); }
};

// A linear or log10 axis over [lo, hi] in data units.
struct axis {
    double lo = 0.0, hi = 1.0;
    bool log = false;
    bool integer = false;  // ticks on whole numbers only (epochs)

    bool accepts(double v) const { return std::isfinite(v) && (!log || v > 0.0); }
    double unit(double v) const {  // 0 at lo, 1 at hi
        return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    }
};

// The data range padded by `pad` of its span on each side; a single value gets a span of its own.
SANENET_INLINE axis make_axis(const extent& e, double pad, bool integer = false) {
    axis a;
    a.log = e.log;
    a.integer = integer;
    if (e.empty()) {
        a.lo = e.log ? 1.0 : 0.0;
        a.hi = e.log ? 10.0 : 1.0;
        return a;
    }
    if (e.log) {
        double l = std::log10(e.lo), h = std::log10(e.hi);
        if (h - l < 1e-9) {
            l -= 0.5;
            h += 0.5;
        }
        const double p = pad * (h - l);
        a.lo = std::pow(10.0, l - p);
        a.hi = std::pow(10.0, h + p);
        return a;
    }
    double l = e.lo, h = e.hi;
    if (h - l <= 1e-9 * std::max(std::abs(l), std::abs(h))) {
        const double half = integer ? 0.5 : (l != 0.0 ? 0.1 * std::abs(l) : 0.5);
        l -= half;
        h += half;
    }
    const double p = std::max(pad * (h - l), integer ? 0.3 : 0.0);
    a.lo = l - p;
    a.hi = h + p;
    return a;
}

SANENET_INLINE double nice_step(double span, double target) {
    const double raw = span / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

SANENET_INLINE std::vector<double> linear_ticks(double lo, double hi, bool integer, double target = 5.0) {
    std::vector<double> t;
    double step = nice_step(hi - lo, target);
    if (integer) step = std::max(1.0, std::round(step));
    const double first = std::ceil(lo / step - 1e-9);
    for (double k = first;; k += 1.0) {
        double v = k * step;
        if (v > hi + 1e-9 * step) break;
        if (std::abs(v) < 1e-9 * step) v = 0.0;
        t.push_back(v);
        if (t.size() > 50) break;
    }
    return t;
}

// Decades; 1-2-5 when fewer than three decades show; linear ticks if even those are too few.
SANENET_INLINE std::vector<double> ticks(const axis& a) {
    if (!a.log) return linear_ticks(a.lo, a.hi, a.integer);
    const double l = std::log10(a.lo), h = std::log10(a.hi);
    const int e0 = static_cast<int>(std::ceil(l - 1e-9)), e1 = static_cast<int>(std::floor(h + 1e-9));
    std::vector<double> t;
    if (e1 - e0 >= 2) {
        const int stride = std::max(1, (e1 - e0 + 8) / 8);
        for (int e = e0; e <= e1; ++e)
            if ((e - e0) % stride == 0) t.push_back(std::pow(10.0, e));
        return t;
    }
    for (int e = static_cast<int>(std::floor(l)); e <= static_cast<int>(std::ceil(h)); ++e)
        for (const double m : {1.0, 2.0, 5.0}) {
            const double v = m * std::pow(10.0, e);
            if (v >= a.lo * (1 - 1e-9) && v <= a.hi * (1 + 1e-9)) t.push_back(v);
        }
    if (t.size() >= 3) return t;
    return linear_ticks(a.lo, a.hi, false, 4.0);
}

// The plotting area of one panel and its two axes.
struct panel {
    double left = 0, top = 0, width = 0, height = 0;
    axis x, y;

    double px(double v) const { return left + x.unit(v) * width; }
    double py(double v) const { return top + height - y.unit(v) * height; }
    double right() const { return left + width; }
    double bottom() const { return top + height; }
    bool accepts(double vx, double vy) const { return x.accepts(vx) && y.accepts(vy); }
};

class document {
public:
    document(double width, double height) {
        s_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + coord(width) +
             "\" height=\"" + coord(height) + "\" viewBox=\"0 0 " + coord(width) + " " + coord(height) +
             "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\" fill=\"#222222\">\n"
             "<rect x=\"0\" y=\"0\" width=\"" +
             coord(width) + "\" height=\"" + coord(height) + "\" fill=\"#ffffff\"/>\n";
    }
    // Attributes come first, so "<circle class=..." reads (and greps) as the element's kind.
    void line(double x1, double y1, double x2, double y2, std::string_view attributes) {
        element("line", attributes,
                " x1=\"" + coord(x1) + "\" y1=\"" + coord(y1) + "\" x2=\"" + coord(x2) + "\" y2=\"" + coord(y2) + "\"");
    }
    void circle(double x, double y, double r, std::string_view attributes) {
        element("circle", attributes, " cx=\"" + coord(x) + "\" cy=\"" + coord(y) + "\" r=\"" + coord(r) + "\"");
    }
    void rect(double x, double y, double w, double h, std::string_view attributes) {
        element("rect", attributes,
                " x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" width=\"" + coord(w) + "\" height=\"" + coord(h) + "\"");
    }
    // `content` is plain text (escaped here); `attributes` is trusted markup.
    void text(double x, double y, std::string_view content, std::string_view attributes = {}) {
        s_ += "<text x=\"" + coord(x) + "\" y=\"" + coord(y) + "\"";
        if (!attributes.empty()) {
            s_ += ' ';
            s_ += attributes;
        }
        s_ += ">";
        s_ += escape(content) + "</text>\n";
    }
    void raw(std::string_view markup) { s_ += markup; }
    std::string finish() {
        s_ += "</svg>\n";
        return std::move(s_);
    }

private:
    void element(const char* name, std::string_view attributes, const std::string& geometry) {
        s_ += '<';
        s_ += name;
        s_ += ' ';
        s_ += attributes;
        s_ += geometry;
        s_ += "/>\n";
    }
    std::string s_;
};

SANENET_INLINE void write_text(const std::filesystem::path& path, const std::string& content) {
    write_file_atomically(path,
                          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(content.data()), content.size()),
                          "write plot");
}

// Grid, frame, ticks, tick labels, axis labels, and a title (bold) with an optional subtitle
// above the frame. A panel without data gets no y ticks: a made-up range would read as data.
SANENET_INLINE void draw_axes(document& d, const panel& p, std::string_view title, std::string_view subtitle,
                              std::string_view x_label, std::string_view y_label, bool y_ticks = true) {
    const double cx = p.left + p.width / 2;
    if (!title.empty())
        d.text(cx, p.top - (subtitle.empty() ? 10 : 24), title, "text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\"");
    if (!subtitle.empty()) d.text(cx, p.top - 8, subtitle, "text-anchor=\"middle\" font-size=\"11\" fill=\"#555555\"");
    const auto xt = ticks(p.x), yt = y_ticks ? ticks(p.y) : std::vector<double>{};
    for (const double v : xt) {
        const double x = p.px(v);
        d.line(x, p.top, x, p.bottom(), "stroke=\"#e6e6e6\" stroke-width=\"1\"");
        d.line(x, p.bottom(), x, p.bottom() + 5, "stroke=\"#444444\" stroke-width=\"1\"");
        d.text(x, p.bottom() + 18, num(v), "text-anchor=\"middle\" font-size=\"11\" fill=\"#444444\"");
    }
    for (const double v : yt) {
        const double y = p.py(v);
        d.line(p.left, y, p.right(), y, "stroke=\"#e6e6e6\" stroke-width=\"1\"");
        d.line(p.left - 5, y, p.left, y, "stroke=\"#444444\" stroke-width=\"1\"");
        d.text(p.left - 8, y + 4, num(v), "text-anchor=\"end\" font-size=\"11\" fill=\"#444444\"");
    }
    d.rect(p.left, p.top, p.width, p.height, "fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"");
    if (!x_label.empty()) d.text(cx, p.bottom() + 38, x_label, "text-anchor=\"middle\" font-size=\"12.5\"");
    if (!y_label.empty()) {
        const double x = p.left - 52, y = p.top + p.height / 2;
        d.text(x, y, y_label,
               "text-anchor=\"middle\" font-size=\"12.5\" transform=\"rotate(-90 " + coord(x) + " " + coord(y) + ")\"");
    }
}

SANENET_INLINE void no_data(document& d, const panel& p, std::string_view what) {
    d.text(p.left + p.width / 2, p.top + p.height / 2, what, "text-anchor=\"middle\" font-size=\"13\" fill=\"#777777\"");
}

// One polyline per run of drawable points (a NaN/Inf or, on a log axis, a value <= 0 breaks
// the line) and a circle per drawable point when the series has at most marker_limit of them;
// in a longer series only a point standing alone gets a circle. Returns the points drawn.
SANENET_INLINE std::size_t draw_series(document& d, const panel& p, const std::vector<double>& xs, const std::vector<double>& ys,
                                       const char* color, const char* css_class) {
    std::size_t drawable = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) drawable += p.accepts(xs[i], ys[i]);
    const bool markers = drawable <= marker_limit;
    const std::string dot =
        "class=\"" + std::string(css_class) + "\" fill=\"" + color + "\" stroke=\"#ffffff\" stroke-width=\"1\"";
    std::string points;
    std::size_t run = 0, run_start = 0;
    const auto flush = [&] {
        if (run >= 2)
            d.raw("<polyline class=\"" + std::string(css_class) + "\" fill=\"none\" stroke=\"" + color +
                  "\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"" + points + "\"/>\n");
        if (run == 1 && !markers) d.circle(p.px(xs[run_start]), p.py(ys[run_start]), 3, dot);
        points.clear();
        run = 0;
    };
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!p.accepts(xs[i], ys[i])) {
            flush();
            continue;
        }
        if (run)
            points += ' ';
        else
            run_start = i;
        points += coord(p.px(xs[i])) + "," + coord(p.py(ys[i]));
        ++run;
    }
    flush();
    if (markers)
        for (std::size_t i = 0; i < xs.size(); ++i)
            if (p.accepts(xs[i], ys[i])) d.circle(p.px(xs[i]), p.py(ys[i]), 3, dot);
    return drawable;
}

// A ring around the best point and a dashed vertical line through it.
SANENET_INLINE void draw_best(document& d, const panel& p, double x, double y) {
    const double px = p.px(x);
    d.line(px, p.top, px, p.bottom(), std::string("stroke=\"") + best_color + "\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"");
    d.circle(px, p.py(y), 7, std::string("class=\"best\" fill=\"none\" stroke=\"") + best_color + "\" stroke-width=\"2\"");
}

// One row of legend entries centred at (cx, y): a line sample (with a dot) or a ring.
struct legend_entry {
    std::string label;
    const char* color;
    bool ring = false;
};
SANENET_INLINE void draw_legend(document& d, double cx, double y, const std::vector<legend_entry>& entries) {
    constexpr double line_sample = 26, ring_sample = 14, gap = 7, spacing = 28, font = 12;
    const auto sample = [&](const legend_entry& e) { return e.ring ? ring_sample : line_sample; };
    double total = 0;
    for (const auto& e : entries) total += sample(e) + gap + text_width(e.label, font);
    total += spacing * static_cast<double>(entries.size() ? entries.size() - 1 : 0);
    double x = cx - total / 2;
    for (const auto& e : entries) {
        const std::string stroke = std::string("stroke=\"") + e.color + "\" stroke-width=\"2\"";
        const double w = sample(e);
        if (e.ring) {
            d.circle(x + w / 2, y - 4, 6, "fill=\"none\" " + stroke);
        } else {
            d.line(x, y - 4, x + w, y - 4, stroke);
            d.circle(x + w / 2, y - 4, 3, std::string("fill=\"") + e.color + "\" stroke=\"#ffffff\" stroke-width=\"1\"");
        }
        d.text(x + w + gap, y, e.label, "font-size=\"12\"");
        x += w + gap + text_width(e.label, font) + spacing;
    }
}

SANENET_INLINE std::string metric_title(const std::string& metric) {
    if (metric == "r2") return "R\xC2\xB2";
    if (metric.empty()) return "metric";
    return metric;
}

// Index of the best finite value (first on ties), if any.
SANENET_INLINE std::optional<std::size_t> best_index(const std::vector<double>& v, bool lower_is_better) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i])) continue;
        if (!best || (lower_is_better ? v[i] < v[*best] : v[i] > v[*best])) best = i;
    }
    return best;
}

}  // namespace detail::svg

namespace plot {

SANENET_INLINE void history_svg(const History& h, const std::filesystem::path& path) {
    using namespace detail::svg;
    constexpr double width = 1000;
    const char* title_style = "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\"";
    if (h.epochs.empty()) {
        document d(width, 200);
        d.text(width / 2, 30, "Training history", title_style);
        d.text(width / 2, 110, "no epochs", "text-anchor=\"middle\" font-size=\"16\" fill=\"#777777\"");
        write_text(path, d.finish());
        return;
    }
    const bool stopped = h.stop == StopReason::diverged || h.stop == StopReason::early_stopped;
    const double footer_lines = (stopped ? 1.0 : 0.0) + (h.diagnostics.empty() ? 0.0 : 1.0);
    // The learning-rate panel: when two epochs ran at different rates.
    bool rate_changed = false;
    for (const EpochRecord& e : h.epochs) rate_changed = rate_changed || e.learning_rate != h.epochs.front().learning_rate;
    constexpr double rate_panel = 290;
    const double height = 438 + (rate_changed ? rate_panel : 0.0) + 18 * footer_lines;
    document d(width, height);
    d.text(width / 2, 30, "Training history", title_style);

    std::vector<double> ex, train, vx, vloss, mx, metric;
    for (const EpochRecord& e : h.epochs) {
        ex.push_back(e.epoch);
        train.push_back(e.train_loss);
        if (e.val_loss) {
            vx.push_back(e.epoch);
            vloss.push_back(*e.val_loss);
        }
        if (e.val_metric) {
            mx.push_back(e.epoch);
            metric.push_back(*e.val_metric);
        }
    }

    extent epochs, loss, met;
    for (const double v : ex) epochs.add(v);
    for (const double v : train) loss.add(v);
    for (const double v : vloss) loss.add(v);
    for (const double v : metric) met.add(v);
    bool all_positive = !loss.empty();
    for (const double v : train) all_positive = all_positive && (!std::isfinite(v) || v > 0);
    for (const double v : vloss) all_positive = all_positive && (!std::isfinite(v) || v > 0);
    const bool log_loss = all_positive && loss.hi > 20.0 * loss.lo;
    loss.log = log_loss;

    const axis x_axis = make_axis(epochs, 0.03, true);
    const panel lp{75, 112, 400, 270, x_axis, make_axis(loss, 0.06)};
    const panel mp{575, 112, 400, 270, x_axis, make_axis(met, 0.06)};

    const auto best_loss = best_index(vloss, true);
    const auto best_metric = best_index(metric, false);
    const std::string mname = metric_title(h.metric);

    std::vector<legend_entry> legend{{"train loss", train_color}};
    if (!vloss.empty() || !metric.empty()) legend.push_back({"validation", val_color});
    if (best_loss || best_metric) legend.push_back({"best validation epoch", best_color, true});
    draw_legend(d, width / 2, 60, legend);

    const std::string loss_sub =
        best_loss ? "best validation " + num(vloss[*best_loss], 4) + " at epoch " + num(vx[*best_loss]) : std::string();
    draw_axes(d, lp, "Loss", loss_sub, "epoch", log_loss ? "loss (log scale)" : "loss", !loss.empty());
    std::size_t drawn = draw_series(d, lp, ex, train, train_color, "train");
    drawn += draw_series(d, lp, vx, vloss, val_color, "val");
    if (best_loss) draw_best(d, lp, vx[*best_loss], vloss[*best_loss]);
    if (!drawn) no_data(d, lp, "no finite loss values");

    const std::string metric_sub =
        best_metric ? "best " + num(metric[*best_metric], 4) + " at epoch " + num(mx[*best_metric]) : std::string();
    draw_axes(d, mp, "Validation " + mname, metric_sub, "epoch", mname, !met.empty());
    if (metric.empty()) {
        no_data(d, mp, vloss.empty() ? "no validation data" : "no validation metric");
    } else {
        if (!draw_series(d, mp, mx, metric, val_color, "val")) no_data(d, mp, "no finite values");
        if (best_metric) draw_best(d, mp, mx[*best_metric], metric[*best_metric]);
    }

    double footer = 446;
    if (rate_changed) {
        std::vector<double> rates;
        extent re;
        re.log = true;
        for (const EpochRecord& e : h.epochs) {
            rates.push_back(e.learning_rate);
            re.add(e.learning_rate);
        }
        re.log = !re.empty() && re.hi > 20.0 * re.lo;
        if (!re.log) {
            re = extent{};
            for (const double v : rates) re.add(v);
        }
        const panel rp{75, 462, 900, 200, x_axis, make_axis(re, 0.06)};
        draw_axes(d, rp, "Learning rate", "", "epoch", re.log ? "rate (log scale)" : "rate", !re.empty());
        if (!draw_series(d, rp, ex, rates, rate_color, "lr")) no_data(d, rp, "no finite rates");
        footer += rate_panel;
    }
    if (stopped) {
        const bool diverged = h.stop == StopReason::diverged;
        d.text(40, footer, shorten((diverged ? "training diverged: " : "") + h.stop_message, 150),
               std::string("font-size=\"11.5\" fill=\"") + (diverged ? "#c00000" : "#555555") + "\"");
        footer += 17;
    }
    if (!h.diagnostics.empty()) {
        std::vector<std::string> seen;
        std::string ids;
        for (const Diagnostic& g : h.diagnostics) {
            if (std::find(seen.begin(), seen.end(), g.id) != seen.end()) continue;
            seen.push_back(g.id);
            ids += (ids.empty() ? "" : ", ") + g.id;
        }
        d.text(40, footer, shorten("lints fired: " + ids + " (see History::diagnostics)", 150),
               "font-size=\"11.5\" fill=\"#555555\"");
    }
    write_text(path, d.finish());
}

SANENET_INLINE void scatter_svg(const matrix& prediction, const matrix& target, const std::filesystem::path& path) {
    using namespace detail::svg;
    if (prediction.shape() != target.shape())
        throw shape_error("scatter_svg: prediction has shape " + detail::shape_string(prediction) + " but target has shape " +
                          detail::shape_string(target));
    const std::size_t n = prediction.shape()[0], k = prediction.shape()[1];
    if (k == 0 || k > max_scatter_panels)
        throw argument_error("scatter_svg: " + std::to_string(k) + " output columns; one plot holds 1 to " +
                             std::to_string(max_scatter_panels) + " panels (pass a selection of columns)");

    constexpr double cell_w = 390, cell_h = 392, head = 58, plot_size = 300;
    const std::size_t cols = k <= 4 ? k : (k + 1) / 2, rows = (k + cols - 1) / cols;  // 5 and 6 panels: 3 + 3
    const double width = std::max(cell_w * static_cast<double>(cols), 480.0);
    const double height = head + cell_h * static_cast<double>(rows);
    const double offset = (width - cell_w * static_cast<double>(cols)) / 2;
    document d(width, height);
    d.text(width / 2, 28, "Prediction vs target", "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\"");

    double r2_sum = 0.0;
    std::size_t r2_count = 0;
    for (std::size_t j = 0; j < k; ++j) {
        std::vector<std::size_t> finite;
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(prediction(i, j)) && std::isfinite(target(i, j))) finite.push_back(i);
        matrix p = matrix::from_shape({finite.size(), 1}), t = matrix::from_shape({finite.size(), 1});
        extent both;
        for (std::size_t r = 0; r < finite.size(); ++r) {
            p(r, 0) = prediction(finite[r], j);
            t(r, 0) = target(finite[r], j);
            both.add(p(r, 0));
            both.add(t(r, 0));
        }
        const axis a = make_axis(both, 0.05);
        const double left = offset + cell_w * static_cast<double>(j % cols) + 70;
        const double top = head + cell_h * static_cast<double>(j / cols) + 40;
        const panel pn{left, top, plot_size, plot_size, a, a};

        std::string title = (k > 1 ? "output " + std::to_string(j) + ": " : std::string()) + "R\xC2\xB2 = ";
        if (!finite.empty()) {
            const double r = r2(p, t);
            r2_sum += r;
            ++r2_count;
            title += fixed(r, 4);
        } else {
            title += "n/a";
        }
        std::string subtitle;
        if (finite.size() < n)
            subtitle = std::to_string(n - finite.size()) + (n - finite.size() == 1 ? " non-finite pair" : " non-finite pairs") +
                       " skipped";
        draw_axes(d, pn, title, subtitle, "target", "prediction", !finite.empty());
        if (finite.empty()) {
            no_data(d, pn, "no finite pairs");
            continue;
        }
        d.line(pn.px(a.lo), pn.py(a.lo), pn.px(a.hi), pn.py(a.hi),
               "stroke=\"#555555\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"");
        const std::size_t shown = std::min(finite.size(), scatter_limit);
        const bool few = shown <= 500;
        const std::string style =
            std::string("class=\"point\" fill=\"") + train_color + "\" fill-opacity=\"" + (few ? "0.75" : "0.35") + "\"";
        for (std::size_t s = 0; s < shown; ++s) {
            const std::size_t r = shown == finite.size() ? s : s * finite.size() / shown;
            d.circle(pn.px(t(r, 0)), pn.py(p(r, 0)), few ? 3 : 1.8, style);
        }
    }
    // The mean of the panels' R^2: sn::r2(prediction, target) when every value is finite.
    std::string sub = std::to_string(n) + (n == 1 ? " sample" : " samples");
    if (n > scatter_limit) sub += ", " + std::to_string(scatter_limit) + " shown per panel";
    if (k > 1 && r2_count) sub += "; mean R\xC2\xB2 = " + fixed(r2_sum / static_cast<double>(r2_count), 4);
    sub += "; dashed: y = x";
    d.text(width / 2, 48, sub, "text-anchor=\"middle\" font-size=\"12\" fill=\"#555555\"");
    write_text(path, d.finish());
}

SANENET_INLINE void curve_svg(const std::vector<double>& x, const std::vector<double>& y, const std::filesystem::path& path,
                              const CurveOptions& options) {
    using namespace detail::svg;
    if (x.size() != y.size())
        throw shape_error("curve_svg: x has " + std::to_string(x.size()) + " values but y has " + std::to_string(y.size()));
    constexpr double width = 760, height = 456;
    document d(width, height);
    extent ex, ey;
    ex.log = options.log_x;
    ey.log = options.log_y;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (ex.accepts(x[i]) && ey.accepts(y[i])) {
            ex.add(x[i]);
            ey.add(y[i]);
        }
    for (const auto& m : options.markers) ex.add(m.first);
    const panel p{90, 70, 630, 330, make_axis(ex, 0.03), make_axis(ey, 0.06)};
    if (!options.title.empty())
        d.text(width / 2, 30, options.title, "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\"");
    draw_axes(d, p, {}, {}, options.x_label + (options.log_x ? " (log scale)" : ""),
              options.y_label + (options.log_y ? " (log scale)" : ""), !ey.empty());
    if (!draw_series(d, p, x, y, train_color, "curve")) no_data(d, p, "no finite points");
    for (const auto& m : options.markers)
        if (p.x.accepts(m.first))
            d.line(p.px(m.first), p.top, p.px(m.first), p.bottom(),
                   std::string("class=\"marker\" stroke=\"") + marker_color + "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"");
    double label_y = p.top + 16;  // labels after every line, one row each, haloed to stay readable over lines
    for (const auto& [mx, label] : options.markers) {
        if (!p.x.accepts(mx)) continue;
        const double px = p.px(mx);
        const std::string text = label.empty() ? num(mx, 4) : label + " (" + num(mx, 3) + ")";
        const double tw = text_width(text, 11.5);
        const bool to_left = px + 6 + tw > p.right() && px - 6 - tw >= p.left;
        d.text(to_left ? px - 6 : px + 6, label_y, text,
               std::string(to_left ? "text-anchor=\"end\" " : "") + "font-size=\"11.5\" fill=\"" + marker_color +
                   "\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"");
        label_y += 18;
    }
    write_text(path, d.finish());
}

SANENET_INLINE void image_grid_pgm(const matrix& images, std::size_t width, std::size_t height,
                                   const std::vector<std::size_t>& rows, const std::filesystem::path& path, std::size_t columns) {
    if (width == 0 || height == 0 || images.shape()[1] != width * height)
        throw shape_error("image_grid_pgm: images have shape " + detail::shape_string(images) + " but " + std::to_string(width) +
                          " x " + std::to_string(height) + " images need " + std::to_string(width * height) + " columns");
    if (columns == 0) throw argument_error("image_grid_pgm: columns must be at least 1");
    for (const std::size_t r : rows)
        if (r >= images.shape()[0])
            throw shape_error("image_grid_pgm: row " + std::to_string(r) + " is outside the " +
                              std::to_string(images.shape()[0]) + " rows of images " + detail::shape_string(images));
    constexpr unsigned char gap = 128;
    const std::size_t count = std::max<std::size_t>(rows.size(), 1);
    const std::size_t across = std::min(columns, count), down = (count + across - 1) / across;
    const std::size_t w = across * width + (across - 1), h = down * height + (down - 1);
    const std::string header = "P5\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
    std::vector<unsigned char> out(header.begin(), header.end());
    const std::size_t at = out.size();
    out.resize(at + w * h, gap);
    for (std::size_t t = 0; t < rows.size(); ++t) {
        const float* img = images.data() + rows[t] * width * height;
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (std::size_t i = 0; i < width * height; ++i)
            if (std::isfinite(img[i])) {
                lo = std::min(lo, static_cast<double>(img[i]));
                hi = std::max(hi, static_cast<double>(img[i]));
            }
        const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
        const std::size_t x0 = (t % across) * (width + 1), y0 = (t / across) * (height + 1);
        for (std::size_t yy = 0; yy < height; ++yy)
            for (std::size_t xx = 0; xx < width; ++xx) {
                const float v = img[yy * width + xx];
                const double s = std::isfinite(v) ? std::round((v - lo) * scale) : 0.0;
                out[at + (y0 + yy) * w + x0 + xx] = static_cast<unsigned char>(std::clamp(s, 0.0, 255.0));
            }
    }
    detail::write_file_atomically(path, out, "write image");
}

SANENET_INLINE std::vector<std::size_t> misclassified(const matrix& probabilities, const labels& y, std::size_t max) {
    detail::check_rows("misclassified", probabilities.shape()[0], y.size());
    if (probabilities.shape()[1] == 0 && y.size() > 0)
        throw shape_error("misclassified: probabilities have shape " + detail::shape_string(probabilities) + ", no class column");
    std::vector<std::size_t> out;
    for (std::size_t r = 0; r < y.size() && out.size() < max; ++r)
        if (detail::predicted_class(probabilities, r) != y(r)) out.push_back(r);
    return out;
}

SANENET_INLINE void learning_rate_svg(const LrFinding& f, const std::filesystem::path& path) {
    std::vector<double> lr, loss;
    for (const LrPoint& p : f.curve) {
        lr.push_back(p.learning_rate);
        loss.push_back(p.smoothed);
    }
    CurveOptions o;
    o.title = "Learning-rate range test (" + f.to_string() + ")";
    o.x_label = "learning rate";
    o.y_label = "smoothed training loss";
    o.log_x = true;
    if (f.exploded()) o.markers.push_back({f.exploded_at, "explodes"});
    o.markers.push_back({f.suggested, "suggested"});
    curve_svg(lr, loss, path, o);
}

}  // namespace plot
}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
