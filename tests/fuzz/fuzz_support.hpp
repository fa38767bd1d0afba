// What every fuzz target shares (tests/fuzz/README.md): the input as a file, the rule that an
// input either loads or raises sn::error (anything else aborts, which libFuzzer reports as a
// crash), and --write-seeds=DIR, which writes the target's seed corpus. A target defines
//
//   void fuzz_one(const std::uint8_t* data, std::size_t size);   // one input
//   void write_seeds(const std::filesystem::path& dir);          // its seeds, made by sanenet
//
// and includes this header once; tools/fuzz.py runs the result.
#pragma once

#include <sanenet/sanenet.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

void fuzz_one(const std::uint8_t* data, std::size_t size);
void write_seeds(const std::filesystem::path& dir);

namespace sanenet_fuzz {

using bytes = std::vector<unsigned char>;

// Stops the run: libFuzzer records the input that got here as a crash.
[[noreturn]] inline void fail(const std::string& why) {
    std::fprintf(stderr, "sanenet fuzz: %s\n", why.c_str());
    std::fflush(stderr);
    std::abort();
}

// The input as a file, for loaders that take a path: an in-memory file (memfd) reached through
// /proc/self/fd, rewritten for each input, so the disk is never touched.
class input_file {
public:
    input_file() {
        fd_ = ::memfd_create("sanenet_fuzz_input", 0);
        if (fd_ < 0) fail("memfd_create failed");
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    const std::filesystem::path& write(const void* data, std::size_t size) {
        if (::ftruncate(fd_, 0) != 0) fail("ftruncate failed");
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t done = 0; done < size;) {
            const ::ssize_t n = ::pwrite(fd_, p + done, size - done, static_cast<off_t>(done));
            if (n <= 0) fail("pwrite failed");
            done += static_cast<std::size_t>(n);
        }
        return path_;
    }
    const std::filesystem::path& write(const bytes& b) { return write(b.data(), b.size()); }

private:
    int fd_ = -1;
    std::filesystem::path path_;
};

inline input_file& scratch() {
    static input_file f;
    return f;
}

// Writes one seed file.
inline void seed(const std::filesystem::path& dir, const std::string& name, const bytes& content) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    if (!out) fail("cannot write seed " + (dir / name).string());
}
inline void seed(const std::filesystem::path& dir, const std::string& name, std::string_view content) {
    seed(dir, name, bytes(content.begin(), content.end()));
}

inline bytes read_whole(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sanenet_fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    // Arguments starting with "--" are left to the program by libFuzzer.
    for (int i = 1; i < *argc; ++i) {
        const std::string_view arg = (*argv)[i];
        if (arg.rfind("--write-seeds=", 0) == 0) {
            const std::filesystem::path dir(std::string(arg.substr(14)));
            std::filesystem::create_directories(dir);
            write_seeds(dir);
            std::exit(0);
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        fuzz_one(data, size);
    } catch (const sanenet::error&) {
        // The documented outcome for a bad file.
    } catch (const std::exception& e) {
        sanenet_fuzz::fail(std::string("an exception that is not an sn::error: ") + typeid(e).name() + ": " + e.what());
    } catch (...) {
        sanenet_fuzz::fail("an exception that is not a std::exception");
    }
    return 0;
}
