// Files: the whole-file reader, the atomic writer and the path quoting that every reader and
// writer (model files, .npy, IDX, CSV, plots) shares. Every failure is an io_error that names
// the path and the operating system's reason.
#pragma once

#include <sanenet/core/errors.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
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

// The whole file; every failure names the file and its role (`what`, e.g. "IDX file").
SANENET_INLINE std::vector<unsigned char> read_file(const std::filesystem::path& path, const std::string& what);

// Writes `data` to `path` atomically: a temporary file in the same directory, flushed and
// fsynced, then renamed over the target. On failure the temporary file is removed, an
// existing target is left as it was, and io_error names the path and the OS error.
SANENET_INLINE void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> data,
                                          const std::string& verb);

#if SANENET_DEFINITIONS
SANENET_INLINE std::string quoted(const std::filesystem::path& p) { return std::string(1, '\'') + p.string() + "'"; }

SANENET_INLINE std::string os_error(int err) { return std::generic_category().message(err); }

SANENET_INLINE std::string hex_byte(unsigned value) {
    static constexpr char digits[] = "0123456789abcdef";
    return std::string{'0', 'x', digits[(value >> 4) & 0xF], digits[value & 0xF]};
}

SANENET_INLINE std::vector<unsigned char> read_file(const std::filesystem::path& path, const std::string& what) {
    std::vector<unsigned char> b;
    const std::string fail = "cannot read " + what + " " + quoted(path) + ": ";
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw io_error(fail + "it is a directory, expected a file");
#if defined(__unix__) || defined(__APPLE__)
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error(fail + os_error(errno));
    struct ::stat st{};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) b.reserve(static_cast<std::size_t>(st.st_size));
    unsigned char chunk[1 << 16];
    for (;;) {
        const ::ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int err = errno;
            ::close(fd);
            throw io_error(fail + "reading failed: " + os_error(err));
        }
        if (got == 0) break;
        b.insert(b.end(), chunk, chunk + got);
    }
    ::close(fd);
#else
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(fail + os_error(errno));
    b.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error(fail + "reading failed");
#endif
    return b;
}

SANENET_INLINE void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> data,
                                          const std::string& verb) {
    static std::atomic<unsigned> counter{0};
    const std::string fail = "cannot " + verb + " " + quoted(path) + ": ";
    if (path.filename().empty()) throw io_error(fail + "the path names no file");
#if defined(__unix__) || defined(__APPLE__)
    const long pid = static_cast<long>(::getpid());
#else
    const long pid = 0;
#endif
    std::filesystem::path tmp;
#if defined(__unix__) || defined(__APPLE__)
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
        tmp = path;
        tmp += ".tmp." + std::to_string(pid) + "." + std::to_string(counter.fetch_add(1));
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && (errno != EEXIST || attempt >= 100))
            throw io_error(fail + "cannot create the temporary file " + quoted(tmp) + ": " + os_error(errno));
    }
    const auto abandon = [&](const std::string& what, int err) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        return io_error(fail + what + " " + quoted(tmp) + ": " + os_error(err));
    };
    for (std::size_t done = 0; done < data.size();) {
        const ::ssize_t put = ::write(fd, data.data() + done, data.size() - done);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) throw abandon("writing", put < 0 ? errno : EIO);
        done += static_cast<std::size_t>(put);
    }
    if (::fsync(fd) != 0) throw abandon("fsync of", errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) throw abandon("closing", errno);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        ::unlink(tmp.c_str());
        throw io_error(fail + "renaming " + quoted(tmp) + " over it: " + ec.message());
    }
    // Make the rename itself durable; a directory that cannot be fsynced is not an error.
    const std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
#else
    tmp = path;
    tmp += ".tmp." + std::to_string(pid) + "." + std::to_string(counter.fetch_add(1));
    std::error_code ec;
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw io_error(fail + "cannot create the temporary file " + quoted(tmp) + ": " + os_error(errno));
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        out.flush();
        if (!out) {
            const int err = errno;
            out.close();
            std::filesystem::remove(tmp, ec);
            throw io_error(fail + "writing " + quoted(tmp) + ": " + os_error(err));
        }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw io_error(fail + "renaming " + quoted(tmp) + " over it: " + ec.message());
    }
#endif
}
#endif  // SANENET_DEFINITIONS

}  // namespace sanenet::detail
