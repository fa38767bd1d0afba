// sn::export_npy: one NPY 1.0 file per Dense weight (PyTorch nn.Linear layout) and bias, and a manifest.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

using Net = sn::Network<sn::Classification<3>, sn::Input<4>, sn::Dropout<0.9>, sn::Dense<16, sn::He>, sn::ReLU, sn::Dense<3>,
                        sn::Softmax>;

struct npy {
    std::string header;
    std::vector<float> values;
};

// Parses an NPY 1.0 file, checking the preamble and the 64-byte alignment of the data.
npy parse_npy(const fs::path& p) {
    const bytes b = read_bytes(p);
    REQUIRE(b.size() >= 10);
    CHECK(b[0] == 0x93);
    CHECK(std::string(b.begin() + 1, b.begin() + 6) == "NUMPY");
    CHECK(b[6] == 1);
    CHECK(b[7] == 0);
    const std::size_t header_len = b[8] | (static_cast<std::size_t>(b[9]) << 8);
    REQUIRE(b.size() >= 10 + header_len);
    CHECK((10 + header_len) % 64 == 0);
    npy out;
    out.header.assign(b.begin() + 10, b.begin() + 10 + static_cast<std::ptrdiff_t>(header_len));
    CHECK(out.header.back() == '\n');
    const std::size_t data = b.size() - 10 - header_len;
    REQUIRE(data % 4 == 0);
    for (std::size_t i = 0; i < data / 4; ++i) {
        const unsigned char* q = b.data() + 10 + header_len + 4 * i;
        const std::uint32_t u = q[0] | (static_cast<std::uint32_t>(q[1]) << 8) | (static_cast<std::uint32_t>(q[2]) << 16) |
                                (static_cast<std::uint32_t>(q[3]) << 24);
        out.values.push_back(std::bit_cast<float>(u));
    }
    return out;
}

bool same_bits(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

}  // namespace

TEST_CASE("export_npy writes every Dense weight transposed to (out, in) and every bias as float32 NPY") {
    temp_dir dir("export");
    Net net{sn::Seed{21}};
    float* p = net.engine().params();
    for (std::size_t i = 0; i < net.engine().parameter_count(); ++i) p[i] += 0.001f * static_cast<float>(i);
    const fs::path out = dir.path / "nested" / "weights";  // created, parents included
    sn::export_npy(net, out);

    for (const char* name : {"dense0_weight.npy", "dense0_bias.npy", "dense1_weight.npy", "dense1_bias.npy", "manifest.txt"})
        CHECK(fs::is_regular_file(out / name));
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(out)) {
        ++files;
        CHECK(e.path().filename().string().find(".sanenet-tmp") == std::string::npos);
    }
    CHECK(files == 5);

    // Engine layout: per Dense, W as in x out row-major, then b.
    struct dense_ref {
        const char* stem;
        std::size_t in, out, w;
    };
    const dense_ref denses[] = {{"dense0", 4, 16, 0}, {"dense1", 16, 3, 4 * 16 + 16}};
    for (const auto& d : denses) {
        CAPTURE(d.stem);
        const npy w = parse_npy(out / (std::string(d.stem) + "_weight.npy"));
        CHECK(contains(w.header, "'descr': '<f4'"));
        CHECK(contains(w.header, "'fortran_order': False"));
        CHECK(contains(w.header, "'shape': (" + std::to_string(d.out) + ", " + std::to_string(d.in) + ")"));
        REQUIRE(w.values.size() == d.in * d.out);
        bool transposed = true;
        for (std::size_t o = 0; o < d.out; ++o)
            for (std::size_t i = 0; i < d.in; ++i)
                transposed = transposed && same_bits(w.values[o * d.in + i], p[d.w + i * d.out + o]);
        CHECK(transposed);

        const npy b = parse_npy(out / (std::string(d.stem) + "_bias.npy"));
        CHECK(contains(b.header, "'descr': '<f4'"));
        CHECK(contains(b.header, "'shape': (" + std::to_string(d.out) + ",)"));
        REQUIRE(b.values.size() == d.out);
        bool equal = true;
        for (std::size_t o = 0; o < d.out; ++o) equal = equal && same_bits(b.values[o], p[d.w + d.in * d.out + o]);
        CHECK(equal);
    }

    const std::string manifest = read_text(out / "manifest.txt");
    CHECK(contains(manifest, "dense0_weight.npy (16, 4) layer 2 Dense<16, He>\n"));
    CHECK(contains(manifest, "dense0_bias.npy (16,) layer 2 Dense<16, He>\n"));
    CHECK(contains(manifest, "dense1_weight.npy (3, 16) layer 4 Dense<3>\n"));
    CHECK(contains(manifest, "dense1_bias.npy (3,) layer 4 Dense<3>\n"));

    SUBCASE("exporting again into the same directory overwrites the files") {
        p[0] = 42.f;
        sn::export_npy(net, out);
        CHECK(same_bits(parse_npy(out / "dense0_weight.npy").values[0], 42.f));
    }
}

