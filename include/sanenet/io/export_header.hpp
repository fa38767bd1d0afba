// sn::export_header(net, "model.hpp", {.name = "mymodel"}): the network as one self-contained
// C++17 header for programs that link nothing of sanenet: constexpr weights and scalers, and
//   namespace mymodel { inline constexpr int inputs, outputs;
//                       inline void predict(const float* in, float* out) noexcept; }
// with no allocation (two arrays of the widest layer's width on the stack), no exceptions and
// no include but <cmath> (when an activation or LayerNorm needs it). The loops are plain, in
// sanenet's order (each output a sum over the inputs in turn, then the bias, then the
// activation), over contiguous rows the compiler can vectorize without reordering a sum; the
// multiply-adds are kept unfused (fp-contract off on GCC and Clang), so the results are the
// same whatever instruction set the header is compiled for. docs/deployment.md has the figures.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/io/file.hpp>
#include <sanenet/io/model_file.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/model/quantized.hpp>

#include <concepts>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace sanenet::inline SANENET_ABI {

struct HeaderOptions {
    std::string name = "model";  // the namespace of inputs, outputs and predict: an identifier, or a::b
    // bf16: the Dense weights rounded to bf16 and stored as 16-bit words (half the bytes), the
    // sums in fp32, as sn::quantize's model computes them (docs/deployment.md, "Reduced precision").
    // Unset: the network's own (a bf16 QuantizedNetwork or AnyNetwork: bf16), else fp32.
    std::optional<Precision> precision = std::nullopt;
};

namespace detail {

// The header's text (sn::export_header below); argument_error for a name that is no namespace
// name, io_error for non-finite parameters.
SANENET_INLINE std::string header_text(const model& m, const HeaderOptions& options);

}  // namespace detail

// Writes net (its scalers included) as a self-contained C++17 header to `path`, atomically.
template <class Net>
    requires requires(const Net& n) {
        { n.engine() } -> std::convertible_to<const detail::model&>;
    }
void export_header(const Net& net, const std::filesystem::path& path, const HeaderOptions& options = {}) {
    const detail::read_use use(net.engine(), "export_header");
    HeaderOptions o = options;
    if (!o.precision) {
        if constexpr (requires { net.precision(); })
            o.precision = net.precision();
        else
            o.precision = Precision::fp32;
    }
    const std::string text = detail::header_text(net.engine(), o);
    detail::write_file_atomically(path, std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()),
                                  "export_header");
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>
#include <vector>

namespace sanenet::inline SANENET_ABI::detail {

namespace header_gen {

// A float literal that reads back as exactly v: the shortest round-trip digits, then f.
SANENET_INLINE std::string literal(float v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s + "f";
}

SANENET_INLINE std::string array(const std::string& name, const float* v, std::size_t n) {
    std::string s = "alignas(64) inline constexpr float " + name + "[" + std::to_string(n) + "] = {";
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 8 == 0) s += "\n    ";
        s += literal(v[i]);
        if (i + 1 < n) s += ", ";
    }
    return s + "};\n";
}

SANENET_INLINE bool is_identifier(std::string_view s) {
    static constexpr std::string_view keywords[] = {
        "alignas",  "alignof",  "and",       "asm",      "auto",      "bool",    "break",    "case",    "catch",    "char",
        "class",    "const",    "constexpr", "continue", "decltype",  "default", "delete",   "do",      "double",   "else",
        "enum",     "explicit", "export",    "extern",   "false",     "float",   "for",      "friend",  "goto",     "if",
        "inline",   "int",      "long",      "mutable",  "namespace", "new",     "noexcept", "not",     "nullptr",  "operator",
        "or",       "private",  "protected", "public",   "register",  "return",  "short",    "signed",  "sizeof",   "static",
        "struct",   "switch",   "template",  "this",     "throw",     "true",    "try",      "typedef", "typename", "union",
        "unsigned", "using",    "virtual",   "void",     "volatile",  "while",   "xor",      "std"};
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    if (s.size() > 1 && s[0] == '_' && (s[1] == '_' || std::isupper(static_cast<unsigned char>(s[1])))) return false;
    if (s.find("__") != std::string_view::npos) return false;
    for (std::string_view k : keywords)
        if (s == k) return false;
    return true;
}

