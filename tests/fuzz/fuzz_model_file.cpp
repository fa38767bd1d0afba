// Fuzz target: Network::load (the model file, io/model_file.hpp) into three networks of
// different shapes, layer kinds and tasks. A load that fails must leave the network as it was;
// a load that succeeds must give back the input byte for byte when the network is saved again
// (the format has one encoding of each network), so no damaged file can be accepted.
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

template <class Net>
void try_load(Net& net, const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
    const std::size_t n = net.engine().parameter_count();
    const std::vector<float> before(net.engine().params(), net.engine().params() + n);
    try {
        net.load(path);
    } catch (const sn::error&) {
        if (std::memcmp(before.data(), net.engine().params(), n * sizeof(float)) != 0)
            sanenet_fuzz::fail("a failed load changed the network");
        return;
    }
    net.save(resave_path());
    const auto b = sanenet_fuzz::read_whole(resave_path());
    if (b.size() != size || std::memcmp(b.data(), data, size) != 0)
        sanenet_fuzz::fail("accepted a file that is not what save writes for the network it loaded");
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
}

void write_seeds(const std::filesystem::path& dir) {
    // Files as save writes them, two seeds per network, and the committed golden file.
    for (std::uint64_t seed : {1, 2}) {
        Small{sn::Seed{seed}}.save(dir / ("small_" + std::to_string(seed) + ".sanenet"));
        Golden{sn::Seed{seed}}.save(dir / ("golden_net_" + std::to_string(seed) + ".sanenet"));
        Normed{sn::Seed{seed}}.save(dir / ("layernorm_gelu_silu_" + std::to_string(seed) + ".sanenet"));
    }
    const auto golden = std::filesystem::path(__FILE__).parent_path() / ".." / "data" / "golden_v1.sanenet";
    sanenet_fuzz::seed(dir, "golden_v1.sanenet", sanenet_fuzz::read_whole(golden));
    // Hand-made damage: not a model file, a magic alone, another version.
    sanenet_fuzz::seed(dir, "not_a_model", std::string("PK\x03\x04 zip"));
    sanenet_fuzz::seed(dir, "magic_only", std::string("SANENET\x1a", 8));
    sanenet_fuzz::seed(dir, "version_2", std::string("SANENET\x1a\x02\x00\x00\x00", 12) + std::string(20, '\0'));
}
