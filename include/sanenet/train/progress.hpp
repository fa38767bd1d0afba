// The one-line progress display of fit on a terminal: epoch, loss, validation metric,
// samples/s, ETA. Silent when stderr is not a terminal or when progress is off.
#pragma once

#include <sanenet/core/format.hpp>

#include <string>

#if defined(__unix__) || defined(__APPLE__)
#define SANENET_HAS_ISATTY 1
#else
#define SANENET_HAS_ISATTY 0
#endif

#if SANENET_DEFINITIONS
#include <chrono>
#include <cstdio>
#include <optional>
#if SANENET_HAS_ISATTY
#include <unistd.h>
#endif
#endif

namespace sanenet::inline SANENET_ABI {

// Whether stderr is a terminal (the progress line and the examples' own live lines show only there).
SANENET_INLINE bool stderr_is_terminal();

namespace detail {

// "m:ss" or "h:mm:ss".
SANENET_INLINE std::string format_duration(double seconds);

// "950", "12.3k", "1.2M".
SANENET_INLINE std::string format_rate(double per_second);

}  // namespace detail
}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE bool stderr_is_terminal() {
#if SANENET_HAS_ISATTY
    return ::isatty(2) == 1;
#else
    return false;
#endif
}

namespace detail {

SANENET_INLINE std::string format_duration(double seconds) {
    const long s = seconds < 0 ? 0 : static_cast<long>(seconds + 0.5);
    // Built by appending: g++ 12 at -O3 warns (-Wrestrict, a false positive) on "0" + std::string&&.
    const auto two = [](long v) {
        std::string t(v < 10 ? "0" : "");
        t += std::to_string(v);
        return t;
    };
    return s >= 3600 ? std::to_string(s / 3600) + ":" + two((s / 60) % 60) + ":" + two(s % 60)
                     : std::to_string(s / 60) + ":" + two(s % 60);
}

SANENET_INLINE std::string format_rate(double per_second) {
    if (per_second >= 1e6) return format_fixed(per_second / 1e6, 1) + "M";
    if (per_second >= 1e3) return format_fixed(per_second / 1e3, 1) + "k";
    return format_fixed(per_second, 0);
}

// The live line itself, used only by fit (fit.hpp) and its diagnostics (monitors.hpp).
class progress_line {
public:
    using clock = std::chrono::steady_clock;

    progress_line(bool requested, int epochs, std::size_t samples_per_epoch, std::string metric)
        : on_(requested && stderr_is_terminal()),
          epochs_(epochs),
          per_epoch_(samples_per_epoch),
          metric_(std::move(metric)),
          start_(clock::now()),
          last_(start_) {}

    // During an epoch, at most every 100 ms.
    void update(int epoch, std::size_t done, double loss) {
        if (!on_) return;
        const auto now = clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double total_done = static_cast<double>(epoch - 1) * static_cast<double>(per_epoch_) + static_cast<double>(done);
        const double rate = elapsed > 0 ? total_done / elapsed : 0.0;
        const double left = static_cast<double>(epochs_) * static_cast<double>(per_epoch_) - total_done;
        std::string percent =
            format_fixed(100.0 * static_cast<double>(done) / static_cast<double>(per_epoch_ ? per_epoch_ : 1), 0);
        percent.insert(0, percent.size() < 3 ? 3 - percent.size() : 0, ' ');
        const std::string line = "\r\033[Kepoch " + std::to_string(epoch) + "/" + std::to_string(epochs_) + " " + percent +
                                 "%  loss " + format_fixed(loss, 4) + "  " + format_rate(rate) + " samples/s  ETA " +
                                 (rate > 0 ? format_duration(left / rate) : std::string("?"));
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
    }

    // At the end of an epoch: the line becomes permanent (one per epoch, as in Keras).
    void end_epoch(int epoch, double loss, std::optional<double> val_loss, std::optional<double> val_metric, double rate,
                   double seconds) {
        if (!on_) return;
        std::string line = "\r\033[Kepoch " + std::to_string(epoch) + "/" + std::to_string(epochs_);
        line += "  loss " + format_fixed(loss, 4);
        if (val_loss) line += "  val_loss " + format_fixed(*val_loss, 4);
        if (val_metric) line += "  val_" + metric_ + " " + format_fixed(*val_metric, 4);
        line += "  " + format_rate(rate) + " samples/s  " + format_duration(seconds) + "\n";
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
    }

    void clear() {
        if (on_) std::fputs("\r\033[K", stderr);
    }

private:
    bool on_;
    int epochs_;
    std::size_t per_epoch_;
    std::string metric_;
    clock::time_point start_, last_;
};

}  // namespace detail
}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