TEST_CASE("export_npy into a path under a regular file throws io_error naming the path") {
    temp_dir dir("blocked");
    const fs::path file = dir.path / "plain.txt";
    std::ofstream(file) << "not a directory\n";
    Net net;
    for (const fs::path& target : {file / "weights", file}) {
        CAPTURE(target.string());
        try {
            sn::export_npy(net, target);
            FAIL("no io_error");
        } catch (const sn::io_error& e) {
            CHECK(contains(e.what(), target.string()));
        }
    }
}

TEST_CASE(
    "export_npy writes every LayerNorm gain and bias as layernorm<i>_weight.npy and layernorm<i>_bias.npy, shape (width,)") {
    // Dense 4 -> 19, LayerNorm 19, GELU, Dense 19 -> 17, SiLU, LayerNorm 17, Dense 17 -> 3. The
    // engine's layout, by hand: per Dense W (in x out) then b, per LayerNorm gain then bias.
    using NormNet = sn::Network<sn::Classification<3>, sn::Input<4>, sn::Dense<19, sn::He>, sn::LayerNorm, sn::GELU,
                                sn::Dropout<0.9>, sn::Dense<17>, sn::SiLU, sn::LayerNorm, sn::Dense<3>, sn::Softmax>;
    constexpr std::size_t d0 = 0, n0 = d0 + 4 * 19 + 19, d1 = n0 + 2 * 19, n1 = d1 + 19 * 17 + 17, d2 = n1 + 2 * 17;
    static_assert(NormNet::parameter_count == d2 + 17 * 3 + 3);
    temp_dir dir("layernorm");
    NormNet net{sn::Seed{22}};
    float* p = net.engine().params();
    // Distinct values everywhere, the gains off 1 and the biases off 0.
    for (std::size_t i = 0; i < NormNet::parameter_count; ++i)
        p[i] = 0.5f + 0.001f * static_cast<float>(i) - (i % 3 ? 0.f : 0.75f);
    sn::export_npy(net, dir.path);

    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"dense0_bias.npy", "dense0_weight.npy", "dense1_bias.npy", "dense1_weight.npy",
                                            "dense2_bias.npy", "dense2_weight.npy", "layernorm0_bias.npy",
                                            "layernorm0_weight.npy", "layernorm1_bias.npy", "layernorm1_weight.npy",
                                            "manifest.txt"});

    struct norm_ref {
        const char* stem;
        std::size_t width, gain;
    };
    for (const norm_ref& n : {norm_ref{"layernorm0", 19, n0}, norm_ref{"layernorm1", 17, n1}}) {
        CAPTURE(n.stem);
        for (const bool bias : {false, true}) {
            CAPTURE(bias);
            const npy f = parse_npy(dir.path / (std::string(n.stem) + (bias ? "_bias.npy" : "_weight.npy")));
            CHECK(contains(f.header, "'descr': '<f4'"));
            CHECK(contains(f.header, "'fortran_order': False"));
            CHECK(contains(f.header, "'shape': (" + std::to_string(n.width) + ",)"));
            REQUIRE(f.values.size() == n.width);
            bool equal = true;
            for (std::size_t j = 0; j < n.width; ++j)
                equal = equal && same_bits(f.values[j], p[n.gain + (bias ? n.width : 0) + j]);
            CHECK(equal);
        }
    }
    // The Dense layers are numbered on their own, whatever LayerNorms lie between them.
    const npy w1 = parse_npy(dir.path / "dense1_weight.npy");
    CHECK(contains(w1.header, "'shape': (17, 19)"));
    REQUIRE(w1.values.size() == 19 * 17);
    CHECK(same_bits(w1.values[1], p[d1 + 1 * 17 + 0]));  // (out 0, in 1) = W[in 1][out 0]
    const npy b2 = parse_npy(dir.path / "dense2_bias.npy");
    REQUIRE(b2.values.size() == 3);
    CHECK(same_bits(b2.values[2], p[d2 + 17 * 3 + 2]));

    const std::string manifest = read_text(dir.path / "manifest.txt");
    CHECK(contains(manifest, "layernorm0_weight.npy (19,) layer 2 LayerNorm\n"));
    CHECK(contains(manifest, "layernorm0_bias.npy (19,) layer 2 LayerNorm\n"));
    CHECK(contains(manifest, "layernorm1_weight.npy (17,) layer 7 LayerNorm\n"));
    CHECK(contains(manifest, "layernorm1_bias.npy (17,) layer 7 LayerNorm\n"));
    CHECK(contains(manifest, "dense1_weight.npy (17, 19) layer 5 Dense<17>\n"));
}
