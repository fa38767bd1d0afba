// IDX seeds shared by fuzz_idx.cpp and fuzz_idx_gz.cpp: the start of Fashion-MNIST's real
// files (their headers rewritten to the counts kept), and hand-made files of every type code,
// shape and kind of damage the loader reports.
#pragma once

#include "fuzz_support.hpp"

#include <zlib.h>

namespace sanenet_fuzz {

inline const std::filesystem::path fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

inline bytes idx_header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
    bytes b{0, 0, type, static_cast<unsigned char>(dims.size())};
    for (auto d : dims)
        for (int i = 3; i >= 0; --i) b.push_back(static_cast<unsigned char>(d >> (8 * i)));
    return b;
}

inline bytes gunzip_all(const bytes& in) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail("inflateInit2");
    bytes out(std::size_t{64} << 20);
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) fail("cannot gunzip a Fashion-MNIST file");
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

inline bytes gzip_bytes(const bytes& data, int level = 6) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("deflateInit2");
    bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) fail("deflate");
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// name -> content of every IDX seed (uncompressed).
inline std::vector<std::pair<std::string, bytes>> idx_seed_files() {
    std::vector<std::pair<std::string, bytes>> s;
    const auto add = [&](const std::string& name, bytes b) { s.emplace_back(name, std::move(b)); };
    // Real data: the first 2 test images and the first 40 training labels of Fashion-MNIST.
    if (std::filesystem::exists(fashion_mnist_dir / "t10k-images-idx3-ubyte.gz")) {
        const bytes images = gunzip_all(read_whole(fashion_mnist_dir / "t10k-images-idx3-ubyte.gz"));
        bytes b = idx_header(0x08, {2, 28, 28});
        b.insert(b.end(), images.begin() + 16, images.begin() + 16 + 2 * 784);
        add("fashion_mnist_t10k_images_2", b);
        const bytes labels = gunzip_all(read_whole(fashion_mnist_dir / "train-labels-idx1-ubyte.gz"));
        b = idx_header(0x08, {40});
        b.insert(b.end(), labels.begin() + 8, labels.begin() + 8 + 40);
        add("fashion_mnist_train_labels_40", b);
    }
    // Every type code, with values that stress the conversion (extremes, sign, NaN, Inf).
    add("ubyte_2x3", [] {
        bytes b = idx_header(0x08, {2, 3});
        b.insert(b.end(), {0, 1, 127, 128, 254, 255});
        return b;
    }());
    add("sbyte_4", [] {
        bytes b = idx_header(0x09, {4});
        b.insert(b.end(), {0, 1, 0x7f, 0x80});
        return b;
    }());
    add("int16_3", [] {
        bytes b = idx_header(0x0B, {3});
        b.insert(b.end(), {0x7f, 0xff, 0x80, 0x00, 0xff, 0xff});
        return b;
    }());
    add("int32_2", [] {
        bytes b = idx_header(0x0C, {2});
        b.insert(b.end(), {0x7f, 0xff, 0xff, 0xff, 0x80, 0, 0, 0});
        return b;
    }());
    add("float32_3", [] {
        bytes b = idx_header(0x0D, {3});
        b.insert(b.end(), {0x3f, 0x80, 0, 0, 0x7f, 0xc0, 0, 0, 0xff, 0x80, 0, 0});  // 1, NaN, -Inf
        return b;
    }());
    add("float64_2", [] {
        bytes b = idx_header(0x0E, {2});
        b.insert(b.end(), {0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});  // 1, DBL_MAX
        return b;
    }());
    add("rank4_1x1x1x1", [] {
        bytes b = idx_header(0x08, {1, 1, 1, 1});
        b.push_back(9);
        return b;
    }());
    // Damage: empty, short magic, bad magic, bad type, rank 0, short header, zero size, overflow,
    // truncated data, trailing data.
    add("empty", {});
    add("short_magic", {0, 0});
    add("bad_magic", {1, 0, 8, 1, 0, 0, 0, 1, 5});
    add("bad_type", {0, 0, 0x0a, 1, 0, 0, 0, 1, 5});
    add("rank_0", {0, 0, 8, 0});
    add("short_header", {0, 0, 8, 2, 0, 0, 0, 1});
    add("zero_size", idx_header(0x08, {0}));
    add("overflow", idx_header(0x0E, {0xffffffffu, 0xffffffffu, 0xffffffffu}));
    add("claims_2p31", idx_header(0x08, {0x80000000u}));
    add("truncated", [] {
        bytes b = idx_header(0x0C, {3});
        b.insert(b.end(), {0, 0, 0, 1, 0, 0});
        return b;
    }());
    add("trailing", [] {
        bytes b = idx_header(0x08, {2});
        b.insert(b.end(), {1, 2, 3});
        return b;
    }());
    return s;
}

}  // namespace sanenet_fuzz
