// Helpers shared by the unit tests (namespace sanenet_test): a temporary directory, reading
// and writing test files, plain IDX files, catching an exception's message, and synthetic
// training data with quiet FitOptions. Only what several test files need lives here; what
// one file needs stays in that file. Included as "test_support.hpp" after the library and
// doctest, so it works the same against include/ and single_include/.
#pragma once

#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

namespace sanenet_test {

using bytes = std::vector<unsigned char>;

// Networks without dropout on purpose (L4.1 is about training, not what these tests check).
using NoDropout = sanenet::Allow<sanenet::lint::NoRegularization>;

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Everything written to file descriptor 2 while f runs. fd 2 points at a temporary file
// (dup2) and is restored afterwards, even when f throws; stdio's stderr is flushed on both
// sides so that nothing buffered moves across.
template <class F>
std::string stderr_of(F&& f) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    REQUIRE(file != nullptr);
    std::fflush(stderr);
    const int saved = ::dup(2);
    REQUIRE(saved >= 0);
    REQUIRE(::dup2(::fileno(file.get()), 2) == 2);
    struct restore {
        int saved;
        ~restore() {
            std::fflush(stderr);
            ::dup2(saved, 2);
            ::close(saved);
        }
    };
    {
        const restore r{saved};
        f();
    }
    std::string out;
    std::rewind(file.get());
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file.get())) > 0;) out.append(buf, n);
    return out;
}

// ---- files --------------------------------------------------------------------------

// A fresh, empty directory, removed with everything in it when the object goes. Its name
// starts with "sanenet_" and the test file's name ("sanenet_test_csv_..."), then `label`
// if given, then a part unique to this object.
struct temp_dir {
    std::filesystem::path path;

    explicit temp_dir(std::string_view label = {}, std::source_location where = std::source_location::current()) {
        static std::atomic<unsigned> made{0};
        std::string name = "sanenet_" + std::filesystem::path(where.file_name()).stem().string();
        if (!label.empty()) name += "_" + std::string(label);
        name += "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "_" +
                std::to_string(std::random_device{}()) + "_" + std::to_string(made++);
        path = std::filesystem::temp_directory_path() / name;
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    // The names of the entries in the directory, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& e : std::filesystem::directory_iterator(path)) n.push_back(e.path().filename().string());
        std::sort(n.begin(), n.end());
        return n;
    }
};

namespace detail {
template <class Container>
Container read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in);
    return Container(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Requires that the file opens and, when there is something to write, that all of it is written.
inline std::filesystem::path write_all(const std::filesystem::path& p, const void* data, std::size_t size) {
    std::FILE* f = std::fopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    if (size != 0) REQUIRE(std::fwrite(data, 1, size, f) == size);
    std::fclose(f);
    return p;
}
}  // namespace detail

// The whole file, byte for byte.
inline std::string read_text(const std::filesystem::path& p) { return detail::read_all<std::string>(p); }
inline bytes read_bytes(const std::filesystem::path& p) { return detail::read_all<bytes>(p); }

// Writes (replaces) the file; returns its path.
inline std::filesystem::path write_file(const std::filesystem::path& p, std::string_view content) {
    return detail::write_all(p, content.data(), content.size());
}
inline std::filesystem::path write_file(const std::filesystem::path& p, const bytes& content) {
    return detail::write_all(p, content.data(), content.size());
}

// `size` bytes of `value`, most significant first.
inline void put_big_endian(bytes& out, std::uint64_t value, std::size_t size) {
    for (std::size_t i = size; i-- > 0;) out.push_back(static_cast<unsigned char>(value >> (8 * i)));
}

// The header of an IDX file: two zero bytes, the type code, the rank, each dimension as a
// big-endian uint32.
inline bytes idx_header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
    bytes out{0, 0, type, static_cast<unsigned char>(dims.size())};
    for (auto d : dims) put_big_endian(out, d, 4);
    return out;
}

// ---- exceptions ---------------------------------------------------------------------

// What `f` throws as an E. When it throws nothing the test fails with `failure`; an
// exception of another type goes through.
template <class E, class F>
std::string message_of(F&& f, const std::string& failure = "the expected exception was not thrown") {
    try {
        std::forward<F>(f)();
    } catch (const E& e) {
        return e.what();
    }
    FAIL(failure);
    return {};
}

// ---- networks and training data -----------------------------------------------------

// A copy of the network's parameters.
template <class N>
std::vector<float> params_of(const N& net) {
    const float* p = net.engine().params();
    return std::vector<float>(p, p + net.engine().parameter_count());
}

// Multiplies every Dense weight (not the biases) by `factor`.
template <class N>
void scale_dense_weights(N& net, float factor) {
    for (const auto& st : net.engine().stages())
        if (st.k == sanenet::detail::kind::dense)
            for (std::size_t i = 0; i < static_cast<std::size_t>(st.in * st.out); ++i) net.engine().params()[st.w + i] *= factor;
}

struct blobs_data {
    sanenet::matrix x;
    sanenet::labels y;
};

// Four Gaussian blobs in 10-D, z-scored-looking inputs: row i is of class c = i % 4 and sits
// at 1.5 in the features j with j % 4 == c and at 0 in the others, plus N(0, 0.6^2) noise.
inline blobs_data blobs(std::size_t n, std::uint64_t seed) {
    sanenet::kernels::rng r(seed);
    blobs_data d{sanenet::matrix::from_shape({n, 10}), sanenet::labels::from_shape({n})};
    for (std::size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(i % 4);
        d.y(i) = c;
        for (std::size_t j = 0; j < 10; ++j)
            d.x(i, j) = static_cast<float>((j % 4 == static_cast<std::size_t>(c) ? 1.5 : 0.0) + 0.6 * r.normal());
    }
    return d;
}

// n x d standard normal values.
inline sanenet::matrix normal_matrix(std::size_t n, std::size_t d, std::uint64_t seed) {
    sanenet::kernels::rng r(seed);
    sanenet::matrix x = sanenet::matrix::from_shape({n, d});
    for (auto& v : x) v = static_cast<float>(r.normal());
    return x;
}

// FitOptions without the progress line, on one thread; the rest as FitOptions has it.
inline sanenet::FitOptions quiet() {
    sanenet::FitOptions o;
    o.progress = false;
    o.threads = 1;
    return o;
}

// The same with the given optimizer.
inline sanenet::FitOptions quiet(sanenet::Optimizer optimizer) {
    sanenet::FitOptions o = quiet();
    o.optimizer = std::move(optimizer);
    return o;
}

// The same with the given epochs and batch size.
inline sanenet::FitOptions quiet(int epochs, std::size_t batch = 16) {
    sanenet::FitOptions o = quiet();
    o.epochs = epochs;
    o.batch_size = batch;
    return o;
}

}  // namespace sanenet_test
