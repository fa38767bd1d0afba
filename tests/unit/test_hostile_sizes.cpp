// Hostile sizes: files whose headers or shapes claim far more than they hold, or that hold far
// more than anyone needs, are refused with a clear io_error before the loader holds more than
// its stated bound (docs/reliability.md). Each load runs in a forked child whose peak resident
// memory growth is measured (VmHWM, reset through /proc/self/clear_refs) and checked against
// the bound: IDX headers claiming 2^31 items or sizes whose product overflows, gzip bombs, a
// CSV with 10^7 columns or a 1 GiB line, a model file claiming 10^9 parameters.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "child_process.hpp"
#include "test_support.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#if SANENET_WITH_ZLIB
#include <zlib.h>
#endif

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

constexpr long long MiB = 1024;  // in kB, the unit of peak_growth_kb

// Under ASan, what a child touches costs an eighth more (the shadow memory), and freed memory
// is held back (the quarantine, 256 MB by default) instead of reused: that much is added to each
// bound there, which still catches a loader that allocates what a hostile size claims (GBs).
#if defined(__SANITIZE_ADDRESS__)
#define SANENET_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANENET_TEST_ASAN 1
#endif
#endif
#if defined(SANENET_TEST_ASAN)
constexpr long long sanitizer_allowance(long long kb) { return kb / 8 + 264 * MiB; }
#else
constexpr long long sanitizer_allowance(long long) { return 0; }
#endif

using Small =
    sn::Network<sn::Classification<3>, NoDropout, sn::Input<4>, sn::Dense<16, sn::He>, sn::ReLU, sn::Dense<3>, sn::Softmax>;

// The child's own growth, whatever it loads: the pages it touches after fork, 1.2 to 2.1 MB
// measured with g++ 12 and clang++-19 (throwing and formatting the error included). The bounds
// below are this plus what the reader is documented to hold.
constexpr long long child_base = 4 * MiB;

// What Network::load may read of a file for Small (io/model_file.hpp): twice its largest file
// (1004 bytes) + 1 MiB, in kB.
constexpr long long load_read_bound_kb = (2 * 1004 + (1 << 20)) / 1024 + 1;

// Loads `load()` in a child; requires an io_error containing `expected` and a peak growth of
// at most bound_kb; returns the outcome for the figures.
template <class F>
child_outcome refused(F&& load, const std::string& expected, long long bound_kb) {
    const child_outcome r = run_in_child([&]() -> std::string {
        load();
        return "loaded";
    });
    INFO("exit " << r.exit_code << ", signal " << r.signal << ", peak growth " << r.peak_growth_kb << " kB: " << r.text);
    CHECK(r.exit_code == 3);
    CHECK(r.text.rfind("io_error: ", 0) == 0);
    CHECK(contains(r.text, expected));
    if (r.peak_growth_kb < 0) {
        MESSAGE("peak memory not measured here (no /proc/self/clear_refs)");
    } else {
        MESSAGE("refused at a peak growth of " << r.peak_growth_kb << " kB (bound " << bound_kb << " kB): " << expected);
        CHECK(r.peak_growth_kb <= bound_kb + sanitizer_allowance(bound_kb));
    }
    return r;
}

