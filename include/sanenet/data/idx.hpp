// IDX reader (the MNIST file format): load_idx, plain or gzip-compressed, with byte-exact errors.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/file.hpp>

#include <cstddef>
#include <filesystem>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

// gzip support: SANENET_WITH_ZLIB (core/config.hpp).
#if SANENET_WITH_ZLIB
#include <zlib.h>
#endif
#endif

namespace sanenet::inline SANENET_ABI::data {

struct IdxOptions {
    // The largest file accepted, in bytes after gunzip (4 GiB; Fashion-MNIST's largest is 47 MB).
    // A larger file, a header that declares more, or a gzip stream that inflates to more than
    // its header declares is refused before more than this is held (docs/reliability.md).
    std::size_t max_bytes = std::size_t{1} << 32;
};

// Reads an IDX file (plain or gzip, detected by content) into floats with the file's shape,
// unscaled: MNIST pixels stay 0..255.
SANENET_INLINE xt::xarray<float> load_idx(const std::filesystem::path& path, const IdxOptions& options = {});

}  // namespace sanenet::data

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::data {
namespace detail {

using sanenet::detail::hex_byte;
using sanenet::detail::quoted;
using sanenet::detail::read_file;
using sanenet::detail::read_file_head;

SANENET_INLINE const char* idx_type_list() {
    return "0x08 ubyte, 0x09 sbyte, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64";
}

// Element size of an IDX type code, 0 for an unknown code.
SANENET_INLINE std::size_t idx_element_size(std::uint8_t type) {
    switch (type) {
        case 0x08:
        case 0x09: return 1;
        case 0x0B: return 2;
        case 0x0C:
        case 0x0D: return 4;
        case 0x0E: return 8;
        default: return 0;
    }
}

SANENET_INLINE bool is_gzip(const std::vector<unsigned char>& bytes) {
    return bytes.size() >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;
}

template <class U>
inline U load_big_endian(const unsigned char* p) {
    U value{};
    for (std::size_t i = 0; i < sizeof(U); ++i) value = static_cast<U>((value << 8) | p[i]);
    return value;
}

inline constexpr std::size_t idx_size_unknown = static_cast<std::size_t>(-1);

// How many bytes an IDX file whose first n bytes are b can hold at most, as far as those bytes
// tell: the header plus the data it declares (saturating), or n when the header is already
// wrong (nothing more is needed to report it), or idx_size_unknown while the header is incomplete.
SANENET_INLINE std::size_t idx_declared_size(const unsigned char* b, std::size_t n) {
    if (n < 4) return idx_size_unknown;
    const std::size_t element = idx_element_size(b[2]);
    if (b[0] != 0 || b[1] != 0 || element == 0 || b[3] == 0) return n;
    const std::size_t header = 4 + 4 * std::size_t{b[3]};
    if (n < header) return idx_size_unknown;
    std::size_t total = element;
    for (std::size_t i = 0; i < b[3]; ++i) {
        const std::size_t d = load_big_endian<std::uint32_t>(b + 4 + 4 * i);
        if (d == 0 || total > std::numeric_limits<std::size_t>::max() / d) return n;
        total *= d;
    }
    return total > std::numeric_limits<std::size_t>::max() - header ? n : header + total;
}

#if SANENET_WITH_ZLIB
// Inflates every gzip member of `in`; corrupt or truncated streams name the compressed byte
// offset. Inflating stops, with *cut set, one byte past what the IDX header declares or past
// max_bytes, whichever is less, and as soon as the header is wrong: a gzip bomb is stopped
// there, and read_idx reports what is wrong from the bytes held.
SANENET_INLINE std::vector<unsigned char> gunzip(const std::vector<unsigned char>& in, const std::filesystem::path& path,
                                                 std::size_t max_bytes, bool& cut) {
    auto fail = [&](std::size_t offset, const std::string& what) {
        return io_error("corrupt gzip stream in " + quoted(path) + " at compressed byte " + std::to_string(offset) + ": " + what +
                        " (expected a complete gzip file; re-download or re-compress it)");
    };
    cut = false;
    std::vector<unsigned char> out;
    // The most that may be held: one byte more than allowed, so that "more" can be reported.
    std::size_t cap = max_bytes == std::numeric_limits<std::size_t>::max() ? max_bytes : max_bytes + 1;
    // Room for the longest header (4 + 4 x 255 bytes) first; once the header is known, room for
    // what it declares, but never more than the stream can inflate to (deflate's limit is 1032:1).
    out.resize(std::min<std::size_t>(2048, cap));
    bool header_read = false;
    std::size_t pos = 0, produced = 0;
    while (pos < in.size()) {
        z_stream zs{};
        if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw fail(pos, "zlib could not start inflating");
        std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, &inflateEnd);
        int rc = Z_OK;
        while (rc != Z_STREAM_END) {
            if (!header_read) {
                const std::size_t declared = idx_declared_size(out.data(), produced);
                if (declared != idx_size_unknown) {
                    header_read = true;
                    if (declared > max_bytes) {  // read_idx refuses it from the header alone
                        cut = true;
                        out.resize(produced);
                        return out;
                    }
                    if (declared < cap) cap = declared + 1;
                    const std::size_t possible = in.size() > (std::numeric_limits<std::size_t>::max() - 4096) / 1032
                                                     ? std::numeric_limits<std::size_t>::max()
                                                     : 1032 * in.size() + 4096;
                    if (out.size() < std::min(cap, possible)) out.resize(std::min(cap, possible));
                }
            }
            if (produced >= cap) {
                cut = true;
                out.resize(produced);
                return out;
            }
            if (produced == out.size()) out.resize(std::min(out.size() > cap / 2 ? cap : out.size() * 2, cap));
            constexpr std::size_t max_chunk = std::numeric_limits<uInt>::max();
            const std::size_t in_left = in.size() - pos;
            zs.next_in = const_cast<Bytef*>(in.data() + pos);
            zs.avail_in = static_cast<uInt>(std::min(in_left, max_chunk));
            zs.next_out = out.data() + produced;
            zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, max_chunk));
            const uInt in_before = zs.avail_in, out_before = zs.avail_out;
            rc = inflate(&zs, Z_NO_FLUSH);
            pos += in_before - zs.avail_in;
            produced += out_before - zs.avail_out;
            if (rc == Z_STREAM_END) break;
            if (rc == Z_BUF_ERROR && pos == in.size()) throw fail(pos, "the stream ends early (file truncated)");
            if (rc != Z_OK && rc != Z_BUF_ERROR) throw fail(pos, zs.msg ? zs.msg : "zlib error " + std::to_string(rc));
            if (rc == Z_OK && pos == in.size() && zs.avail_out != 0) throw fail(pos, "the stream ends early (file truncated)");
        }
        if (pos < in.size() && !(in.size() - pos >= 2 && in[pos] == 0x1F && in[pos + 1] == 0x8B))
            throw fail(pos, std::to_string(in.size() - pos) +
                                " bytes follow the end of the gzip stream, expected another gzip member or the end of the file");
    }
    out.resize(produced);
    return out;
}
#endif

