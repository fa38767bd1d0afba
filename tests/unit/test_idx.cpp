// load_idx: every type code plain and gzip-compressed, and every kind of bad file.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>
#if SANENET_WITH_ZLIB
#include <zlib.h>  // the test writes .gz files itself
#endif

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

// The file's big-endian encoding of one value of the given type code.
void put_value(bytes& out, std::uint8_t type, double v) {
    switch (type) {
        case 0x08: out.push_back(static_cast<unsigned char>(v)); break;
        case 0x09: out.push_back(static_cast<unsigned char>(static_cast<std::int8_t>(v))); break;
        case 0x0B: put_big_endian(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(v)), 2); break;
        case 0x0C: put_big_endian(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)), 4); break;
        case 0x0D: {
            const float f = static_cast<float>(v);
            std::uint32_t u;
            std::memcpy(&u, &f, 4);
            put_big_endian(out, u, 4);
            break;
        }
        case 0x0E: {
            std::uint64_t u;
            std::memcpy(&u, &v, 8);
            put_big_endian(out, u, 8);
            break;
        }
        default: FAIL("no such type code in the test");
    }
}

bytes idx_file(std::uint8_t type, const std::vector<std::uint32_t>& dims, const std::vector<double>& values) {
    bytes out = idx_header(type, dims);
    for (double v : values) put_value(out, type, v);
    return out;
}

std::string io_error_of(const fs::path& p) {
    return message_of<sn::io_error>([&] { (void)sn::data::load_idx(p); }, "load_idx accepted the bad file " + p.string());
}

#if SANENET_WITH_ZLIB
void write_gzip(const fs::path& p, const bytes& content) {
    gzFile gz = gzopen(p.c_str(), "wb");
    REQUIRE(gz != nullptr);
    REQUIRE(gzwrite(gz, content.data(), static_cast<unsigned>(content.size())) == static_cast<int>(content.size()));
    REQUIRE(gzclose(gz) == Z_OK);
}

// Checks the open and that every byte was read (sanenet_test::read_bytes checks the open only).
bytes read_file(const fs::path& p) {
    bytes out(fs::file_size(p));
    std::FILE* f = std::fopen(p.c_str(), "rb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fread(out.data(), 1, out.size(), f) == out.size());
    std::fclose(f);
    return out;
}
#endif

struct type_case {
    std::uint8_t type;
    std::vector<double> values;
};

// Extremes of each type, chosen to be exact in float.
const std::vector<type_case> type_cases = {
    {0x08, {0, 1, 2, 127, 128, 255}},
    {0x09, {-128, -1, 0, 1, 100, 127}},
    {0x0B, {-32768, -1, 0, 300, 1024, 32767}},
    {0x0C, {-2147483648.0, -70000, -1, 0, 16777216, 2147483520}},
    {0x0D, {-1.5, 0, 0.25, 3.0e10, -1.0e-20, 255}},
    {0x0E, {-2.5, 0, 0.125, 1.0e30, -7, 65535}},
};

void check_loaded(const xt::xarray<float>& a, const std::vector<double>& values) {
    REQUIRE(a.dimension() == 2);
    CHECK(a.shape()[0] == 2);
    CHECK(a.shape()[1] == 3);
    for (std::size_t i = 0; i < values.size(); ++i) {
        INFO("element " << i);
        CHECK(a.data()[i] == static_cast<float>(values[i]));
    }
}

}  // namespace

TEST_CASE("load_idx reads every type code, unscaled, with the file's shape") {
    temp_dir dir;
    for (const auto& tc : type_cases) {
        INFO("type code " << int(tc.type));
        const fs::path p = dir.path / ("t" + std::to_string(tc.type) + ".idx");
        write_file(p, idx_file(tc.type, {2, 3}, tc.values));
        check_loaded(sn::data::load_idx(p), tc.values);
    }
}