void put_le(bytes& b, std::uint64_t v, int size) {
    for (int i = 0; i < size; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

// A file of `size` bytes that starts with `head`, the rest a hole (no disk, reads as zeros).
void write_sparse(const fs::path& p, const bytes& head, std::uint64_t size) {
    write_file(p, head);
    REQUIRE(::truncate(p.c_str(), static_cast<off_t>(size)) == 0);
}

#if SANENET_WITH_ZLIB
// The bytes of a one-member gzip file.
bytes gzip(const bytes& data) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    bytes out(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// A gzip file of `head` followed by `mib` MiB of zeros, built without deflating them all: after
// a full flush, 1 MiB of zeros deflates to the same bytes every time, so the stream is the
// head, that block `mib` times, an empty final block and the trailer (CRC-32 by crc32_combine).
bytes zero_bomb(const bytes& head, std::uint64_t mib) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    const bytes zeros(std::size_t{1} << 20, 0);
    const auto run = [&](const bytes& in) {
        bytes o;
        zs.next_in = const_cast<Bytef*>(in.data());
        zs.avail_in = static_cast<uInt>(in.size());
        unsigned char buf[1 << 16];
        do {
            zs.next_out = buf;
            zs.avail_out = sizeof buf;
            REQUIRE(deflate(&zs, Z_FULL_FLUSH) == Z_OK);
            o.insert(o.end(), buf, buf + (sizeof buf - zs.avail_out));
        } while (zs.avail_out == 0);
        return o;
    };
    bytes out = run(head);
    const bytes block = run(zeros);
    REQUIRE(run(zeros) == block);  // the repetition is exact
    deflateEnd(&zs);
    for (std::uint64_t i = 0; i < mib; ++i) out.insert(out.end(), block.begin(), block.end());
    out.push_back(0x03);  // BFINAL, fixed Huffman, end of block
    out.push_back(0x00);
    uLong crc = crc32(0L, head.data(), static_cast<uInt>(head.size()));
    const uLong crc_mib = crc32(0L, zeros.data(), static_cast<uInt>(zeros.size()));
    for (std::uint64_t i = 0; i < mib; ++i) crc = crc32_combine(crc, crc_mib, static_cast<z_off_t>(zeros.size()));
    put_le(out, crc, 4);
    put_le(out, (head.size() + (mib << 20)) & 0xFFFFFFFFu, 4);
    return out;
}

// Inflates `in` (one gzip member) as far as `n` bytes; the bytes produced.
bytes gunzip_head(const bytes& in, std::size_t n) {
    z_stream zs{};
    REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
    bytes out(n);
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(n);
    const int rc = inflate(&zs, Z_SYNC_FLUSH);
    CHECK((rc == Z_OK || rc == Z_STREAM_END));
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}
#endif

}  // namespace

TEST_CASE("IDX headers claiming 2^31 items, or sizes whose product overflows, are refused before anything is allocated") {
    temp_dir dir("idx");
    const fs::path p = dir.path / "hostile.idx";
    SUBCASE("2^31 bytes claimed, 8 held") {
        write_file(p, idx_header(0x08, {0x80000000u}));
        refused([&] { sn::data::load_idx(p); }, "expected 2147483648 bytes of data after the 8-byte header, found 0", child_base);
    }
    SUBCASE("2^31 float64 values claimed: 16 GiB, more than IdxOptions::max_bytes") {
        write_file(p, idx_header(0x0E, {0x80000000u}));
        refused([&] { sn::data::load_idx(p); },
                "the header declares 2147483648 elements of 8 bytes, 17179869192 bytes in all, more than the 4294967296 bytes "
                "accepted (IdxOptions::max_bytes",
                child_base);
    }
    SUBCASE("three sizes of 2^32 - 1 whose product overflows 64 bits") {
        write_file(p, idx_header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}));
        refused([&] { sn::data::load_idx(p); }, "at byte 12: the dimension sizes multiply to more bytes than can be addressed",
                child_base);
    }
    SUBCASE("1 GiB after a header declaring 10 kB, or 10 bytes: read only as far as the header says") {
        for (const std::uint32_t n : {10'000u, 10u}) {
            bytes head = idx_header(0x08, {n});
            head.resize(8 + n, 1);
            write_sparse(p, head, std::uint64_t{1} << 30);
            refused([&] { sn::data::load_idx(p); },
                    "at byte " + std::to_string(8 + n) + ": expected the file to end after " + std::to_string(n) +
                        " bytes of data after the 8-byte header, found " + std::to_string((std::uint64_t{1} << 30) - 8 - n) +
                        " trailing bytes",
                    child_base);
        }
    }
    SUBCASE("1 GiB that is not an IDX file at all") {
        write_sparse(p, {'P', 'K', 3, 4}, std::uint64_t{1} << 30);
        refused([&] { sn::data::load_idx(p); }, "at byte 0: expected the magic number to start with 0x00 0x00, found 0x50 0x4b",
                child_base);
    }
#if SANENET_WITH_ZLIB
    SUBCASE("2^31 bytes claimed inside gzip") {
        write_file(p, gzip(idx_header(0x08, {0x80000000u})));
        refused([&] { sn::data::load_idx(p); }, "(after gunzip) at byte 8: expected 2147483648 bytes of data", child_base);
    }
#endif
}

TEST_CASE("IdxOptions::max_bytes is exact: a file of that size loads, one byte less is refused") {
    temp_dir dir("idx_limit");
    const fs::path p = dir.path / "small.idx";
    bytes b = idx_header(0x08, {100});
    b.resize(b.size() + 100, 7);
    write_file(p, b);
    CHECK(sn::data::load_idx(p, {.max_bytes = 108}).size() == 100);
    const std::string msg = message_of<sn::io_error>([&] { sn::data::load_idx(p, {.max_bytes = 107}); });
    CHECK(contains(msg,
                   "it is 108 bytes, more than the 107 bytes accepted (IdxOptions::max_bytes; raise it if the file is right)"));
#if SANENET_WITH_ZLIB
    write_file(p, gzip(b));
    CHECK(sn::data::load_idx(p, {.max_bytes = 108}).size() == 100);
    const std::string gz = message_of<sn::io_error>([&] { sn::data::load_idx(p, {.max_bytes = 107}); });
    CHECK(contains(gz, "the header declares 100 elements of 1 bytes, 108 bytes in all, more than the 107 bytes accepted"));
#endif
}

