// Fuzz target: the .npy reader (parse_npy, io/npy.hpp) on any bytes, and sn::import_npy with the
// input as the weight file of a Dense<2> layer on Input<3>. What parse_npy accepts must hold the
// shape of its header and the values of its data section, decoded here ('<f4' or '<f8', little
// endian, C order); what import_npy accepts must be those values, transposed from PyTorch's
// (out, in); a failed import must leave the network as it was.
#include "fuzz_support.hpp"

#include <bit>
#include <algorithm>
#include <cstring>
#include <optional>

namespace sn = sanenet;

namespace {

using Tiny = sn::Network<sn::Regression, sn::Allow<sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>, sn::Input<3>,
                         sn::Dense<2>, sn::Identity>;

// A directory in memory (/dev/shm when there is one) holding dense0_bias.npy, a valid (2,) file;
// the input goes to dense0_weight.npy.
struct import_dir {
    std::filesystem::path path;
    import_dir() {
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                                     : std::filesystem::temp_directory_path();
        path = base / ("sanenet_fuzz_npy_" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
        const float bias[2] = {0.5f, -0.25f};
        sanenet_fuzz::seed(path, "dense0_bias.npy", sn::detail::serial::npy_file({2}, bias, 2));
    }
    ~import_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

std::uint64_t le(const std::uint8_t* p, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

bool same(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (a != a && b != b); }

// The element i of the data section (item 4 or 8 bytes) as the format defines it.
float element(const std::uint8_t* data, std::size_t item, std::size_t i) {
    if (item == 4) return std::bit_cast<float>(static_cast<std::uint32_t>(le(data + 4 * i, 4)));
    return static_cast<float>(std::bit_cast<double>(le(data + 8 * i, 8)));
}

}  // namespace

void fuzz_one(const std::uint8_t* data, std::size_t size) {
    std::optional<sn::detail::serial::npy_array> parsed;
    try {
        parsed = sn::detail::serial::parse_npy(sn::detail::serial::bytes(data, data + size), "fuzz: ");
    } catch (const sn::io_error&) {
        // refused: import_npy must refuse it too (checked below)
    }
    if (parsed) {
        const auto& a = *parsed;
        std::size_t count = 1;
        for (std::size_t d : a.shape) count *= d;
        if (a.values.size() != count) sanenet_fuzz::fail("parse_npy: the values do not fill the header's shape");
        const std::size_t data_at = 8 + (data[6] == 1 ? 2 + le(data + 8, 2) : 4 + le(data + 8, 4));
        if (count && (size - data_at) % count) sanenet_fuzz::fail("parse_npy: accepted a data section of the wrong size");
        const std::size_t item = count ? (size - data_at) / count : 4;
        if (item != 4 && item != 8) sanenet_fuzz::fail("parse_npy: accepted items of neither 4 nor 8 bytes");
        for (std::size_t i = 0; i < count; ++i)
            if (!same(a.values[i], element(data + data_at, item, i))) sanenet_fuzz::fail("parse_npy: a value decoded wrongly");
    }

    static const import_dir dir;
    static Tiny net{sn::Seed{1}};
    sanenet_fuzz::seed(dir.path, "dense0_weight.npy", sn::detail::serial::bytes(data, data + size));
    const std::vector<float> before(net.engine().params(), net.engine().params() + net.engine().parameter_count());
    try {
        sn::import_npy(net, dir.path);
    } catch (const sn::io_error&) {
        if (std::memcmp(before.data(), net.engine().params(), before.size() * sizeof(float)) != 0)
            sanenet_fuzz::fail("a failed import_npy changed the network");
        return;
    }
    if (!parsed || parsed->shape != std::vector<std::size_t>{2, 3})
        sanenet_fuzz::fail("import_npy accepted a file parse_npy refuses, or of another shape");
    const auto& a = *parsed;
    // sanenet's weight is in x out (3 x 2), the file's (out, in) = (2, 3).
    const float* w = net.engine().params();
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 2; ++c)
            if (!same(w[r * 2 + c], a.values[c * 3 + r])) sanenet_fuzz::fail("import_npy: a weight is not the file's");
}

void write_seeds(const std::filesystem::path& dir) {
    using sn::detail::serial::npy_file;
    const float w[6] = {1.f, -2.f, 0.5f, 3.25f, -0.f, 1e-3f};
    sanenet_fuzz::seed(dir, "weight_2x3_f4.npy", npy_file({2, 3}, w, 6));
    sanenet_fuzz::seed(dir, "bias_2_f4.npy", npy_file({2}, w, 2));
    sanenet_fuzz::seed(dir, "wrong_shape_3x2.npy", npy_file({3, 2}, w, 6));
    sanenet_fuzz::seed(dir, "scalar_shape.npy", npy_file({}, w, 1));
    // A file every exporter writes: export_npy of a small network.
    Tiny net{sn::Seed{2}};
    const std::filesystem::path tmp = dir / "export_tmp";
    sn::export_npy(net, tmp);
    sanenet_fuzz::seed(dir, "export_npy_dense0_weight.npy", sanenet_fuzz::read_whole(tmp / "dense0_weight.npy"));
    std::filesystem::remove_all(tmp);
    // '<f8' as numpy writes it (float64 is numpy's default), version 2.0, Fortran order, other dtypes.
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    sn::detail::serial::bytes f8 = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size()), 0};
    f8.insert(f8.end(), header.begin(), header.end());
    for (float v : w) {
        const auto u = std::bit_cast<std::uint64_t>(static_cast<double>(v));
        for (int k = 0; k < 8; ++k) f8.push_back(static_cast<unsigned char>(u >> (8 * k)));
    }
    sanenet_fuzz::seed(dir, "weight_2x3_f8.npy", f8);
    sn::detail::serial::bytes v2 = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, static_cast<unsigned char>(header.size()), 0, 0, 0};
    v2.insert(v2.end(), header.begin(), header.end());
    v2.insert(v2.end(), f8.end() - 48, f8.end());
    sanenet_fuzz::seed(dir, "weight_2x3_f8_v2.npy", v2);
    auto fortran = npy_file({2, 3}, w, 6);
    const std::string t = "'fortran_order': False";
    auto at = std::search(fortran.begin(), fortran.end(), t.begin(), t.end());
    if (at != fortran.end()) std::copy_n("'fortran_order': True ", t.size(), at);
    sanenet_fuzz::seed(dir, "fortran_order.npy", fortran);
    auto i4 = npy_file({2, 3}, w, 6);
    const std::string d = "'<f4'";
    at = std::search(i4.begin(), i4.end(), d.begin(), d.end());
    if (at != i4.end()) std::copy_n("'<i4'", d.size(), at);
    sanenet_fuzz::seed(dir, "dtype_i4.npy", i4);
    sanenet_fuzz::seed(dir, "magic_only", std::string("\x93NUMPY", 6));
    sanenet_fuzz::seed(dir, "not_npy", std::string("PK\x03\x04 zip"));
}