// The activation applied to the value v, as sanenet's scalar kernels compute it (kernels/activation.hpp).
SANENET_INLINE std::string activation(act a, float p) {
    switch (a) {
        case act::identity:
        case act::softmax: return "v";
        case act::relu: return "v < 0.f ? 0.f : v";
        case act::leaky_relu: return "v > 0.f ? v : v * " + literal(p);
        case act::elu: return "v < 0.f ? " + literal(p) + " * std::expm1(v) : v";
        case act::tanh: return "std::tanh(v)";
        case act::sigmoid: return "1.f / (1.f + std::exp(-v))";
        case act::gelu: return "v * 0.5f * (1.f + std::erf(v * 0.70710678118654752f))";
        case act::silu: return "v / (1.f + std::exp(-v))";
    }
    return "v";
}

// The bf16 words of v (finite, within bf16's range), as hexadecimal literals.
SANENET_INLINE std::string bf16_array(const std::string& name, const float* v, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "alignas(64) inline constexpr unsigned short " + name + "[" + std::to_string(n) + "] = {";
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 12 == 0) s += "\n    ";
        const unsigned h = kernels::bf16_from_float(v[i]);
        s += "0x";
        for (int d = 12; d >= 0; d -= 4) s += digits[(h >> d) & 15u];
        if (i + 1 < n) s += ", ";
    }
    return s + "};\n";
}

SANENET_INLINE bool needs_cmath(act a) { return a != act::identity && a != act::relu && a != act::leaky_relu; }

}  // namespace header_gen

