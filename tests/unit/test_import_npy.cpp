// sn::import_npy (issue 15): the export_npy layout read back; PyTorch's nn.Linear layout checked
// against a double-precision forward pass written here; every bad file (missing, wrong shape,
// dtype, layer count, Fortran order, truncated, malformed, non-finite) refused with a message
// naming the file, the layer and both shapes, the network left untouched. The NPY files are
// written by this test's own writer, from the NPY format's specification.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

using Net = sn::Network<sn::Regression, sn::Input<4>, sn::Dropout<0.9>, sn::Dense<16, sn::He>, sn::Tanh, sn::Dense<9>,
                        sn::LayerNorm, sn::GELU, sn::Dense<3>, sn::Identity>;

// An NPY file: magic, version, header length, the dict padded with spaces to a multiple of 64
// ending in '\n', the data.
bytes npy(const std::string& descr, const std::string& shape, const bytes& data, bool fortran = false, int version = 1) {
    std::string header =
        "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    const std::size_t len_size = version == 1 ? 2 : 4;
    header.append((64 - (8 + len_size + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(version), 0};
    for (std::size_t i = 0; i < len_size; ++i) b.push_back(static_cast<unsigned char>(header.size() >> (8 * i)));
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}
bytes f4(const std::vector<float>& v) {
    bytes b;
    for (float x : v)
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(std::bit_cast<std::uint32_t>(x) >> (8 * i)));
    return b;
}
bytes f8(const std::vector<double>& v) {
    bytes b;
    for (double x : v)
        for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(std::bit_cast<std::uint64_t>(x) >> (8 * i)));
    return b;
}
std::string dims(std::size_t a, std::size_t b = 0) {
    return b ? "(" + std::to_string(a) + ", " + std::to_string(b) + ")" : "(" + std::to_string(a) + ",)";
}

// Values a PyTorch model could hold, in torch's layout: W (out x in) row-major, b (out).
struct torch_layer {
    std::size_t in, out;
    std::vector<double> w, b;
};
torch_layer make_layer(std::size_t in, std::size_t out, std::uint64_t seed) {
    torch_layer l{in, out, {}, {}};
    const sn::matrix r = normal_matrix(out * in + out, 1, seed);
    for (std::size_t i = 0; i < out * in; ++i) l.w.push_back(0.4 * r(i, 0));
    for (std::size_t i = 0; i < out; ++i) l.b.push_back(0.1 * r(out * in + i, 0));
    return l;
}

struct torch_model {
    torch_layer d0 = make_layer(4, 16, 1), d1 = make_layer(16, 9, 2), d2 = make_layer(9, 3, 3);
    std::vector<double> gain, shift;
    torch_model() {
        for (int j = 0; j < 9; ++j) gain.push_back(1.0 + 0.05 * j), shift.push_back(0.02 * j - 0.1);
    }
    // Writes the files as a PyTorch user would: np.save of each state_dict tensor, float32 or float64.
    void write(const fs::path& dir, bool as_double = false) const {
        const auto put = [&](const std::string& name, const std::vector<double>& v, const std::string& shape) {
            if (as_double)
                write_file(dir / name, npy("<f8", shape, f8(v)));
            else
                write_file(dir / name, npy("<f4", shape, f4(std::vector<float>(v.begin(), v.end()))));
        };
        int i = 0;
        for (const torch_layer* l : {&d0, &d1, &d2}) {
            put("dense" + std::to_string(i) + "_weight.npy", l->w, dims(l->out, l->in));
            put("dense" + std::to_string(i) + "_bias.npy", l->b, dims(l->out));
            ++i;
        }
        put("layernorm0_weight.npy", gain, dims(9));
        put("layernorm0_bias.npy", shift, dims(9));
    }
    // The forward pass in double: y = x W^T + b, Tanh, LayerNorm (eps 1e-5, biased variance), GELU.
    std::vector<double> forward(const std::vector<double>& x) const {
        const auto linear = [](const torch_layer& l, const std::vector<double>& v) {
            std::vector<double> y(l.out);
            for (std::size_t o = 0; o < l.out; ++o) {
                double s = l.b[o];
                for (std::size_t i = 0; i < l.in; ++i) s += static_cast<double>(static_cast<float>(l.w[o * l.in + i])) * v[i];
                y[o] = s;
            }
            return y;
        };
        std::vector<double> h = linear(d0, x);
        for (double& v : h) v = std::tanh(v);
        h = linear(d1, h);
        double mean = 0, var = 0;
        for (double v : h) mean += v / 9.0;
        for (double v : h) var += (v - mean) * (v - mean) / 9.0;
        for (std::size_t j = 0; j < 9; ++j) {
            const double n = (h[j] - mean) / std::sqrt(var + 1e-5) * static_cast<float>(gain[j]) + static_cast<float>(shift[j]);
            h[j] = 0.5 * n * (1.0 + std::erf(n / std::sqrt(2.0)));
        }
        return linear(d2, h);
    }
};

}  // namespace

