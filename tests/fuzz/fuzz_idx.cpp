// Fuzz target: sn::data::load_idx on any bytes, plain or gzip (detected by content). A file it
// accepts must decode, element by element, as the IDX format says (an independent decoder here).
#include "idx_seeds.hpp"

#include <bit>
#include <cmath>

namespace {

// The element at `p` of IDX type `type` as a float, as the format defines it.
float decode(std::uint8_t type, const unsigned char* p) {
    std::uint64_t u = 0;
    const int size = type == 0x08 || type == 0x09 ? 1 : type == 0x0B ? 2 : type == 0x0E ? 8 : 4;
    for (int i = 0; i < size; ++i) u = (u << 8) | p[i];
    switch (type) {
        case 0x08: return static_cast<float>(u);
        case 0x09: return static_cast<float>(static_cast<std::int8_t>(u));
        case 0x0B: return static_cast<float>(static_cast<std::int16_t>(u));
        case 0x0C: return static_cast<float>(static_cast<std::int32_t>(u));
        case 0x0D: return std::bit_cast<float>(static_cast<std::uint32_t>(u));
        default: return static_cast<float>(std::bit_cast<double>(u));
    }
}

bool same(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (a != a && b != b); }

}  // namespace

void fuzz_one(const std::uint8_t* data, std::size_t size) {
    const auto a = sanenet::data::load_idx(sanenet_fuzz::scratch().write(data, size));
    if (size >= 2 && data[0] == 0x1F && data[1] == 0x8B) return;  // gzip: fuzz_idx_gz checks the content
    if (size < 4 || a.dimension() != data[3]) sanenet_fuzz::fail("accepted, but the rank is not the header's");
    std::size_t n = 1;
    for (std::size_t i = 0; i < data[3]; ++i) {
        const std::size_t d = std::size_t{data[4 + 4 * i]} << 24 | std::size_t{data[5 + 4 * i]} << 16 |
                              std::size_t{data[6 + 4 * i]} << 8 | data[7 + 4 * i];
        if (a.shape()[i] != d) sanenet_fuzz::fail("accepted, but a size is not the header's");
        n *= d;
    }
    const std::size_t header = 4 + 4 * std::size_t{data[3]};
    const std::size_t element = (size - header) / n;
    if (a.size() != n || header + n * element != size) sanenet_fuzz::fail("accepted a file whose size does not match its header");
    for (std::size_t i = 0; i < n; ++i)
        if (!same(a.data()[i], decode(data[2], data + header + i * element))) sanenet_fuzz::fail("element decoded wrongly");
}

void write_seeds(const std::filesystem::path& dir) {
    for (const auto& [name, content] : sanenet_fuzz::idx_seed_files()) sanenet_fuzz::seed(dir, name, content);
    for (const auto& [name, content] : sanenet_fuzz::idx_seed_files())
        if (name.rfind("fashion_mnist", 0) == 0 || name == "float32_3")
            sanenet_fuzz::seed(dir, name + ".gz", sanenet_fuzz::gzip_bytes(content));
    // A real file as it is distributed: Fashion-MNIST's test labels, 5 KB of gzip.
    const auto labels = sanenet_fuzz::fashion_mnist_dir / "t10k-labels-idx1-ubyte.gz";
    if (std::filesystem::exists(labels)) sanenet_fuzz::seed(dir, "t10k-labels-idx1-ubyte.gz", sanenet_fuzz::read_whole(labels));
}