// A parsed IDX file: its shape, type code and payload; decoding into floats is separate
// so that callers such as fashion_mnist can fill their own containers without a copy.
struct idx_file {
    std::filesystem::path path;
    bool gzipped = false;
    std::uint8_t type = 0;
    std::vector<std::size_t> shape;
    std::size_t header_size = 0;
    std::vector<unsigned char> bytes;  // the whole (decompressed) file, or its start when `cut`
    bool cut = false;  // gunzip stopped early, or a plain file was read only as far as its header says
    std::uint64_t file_size = 0;  // a plain file's size on disk when `cut`

    std::size_t size() const {
        std::size_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }

    // Decodes elements [first, first + count) into out, as unscaled floats.
    void to_float(float* out, std::size_t first, std::size_t count) const {
        const unsigned char* p = bytes.data() + header_size + first * idx_element_size(type);
        switch (type) {
            case 0x08:
                for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(p[i]);
                break;
            case 0x09:
                for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(static_cast<std::int8_t>(p[i]));
                break;
            case 0x0B:
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = static_cast<float>(static_cast<std::int16_t>(load_big_endian<std::uint16_t>(p + 2 * i)));
                break;
            case 0x0C:
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = static_cast<float>(static_cast<std::int32_t>(load_big_endian<std::uint32_t>(p + 4 * i)));
                break;
            case 0x0D:
                for (std::size_t i = 0; i < count; ++i) out[i] = std::bit_cast<float>(load_big_endian<std::uint32_t>(p + 4 * i));
                break;
            case 0x0E:
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = static_cast<float>(std::bit_cast<double>(load_big_endian<std::uint64_t>(p + 8 * i)));
                break;
            default: break;
        }
    }
};

