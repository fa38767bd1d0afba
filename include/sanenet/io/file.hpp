// Files: the whole-file reader, the atomic writer and the path quoting that every reader and
// writer (model files, .npy, IDX, CSV, plots) shares. Every failure is an io_error that names
// the path and the operating system's reason.
#pragma once

#include <sanenet/core/errors.hpp>

#include <filesystem>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif
#endif

namespace sanenet::inline SANENET_ABI::detail {

// The path in single quotes, for messages.
SANENET_INLINE std::string quoted(const std::filesystem::path& p);

// The operating system's text for an errno value.
SANENET_INLINE std::string os_error(int err);

// A byte in hexadecimal, e.g. "0x1f".
SANENET_INLINE std::string hex_byte(unsigned value);

// Bounds on what read_file accepts, checked while reading, so that a hostile file is refused
// before more than the bound is held in memory: a file of more than max_bytes bytes, or (text)
// a line of more than max_line_bytes bytes. The option names go into the message, so that a
// user whose file is right knows what to raise.
struct read_limits {
    std::size_t max_bytes = static_cast<std::size_t>(-1);
    std::string max_bytes_option;
    std::size_t max_line_bytes = static_cast<std::size_t>(-1);
    std::string max_line_option;
};

// The whole file; every failure names the file and its role (`what`, e.g. "IDX file").
SANENET_INLINE std::vector<unsigned char> read_file(const std::filesystem::path& path, const std::string& what,
                                                    const read_limits& limits = {});

// The first `max_bytes` bytes of the file (all of it if shorter); `file_size` receives its size.
SANENET_INLINE std::vector<unsigned char> read_file_head(const std::filesystem::path& path, const std::string& what,
                                                         std::size_t max_bytes, std::uint64_t& file_size);

// The temporary file write_file_atomically writes `path` through: `path` + ".sanenet-tmp".
SANENET_INLINE std::filesystem::path temporary_path(const std::filesystem::path& path);

// Writes `data` to `path` atomically: the temporary file next to it (temporary_path), flushed
// and fsynced, then renamed over the target. One save of a path runs at a time (an advisory
// lock on the temporary file, released by the kernel when its process dies), so a save that
// was killed leaves at most that one temporary file, which the next save of the path takes
// over; saves of different paths never touch each other's files. On failure the temporary
// file is removed, an existing target is left as it was, and io_error names the path and the
// OS error.
SANENET_INLINE void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> data,
                                          const std::string& verb);

#if SANENET_DEFINITIONS
SANENET_INLINE std::string quoted(const std::filesystem::path& p) { return std::string(1, '\'') + p.string() + "'"; }

SANENET_INLINE std::string os_error(int err) { return std::generic_category().message(err); }

SANENET_INLINE std::string hex_byte(unsigned value) {
    static constexpr char digits[] = "0123456789abcdef";
    return std::string{'0', 'x', digits[(value >> 4) & 0xF], digits[value & 0xF]};
}

namespace detail_file {

// Reads up to `cap` bytes (the limits' max_bytes, or a head); throws for a directory, an OS
// error or a broken limit. `size` receives the file's size as fstat saw it.
SANENET_INLINE std::vector<unsigned char> read_bounded(const std::filesystem::path& path, const std::string& what,
                                                       const read_limits& limits, bool head_only, std::uint64_t& size) {
    std::vector<unsigned char> b;
    const std::string fail = "cannot read " + what + " " + quoted(path) + ": ";
    // found: the file's size, or 0 when it grew past the limit while being read.
    const auto too_large = [&](std::uint64_t found) {
        return io_error(fail + "it is " + (found ? std::to_string(found) + " bytes, more than" : std::string("larger than")) +
                        " the " + std::to_string(limits.max_bytes) + " bytes accepted (" + limits.max_bytes_option +
                        "; raise it if the file is right)");
    };
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw io_error(fail + "it is a directory, expected a file");
    // Line bookkeeping for max_line_bytes: the current line's length so far and its number.
    std::size_t line_length = 0, line = 1;
    const auto scan_lines = [&](const unsigned char* p, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (p[i] == '\n') {
                line_length = 0;
                ++line;
            } else if (++line_length > limits.max_line_bytes) {
                throw io_error(fail + "line " + std::to_string(line) + " is longer than " +
                               std::to_string(limits.max_line_bytes) + " bytes, the longest line accepted (" +
                               limits.max_line_option + "; raise it if the file is right)");
            }
        }
    };
    const bool check_lines = limits.max_line_bytes != static_cast<std::size_t>(-1);
    const std::size_t cap = limits.max_bytes;
#if defined(__unix__) || defined(__APPLE__)
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error(fail + os_error(errno));
    struct fd_closer {
        int fd;
        ~fd_closer() { ::close(fd); }
    } closer{fd};
    struct ::stat st{};
    size = 0;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) size = static_cast<std::uint64_t>(st.st_size);
    if (!head_only && size > cap) throw too_large(size);
    // Reserve what the file holds, unless lines are checked: then a long line is refused
    // before its bytes are held, so the buffer grows with what was read.
    if (!check_lines) b.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(size, cap)));
    unsigned char chunk[1 << 16];
    for (;;) {
        const std::size_t want = std::min<std::size_t>(sizeof chunk, head_only ? cap - b.size() : sizeof chunk);
        if (want == 0) break;
        const ::ssize_t got = ::read(fd, chunk, want);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw io_error(fail + "reading failed: " + os_error(errno));
        if (got == 0) break;
        const auto n = static_cast<std::size_t>(got);
        if (!head_only && n > cap - b.size()) throw too_large(0);  // it grew
        if (check_lines) scan_lines(chunk, n);
        b.insert(b.end(), chunk, chunk + n);
    }
