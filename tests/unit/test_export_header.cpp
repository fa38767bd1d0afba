// sn::export_header (issue 15): the generated header is compiled here, as a program that links
// nothing of sanenet would compile it (C++17, -fno-exceptions -fno-rtti -Wall -Wextra -Werror, no
// include path but the header's folder), once per instruction set (SSE2, AVX2, AVX-512); its
// predict must give the same bits in every build and match predict_one on 1000 raw inputs.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#ifndef SANENET_TEST_CXX
#define SANENET_TEST_CXX "g++"  // tests/CMakeLists.txt passes the compiler that builds the tests
#endif

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

// The program that includes the header: reads rows of inputs, writes predictions. operator new
// aborts, so a header that allocates fails the run.
constexpr const char* driver = R"(#include "model.hpp"
#include <cstdio>
#include <cstdlib>
#include <new>
void* operator new(std::size_t) { std::abort(); }
void* operator new[](std::size_t) { std::abort(); }
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    std::FILE* in = std::fopen(argv[1], "rb");
    std::FILE* out = std::fopen(argv[2], "wb");
    if (!in || !out) return 3;
    float x[NS::inputs], y[NS::outputs];
    while (std::fread(x, sizeof x, 1, in) == 1) {
        NS::predict(x, y);
        if (std::fwrite(y, sizeof y, 1, out) != 1) return 4;
    }
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 5;
}
)";

struct build {
    const char* name;
    std::string flags;
    bool runs;
};

