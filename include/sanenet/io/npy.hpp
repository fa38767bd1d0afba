// sn::export_npy(net, dir): every parameter tensor as a NumPy .npy file, for NumPy and
// PyTorch interop, plus a manifest.txt; sn::import_npy(net, dir): the same layout read back,
// from sanenet or from a PyTorch model saved tensor by tensor.
//
// Files: dense<i>_weight.npy, shape (out, in), and dense<i>_bias.npy, shape (out,), i
// counting the Dense layers from 0; layernorm<i>_weight.npy (the gain) and
// layernorm<i>_bias.npy, shape (width,), i counting the LayerNorm layers from 0 (as
// torch.nn.LayerNorm's weight and bias); float32 little-endian ('<f4'), C order, NPY 1.0.
// The weight is in PyTorch's nn.Linear layout (out x in, the transpose of sanenet's
// in x out), so `linear.weight.data = torch.from_numpy(np.load("dense0_weight.npy"))`
// and `linear.bias.data = torch.from_numpy(np.load("dense0_bias.npy"))` reproduce the
// layer; with NumPy alone, y = x @ W.T + b.
//
// The NPY header is written here rather than by xt::dump_npy: that one writes host byte
// order, throws std::runtime_error and does not check that the data reached the disk.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/io/file.hpp>
#include <sanenet/io/model_file.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/model/quantized.hpp>

#include <concepts>
#include <cstddef>
#include <filesystem>
#include <vector>
#include <string>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <system_error>
#endif