TEST_CASE("load_idx keeps 1-d and 3-d shapes") {
    temp_dir dir;
    const fs::path labels = dir.path / "labels";
    write_file(labels, idx_file(0x08, {5}, {9, 0, 3, 3, 7}));
    const auto l = sn::data::load_idx(labels);
    REQUIRE(l.dimension() == 1);
    CHECK(l.shape()[0] == 5);
    CHECK(l(0) == 9.0f);
    CHECK(l(4) == 7.0f);

    std::vector<double> pixels;
    for (int i = 0; i < 2 * 3 * 4; ++i) pixels.push_back(i * 10);
    const fs::path images = dir.path / "images";
    write_file(images, idx_file(0x08, {2, 3, 4}, pixels));
    const auto im = sn::data::load_idx(images);
    REQUIRE(im.dimension() == 3);
    CHECK(im.shape()[0] == 2);
    CHECK(im.shape()[1] == 3);
    CHECK(im.shape()[2] == 4);
    CHECK(im(1, 2, 3) == 230.0f);
    CHECK(im(0, 1, 0) == 40.0f);
}

TEST_CASE("load_idx reports missing, unreadable and empty files") {
    temp_dir dir;
    SUBCASE("missing file") {
        const fs::path p = dir.path / "nope-idx1-ubyte";
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "No such file or directory"));
    }
    SUBCASE("a directory") {
        const auto msg = io_error_of(dir.path);
        CHECK(contains(msg, dir.path.string()));
        CHECK(contains(msg, "is a directory"));
    }
    SUBCASE("empty file") {
        const fs::path p = dir.path / "empty";
        write_file(p, bytes{});
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "is empty"));
        CHECK(contains(msg, "at byte 0"));
    }
}

TEST_CASE("load_idx names the byte offset, what it expected and what it found") {
    temp_dir dir;
    const fs::path p = dir.path / "bad.idx";
    auto error_for = [&](const bytes& content) {
        write_file(p, content);
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        return msg;
    };
    SUBCASE("shorter than the magic number") {
        const auto msg = error_for({0, 0});
        CHECK(contains(msg, "at byte 0"));
        CHECK(contains(msg, "found only 2 bytes"));
    }
    SUBCASE("wrong magic") {
        const auto msg = error_for({0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 1, 7});
        CHECK(contains(msg, "at byte 0"));
        CHECK(contains(msg, "0x00 0x00"));
        CHECK(contains(msg, "found 0x50 0x4b"));
    }
    SUBCASE("unknown type code") {
        const auto msg = error_for({0, 0, 0x0A, 1, 0, 0, 0, 1, 7});
        CHECK(contains(msg, "at byte 2"));
        CHECK(contains(msg, "found 0x0a"));
        CHECK(contains(msg, "0x08 ubyte"));
    }
    SUBCASE("zero dimensions") {
        const auto msg = error_for({0, 0, 0x08, 0});
        CHECK(contains(msg, "at byte 3"));
        CHECK(contains(msg, "expected at least 1 dimension, found 0"));
    }
    SUBCASE("header cut inside the dimension sizes") {
        bytes b = idx_header(0x08, {2, 3, 4});
        b.resize(8);
        const auto msg = error_for(b);
        CHECK(contains(msg, "at byte 8"));
        CHECK(contains(msg, "expected a 16-byte header"));
        CHECK(contains(msg, "found only 8 bytes"));
    }
    SUBCASE("a zero-sized dimension") {
        const auto msg = error_for(idx_header(0x08, {2, 0, 3}));
        CHECK(contains(msg, "at byte 8"));
        CHECK(contains(msg, "dimension 1 to be at least 1, found 0"));
    }
    SUBCASE("truncated data") {
        bytes b = idx_file(0x0B, {2, 3}, {1, 2, 3, 4, 5, 6});
        b.resize(12 + 5);
        const auto msg = error_for(b);
        CHECK(contains(msg, "expected 12 bytes of data after the 12-byte header, found 5"));
        CHECK(contains(msg, "at byte 17"));
    }
    SUBCASE("trailing bytes") {
        bytes b = idx_file(0x08, {4}, {1, 2, 3, 4});
        b.push_back(0);
        b.push_back(0);
        const auto msg = error_for(b);
        CHECK(contains(msg, "at byte 12"));
        CHECK(contains(msg, "found 2 trailing bytes"));
    }
}

#if SANENET_WITH_ZLIB

TEST_CASE("load_idx reads gzip-compressed files of every type code, detected by content") {
    temp_dir dir;
    for (const auto& tc : type_cases) {
        INFO("type code " << int(tc.type));
        // No .gz extension: the 0x1f 0x8b magic is what counts.
        const fs::path p = dir.path / ("t" + std::to_string(tc.type) + ".idx");
        write_gzip(p, idx_file(tc.type, {2, 3}, tc.values));
        REQUIRE(read_file(p)[0] == 0x1F);
        check_loaded(sn::data::load_idx(p), tc.values);
    }
}