std::vector<build> builds() {
    __builtin_cpu_init();
    return {{"sse2", "", true},
            {"avx2", "-mavx2 -mfma", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")},
            {"avx512", "-mavx512f -mavx512bw -mavx512dq -mavx512vl",
             __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512vl")}};
}

int run(const std::string& cmd) {
    const int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
    if (rc != 0) {  // once more, with the output shown
        MESSAGE("failed (" << rc << "): " << cmd);
        std::system(cmd.c_str());
    }
    return rc;
}

void write_matrix(const fs::path& path, const sn::matrix& x) {
    bytes b(x.size() * sizeof(float));
    std::memcpy(b.data(), x.data(), b.size());
    write_file(path, b);
}

// The header's predict on every row of x, compiled with `cxx` and the build's flags (nothing
// when the CPU cannot run the build).
std::vector<float> header_predictions(const fs::path& dir, const std::string& ns, const std::string& cxx, const build& b,
                                      const sn::matrix& x, std::size_t outputs) {
    write_file(dir / "driver.cpp", std::string(driver));
    const fs::path exe = dir / ("driver_" + std::string(b.name));
    const std::string cmd = cxx + " -std=c++17 -O2 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Wshadow -Werror " +
                            b.flags + " -DNS=" + ns + " -I " + dir.string() + " " + (dir / "driver.cpp").string() + " -o " +
                            exe.string();
    REQUIRE(run(cmd) == 0);
    if (!b.runs) return {};
    write_matrix(dir / "x.bin", x);
    REQUIRE(run(exe.string() + " " + (dir / "x.bin").string() + " " + (dir / "y.bin").string()) == 0);
    const bytes y = read_bytes(dir / "y.bin");
    REQUIRE(y.size() == x.shape()[0] * outputs * sizeof(float));
    std::vector<float> out(y.size() / sizeof(float));
    std::memcpy(out.data(), y.data(), y.size());
    return out;
}

}  // namespace

namespace {

using Arm = sn::Network<sn::Regression, sn::Input<5>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<48, sn::He>,
                        sn::ELU, sn::Dense<3>, sn::Identity>;
using Mixed = sn::Network<sn::Classification<5>, sn::Input<10>, sn::GaussianNoise<0.1>, sn::Tanh, sn::Dense<40>, sn::LayerNorm,
                          sn::GELU, sn::Dropout<0.8>, sn::Dense<33>, sn::SiLU, sn::Dense<30, sn::He>, sn::LeakyReLUWith<0.1>,
                          sn::Dense<5>, sn::Softmax>;
using Tags = sn::Network<sn::MultiLabel<4>, sn::Input<6>, sn::Dropout<0.9>, sn::Dense<20>, sn::Tanh, sn::Dense<24>,
                         sn::ELUWith<0.5>, sn::Dense<4>, sn::Sigmoid>;
// Hidden Sigmoids (legal since issue 14, L8.3 waived): a gate on the inputs (a stage of its own)
// and one fused into a Dense.
using Gates = sn::Network<sn::MultiLabel<3>, sn::Allow<sn::lint::HiddenSigmoid>, sn::Input<6>, sn::Sigmoid, sn::Dense<20>,
                          sn::Sigmoid, sn::Dropout<0.9>, sn::Dense<16>, sn::Tanh, sn::Dense<3>, sn::Sigmoid>;

// Trained-looking weights: the initialization plus a pattern.
template <class N>
void perturb(N& net) {
    float* p = net.engine().params();
    for (std::size_t i = 0; i < net.engine().parameter_count(); ++i)
        p[i] += 0.02f * static_cast<float>(static_cast<int>(i % 11) - 5);
}

// The worst |header - predict_one| over the rows, in the units the network computes in (divided
// by the target scaler's scale, when there is one) and relative to max(1, |that value|); and the
// same bits from every build that runs (and from clang++-19 when it is installed).
template <class Net>
double check_header(Net& net, const sn::matrix& x, const std::string& ns, const std::string& label,
                    const std::vector<float>& scale = {}) {
    temp_dir dir(label);
    sn::export_header(net, dir.path / "model.hpp", {.name = ns});
    const std::string text = read_text(dir.path / "model.hpp");
    // Nothing but <cmath> is included: no sanenet, xtensor or xsimd.
    const std::regex include(R"(#\s*include\s*[<"]([^>"]+)[>"])");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), include); it != std::sregex_iterator(); ++it)
        CHECK((*it)[1].str() == "cmath");
    CHECK(text.find("new ") == std::string::npos);
    CHECK(text.find("throw") == std::string::npos);

    const std::size_t rows = x.shape()[0], k = static_cast<std::size_t>(Net::output_size);
    std::vector<float> reference;
    for (const build& b : builds()) {
        CAPTURE(b.name);
        const std::vector<float> y = header_predictions(dir.path, ns, SANENET_TEST_CXX, b, x, k);
        if (!b.runs) {
            MESSAGE("the " << b.name << " build of the header compiled; this CPU cannot run it");
            continue;
        }
        if (reference.empty())
            reference = y;
        else
            CHECK(std::memcmp(y.data(), reference.data(), y.size() * sizeof(float)) == 0);
    }
    if (std::system("command -v clang++-19 > /dev/null 2>&1") == 0) {
        const std::vector<float> y = header_predictions(dir.path, ns, "clang++-19", builds()[0], x, k);
        CHECK(std::memcmp(y.data(), reference.data(), y.size() * sizeof(float)) == 0);
    }
    double worst = 0;
    std::vector<float> one(k);
    for (std::size_t r = 0; r < rows; ++r) {
        net.predict_one(std::span<const float>(x.data() + r * Net::input_size, Net::input_size), one);
        for (std::size_t j = 0; j < k; ++j) {
            const double unit = scale.empty() ? 1.0 : scale[j];
            worst = std::max(worst,
                             std::fabs(double{reference[r * k + j]} - one[j]) / unit / std::max(1.0, std::fabs(one[j] / unit)));
        }
    }
    MESSAGE(label << ": worst |header - predict_one| (standardized units) / max(1, |predict_one|) over " << rows
                  << " inputs: " << worst);
    return worst;
}

}  // namespace

TEST_CASE("the header of a regression with scalers: raw inputs, outputs in the targets' units, as predict_one") {
    Arm net{sn::Seed{1}};
    perturb(net);
    sn::matrix raw = normal_matrix(1000, 5, 2);
    for (std::size_t i = 0; i < raw.size(); ++i) raw.data()[i] = raw.data()[i] * static_cast<float>(1 + i % 5) * 40.f + 100.f;
    sn::Standardizer sx, sy;
    sx.fit(raw);
    sn::matrix y = normal_matrix(50, 3, 3);
    for (auto& v : y) v = 300.f * v - 1000.f;
    sy.fit(y);
    net.attach_input_scaler(sx);
    net.attach_target_scaler(sy);
    CHECK(check_header(net, raw, "arm", "arm", sy.scale()) <= 1e-6);
}

TEST_CASE("the header of a classifier with LayerNorm, GELU, SiLU, Tanh, LeakyReLU, noise and dropout, in a nested namespace") {
    Mixed net{sn::Seed{4}};
    perturb(net);
    CHECK(check_header(net, normal_matrix(1000, 10, 5), "game::ai::mixed", "mixed") <= 1e-6);
}

TEST_CASE("the header of a multilabel network ending in Sigmoid") {
    Tags net{sn::Seed{6}};
    perturb(net);
    CHECK(check_header(net, normal_matrix(1000, 6, 7), "tags", "tags") <= 1e-6);
}

TEST_CASE("the header of a network with hidden Sigmoids: on the inputs and after a Dense") {
    Gates net{sn::Seed{8}};
    perturb(net);
    CHECK(check_header(net, normal_matrix(1000, 6, 9), "gates", "gates") <= 1e-6);
}

TEST_CASE("export_header refuses a name that is no namespace and non-finite weights, and writes nothing") {
    temp_dir dir("refused");
    Tags net{sn::Seed{8}};
    for (const char* bad : {"", "3d", "my-model", "class", "a::", "::a", "a:::b", "__x", "_X", "a__b", "std"}) {
        CAPTURE(bad);
        CHECK(contains(message_of<sn::argument_error>([&] { sn::export_header(net, dir.path / "m.hpp", {.name = bad}); }),
                       "export_header: HeaderOptions::name is '" + std::string(bad) + "', expected a C++ namespace name"));
    }
    net.engine().params()[3] = std::nanf("");
    CHECK(contains(message_of<sn::io_error>([&] { sn::export_header(net, dir.path / "m.hpp", {.name = "ok"}); }),
                   "refusing to export a header: parameter 3 (dense0 weight, input 0, unit 3) is NaN"));
    CHECK(dir.names().empty());
}
