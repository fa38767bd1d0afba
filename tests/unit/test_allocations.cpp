// Steady-state training steps and predict_one allocate nothing: every operator new in this
// test program is counted while a step or a prediction runs.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

namespace {
std::atomic<long> allocations{0};
std::atomic<bool> counting{false};

void* counted(std::size_t n, std::size_t align) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    n = n ? n : 1;
    void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align) : std::malloc(n);
    if (!p) throw std::bad_alloc();
    return p;
}

// Counts the allocations made while f runs.
template <class F>
long allocations_during(F&& f) {
    allocations = 0;
    counting = true;
    f();
    counting = false;
    return allocations.load();
}
}  // namespace

void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new[](std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace sn = sanenet;

using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;

TEST_CASE("the counter sees allocations (the test is not vacuous)") {
    // A direct call of operator new (a new-expression may be elided by the compiler, as clang does).
    CHECK(allocations_during([] { ::operator delete(::operator new(16)); }) == 1);
    CHECK(allocations_during([] { sn::kernels::aligned_buffer<float> b(100); }) == 1);
}

TEST_CASE("training steps allocate nothing after the first, for every optimizer and thread count") {
    for (int threads : {1, 2}) {
        for (const sn::Optimizer& opt :
             {sn::Optimizer{sn::Adam{}}, sn::Optimizer{sn::SGD{.nesterov = true}}, sn::Optimizer{sn::AdamW{}}}) {
            Mlp net;
            sn::detail::trainer tr(net.engine(), opt, 64, threads, 1);
            sn::kernels::rng r(1);
            for (std::size_t i = 0; i < 64 * 784; ++i) tr.input()[i] = static_cast<float>(r.normal());
            for (std::size_t i = 0; i < 64; ++i) tr.target_labels()[i] = static_cast<std::int32_t>(i % 10);
            tr.step(64);  // the first step may size per-thread packing buffers
            tr.step(7);
            const long n = allocations_during([&] {
                for (int s = 0; s < 5; ++s) {
                    tr.step(64);
                    tr.step(1);  // batch 1 and a partial last batch reuse the same workspaces
                    tr.step(33, 1.0f);
                }
            });
            INFO("threads " << threads);
            CHECK(n == 0);
        }
    }
}

TEST_CASE("predict_one allocates nothing") {
    Mlp net;
    std::vector<float> in(784, 0.5f), out(10);
    net.predict_one(in, out);
    CHECK(allocations_during([&] {
              for (int i = 0; i < 100; ++i) net.predict_one(in, out);
          }) == 0);

    SUBCASE("with an input scaler attached, through both overloads") {
        sn::matrix x = sn::matrix::from_shape({4, 784});
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 255);
        sn::Standardizer s;
        s.fit(x);
        net.attach_input_scaler(s);
        std::array<float, 784> fixed_in{};
        std::array<float, 10> fixed_out{};
        net.predict_one(fixed_in, fixed_out);
        CHECK(allocations_during([&] {
                  for (int i = 0; i < 100; ++i) {
                      net.predict_one(in, out);
                      net.predict_one(fixed_in, fixed_out);
                  }
              }) == 0);
    }
    SUBCASE("a network loaded by load_any, after its first call on this thread") {
        const std::filesystem::path file = std::filesystem::temp_directory_path() / "sanenet_test_allocations.sanenet";
        net.save(file);
        const sn::AnyNetwork any = sn::load_any(file);
        std::filesystem::remove(file);
        any.predict_one(in, out);
        CHECK(allocations_during([&] {
                  for (int i = 0; i < 100; ++i) any.predict_one(in, out);
              }) == 0);
    }
    SUBCASE("bf16: a QuantizedNetwork from the first call on, and its file loaded by load_any") {
        const sn::QuantizedNetwork q = sn::quantize(net, sn::Precision::bf16);
        CHECK(allocations_during([&] {
                  for (int i = 0; i < 100; ++i) q.predict_one(in, out);
              }) == 0);
        const std::filesystem::path file = std::filesystem::temp_directory_path() / "sanenet_test_allocations_bf16.sanenet";
        q.save(file);
        const sn::AnyNetwork any = sn::load_any(file);
        std::filesystem::remove(file);
        REQUIRE(any.precision() == sn::Precision::bf16);
        any.predict_one(in, out);
        CHECK(allocations_during([&] {
                  for (int i = 0; i < 100; ++i) any.predict_one(in, out);
              }) == 0);
    }
}