TEST_CASE("load_idx reads a large gzip file and concatenated gzip members") {
    temp_dir dir;
    std::vector<double> values(300 * 1000);
    std::uint32_t state = 12345;
    for (auto& v : values) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<double>(state >> 24);
    }
    const bytes content = idx_file(0x08, {300, 1000}, values);
    const fs::path whole = dir.path / "whole.gz";
    write_gzip(whole, content);
    const auto a = sn::data::load_idx(whole);
    REQUIRE(a.size() == values.size());
    for (std::size_t i = 0; i < values.size(); i += 997) CHECK(a.data()[i] == static_cast<float>(values[i]));
    CHECK(a.data()[values.size() - 1] == static_cast<float>(values.back()));

    // `cat a.gz b.gz` is a valid gzip file holding both parts.
    const fs::path head = dir.path / "head.gz", tail = dir.path / "tail.gz", joined = dir.path / "joined.gz";
    write_gzip(head, bytes(content.begin(), content.begin() + 100000));
    write_gzip(tail, bytes(content.begin() + 100000, content.end()));
    bytes both = read_file(head);
    const bytes second = read_file(tail);
    both.insert(both.end(), second.begin(), second.end());
    write_file(joined, both);
    const auto b = sn::data::load_idx(joined);
    REQUIRE(b.size() == values.size());
    CHECK(b(0, 0) == a(0, 0));
    CHECK(b(150, 500) == a(150, 500));
    CHECK(b(299, 999) == a(299, 999));
}

TEST_CASE("load_idx reports corrupt gzip streams and bad content inside gzip") {
    temp_dir dir;
    std::vector<double> values(4000);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>((i * 37) % 251);
    const fs::path good = dir.path / "good.gz";
    write_gzip(good, idx_file(0x08, {4000}, values));
    const bytes gz = read_file(good);
    const fs::path p = dir.path / "bad.gz";

    SUBCASE("checksum mismatch") {
        bytes b = gz;
        b[b.size() - 8] ^= 0xFF;
        write_file(p, b);
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "corrupt gzip stream"));
        CHECK(contains(msg, "compressed byte"));
    }
    SUBCASE("garbled deflate data") {
        bytes b = gz;
        for (std::size_t i = 12; i < 40; ++i) b[i] = 0xFF;
        write_file(p, b);
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "corrupt gzip stream"));
    }
    SUBCASE("truncated gzip file") {
        bytes b = gz;
        b.resize(b.size() / 2);
        write_file(p, b);
        const auto msg = io_error_of(p);
        CHECK(contains(msg, "corrupt gzip stream"));
        CHECK(contains(msg, "ends early"));
        CHECK(contains(msg, "compressed byte " + std::to_string(b.size())));
    }
    SUBCASE("only the gzip magic") {
        write_file(p, {0x1F, 0x8B});
        const auto msg = io_error_of(p);
        CHECK(contains(msg, "corrupt gzip stream"));
    }
    SUBCASE("junk after the gzip stream") {
        bytes b = gz;
        b.push_back('x');
        b.push_back('y');
        write_file(p, b);
        const auto msg = io_error_of(p);
        CHECK(contains(msg, "corrupt gzip stream"));
        CHECK(contains(msg, "2 bytes follow the end of the gzip stream"));
    }
    SUBCASE("valid gzip around a truncated IDX file") {
        bytes content = idx_file(0x08, {4000}, values);
        content.resize(content.size() - 10);
        write_gzip(p, content);
        const auto msg = io_error_of(p);
        CHECK(contains(msg, p.string()));
        CHECK(contains(msg, "(after gunzip)"));
        CHECK(contains(msg, "expected 4000 bytes of data after the 8-byte header, found 3990"));
    }
}

#else

TEST_CASE("load_idx without zlib says how to read a gzip file") {
    temp_dir dir;
    const fs::path p = dir.path / "images.gz";
    write_file(p, {0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 3});
    const auto msg = io_error_of(p);
    CHECK(contains(msg, p.string()));
    CHECK(contains(msg, "-lz"));
    CHECK(contains(msg, "gunzip"));
}

#endif