TEST_CASE("import_npy reads PyTorch's layout: predictions match a double-precision forward pass of the torch weights") {
    for (bool as_double : {false, true}) {
        CAPTURE(as_double);
        temp_dir dir("torch");
        const torch_model t;
        t.write(dir.path, as_double);
        Net net{sn::Seed{4}};
        sn::import_npy(net, dir.path);
        const sn::matrix x = normal_matrix(50, 4, 9);
        const sn::matrix p = net.predict(x, 1);
        double worst = 0;
        for (std::size_t r = 0; r < 50; ++r) {
            const std::vector<double> y = t.forward({x(r, 0), x(r, 1), x(r, 2), x(r, 3)});
            for (std::size_t j = 0; j < 3; ++j) worst = std::max(worst, std::fabs(y[j] - p(r, j)));
        }
        CHECK(worst < 2e-6);
        // The weight (out, in) lands transposed in sanenet's in x out: W[i][o] = torch W[o][i].
        const auto& st = net.engine().stages()[1];
        REQUIRE(st.k == sn::detail::kind::dense);
        CHECK(net.engine().params()[st.w + 2 * 16 + 5] == static_cast<float>(t.d0.w[5 * 4 + 2]));
    }
}

TEST_CASE("export_npy then import_npy restores every parameter bit for bit, and files other than the layout are ignored") {
    temp_dir dir("round_trip");
    Net a{sn::Seed{1}}, b{sn::Seed{2}};
    float* p = a.engine().params();
    for (std::size_t i = 0; i < Net::parameter_count; ++i) p[i] += 0.001f * static_cast<float>(i % 13);
    sn::export_npy(a, dir.path);
    write_file(dir.path / "notes.txt", std::string("not a weight"));
    write_file(dir.path / "dense_weight.npy", std::string("no index: not the layout"));
    sn::import_npy(b, dir.path);
    CHECK(params_of(b) == params_of(a));
}