namespace sanenet::inline SANENET_ABI {

namespace detail {

namespace serial {

// A complete NPY 1.0 file of float32 values in C order.
SANENET_INLINE bytes npy_file(const std::vector<std::size_t>& shape, const float* values, std::size_t count);

// A .npy array read back: its shape and its values as float, C order.
struct npy_array {
    std::vector<std::size_t> shape;
    std::vector<float> values;
};

// A whole .npy file (NPY 1.0 to 3.0, dtype '<f4', or '<f8' converted to float, C order); every
// failure is an io_error that starts with `fail` and says what was found and what was expected.
SANENET_INLINE npy_array parse_npy(const bytes& b, const std::string& fail);

// "(3, 4)", "(5,)".
SANENET_INLINE std::string shape_text(const std::vector<std::size_t>& shape);

}  // namespace serial

// Every parameter tensor of m as a .npy file in `dir`, and manifest.txt (sn::export_npy below).
SANENET_INLINE void export_npy(const model& m, const std::filesystem::path& dir);

// Reads the export_npy layout in `dir` into m's parameters (sn::import_npy below).
SANENET_INLINE void import_npy(model& m, const std::filesystem::path& dir);

}  // namespace detail

// Writes dense<i>_weight.npy (out x in, PyTorch nn.Linear layout) and dense<i>_bias.npy for
// every Dense layer of `net`, layernorm<i>_weight.npy and layernorm<i>_bias.npy for every
// LayerNorm, and manifest.txt, into `dir` (created if needed).
// Throws io_error naming the path on any failure.
template <class Net>
    requires requires(const Net& n) {
        { n.engine() } -> std::convertible_to<const detail::model&>;
    }
void export_npy(const Net& net, const std::filesystem::path& dir) {
    const detail::read_use use(net.engine(), "export_npy");
    detail::export_npy(net.engine(), dir);
}

// Reads the export_npy layout from `dir` into net: dense<i>_weight.npy of shape (out, in), as
// PyTorch's nn.Linear.weight, dense<i>_bias.npy (out,), layernorm<i>_weight.npy and
// layernorm<i>_bias.npy (width,), dtype '<f4' or '<f8' (converted to float), C order. Every file,
// its shape, dtype and values, and the number of layers are checked before anything changes: an
// io_error names the file, the layer and both shapes, and leaves net unchanged. Other files
// (manifest.txt) are ignored.
template <class Net>
    requires requires(Net& n) {
        { n.engine() } -> std::convertible_to<detail::model&>;
    }
void import_npy(Net& net, const std::filesystem::path& dir) {
    // An sn::AnyNetwork loaded from a bf16 file runs its rounded copy of the weights: new ones go
    // into the fp32 network, quantized again.
    if constexpr (requires { net.precision(); })
        if (net.precision() != Precision::fp32)
            throw argument_error(std::string("import_npy: this network holds ") + precision_name(net.precision()) +
                                 " weights, for inference only; import into the fp32 network, then sn::quantize it");
    const detail::write_use use(net.engine(), "import_npy");
    detail::import_npy(net.engine(), dir);
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

namespace serial {

SANENET_INLINE bytes npy_file(const std::vector<std::size_t>& shape, const float* values, std::size_t count) {
    std::string dims = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1) dims += ",";
    dims += ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";
    // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64 ending in '\n'.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    bytes b;
    b.reserve(10 + header.size() + 4 * count);
    const unsigned char preamble[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    put_raw(b, preamble, sizeof preamble);
    b.push_back(static_cast<unsigned char>(header.size() & 0xff));
    b.push_back(static_cast<unsigned char>(header.size() >> 8));
    put_raw(b, header.data(), header.size());
    put_floats(b, values, count);
    return b;
}

// Each parameter tensor of m in the export_npy layout, in file order: f(file, layer, t), with
// file such as "dense0_weight.npy" (the stem counts that kind's layers from 0) and layer such
// as "layer 1 Dense<256>". export_npy writes these files, import_npy reads them.
template <class F>
void for_each_npy_tensor(const model& m, F&& f) {
    std::size_t ordinal[kind_count] = {};
    for (const stage& st : m.stages()) {
        const char* stem_of_kind = visit_kind(st.k, [&]<kind K>() { return layer_ops<K>::stem; });
        if (!stem_of_kind) continue;
        const std::string stem = stem_of_kind + std::to_string(ordinal[static_cast<unsigned>(st.k)]++);
        const std::string layer = "layer " + std::to_string(st.spec) + " " + layer_name(m.specs()[st.spec]);
        visit_kind(st.k, [&]<kind K>() {
            layer_ops<K>::tensors(m.specs()[st.spec], st, [&](const tensor& t) { f(stem + "_" + t.name + ".npy", layer, t); });
        });
    }
}

}  // namespace serial

SANENET_INLINE void export_npy(const model& m, const std::filesystem::path& dir) {
    using namespace serial;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw io_error("cannot export to " + quoted(dir) + ": creating the directory: " + ec.message());
    if (!std::filesystem::is_directory(dir, ec))
        throw io_error("cannot export to " + quoted(dir) + ": it exists and is not a directory");

    std::string manifest = "# sanenet export_npy: " + task_name(m.task()) +
                           "; float32 little-endian; weights (out, in) as PyTorch nn.Linear.weight, biases (out,)\n"
                           "# file shape layer\n";
    std::vector<float> transposed;
    serial::for_each_npy_tensor(m, [&](const std::string& file, const std::string& layer, const tensor& t) {
        const float* v = m.params() + t.offset;
        std::string shape;
        if (t.cols) {  // rows x cols row-major, written transposed: (cols, rows), as nn.Linear.weight
            transposed.resize(t.size());
            for (std::size_t r = 0; r < t.rows; ++r)
                for (std::size_t c = 0; c < t.cols; ++c) transposed[c * t.rows + r] = v[r * t.cols + c];
            write_file_atomically(dir / file, npy_file({t.cols, t.rows}, transposed.data(), t.size()), "export");
            shape = "(" + std::to_string(t.cols) + ", " + std::to_string(t.rows) + ")";
        } else {
            write_file_atomically(dir / file, npy_file({t.rows}, v, t.rows), "export");
            shape = "(" + std::to_string(t.rows) + ",)";
        }
        manifest += file + " " + shape + " " + layer + "\n";
    });
    const bytes text(manifest.begin(), manifest.end());
    write_file_atomically(dir / "manifest.txt", text, "export");
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

namespace serial {

SANENET_INLINE std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

// The header's Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
class npy_header_parser {
public:
    explicit npy_header_parser(std::string_view text) : t_(text) {}
    bool parse(std::string& descr, bool& fortran, std::vector<std::size_t>& shape, bool& has_descr, bool& has_order,
               bool& has_shape) {
        if (!eat('{')) return false;
        for (;;) {
            if (eat('}')) return true;
            std::string key;
            if (!string(key) || !eat(':')) return false;
            if (key == "descr") {
                if (!string(descr)) return false;
                has_descr = true;
            } else if (key == "fortran_order") {
                if (word("True"))
                    fortran = true;
                else if (word("False"))
                    fortran = false;
                else
                    return false;
                has_order = true;
            } else if (key == "shape") {
                if (!eat('(')) return false;
                shape.clear();
                while (!eat(')')) {
                    skip();
                    std::size_t v = 0, digits = 0;
                    while (i_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[i_])) && digits < 19)
                        v = v * 10 + static_cast<std::size_t>(t_[i_++] - '0'), ++digits;
                    if (!digits) return false;
                    shape.push_back(v);
                    if (!eat(',') && !(skip(), i_ < t_.size() && t_[i_] == ')')) return false;
                }
                has_shape = true;
            } else {
                return false;
            }
            if (!eat(',') && !(skip(), i_ < t_.size() && t_[i_] == '}')) return false;
        }
    }

private:
    void skip() {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t')) ++i_;
    }
    bool eat(char c) {
        skip();
        if (i_ < t_.size() && t_[i_] == c) return ++i_, true;
        return false;
    }
    bool word(std::string_view w) {
        skip();
        if (t_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    bool string(std::string& out) {
        skip();
        if (i_ >= t_.size() || (t_[i_] != '\'' && t_[i_] != '"')) return false;
        const char q = t_[i_++];
        const std::size_t end = t_.find(q, i_);
        if (end == std::string_view::npos) return false;
        out = std::string(t_.substr(i_, end - i_));
        i_ = end + 1;
        return true;
    }
    std::string_view t_;
    std::size_t i_ = 0;
};

SANENET_INLINE npy_array parse_npy(const bytes& b, const std::string& fail) {
    static constexpr unsigned char magic_npy[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (b.size() < 10 || std::memcmp(b.data(), magic_npy, 6) != 0)
        throw io_error(fail + (b.size() < 10 ? "truncated: " + std::to_string(b.size()) + " bytes, not an NPY file"
                                             : std::string("not an NPY file (no \\x93NUMPY magic)")));
    const unsigned major = b[6];
    if (major < 1 || major > 3)
        throw io_error(fail + "NPY format version " + std::to_string(major) + "." + std::to_string(b[7]) +
                       ", expected 1.0, 2.0 or 3.0");
    const std::size_t len_size = major == 1 ? 2 : 4;
    if (b.size() < 8 + len_size) throw io_error(fail + "truncated in the header length");
    std::size_t header_len = b[8] | static_cast<std::size_t>(b[9]) << 8;
    if (len_size == 4) header_len |= static_cast<std::size_t>(b[10]) << 16 | static_cast<std::size_t>(b[11]) << 24;
    const std::size_t data_at = 8 + len_size + header_len;
    if (b.size() < data_at)
        throw io_error(fail + "truncated: the header ends at byte " + std::to_string(data_at) + ", the file has " +
                       std::to_string(b.size()) + " bytes");
    const std::string_view text(reinterpret_cast<const char*>(b.data()) + 8 + len_size, header_len);
    std::string descr;
    bool fortran = false, has_descr = false, has_order = false, has_shape = false;
    npy_array a;
    if (!npy_header_parser(text).parse(descr, fortran, a.shape, has_descr, has_order, has_shape) || !has_descr || !has_order ||
        !has_shape)
        throw io_error(fail + "malformed NPY header (expected {'descr': ..., 'fortran_order': ..., 'shape': (...)}): " +
                       std::string(text.substr(0, std::min<std::size_t>(text.size(), 120))));
    if (descr != "<f4" && descr != "<f8")
        throw io_error(fail + "dtype '" + descr + "', expected '<f4' (float32) or '<f8' (float64, converted to float32)");
    if (fortran)
        throw io_error(fail +
                       "the array is in Fortran (column-major) order, expected C order: save np.ascontiguousarray(a) "
                       "or torch's tensor.numpy()");
    std::size_t count = 1;
    for (std::size_t d : a.shape) {
        if (d != 0 && count > (std::size_t{1} << 40) / d) throw io_error(fail + "shape " + shape_text(a.shape) + " is too large");
        count *= d;
    }
    const std::size_t item = descr == "<f4" ? 4 : 8, need = count * item, have = b.size() - data_at;
    if (have != need)
        throw io_error(fail + (have < need ? "truncated" : "trailing data") + ": shape " + shape_text(a.shape) + " of '" + descr +
                       "' needs " + std::to_string(need) + " bytes of data, the file has " + std::to_string(have));
    a.values.resize(count);
    const unsigned char* p = b.data() + data_at;
    if (item == 4) {
        get_floats(p, a.values.data(), count);
    } else {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint64_t u = 0;
            for (int k = 0; k < 8; ++k) u |= static_cast<std::uint64_t>(p[8 * i + static_cast<std::size_t>(k)]) << (8 * k);
            a.values[i] = static_cast<float>(std::bit_cast<double>(u));
        }
    }
    return a;
}

}  // namespace serial

SANENET_INLINE void import_npy(model& m, const std::filesystem::path& dir) {
    using namespace serial;
    const std::string fail = "cannot import from " + quoted(dir) + ": ";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw io_error(fail + "not a directory");

    // The layer count first: the largest index of each stem's files against the network's.
    std::map<std::string, std::size_t> in_dir, in_net;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        for (const char* stem : {"dense", "layernorm"}) {
            const std::size_t n = std::strlen(stem);
            if (name.compare(0, n, stem) != 0) continue;
            std::size_t i = n, index = 0;
            while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && i < n + 9)
                index = index * 10 + static_cast<std::size_t>(name[i++] - '0');
            if (i == n ||
                (name.compare(i, std::string::npos, "_weight.npy") != 0 && name.compare(i, std::string::npos, "_bias.npy") != 0))
                continue;
            in_dir[stem] = std::max(in_dir[stem], index + 1);
        }
    }
    if (ec) throw io_error(fail + "listing the directory: " + ec.message());
    for (const stage& st : m.stages())
        if (const char* stem = visit_kind(st.k, [&]<kind K>() { return layer_ops<K>::stem; })) ++in_net[stem];
    for (const char* stem : {"dense", "layernorm"}) {
        const std::size_t d = in_dir[stem], n = in_net[stem];
        if (d == n) continue;
        const auto files = [&](std::size_t count) {
            return count == 0
                       ? std::string("none")
                       : std::string(stem) + "0" + (count > 1 ? " to " + std::string(stem) + std::to_string(count - 1) : "");
        };
        throw io_error(fail + "wrong layer count: the directory holds " + std::to_string(d) + " " + stem + " layer" +
                       (d == 1 ? "" : "s") + " (" + files(d) + "), the network has " + std::to_string(n) + " (" + files(n) +
                       "): the model the files come from has another architecture");
    }

    // Every file read and checked into a copy of the parameters; m changes only at the end.
    std::vector<float> staged(m.params(), m.params() + m.parameter_count());
    serial::for_each_npy_tensor(m, [&](const std::string& file, const std::string& layer, const tensor& t) {
        const std::filesystem::path path = dir / file;
        const std::vector<std::size_t> want =
            t.cols ? std::vector<std::size_t>{t.cols, t.rows} : std::vector<std::size_t>{t.rows};
        const std::string what = fail + file + " (" + layer + ", " + t.name + " of shape " + shape_text(want) + "): ";
        std::error_code exists_ec;
        if (!std::filesystem::exists(path, exists_ec)) throw io_error(what + "the file is missing");
        // A file of this tensor holds at most 8 bytes a value ('<f8') after a header that needs
        // far less than 1 MiB: no more than that is read, whatever the file's size.
        const std::size_t values = t.rows * (t.cols ? t.cols : 1);
        const std::size_t bound = 8 * values + (std::size_t{1} << 20);
        std::uint64_t on_disk = 0;
        const bytes b = read_file_head(path, "NPY file", bound + 1, on_disk);
        if (on_disk > bound)
            throw io_error(what + "the file is " + std::to_string(on_disk) + " bytes, more than the " + std::to_string(bound) +
                           " a file of " + std::to_string(values) + " values can be (8 bytes each, and a header under 1 MiB)");
        const npy_array a = parse_npy(b, what);
        if (a.shape != want)
            throw io_error(what + "the file holds shape " + shape_text(a.shape) + ", the layer needs " + shape_text(want) +
                           (t.cols ? " (out, in), as PyTorch's nn.Linear.weight" : ""));
        for (std::size_t i = 0; i < a.values.size(); ++i)
            if (!std::isfinite(a.values[i]))
                throw io_error(what + "value " + std::to_string(i) + " is " +
                               (std::isnan(a.values[i]) ? "NaN" : "infinite (or beyond float's range)") +
                               ", expected finite values");
        float* dst = staged.data() + t.offset;
        if (t.cols) {  // (cols, rows) in the file, rows x cols in sanenet
            for (std::size_t r = 0; r < t.rows; ++r)
                for (std::size_t c = 0; c < t.cols; ++c) dst[r * t.cols + c] = a.values[c * t.rows + r];
        } else {
            std::copy(a.values.begin(), a.values.end(), dst);
        }
    });
    std::copy(staged.begin(), staged.end(), m.params());
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
