// Fuzz target: Network::load (the model file, io/model_file.hpp, versions 1 to 3) into three
// networks of different shapes, layer kinds and tasks, and sn::load_any. Version 3 (a bf16
// model) loads only through load_any, and then says bf16. A load that fails must
// leave the network as it was; a load that succeeds must hold exactly the parameters and scalers
// the file holds (read here by a decoder of the format's own), and what it saves must load back
// to the same bits, so no damaged file can be accepted.
#include "fuzz_support.hpp"

#include <cstring>

namespace sn = sanenet;

namespace {

using Small = sn::Network<sn::Classification<3>, sn::Allow<sn::lint::NoRegularization>, sn::Input<4>, sn::Dense<16, sn::He>,
                          sn::ReLU, sn::Dense<3>, sn::Softmax>;
// The network of tests/data/golden_v1.sanenet (a LeakyReLU constant, a Dropout that is not recorded).
using Golden = sn::Network<sn::Classification<2>, sn::Allow<sn::lint::TooFewHiddenUnits>, sn::Input<3>, sn::Dense<4, sn::He>,
                           sn::LeakyReLUWith<0.25>, sn::Dropout<0.9>, sn::Dense<2>, sn::Softmax>;
using Normed = sn::Network<sn::Regression, sn::Allow<sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>, sn::Input<5>,
                           sn::Dense<8>, sn::LayerNorm, sn::GELU, sn::Dense<6>, sn::SiLU, sn::Dense<2>, sn::Identity>;

// Where a network that loaded is saved again (save writes atomically, next to the target);
// removed at exit.
struct resave_dir {
    std::filesystem::path path;
    resave_dir() {
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                                     : std::filesystem::temp_directory_path();
        path = base / ("sanenet_fuzz_model_" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
    }
    ~resave_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

const std::filesystem::path& resave_path() {
    static const resave_dir dir;
    static const std::filesystem::path file = dir.path / "again.sanenet";
    return file;
}

std::uint64_t le(const std::uint8_t* p, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

bool same_bits(const float* a, const std::uint8_t* b, std::size_t n) { return n == 0 || std::memcmp(a, b, 4 * n) == 0; }

bool same_scaler(const sn::detail::scaler& s, const std::uint8_t* p) {  // p: the width, then mean, then scale
    const std::size_t w = static_cast<std::size_t>(le(p, 4));
    return s.size() == w && s.scale.size() == w && same_bits(s.mean.data(), p + 4, w) &&
           same_bits(s.scale.data(), p + 4 + 4 * w, w);
}

// The parameters and scalers of a file that loaded, as the format lays them out (docs: the
// layout comment of io/model_file.hpp): magic 8, version 4, fingerprint 8, task 8, L 4, L
// records of 16, the count N 8, N floats; version 2 then S 4, S records of 16, waivers 4, the
// input scaler and the target scaler (width 4, width means, width scales), the checksum 8.
void check_content(const sn::detail::model& m, const std::uint8_t* data, std::size_t size) {
    const std::uint64_t version = le(data + 8, 4);
    const std::size_t count_at = 32 + 16 * static_cast<std::size_t>(le(data + 28, 4));
    const std::size_t n = static_cast<std::size_t>(le(data + count_at, 8));
    if (n != m.parameter_count() || !same_bits(m.params(), data + count_at + 8, n))
        sanenet_fuzz::fail("loaded, but the parameters are not the file's");
    if (version == 1) {
        if (!m.input_scaler().empty() || !m.target_scaler().empty()) sanenet_fuzz::fail("a version 1 file loaded scalers");
        if (size != count_at + 8 + 4 * n + 8) sanenet_fuzz::fail("accepted a version 1 file of the wrong size");
        return;
    }
    std::size_t at = count_at + 8 + 4 * n;
    at += 4 + 16 * static_cast<std::size_t>(le(data + at, 4)) + 4;  // the layer list, the waivers
    if (!same_scaler(m.input_scaler(), data + at)) sanenet_fuzz::fail("loaded, but the input scaler is not the file's");
    at += 4 + 8 * static_cast<std::size_t>(le(data + at, 4));
    if (!same_scaler(m.target_scaler(), data + at)) sanenet_fuzz::fail("loaded, but the target scaler is not the file's");
    at += 4 + 8 * static_cast<std::size_t>(le(data + at, 4));
    if (size != at + 8) sanenet_fuzz::fail("accepted a version 2 file of the wrong size");
}

template <class Net>
void try_load(Net& net, const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
    const Net before = net;
    try {
        net.load(path);
    } catch (const sn::error&) {
        const auto& a = net.engine();
        const auto& b = before.engine();
        if (std::memcmp(b.params(), a.params(), a.parameter_count() * sizeof(float)) != 0 ||
            !(a.input_scaler() == b.input_scaler()) || !(a.target_scaler() == b.target_scaler()))
            sanenet_fuzz::fail("a failed load changed the network");
        return;
    }
    if (le(data + 8, 4) >= 3) sanenet_fuzz::fail("Network::load accepted a reduced-precision (version 3) file");
    check_content(net.engine(), data, size);
    net.save(resave_path());
    Net again = before;
    again.load(resave_path());
    const auto& a = net.engine();
    const auto& b = again.engine();
    if (std::memcmp(b.params(), a.params(), a.parameter_count() * sizeof(float)) != 0 ||
        !(a.input_scaler() == b.input_scaler()) || !(a.target_scaler() == b.target_scaler()))
        sanenet_fuzz::fail("what a loaded network saves does not load back to the same network");
    // A version 2 file with the network's own layer list and waivers is what save writes, byte for byte.
    if (le(data + 8, 4) == 2) {
        const auto resaved = sanenet_fuzz::read_whole(resave_path());
        if (resaved.size() == size) {
            const std::size_t count_at = 32 + 16 * static_cast<std::size_t>(le(data + 28, 4));
            const std::size_t list_at = count_at + 8 + 4 * static_cast<std::size_t>(le(data + count_at, 8));
            const std::size_t list_end = list_at + 4 + 16 * static_cast<std::size_t>(le(data + list_at, 4)) + 4;
            if (std::memcmp(resaved.data() + list_at, data + list_at, list_end - list_at) == 0 &&
                std::memcmp(resaved.data(), data, size) != 0)
                sanenet_fuzz::fail("accepted a file that is not what save writes for the network it loaded");
        }
    }
}

}  // namespace

void fuzz_one(const std::uint8_t* data, std::size_t size) {
    static Small small{sn::Seed{1}};
    static Golden golden{sn::Seed{1}};
    static Normed normed{sn::Seed{1}};
    const auto& path = sanenet_fuzz::scratch().write(data, size);
    try_load(small, path, data, size);
    try_load(golden, path, data, size);
    try_load(normed, path, data, size);
    try {
        const sn::AnyNetwork any = sn::load_any(path);
        if ((any.precision() == sn::Precision::bf16) != (le(data + 8, 4) == 3))
            sanenet_fuzz::fail("load_any's precision is not the file version's");
    } catch (const sn::error&) {}
}

void write_seeds(const std::filesystem::path& dir) {
    // Files as save writes them, two seeds per network, and the committed golden file.
    for (std::uint64_t seed : {1, 2}) {
        Small{sn::Seed{seed}}.save(dir / ("small_" + std::to_string(seed) + ".sanenet"));
        Golden{sn::Seed{seed}}.save(dir / ("golden_net_" + std::to_string(seed) + ".sanenet"));
        Normed{sn::Seed{seed}}.save(dir / ("layernorm_gelu_silu_" + std::to_string(seed) + ".sanenet"));
    }
    // Version 2 with scalers: an input scaler on Small, both on the regression network.
    const auto fitted = [](std::size_t cols) {
        sn::matrix x = sn::matrix::from_shape({std::size_t{6}, cols});
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7) % 5) - 1.5f;
        return sn::Standardizer{}.fit(x);
    };
    Small small{sn::Seed{3}};
    small.attach_input_scaler(fitted(4));
    small.save(dir / "small_input_scaler.sanenet");
    Normed normed{sn::Seed{3}};
    normed.attach_input_scaler(fitted(5));
    normed.attach_target_scaler(fitted(2));
    normed.save(dir / "layernorm_gelu_silu_scalers.sanenet");
    // Version 3: bf16 models, one with scalers.
    sn::quantize(Small{sn::Seed{4}}, sn::Precision::bf16).save(dir / "small_bf16.sanenet");
    sn::quantize(normed, sn::Precision::bf16).save(dir / "layernorm_gelu_silu_scalers_bf16.sanenet");
    for (const char* golden : {"golden_v1.sanenet", "golden_v2.sanenet"})
        sanenet_fuzz::seed(dir, golden,
                           sanenet_fuzz::read_whole(std::filesystem::path(__FILE__).parent_path() / ".." / "data" / golden));
    // Hand-made damage: not a model file, a magic alone, another version.
    sanenet_fuzz::seed(dir, "not_a_model", std::string("PK\x03\x04 zip"));
    sanenet_fuzz::seed(dir, "magic_only", std::string("SANENET\x1a", 8));
    sanenet_fuzz::seed(dir, "version_2", std::string("SANENET\x1a\x02\x00\x00\x00", 12) + std::string(20, '\0'));
}
