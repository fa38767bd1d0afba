// Numbers in messages, names and files, written the same under every locale (std::to_chars:
// a German locale must not turn Dropout<0.9> into "Dropout<0,9>").
#pragma once

#include <sanenet/core/config.hpp>

#include <string>
#if SANENET_DEFINITIONS
#include <charconv>
#endif

namespace sanenet::inline SANENET_ABI::detail {

// As printf's %.<significant>g: "0.001234", "1.235e+06", "nan", "inf".
SANENET_INLINE std::string format_number(double v, int significant = 4);

// The shortest text that reads back as the same float: "0.9", "1e-07".
SANENET_INLINE std::string format_shortest(float v);

// As printf's %.<decimals>f: "0.891".
SANENET_INLINE std::string format_fixed(double v, int decimals);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::string format_number(double v, int significant) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, significant);
    return std::string(buf, r.ptr);
}

SANENET_INLINE std::string format_shortest(float v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

SANENET_INLINE std::string format_fixed(double v, int decimals) {
    char buf[512];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    return r.ec == std::errc{} ? std::string(buf, r.ptr) : format_number(v, decimals + 1);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
