// Fuzz target: sn::data::load_idx on gzip files built from the input, so that mutations reach
// the IDX parser behind zlib and the multi-member, truncation and trailing-data paths. The
// first byte picks the form: bits 0-1 the number of gzip members - 1, bit 6 drop the last
// 1 + bits 2-5 bytes of the stream, bit 7 append two bytes of junk; the rest is the IDX file.
// A damaged stream must be refused; a whole one must load exactly what the plain file loads.
#include "idx_seeds.hpp"

#include <bit>

namespace {

bool same(const xt::xarray<float>& a, const xt::xarray<float>& b) {
    if (a.shape() != b.shape()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const float x = a.data()[i], y = b.data()[i];
        if (std::bit_cast<std::uint32_t>(x) != std::bit_cast<std::uint32_t>(y) && !(x != x && y != y)) return false;
    }
    return true;
}

}  // namespace

void fuzz_one(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const std::uint8_t form = data[0];
    const sanenet_fuzz::bytes content(data + 1, data + size);
    const std::size_t members = 1 + (form & 3u);
    sanenet_fuzz::bytes gz;
    for (std::size_t m = 0; m < members; ++m) {
        const std::size_t from = content.size() * m / members, to = content.size() * (m + 1) / members;
        const auto part = sanenet_fuzz::gzip_bytes(sanenet_fuzz::bytes(content.begin() + static_cast<std::ptrdiff_t>(from),
                                                                       content.begin() + static_cast<std::ptrdiff_t>(to)),
                                                   1);
        gz.insert(gz.end(), part.begin(), part.end());
    }
    const bool truncated = (form & 0x40u) != 0, junk = (form & 0x80u) != 0;
    if (truncated) gz.resize(gz.size() - std::min(gz.size(), std::size_t{1} + ((form >> 2) & 15u)));
    if (junk) gz.insert(gz.end(), {'x', 'y'});
    xt::xarray<float> from_gzip;
    try {
        from_gzip = sanenet::data::load_idx(sanenet_fuzz::scratch().write(gz));
    } catch (const sanenet::error&) {
        // Whether the plain file is accepted is fuzz_idx's business; here only the agreement counts.
        if (truncated || junk) return;
        try {
            sanenet::data::load_idx(sanenet_fuzz::scratch().write(content));
        } catch (const sanenet::error&) {
            return;
        }
        sanenet_fuzz::fail("refused the gzip of a file that loads plain");
    }
    if (truncated || junk) sanenet_fuzz::fail("accepted a truncated gzip stream or one followed by junk");
    if (!same(from_gzip, sanenet::data::load_idx(sanenet_fuzz::scratch().write(content))))
        sanenet_fuzz::fail("the gzip file loads other values than the plain file");
}

void write_seeds(const std::filesystem::path& dir) {
    for (const auto& [name, content] : sanenet_fuzz::idx_seed_files()) {
        sanenet_fuzz::bytes b{0};  // one member, whole
        b.insert(b.end(), content.begin(), content.end());
        sanenet_fuzz::seed(dir, name, b);
    }
    const auto files = sanenet_fuzz::idx_seed_files();
    const sanenet_fuzz::bytes& first = files.front().second;
    for (const std::uint8_t form : {std::uint8_t{0x02}, std::uint8_t{0x45}, std::uint8_t{0x80}}) {
        sanenet_fuzz::bytes b{form};
        b.insert(b.end(), first.begin(), first.end());
        sanenet_fuzz::seed(dir, files.front().first + "_form_" + std::to_string(form), b);
    }
}
