// arch_gate <arch> <test program> [arguments...]: runs a test program built for one SIMD
// architecture (sse2, avx2, avx512) when this CPU and OS support it, and otherwise exits with
// 77, which CTest reports as "Skipped" under the test's name. Compiled without any -m flags,
// so that it runs on every x86-64 CPU.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

// The features each architecture's build is compiled for (tests/CMakeLists.txt), missing ones listed.
std::string missing_features(const std::string& arch) {
    std::string missing;
    const auto need = [&](bool has, const char* name) {
        if (!has) missing += std::string(missing.empty() ? "" : ", ") + name;
    };
    __builtin_cpu_init();
    if (arch == "sse2") {
        need(__builtin_cpu_supports("sse2"), "sse2");
    } else if (arch == "avx2") {
        need(__builtin_cpu_supports("avx2"), "avx2");
        need(__builtin_cpu_supports("fma"), "fma");
    } else if (arch == "avx512") {
        need(__builtin_cpu_supports("avx512f"), "avx512f");
        need(__builtin_cpu_supports("avx512bw"), "avx512bw");
        need(__builtin_cpu_supports("avx512dq"), "avx512dq");
        need(__builtin_cpu_supports("avx512vl"), "avx512vl");
    } else {
        missing = "an architecture this gate knows (sse2, avx2, avx512)";
    }
    return missing;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s sse2|avx2|avx512 <test program> [arguments...]\n", argv[0]);
        return 2;
    }
    const std::string missing = missing_features(argv[1]);
    if (!missing.empty()) {
        std::printf("arch_gate: skipped: this CPU lacks %s, so the %s build was compiled but not run\n", missing.c_str(),
                    argv[1]);
        return 77;
    }
    execv(argv[2], argv + 2);
    std::fprintf(stderr, "arch_gate: cannot run %s: %s\n", argv[2], std::strerror(errno));
    return 126;
}
