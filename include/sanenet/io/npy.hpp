// sn::export_npy(net, dir): every parameter tensor as a NumPy .npy file, for NumPy and
// PyTorch interop, plus a manifest.txt.
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

#include <concepts>
#include <cstddef>
#include <filesystem>
#include <vector>
#if SANENET_DEFINITIONS
#include <string>
#include <system_error>
#endif

namespace sanenet::inline SANENET_ABI {

namespace detail {

namespace serial {

// A complete NPY 1.0 file of float32 values in C order.
SANENET_INLINE bytes npy_file(const std::vector<std::size_t>& shape, const float* values, std::size_t count);

}  // namespace serial

// Every parameter tensor of m as a .npy file in `dir`, and manifest.txt (sn::export_npy below).
SANENET_INLINE void export_npy(const model& m, const std::filesystem::path& dir);

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
    std::size_t ordinal[kind_count] = {};
    for (const stage& st : m.stages()) {
        const char* stem_of_kind = visit_kind(st.k, [&]<kind K>() { return layer_ops<K>::stem; });
        if (!stem_of_kind) continue;
        const std::string stem = stem_of_kind + std::to_string(ordinal[static_cast<unsigned>(st.k)]++);
        const std::string layer = "layer " + std::to_string(st.spec) + " " + layer_name(m.specs()[st.spec]);
        visit_kind(st.k, [&]<kind K>() {
            layer_ops<K>::tensors(m.specs()[st.spec], st, [&](const tensor& t) {
                const std::string file = stem + "_" + t.name + ".npy";
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
        });
    }
    const bytes text(manifest.begin(), manifest.end());
    write_file_atomically(dir / "manifest.txt", text, "export");
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