SANENET_INLINE idx_file read_idx(const std::filesystem::path& path, std::size_t max_bytes) {
    idx_file f;
    f.path = path;
    sanenet::detail::read_limits limits;
    limits.max_bytes = max_bytes;
    limits.max_bytes_option = "IdxOptions::max_bytes";
    // A plain regular file is read only as far as its header says it goes, plus one byte (to see
    // that more follows): a file with trailing data, or one that is not an IDX file at all, costs
    // no more memory than its header declares, whatever its size.
    std::error_code ec;
    std::vector<unsigned char> raw;
    bool whole = true;
    if (std::filesystem::is_regular_file(path, ec)) {
        constexpr std::size_t longest_header = 4 + 4 * 255;
        raw = read_file_head(path, "IDX file", longest_header, f.file_size);
        const std::size_t declared = idx_declared_size(raw.data(), raw.size());
        if (!is_gzip(raw) && f.file_size <= max_bytes && declared != idx_size_unknown && declared < f.file_size) {
            if (declared >= raw.size()) raw = read_file_head(path, "IDX file", declared + 1, f.file_size);
            f.cut = raw.size() < f.file_size;
            whole = false;
        }
    }
    if (whole) raw = read_file(path, "IDX file", limits);
    if (raw.empty())
        throw io_error("IDX file " + quoted(path) +
                       " is empty: at byte 0 expected a 4-byte magic number (0x00 0x00 type ndims), found 0 bytes");
    f.gzipped = is_gzip(raw);
    if (f.gzipped) {
#if SANENET_WITH_ZLIB
        bool cut = false;
        f.bytes = gunzip(raw, path, max_bytes, cut);
        f.cut = cut;
        raw = {};
#else
        throw io_error("IDX file " + quoted(path) +
                       " is gzip-compressed but sanenet was built without zlib (SANENET_WITH_ZLIB=0): "
                       "link zlib (-lz, package zlib1g-dev) or gunzip the file first");
#endif
    } else {
        f.bytes = std::move(raw);
    }
    const auto& b = f.bytes;
    const std::string where = "IDX file " + quoted(path) + (f.gzipped ? " (after gunzip)" : "");
    auto fail = [&](std::size_t offset, const std::string& what) {
        return io_error(where + " at byte " + std::to_string(offset) + ": " + what);
    };
    if (b.empty()) throw fail(0, "expected a 4-byte magic number (0x00 0x00 type ndims), found an empty file");
    if (b.size() < 4)
        throw fail(0, "expected a 4-byte magic number (0x00 0x00 type ndims), found only " + std::to_string(b.size()) + " bytes");
    if (b[0] != 0 || b[1] != 0)
        throw fail(0, "expected the magic number to start with 0x00 0x00, found " + hex_byte(b[0]) + " " + hex_byte(b[1]) +
                          " (not an IDX file)");
    f.type = b[2];
    const std::size_t element = idx_element_size(f.type);
    if (element == 0) throw fail(2, std::string("expected a type code (") + idx_type_list() + "), found " + hex_byte(f.type));
    const std::size_t ndims = b[3];
    if (ndims == 0) throw fail(3, "expected at least 1 dimension, found 0");
    f.header_size = 4 + 4 * ndims;
    if (b.size() < f.header_size && f.cut && f.gzipped)
        throw io_error(where + " inflates to more than the " + std::to_string(max_bytes) +
                       " bytes accepted (IdxOptions::max_bytes; raise it if the file is right)");
    if (b.size() < f.header_size)
        throw fail(b.size(), "expected a " + std::to_string(f.header_size) + "-byte header with " + std::to_string(ndims) +
                                 " dimension sizes, found only " + std::to_string(b.size()) + " bytes (file truncated)");
    std::size_t expected = element;
    for (std::size_t i = 0; i < ndims; ++i) {
        const std::size_t offset = 4 + 4 * i;
        const std::size_t d = load_big_endian<std::uint32_t>(b.data() + offset);
        if (d == 0) throw fail(offset, "expected dimension " + std::to_string(i) + " to be at least 1, found 0");
        if (expected > std::numeric_limits<std::size_t>::max() / d)
            throw fail(offset, "the dimension sizes multiply to more bytes than can be addressed");
        expected *= d;
        f.shape.push_back(d);
    }
    std::string dims;
    for (std::size_t i = 0; i < ndims; ++i) dims += (i ? " x " : "") + std::to_string(f.shape[i]);
    if (expected > max_bytes - std::min(max_bytes, f.header_size))
        throw fail(4, "the header declares " + dims + " elements of " + std::to_string(element) + " bytes, " +
                          std::to_string(f.header_size + expected) + " bytes in all, more than the " + std::to_string(max_bytes) +
                          " bytes accepted (IdxOptions::max_bytes; raise it if the file is right)" +
                          (f.cut ? std::string() : "; the file holds " + std::to_string(b.size())));
    const std::size_t found = b.size() - f.header_size;
    if (found < expected)
        throw fail(b.size(), "expected " + std::to_string(expected) + " bytes of data after the " +
                                 std::to_string(f.header_size) + "-byte header, found " + std::to_string(found) +
                                 " (file truncated)");
    if (found > expected)
        throw fail(f.header_size + expected,
                   "expected the file to end after " + std::to_string(expected) + " bytes of data after the " +
                       std::to_string(f.header_size) + "-byte header, found " +
                       (f.cut && f.gzipped
                            ? "more (the gzip stream goes on; inflating stopped there)"
                            : std::to_string((f.cut ? f.file_size : b.size()) - f.header_size - expected) + " trailing bytes"));
    return f;
}

}  // namespace detail

SANENET_INLINE xt::xarray<float> load_idx(const std::filesystem::path& path, const IdxOptions& options) {
    const auto f = detail::read_idx(path, options.max_bytes);
    auto out = xt::xarray<float>::from_shape(f.shape);
    f.to_float(out.data(), 0, f.size());
    return out;
}

}  // namespace sanenet::data
#endif  // SANENET_DEFINITIONS