SANENET_INLINE std::string header_text(const model& m, const HeaderOptions& options) {
    using namespace header_gen;
    // The namespace: identifiers joined by ::.
    std::vector<std::string> parts;
    for (std::size_t at = 0;;) {
        const std::size_t next = options.name.find("::", at);
        parts.push_back(options.name.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) break;
        at = next + 2;
    }
    for (const std::string& p : parts)
        if (!is_identifier(p))
            throw argument_error("export_header: HeaderOptions::name is '" + options.name +
                                 "', expected a C++ namespace name: identifiers (letters, digits, _; not a keyword, no __) "
                                 "joined by ::");
    if (const std::string bad = serial::first_non_finite(m, m.params(), m.parameter_count()); !bad.empty())
        throw io_error("refusing to export a header: " + bad);
    const bool bf16 = options.precision == Precision::bf16;  // unset: fp32
    if (bf16) check_bf16_range(m, "export_header");
    std::string macro;
    for (char c : options.name) macro += c == ':' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    macro += "_SANENET_NO_FMA";

    bool cmath = false;
    for (const stage& st : m.stages())
        cmath = cmath || st.k == kind::layer_norm || ((st.k == kind::activation || st.k == kind::dense) && needs_cmath(st.a)) ||
                (st.k == kind::activation && st.a == act::softmax);

    const int in = m.input_size(), out = m.output_size();
    std::string layers;
    for (std::size_t i = 0; i < m.specs().size(); ++i) layers += (i ? ", " : "") + layer_name(m.specs()[i]);
    std::string h = "// Generated by sanenet " + std::to_string(version_major) + "." + std::to_string(version_minor) + "." +
                    std::to_string(version_patch) + " (sn::export_header); do not edit.\n// " + task_name(m.task()) + ", " +
                    std::to_string(in) + " inputs -> " + std::to_string(out) + " outputs, " +
                    std::to_string(m.parameter_count()) + " parameters: " + layers + ".\n";
    if (bf16)
        h += "// Precision: bf16 weights (each Dense weight rounded to the nearest bf16, stored as its 16 bits), fp32\n"
             "// biases, activations and sums, as sn::quantize(net, sn::Precision::bf16) computes.\n";
    h += m.input_scaler().empty()
             ? "// predict takes the inputs the network was trained on (no input scaler).\n"
             : "// predict takes raw inputs: the input scaler (a Standardizer's mean and scale) is applied here.\n";
    if (!m.target_scaler().empty()) h += "// predict returns targets in their own units: the target scaler is applied here.\n";
    h += "// Self-contained C++17: no allocation (two arrays of " + std::to_string(m.max_width()) +
         " floats on the stack), no exceptions, safe to call from\n"
         "// several threads. The multiply-adds are not fused (fp-contract off on GCC and Clang), so the results\n"
         "// are the same for every instruction set the header is compiled for.\n"
         "#pragma once\n\n";
    if (cmath) h += "#include <cmath>\n";
    if (bf16) h += "#include <cstring>\n";
    if (cmath || bf16) h += "\n";
    h += "#if defined(__GNUC__) && !defined(__clang__)\n#define " + macro +
         " __attribute__((optimize(\"fp-contract=off\")))\n#else\n#define " + macro + "\n#endif\n\n";
    h += "namespace " + options.name + " {\n\n";
    h += "inline constexpr int inputs = " + std::to_string(in) + ";\ninline constexpr int outputs = " + std::to_string(out) +
         ";\n";
    if (bf16) h += "inline constexpr const char* precision = \"bf16\";\n";
    h += "\nnamespace detail {\n\n";
    if (bf16)
        h += "// A bf16 weight as the float it holds (exact).\ninline float bf16(unsigned short w) noexcept {\n"
             "    const unsigned int u = static_cast<unsigned int>(w) << 16;\n    float f;\n"
             "    std::memcpy(&f, &u, sizeof f);\n    return f;\n}\n\n";
    if (!m.input_scaler().empty()) {
        h += array("input_mean", m.input_scaler().mean.data(), m.input_scaler().size());
        h += array("input_scale", m.input_scaler().scale.data(), m.input_scaler().size());
    }
    if (!m.target_scaler().empty()) {
        h += array("target_mean", m.target_scaler().mean.data(), m.target_scaler().size());
        h += array("target_scale", m.target_scaler().scale.data(), m.target_scaler().size());
    }
    std::string body;
    bool used[2] = {false, false};
    int cur = 0;  // the buffer holding the current values
    const auto buf = [&](int b) {
        used[b] = true;
        return std::string("b") + std::to_string(b);
    };
    const std::string n_in = std::to_string(in);
    if (m.input_scaler().empty())
        body += "    for (int i = 0; i < " + n_in + "; ++i) " + buf(0) + "[i] = in[i];\n";
    else
        body += "    for (int i = 0; i < " + n_in + "; ++i) " + buf(0) +
                "[i] = (in[i] - detail::input_mean[i]) / detail::input_scale[i];\n";
    std::size_t dense_i = 0, norm_i = 0;
    for (const stage& st : m.stages()) {
        const std::string w_in = std::to_string(st.in), w_out = std::to_string(st.out);
        const std::string src = buf(cur), dst = buf(1 - cur);
        const std::string what = "layer " + std::to_string(st.spec) + ", " + layer_name(m.specs()[st.spec]);
        if (is_regularizer(st.k)) {
            body += "    // " + what + ": off in inference\n";
            continue;
        }
        if (st.k == kind::dense) {
            const std::string name = "dense" + std::to_string(dense_i++);
            h += "// " + what + ": " + w_in + " x " + w_out + ", row i the weights of input i\n";
            const std::size_t n_w = static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out);
            h += bf16 ? bf16_array(name + "_weight", m.params() + st.w, n_w) : array(name + "_weight", m.params() + st.w, n_w);
            h += array(name + "_bias", m.params() + st.b, static_cast<std::size_t>(st.out));
            body += "    // " + what + (st.a != act::identity ? std::string(", ") + std::string(act_name(st.a)) : std::string()) +
                    "\n";
            // Four inputs per pass over the outputs, each output still summed over the inputs in turn.
            const std::string w = "detail::" + name + "_weight";
            const std::string wt = bf16 ? "unsigned short" : "float";
            const auto at = [&](const std::string& e) { return bf16 ? "detail::bf16(" + e + ")" : e; };
            body += "    for (int j = 0; j < " + w_out + "; ++j) " + dst + "[j] = 0.f;\n";
            if (st.in >= 4)
                body += "    for (int i = 0; i + 4 <= " + w_in + "; i += 4) {\n        const float x0 = " + src +
                        "[i], x1 = " + src + "[i + 1], x2 = " + src + "[i + 2], x3 = " + src + "[i + 3];\n        const " + wt +
                        "* r0 = " + w + " + i * " + w_out + ";\n        const " + wt + " *r1 = r0 + " + w_out + ", *r2 = r1 + " +
                        w_out + ", *r3 = r2 + " + w_out + ";\n        for (int j = 0; j < " + w_out + "; ++j)\n            " +
                        dst + "[j] = (((" + dst + "[j] + x0 * " + at("r0[j]") + ") + x1 * " + at("r1[j]") + ") + x2 * " +
                        at("r2[j]") + ") + x3 * " + at("r3[j]") + ";\n    }\n";
            if (st.in % 4)
                body += "    for (int i = " + std::to_string(st.in / 4 * 4) + "; i < " + w_in +
                        "; ++i) {\n        const float x = " + src + "[i];\n        const " + wt + "* row = " + w + " + i * " +
                        w_out + ";\n        for (int j = 0; j < " + w_out + "; ++j) " + dst + "[j] += x * " + at("row[j]") +
                        ";\n    }\n";
            body += "    for (int j = 0; j < " + w_out + "; ++j) {\n        const float v = " + dst + "[j] + detail::" + name +
                    "_bias[j];\n        " + dst + "[j] = " + activation(st.a, st.param) + ";\n    }\n";
            cur = 1 - cur;
        } else if (st.k == kind::layer_norm) {
            const std::string name = "layernorm" + std::to_string(norm_i++);
            h += "// " + what + ": gain and bias of " + w_out + "\n";
            h += array(name + "_weight", m.params() + st.w, static_cast<std::size_t>(st.out));
            h += array(name + "_bias", m.params() + st.b, static_cast<std::size_t>(st.out));
            body += "    {  // " + what + ", eps 1e-5, in double as sanenet\n        double sum = 0.0, sq = 0.0;\n";
            body += "        for (int j = 0; j < " + w_out + "; ++j) sum += " + src + "[j];\n";
            body += "        const double mean = sum / " + w_out + ".0;\n";
            body += "        for (int j = 0; j < " + w_out + "; ++j) sq += (" + src + "[j] - mean) * (" + src + "[j] - mean);\n";
            body += "        const double rstd = 1.0 / std::sqrt(sq / " + w_out + ".0 + 1e-5);\n";
            body += "        for (int j = 0; j < " + w_out + "; ++j)\n            " + dst +
                    "[j] = static_cast<float>(detail::" + name + "_weight[j] * ((" + src +
                    "[j] - mean) * rstd) + detail::" + name + "_bias[j]);\n    }\n";
            cur = 1 - cur;
        } else if (st.k == kind::activation && st.a == act::softmax) {
            body += "    {  // " + what + "\n        float top = " + src + "[0];\n";
            body += "        for (int j = 1; j < " + w_out + "; ++j) top = " + src + "[j] > top ? " + src + "[j] : top;\n";
            body += "        float s = 0.f;\n        for (int j = 0; j < " + w_out + "; ++j) {\n            " + src +
                    "[j] = std::exp(" + src + "[j] - top);\n            s += " + src + "[j];\n        }\n";
            body += "        const float inv = 1.f / s;\n        for (int j = 0; j < " + w_out + "; ++j) " + src +
                    "[j] *= inv;\n    }\n";
        } else if (st.k == kind::activation) {
            body += "    for (int j = 0; j < " + w_out + "; ++j) {  // " + what + "\n        const float v = " + src +
                    "[j];\n        " + src + "[j] = " + activation(st.a, st.param) + ";\n    }\n";
        }
    }
    const std::string n_out = std::to_string(out), res = buf(cur);
    if (m.target_scaler().empty())
        body += "    for (int j = 0; j < " + n_out + "; ++j) out[j] = " + res + "[j];\n";
    else
        body += "    for (int j = 0; j < " + n_out + "; ++j) out[j] = " + res +
                "[j] * detail::target_scale[j] + detail::target_mean[j];\n";
    h += "\n}  // namespace detail\n\n";
    h += "// out[0 .. outputs) = the prediction for in[0 .. inputs)";
    h += m.task().k == task_kind::classification ? " (class probabilities)"
         : m.task().k == task_kind::multilabel   ? " (probabilities)"
                                                 : "";
    h += ". in and out may be the same array.\n";
    h += macro +
         " inline void predict(const float* in, float* out) noexcept {\n#if defined(__clang__)\n#pragma clang fp "
         "contract(off)\n#endif\n";
    for (int b = 0; b < 2; ++b)
        if (used[b]) h += "    float b" + std::to_string(b) + "[" + std::to_string(m.max_width()) + "];\n";
    h += body + "}\n\n}  // namespace " + options.name + "\n\n#undef " + macro + "\n";
    return h;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