TEST_CASE("every bad file is refused before anything changes, naming the file, the layer and both shapes") {
    temp_dir dir("bad");
    const torch_model t;
    Net net{sn::Seed{3}};
    const std::vector<float> before = params_of(net);
    const auto refused = [&](const std::string& expected_part) {
        const std::string msg = message_of<sn::io_error>([&] { sn::import_npy(net, dir.path); });
        CHECK(params_of(net) == before);
        CHECK_MESSAGE(contains(msg, expected_part), msg);
        return msg;
    };
    // Every file but the one a case breaks is good, and the broken one is the last to be read
    // (layernorm0, dense2) where possible, so that a partial import would have changed the network.
    t.write(dir.path);

    SUBCASE("a missing file") {
        fs::remove(dir.path / "dense2_bias.npy");
        refused("dense2_bias.npy (layer 7 Dense<3>, bias of shape (3,)): the file is missing");
    }
    SUBCASE("a wrong shape: one input more") {
        write_file(dir.path / "dense2_weight.npy", npy("<f4", dims(3, 10), f4(std::vector<float>(30, 0.5f))));
        const std::string msg = refused("dense2_weight.npy (layer 7 Dense<3>, weight of shape (3, 9)): ");
        CHECK(contains(msg, "the file holds shape (3, 10), the layer needs (3, 9) (out, in), as PyTorch's nn.Linear.weight"));
    }
    SUBCASE("a wrong shape: the weight transposed (in, out)") {
        write_file(dir.path / "dense2_weight.npy", npy("<f4", dims(9, 3), f4(std::vector<float>(27, 0.5f))));
        refused("the file holds shape (9, 3), the layer needs (3, 9)");
    }
    SUBCASE("a wrong shape: a bias as a column") {
        write_file(dir.path / "layernorm0_bias.npy", npy("<f4", dims(9, 1), f4(std::vector<float>(9, 0.5f))));
        refused("layernorm0_bias.npy (layer 5 LayerNorm, bias of shape (9,)): the file holds shape (9, 1), the layer needs (9,)");
    }
    SUBCASE("a wrong dtype: int32, big-endian float32, float16") {
        for (const char* d : {"<i4", ">f4", "<f2"}) {
            write_file(dir.path / "dense2_bias.npy", npy(d, dims(3), f4({1.f, 2.f, 3.f})));
            CAPTURE(d);
            refused(std::string("dense2_bias.npy (layer 7 Dense<3>, bias of shape (3,)): dtype '") + d +
                    "', expected '<f4' (float32) or '<f8'");
        }
    }
    SUBCASE("a wrong layer count: one Dense more in the directory, or one fewer") {
        write_file(dir.path / "dense3_weight.npy", npy("<f4", dims(1, 3), f4({1.f, 2.f, 3.f})));
        write_file(dir.path / "dense3_bias.npy", npy("<f4", dims(1), f4({1.f})));
        refused("wrong layer count: the directory holds 4 dense layers (dense0 to dense3), the network has 3 (dense0 to dense2)");
        fs::remove(dir.path / "dense3_weight.npy");
        fs::remove(dir.path / "dense3_bias.npy");
        fs::remove(dir.path / "dense2_weight.npy");
        fs::remove(dir.path / "dense2_bias.npy");
        refused("wrong layer count: the directory holds 2 dense layers (dense0 to dense1), the network has 3");
    }
    SUBCASE("a wrong layer count: LayerNorm files for a network without LayerNorm") {
        using Plain = sn::Network<sn::Regression, sn::Input<4>, sn::Dropout<0.9>, sn::Dense<16, sn::He>, sn::Tanh, sn::Dense<9>,
                                  sn::GELU, sn::Dense<3>, sn::Identity>;
        Plain plain{sn::Seed{5}};
        const auto plain_before = params_of(plain);
        CHECK(contains(message_of<sn::io_error>([&] { sn::import_npy(plain, dir.path); }),
                       "the directory holds 1 layernorm layer (layernorm0), the network has 0 (none)"));
        CHECK(params_of(plain) == plain_before);
    }
    SUBCASE("Fortran order") {
        write_file(dir.path / "dense2_weight.npy", npy("<f4", dims(3, 9), f4(std::vector<float>(27, 0.5f)), true));
        refused("dense2_weight.npy (layer 7 Dense<3>, weight of shape (3, 9)): the array is in Fortran (column-major) order");
    }
    SUBCASE("truncated: the data, the header, the header length, the magic") {
        bytes b = npy("<f4", dims(3, 9), f4(std::vector<float>(27, 0.5f)));
        write_file(dir.path / "dense2_weight.npy", bytes(b.begin(), b.end() - 5));
        refused("truncated: shape (3, 9) of '<f4' needs 108 bytes of data, the file has 103");
        write_file(dir.path / "dense2_weight.npy", bytes(b.begin(), b.begin() + 40));
        refused("truncated: the header ends at byte 128, the file has 40 bytes");
        write_file(dir.path / "dense2_weight.npy", bytes(b.begin(), b.begin() + 9));
        refused("dense2_weight.npy (layer 7 Dense<3>, weight of shape (3, 9)): truncated: 9 bytes, not an NPY file");
        write_file(dir.path / "dense2_weight.npy", bytes{});
        refused("truncated: 0 bytes, not an NPY file");
    }
    SUBCASE("trailing data after the array") {
        bytes b = npy("<f4", dims(3), f4({1.f, 2.f, 3.f, 4.f}));
        write_file(dir.path / "dense2_bias.npy", b);
        refused("trailing data: shape (3,) of '<f4' needs 12 bytes of data, the file has 16");
    }
    SUBCASE("not an NPY file, an unknown NPY version, a malformed header") {
        write_file(dir.path / "dense2_bias.npy", std::string("PK\x03\x04 a zip file, not an array"));
        refused("not an NPY file (no \\x93NUMPY magic)");
        bytes v9 = npy("<f4", dims(3), f4({1.f, 2.f, 3.f}));
        v9[6] = 9;
        write_file(dir.path / "dense2_bias.npy", v9);
        refused("NPY format version 9.0, expected 1.0, 2.0 or 3.0");
        write_file(dir.path / "dense2_bias.npy", npy("<f4", "3", f4({1.f, 2.f, 3.f})));  // shape not a tuple
        refused("malformed NPY header");
    }
    SUBCASE("a NaN or a float64 beyond float's range") {
        write_file(dir.path / "dense2_bias.npy", npy("<f4", dims(3), f4({1.f, std::nanf(""), 3.f})));
        refused("dense2_bias.npy (layer 7 Dense<3>, bias of shape (3,)): value 1 is NaN");
        write_file(dir.path / "dense2_bias.npy", npy("<f8", dims(3), f8({1.0, 2.0, 1e300})));
        refused("value 2 is infinite (or beyond float's range)");
    }
    SUBCASE("not a directory") {
        const std::string msg = message_of<sn::io_error>([&] { sn::import_npy(net, dir.path / "absent"); });
        CHECK(contains(msg, "absent': not a directory"));
        CHECK(params_of(net) == before);
    }
    SUBCASE("positive control: NPY 2.0 and 3.0 headers load too") {
        write_file(dir.path / "dense2_bias.npy", npy("<f4", dims(3), f4({1.f, 2.f, 3.f}), false, 2));
        write_file(dir.path / "layernorm0_bias.npy", npy("<f8", dims(9), f8(std::vector<double>(9, 0.25)), false, 3));
        sn::import_npy(net, dir.path);
        CHECK(params_of(net) != before);
        CHECK(net.engine().params()[Net::parameter_count - 1] == 3.f);
    }
}
