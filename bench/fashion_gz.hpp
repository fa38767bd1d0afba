// The anchors' Fashion-MNIST loader (bench/dlib_mlp.cpp, bench/torch_mlp.cpp): the first N
// training images from the gzipped IDX files, standardized with one mean and one standard
// deviation over all their pixels (population std, as numpy's x.std() in bench/torch_mlp.py).
// sanenet's side (bench/perf.cpp) loads through sn::data::fashion_mnist and sn::Standardizer:
// the two share no code.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

struct fashion_rows {
    std::size_t n = 0, pixels = 0;
    long rows = 0, cols = 0;
    std::vector<float> x;  // n x pixels, row-major, standardized
    std::vector<std::int64_t> y;
    double mean = 0, sd = 0;  // of the raw pixels (0-255)
};

inline std::vector<unsigned char> gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::vector<unsigned char> out;
    std::vector<unsigned char> buf(1 << 16);
    int n;
    while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) out.insert(out.end(), buf.data(), buf.data() + n);
    gzclose(f);
    if (n < 0) throw std::runtime_error("cannot read " + path);
    return out;
}

inline std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

inline fashion_rows load_fashion(const std::string& dir, std::size_t limit) {
    const auto img = gunzip(dir + "/train-images-idx3-ubyte.gz");
    const auto lab = gunzip(dir + "/train-labels-idx1-ubyte.gz");
    if (img.size() < 16 || be32(img.data()) != 2051 || lab.size() < 8 || be32(lab.data()) != 2049)
        throw std::runtime_error(dir + ": not Fashion-MNIST IDX files (magic 2051/2049 expected)");
    fashion_rows d;
    d.n = std::min<std::size_t>({be32(img.data() + 4), be32(lab.data() + 4), limit});
    d.rows = be32(img.data() + 8);
    d.cols = be32(img.data() + 12);
    d.pixels = static_cast<std::size_t>(d.rows * d.cols);
    if (img.size() < 16 + d.n * d.pixels || lab.size() < 8 + d.n) throw std::runtime_error(dir + ": truncated IDX files");

    double sum = 0, sum2 = 0;
    for (std::size_t i = 0; i < d.n * d.pixels; ++i) {
        const double v = img[16 + i];
        sum += v;
        sum2 += v * v;
    }
    const double count = static_cast<double>(d.n * d.pixels);
    d.mean = sum / count;
    d.sd = std::sqrt(std::max(0.0, sum2 / count - d.mean * d.mean));
    const float m = static_cast<float>(d.mean), inv = static_cast<float>(1.0 / d.sd);
    d.x.resize(d.n * d.pixels);
    for (std::size_t i = 0; i < d.n * d.pixels; ++i) d.x[i] = (static_cast<float>(img[16 + i]) - m) * inv;
    d.y.resize(d.n);
    for (std::size_t i = 0; i < d.n; ++i) d.y[i] = lab[8 + i];
    return d;
}

}  // namespace bench