#else
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(fail + os_error(errno));
    in.seekg(0, std::ios::end);
    size = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
    in.seekg(0);
    if (!head_only && size > cap) throw too_large(size);
    char chunk[1 << 16];
    while (in && b.size() < (head_only ? cap : static_cast<std::size_t>(-1))) {
        const std::size_t want = std::min<std::size_t>(sizeof chunk, head_only ? cap - b.size() : sizeof chunk);
        in.read(chunk, static_cast<std::streamsize>(want));
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        if (!head_only && n > cap - b.size()) throw too_large(0);
        if (check_lines) scan_lines(reinterpret_cast<const unsigned char*>(chunk), n);
        b.insert(b.end(), chunk, chunk + n);
    }
    if (in.bad()) throw io_error(fail + "reading failed");
#endif
    return b;
}

}  // namespace detail_file

SANENET_INLINE std::vector<unsigned char> read_file(const std::filesystem::path& path, const std::string& what,
                                                    const read_limits& limits) {
    std::uint64_t size = 0;
    return detail_file::read_bounded(path, what, limits, false, size);
}

SANENET_INLINE std::vector<unsigned char> read_file_head(const std::filesystem::path& path, const std::string& what,
                                                         std::size_t max_bytes, std::uint64_t& file_size) {
    read_limits limits;
    limits.max_bytes = max_bytes;
    return detail_file::read_bounded(path, what, limits, true, file_size);
}

SANENET_INLINE std::filesystem::path temporary_path(const std::filesystem::path& path) {
    std::filesystem::path tmp = path;
    tmp += ".sanenet-tmp";
    return tmp;
}

SANENET_INLINE void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> data,
                                          const std::string& verb) {
    const std::string fail = "cannot " + verb + " " + quoted(path) + ": ";
    if (path.filename().empty()) throw io_error(fail + "the path names no file");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw io_error(fail + "it is a directory, expected the path of a file (the directory was left as it was)");
    const std::filesystem::path tmp = temporary_path(path);
    const std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    const std::string kept = std::filesystem::exists(path, ec) ? "; " + quoted(path) + " was left as it was" : "";
#if defined(__unix__) || defined(__APPLE__)
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) {
            const int err = errno;
            std::string why = os_error(err);
            if (err == EACCES || err == EPERM || err == EROFS)
                why += " (sanenet writes " + quoted(tmp.filename()) + " in " + quoted(dir) +
                       ", then renames it: the directory must be writable)";
            throw io_error(fail + "cannot create the temporary file " + quoted(tmp) + ": " + why + kept);
        }
        // One save of this path at a time. The lock is the kernel's, so it dies with a killed
        // process, and the next save takes the temporary file over instead of leaving it behind.
        // (A file system without flock, such as some network mounts, still saves, unlocked.)
        while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {}
        struct ::stat held{}, named{};
        if (::fstat(fd, &held) == 0 && ::lstat(tmp.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            break;
        // The save that held the lock renamed or removed the file: start again with a new one.
        ::close(fd);
        fd = -1;
        if (attempt >= 100)
            throw io_error(fail + "cannot take over the temporary file " + quoted(tmp) + ": other saves keep replacing it" +
                           kept);
    }
    const auto abandon = [&](const std::string& what, int err) {
        ::unlink(tmp.c_str());  // still under the lock: no other save is using it
        ::close(fd);
        std::string why = os_error(err);
        if (err == ENOSPC || err == EFBIG) why += " (the disk, or the process's file size limit, is full)";
        return io_error(fail + what + " " + quoted(tmp) + ": " + why + kept);
    };
    if (::ftruncate(fd, 0) != 0) throw abandon("emptying", errno);
    for (std::size_t done = 0; done < data.size();) {
        const ::ssize_t put = ::write(fd, data.data() + done, data.size() - done);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) throw abandon("writing", put < 0 ? errno : EIO);
        done += static_cast<std::size_t>(put);
    }
    if (::fsync(fd) != 0) throw abandon("fsync of", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw abandon("renaming over the target", errno);
    // The lock goes with the descriptor; a save waiting for it finds the name gone and starts anew.
    ::close(fd);  // after fsync and rename, a failing close loses nothing
    // Make the rename itself durable; a directory that cannot be fsynced is not an error.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
#else
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw io_error(fail + "cannot create the temporary file " + quoted(tmp) + ": " + os_error(errno) + kept);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        out.flush();
        if (!out) {
            const int err = errno;
            out.close();
            std::filesystem::remove(tmp, ec);
            throw io_error(fail + "writing " + quoted(tmp) + ": " + os_error(err) + kept);
        }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw io_error(fail + "renaming " + quoted(tmp) + " over it: " + ec.message() + kept);
    }
#endif
}
#endif  // SANENET_DEFINITIONS

}  // namespace sanenet::detail