#if SANENET_WITH_ZLIB
TEST_CASE("gzip bombs that inflate to 10 GiB are stopped where the IDX header says the file ends") {
    temp_dir dir("bomb");
    const fs::path p = dir.path / "bomb.idx.gz";
    SUBCASE("the header declares Fashion-MNIST's 47 MB of images; the stream goes on to 10 GiB of zeros") {
        const bytes bomb = zero_bomb(idx_header(0x08, {60000, 28, 28}), 10240);
        REQUIRE(gunzip_head(bomb, 4 << 20) == [] {
            bytes b = idx_header(0x08, {60000, 28, 28});
            b.resize(4 << 20, 0);
            return b;
        }());
        write_file(p, bomb);
        MESSAGE("a gzip file of " << bomb.size() << " bytes that inflates to 10 GiB + 16 bytes");
        refused([&] { sn::data::load_idx(p); },
                "expected the file to end after 47040000 bytes of data after the 16-byte header, found more",
                static_cast<long long>(bomb.size() + 47040016) / 1024 + 8 * MiB);
    }
    SUBCASE("the header declares all 10 GiB: refused from the header") {
        const bytes bomb = zero_bomb(idx_header(0x08, {10240, 1024, 1024}), 10240);
        write_file(p, bomb);
        MESSAGE("a gzip file of " << bomb.size() << " bytes that inflates to 10 GiB + 16 bytes");
        refused([&] { sn::data::load_idx(p); }, "10737418256 bytes in all, more than the 4294967296 bytes accepted",
                static_cast<long long>(bomb.size()) / 1024 + 4 * MiB);
    }
    SUBCASE("a bomb of about 1 KB: gzip inside gzip inside gzip around 10 GiB of zeros") {
        const bytes inner = zero_bomb(idx_header(0x08, {10240, 1024, 1024}), 10240);
        const bytes bomb = gzip(gzip(inner));
        CHECK(bomb.size() < 4096);
        MESSAGE("a gzip file of " << bomb.size() << " bytes, three layers around 10 GiB + 16 bytes");
        write_file(p, bomb);
        refused([&] { sn::data::load_idx(p); }, "found 0x1f 0x8b (not an IDX file)", child_base);
    }
}
#endif

TEST_CASE("a CSV with 10^7 columns or a 1 GiB line is refused at CsvOptions' bounds") {
    temp_dir dir("csv");
    const fs::path p = dir.path / "hostile.csv";
    SUBCASE("10^7 columns (a 20 MB line): refused at the 10^6th") {
        std::string line;
        line.reserve(20'000'001);
        for (int i = 0; i < 10'000'000; ++i) line += i ? ",1" : "1";
        line += '\n';
        write_file(p, line);
        refused([&] { sn::data::load_csv(p); },
                p.string() + ":1: more than 1000000 columns, the most accepted (CsvOptions::max_columns", 20 * MiB + 80 * MiB);
    }
    SUBCASE("a 1 GiB line (32 MiB of numbers, then a hole): refused after 32 MiB") {
        std::string head;
        while (head.size() < (std::size_t{40} << 20)) head += "1.5,";
        write_sparse(p, bytes(head.begin(), head.end()), std::uint64_t{1} << 30);
        refused([&] { sn::data::load_csv(p); },
                "line 1 is longer than 33554432 bytes, the longest line accepted (CsvOptions::max_line_bytes",
                2 * 32 * MiB + 8 * MiB);
    }
    SUBCASE("a quoted field with line breaks counts as one record") {
        std::string text = "a,b\n1,\"";
        for (int i = 0; i < 100000; ++i) text += "2\n";
        text += "\"\n";
        write_file(p, text);
        const std::string msg = message_of<sn::io_error>([&] { sn::data::load_csv(p, {.max_line_bytes = 1000}); });
        CHECK(
            contains(msg, p.string() + ":2: a record longer than 1000 bytes, the longest accepted (CsvOptions::max_line_bytes"));
    }
    SUBCASE("the bounds are exact") {
        write_file(p, "1,2,3\n4,5,6\n");
        CHECK(sn::data::load_csv(p, {.max_columns = 3, .max_line_bytes = 5}).values.shape()[1] == 3);
        CHECK(contains(message_of<sn::io_error>([&] { sn::data::load_csv(p, {.max_columns = 2}); }), ":1: more than 2 columns"));
        CHECK(contains(message_of<sn::io_error>([&] { sn::data::load_csv(p, {.max_line_bytes = 4}); }),
                       "line 1 is longer than 4 bytes"));
        CHECK(contains(message_of<sn::argument_error>([&] { sn::data::load_csv(p, {.max_columns = 0}); }),
                       "max_columns and max_line_bytes must be at least 1"));
    }
}

TEST_CASE("a model file claiming 10^9 parameters is refused without reading more than twice the network's own file") {
    temp_dir dir("model");
    const fs::path p = dir.path / "hostile.sanenet";
    // Classification<3>: Input 4, Dense 4 -> 10^9 / 4 (ReLU), i.e. 1,250,000,000 parameters in all.
    bytes record;
    put_le(record, 1, 4);  // classification
    put_le(record, 3, 4);  // 3 outputs
    put_le(record, 3, 4);  // 3 layer records
    const auto layer = [&](std::uint8_t kind, std::uint8_t activation, std::uint32_t in, std::uint32_t out) {
        record.insert(record.end(), {kind, activation, 0, 0});
        put_le(record, in, 4);
        put_le(record, out, 4);
        put_le(record, 0, 4);
    };
    layer(0, 0, 4, 4);
    layer(1, 0, 4, 250'000'000);
    layer(2, 1, 250'000'000, 250'000'000);
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : record) h = (h ^ c) * 0x100000001b3ull;
    const std::uint64_t count = 4ull * 250'000'000 + 250'000'000;
    bytes head = {'S', 'A', 'N', 'E', 'N', 'E', 'T', 0x1a};
    put_le(head, 1, 4);
    put_le(head, h, 8);
    head.insert(head.end(), record.begin(), record.end());
    put_le(head, count, 8);
    const std::uint64_t whole = head.size() + 4 * count + 8;
    SUBCASE("the file holds the header only") {
        write_file(p, head);
        refused([&] { Small{}.load(p); },
                "truncated: expected " + std::to_string(whole) + " bytes, file has " + std::to_string(head.size()),
                child_base + load_read_bound_kb);
    }
    SUBCASE("the file is all there: 5 GB (a sparse file)") {
        write_sparse(p, head, whole);
        refused([&] { Small{}.load(p); }, "the file holds Classification<3>: Input<4>, Dense<250000000> ReLU",
                child_base + load_read_bound_kb);
    }
}

TEST_CASE("a model file of the network followed by 1 GiB is refused from its header; load_any reads no more than the file") {
    temp_dir dir("model_trailing");
    const fs::path p = dir.path / "net.sanenet";
    Small{sn::Seed{1}}.save(p);
    const auto own = fs::file_size(p);
    SUBCASE("Network::load reads at most twice its largest file + 1 MiB") {
        REQUIRE(::truncate(p.c_str(), off_t{1} << 30) == 0);
        refused([&] { Small{}.load(p); },
                "the file is 1073741824 bytes, a model file of this network at most 1004 (trailing data",
                child_base + load_read_bound_kb);
    }
    SUBCASE("load_any: a header claiming 10^9 parameters in a file of 90 bytes") {
        bytes head = read_bytes(p);
        const std::size_t records = head[28];  // L, the layer records (fewer than 256)
        head.resize(32 + 16 * records);
        put_le(head, 1'000'000'000, 8);  // N: 4 GB of parameters
        write_file(p, head);
        // Version 2 goes on after the parameters with the layer count: at least N x 4 + 4 + 8 more bytes.
        refused([&] { (void)sn::load_any(p); },
                "truncated: expected at least " + std::to_string(head.size() + 4'000'000'000ull + 12) + " bytes, file has " +
                    std::to_string(head.size()),
                child_base);
    }
    CHECK(own < 2048);
}

TEST_CASE("import_npy reads no more of a .npy file than the tensor's values can fill") {
    temp_dir dir("npy");
    Small net{sn::Seed{1}};
    sn::export_npy(net, dir.path);
    const fs::path w = dir.path / "dense0_weight.npy";
    const bytes head = read_bytes(w);
    write_sparse(w, head, std::uint64_t{1} << 30);
    // dense0 is 4 -> 16: 64 values, at most 8 x 64 bytes + a header under 1 MiB, which is read.
    refused([&] { sn::import_npy(net, dir.path); },
            "dense0_weight.npy (layer 1 Dense<16, He>, weight of shape (16, 4)): the file is 1073741824 bytes, more than the "
            "1049088 a file of 64 values can be",
            child_base + 1049088 / 1024 + 1);
}
